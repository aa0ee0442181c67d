-- The roster's own date of each retiree's last certification (the
-- central's, or the imported file's), kept beside last_cert, which this
-- kiosk's passes move forward. A pass the central refuses as invalid (a
-- clock years ahead) certified nobody: last_cert then falls back to this
-- date or the kiosk's other passes (store/outbox.go, unrefusedLastCert).
ALTER TABLE retiree ADD COLUMN roster_last_cert TEXT;
UPDATE retiree SET roster_last_cert = last_cert;

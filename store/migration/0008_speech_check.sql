-- Which read-digits check judged a certification (issue 15): 'lips' when
-- the kiosk had no microphone, 'lips_voice' when it heard the digits in
-- step with the lips. '' for blink mode, manual reviews and older rows.
ALTER TABLE certification ADD COLUMN speech_check TEXT NOT NULL DEFAULT ''
    CHECK (speech_check IN ('', 'lips', 'lips_voice'));

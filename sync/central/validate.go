package central

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"certkiosk"
	"certkiosk/sync"

	"github.com/google/uuid"
)

// ValidateRecord checks a record a terminal sent: well-formed fields, the
// terminal's own record, evidence intact. Storages call it before storing.
func ValidateRecord(terminal string, r sync.Record) error {
	if u, err := uuid.Parse(r.ID); err != nil || u.Version() != 7 {
		return fmt.Errorf("id %q is not a UUIDv7", r.ID)
	}
	if r.Terminal != terminal {
		return fmt.Errorf("record of terminal %q sent by %q", r.Terminal, terminal)
	}
	if _, err := certkiosk.ParseResidentID(r.RetireeID); err != nil {
		return fmt.Errorf("retiree: %v", err)
	}
	if _, err := certkiosk.ParseMethod(r.Method); err != nil {
		return err
	}
	if _, err := certkiosk.ParseVerdict(r.Verdict); err != nil {
		return err
	}
	if _, err := certkiosk.ParseReceiptCode(r.Receipt); err != nil {
		return fmt.Errorf("receipt: %v", err)
	}
	if r.StaffID == "" || r.Attempt < 1 || r.Ended.Before(r.Started) || !json.Valid(r.Metrics) {
		return fmt.Errorf("staff, attempt, times or metrics malformed")
	}
	for _, e := range r.Evidence {
		sum := sha256.Sum256(e.Ciphertext)
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			return fmt.Errorf("evidence %s does not match its digest", e.Kind)
		}
		if len(e.Ciphertext) < 20 || string(e.Ciphertext[:20]) != "age-encryption.org/v" {
			return fmt.Errorf("evidence %s is not an age file", e.Kind)
		}
	}
	return nil
}

// Body is the record as stored, without its evidence (kept apart).
func Body(r sync.Record) []byte {
	r.Evidence = nil
	b, _ := json.Marshal(r)
	return b
}

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

// EvidenceKinds are the only evidence kinds the central stores: names that
// later become parts of file names must come from this list.
var EvidenceKinds = map[string]bool{"best_frame": true, "clip": true}

// CanonicalUUIDv7 reports whether s is a UUIDv7 written the one way
// uuid.String writes it (36 lower-case characters with hyphens). uuid.Parse
// alone also accepts braces, "urn:uuid:" and upper case.
func CanonicalUUIDv7(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.Version() == 7 && u.String() == s
}

// ValidateRecord checks a record a terminal sent: well-formed fields, the
// terminal's own record, evidence intact. Storages call it before storing.
func ValidateRecord(terminal string, r sync.Record) error {
	if !CanonicalUUIDv7(r.ID) {
		return fmt.Errorf("id %q is not a canonical UUIDv7", r.ID)
	}
	if r.Terminal != terminal {
		return fmt.Errorf("record of terminal %q sent by %q", r.Terminal, terminal)
	}
	if _, err := certkiosk.ParseResidentID(r.RetireeID); err != nil || len(r.RetireeID) != 18 {
		return fmt.Errorf("retiree: %v", err)
	}
	if _, err := certkiosk.ParseMethod(r.Method); err != nil {
		return err
	}
	if _, err := certkiosk.ParseVerdict(r.Verdict); err != nil {
		return err
	}
	if rc, err := certkiosk.ParseReceiptCode(r.Receipt); err != nil || string(rc) != r.Receipt {
		return fmt.Errorf("receipt %q is not a canonical receipt code (XXXX-XXXX-C)", r.Receipt)
	}
	if r.StaffID == "" || r.Attempt < 1 || r.Ended.Before(r.Started) || !json.Valid(r.Metrics) {
		return fmt.Errorf("staff, attempt, times or metrics malformed")
	}
	if err := sync.CheckRecordLimits(r); err != nil {
		return err
	}
	switch r.FrameSource {
	case sync.FrameCamera, "":
	case sync.FrameNone:
		if r.Verdict != string(certkiosk.VerdictManualReview) {
			return fmt.Errorf("a %s without frames (frame_source none)", r.Verdict)
		}
	case sync.FrameFile, sync.FrameDemo:
		if !r.Synthetic {
			return fmt.Errorf("frame source %s: only records from a camera are accepted", r.FrameSource)
		}
	default:
		return fmt.Errorf("frame source %q is not camera, file, demo or none", r.FrameSource)
	}
	if _, err := certkiosk.ParseSpeechCheck(r.SpeechCheck, certkiosk.Method(r.Method)); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range r.Evidence {
		if !EvidenceKinds[e.Kind] {
			return fmt.Errorf("evidence kind %q is not one of best_frame, clip", e.Kind)
		}
		if seen[e.Kind] {
			return fmt.Errorf("evidence %s sent twice", e.Kind)
		}
		seen[e.Kind] = true
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

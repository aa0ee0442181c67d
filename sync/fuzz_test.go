package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"certkiosk/internal/fuzzseed"

	"filippo.io/age"
)

// Parsers of what the central and the kiosk receive from the other side:
// batches (framed and JSON), offline bundles and their bodies, roster
// snapshots and deltas, signature headers.

func seedRecord() Record {
	return Record{ID: "019abcde-0000-7000-8000-000000000001", RetireeID: "11010519491231002X", StaffID: "A001",
		Terminal: "T-0001", Method: "blink", Verdict: "pass", Metrics: json.RawMessage(`{"blinks":2}`),
		Started: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Ended: time.Date(2026, 11, 27, 9, 0, 9, 0, time.UTC),
		Attempt: 1, Receipt: "AB12-CD34-5", FrameSource: FrameCamera,
		Evidence: []Evidence{{Kind: "best_frame", SHA256: strings.Repeat("0", 64), Ciphertext: []byte("age-encryption.org/v1\nx")}}}
}

func batchSeeds() [][]any {
	r := seedRecord()
	two := Batch{Records: []Record{r, r}, Audit: &AuditHead{Seq: 3, Hash: strings.Repeat("a", 64),
		Anchors: []AuditAnchor{{Seq: 1, Hash: strings.Repeat("b", 64)}}}}
	framed, _ := EncodeBatch(two)
	js, _ := json.Marshal(two)
	empty, _ := EncodeBatch(Batch{})
	return [][]any{
		{framed, true}, {js, false}, {empty, true}, {[]byte(`{"records":[]}`), false},
		{[]byte(`{"records":[{},{},{}]}`), false}, {[]byte(`{"records":null,"x":1}`), false},
		{[]byte("CKB1\x00\x00\x00\x02{}"), true}, {[]byte("CKB1\xff\xff\xff\xff"), true},
		{[]byte(`{"records":[{"evidence":[{"size":5}]}]}`), false}, {[]byte(`[]`), false}, {[]byte(`{"records":[]} x`), false},
		{framed[:len(framed)-3], true},
	}
}

// FuzzReadBatch decodes batch bodies as the central does, framed or JSON.
func FuzzReadBatch(f *testing.F) {
	for _, s := range batchSeeds() {
		f.Add(s[0].([]byte), s[1].(bool))
	}
	f.Fuzz(func(t *testing.T, body []byte, framed bool) {
		ct := "application/json"
		if framed {
			ct = ContentTypeBatch
		}
		b, err := ReadBatch(body, ct)
		if err != nil {
			return
		}
		if len(b.Records) > MaxBatchRecords {
			t.Fatalf("%d records accepted", len(b.Records))
		}
		total := 0
		for _, r := range b.Records {
			if err := CheckRecordLimits(r); err != nil && errors.Is(err, ErrTooLarge) {
				t.Fatalf("record past the limits accepted: %v", err)
			}
			for _, e := range r.Evidence {
				total += len(e.Ciphertext)
			}
		}
		if framed && total > len(body) {
			t.Fatalf("%d evidence bytes from a %d-byte body", total, len(body))
		}
		// What decodes re-encodes and decodes to the same records.
		again, err := EncodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := DecodeBatch(again)
		if err != nil || len(b2.Records) != len(b.Records) {
			t.Fatalf("re-encoded batch: %d records, %v", len(b2.Records), err)
		}
		for i := range b.Records {
			if b.Records[i].ContentHash() != b2.Records[i].ContentHash() {
				t.Fatalf("record %d changed through re-encoding", i)
			}
		}
	})
}

var bundleIdentity, _ = age.ParseX25519Identity("AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33")

func bundleSeeds() [][]any {
	var enc bytes.Buffer
	w, _ := age.Encrypt(&enc, bundleIdentity.Recipient())
	js, _ := json.Marshal(Batch{Records: []Record{seedRecord()}})
	w.Write(js)
	w.Close()
	b := Bundle{Format: BundleFormat, Terminal: "T-0001", Created: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Body: enc.Bytes(),
		Signature: make([]byte, 64)}
	good, _ := json.Marshal(b)
	b.Format = BundleFormatV1
	v1, _ := json.Marshal(b)
	return [][]any{{good}, {v1}, {[]byte(`{"format":"certkiosk-bundle-v2","terminal":"","body":"","signature":""}`)}, {[]byte(`{`)},
		{[]byte(`{"format":"certkiosk-bundle-v2","terminal":"T","body":"YWdl"}`)}}
}

// FuzzBundle reads bundle files and opens their bodies as the central does.
func FuzzBundle(f *testing.F) {
	for _, s := range bundleSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			return
		}
		if b.Format != BundleFormat || b.Terminal == "" {
			t.Fatalf("accepted bundle %+v", b)
		}
		b.Verify(make([]byte, 32))
		if batch, err := b.Batch(bundleIdentity); err == nil && len(batch.Records) > MaxBundleRecords {
			t.Fatalf("%d records in a bundle", len(batch.Records))
		}
	})
}

// FuzzBundleBody decodes decrypted bundle bodies (a JSON batch).
func FuzzBundleBody(f *testing.F) {
	for _, s := range batchSeeds() {
		if !s[1].(bool) {
			f.Add(s[0].([]byte))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeBundleBody(bytes.NewReader(body))
		if err == nil && len(b.Records) > MaxBundleRecords {
			t.Fatalf("%d records", len(b.Records))
		}
	})
}

func headerSeeds() [][]any {
	return [][]any{
		{"T-0001", "1764234000", strings.Repeat("ab", 16), strings.Repeat("A", 86) + "=="},
		{"", "", "", ""}, {"T 1", "-5", strings.Repeat("zz", 16), "!!"}, {strings.Repeat("T", 65), "+1", strings.Repeat("0", 32), ""},
	}
}

// FuzzSignedHeaders parses signature headers as the central does first.
func FuzzSignedHeaders(f *testing.F) {
	for _, s := range headerSeeds() {
		f.Add(s[0].(string), s[1].(string), s[2].(string), s[3].(string))
	}
	f.Fuzz(func(t *testing.T, terminal, ts, nonce, sig string) {
		r, _ := http.NewRequest(http.MethodPost, "http://central"+PathBatches, nil)
		r.Header.Set(HeaderTerminal, terminal)
		r.Header.Set(HeaderTimestamp, ts)
		r.Header.Set(HeaderNonce, nonce)
		r.Header.Set(HeaderSignature, sig)
		s, err := ParseSignedHeaders(r)
		if err != nil {
			return
		}
		if len(s.Terminal) == 0 || len(s.Terminal) > MaxTerminalIDBytes || len(s.Nonce) != 32 || len(s.Signature) != 64 {
			t.Fatalf("accepted %+v", s)
		}
		s.SetBody([]byte("x"))
		if s.Verify(make([]byte, 32)) {
			t.Fatal("a zero key verified")
		}
	})
}

func TestFuzzSeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzReadBatch", batchSeeds()...)
	fuzzseed.Write(t, "FuzzBundle", bundleSeeds()...)
	var bodies [][]any
	for _, s := range batchSeeds() {
		if !s[1].(bool) {
			bodies = append(bodies, []any{s[0]})
		}
	}
	fuzzseed.Write(t, "FuzzBundleBody", bodies...)
	fuzzseed.Write(t, "FuzzContactsRequest", contactSeeds()...)
	fuzzseed.Write(t, "FuzzSignedHeaders", headerSeeds()...)
}

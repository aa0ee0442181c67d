package sync

import (
	"bytes"
	"testing"
)

func TestFramedBatchRoundTrip(t *testing.T) {
	b := Batch{Records: []Record{
		{ID: "a", Metrics: []byte(`{}`), Evidence: []Evidence{{Kind: "best_frame", SHA256: "x", Ciphertext: []byte("age-encryption.org/v1 one")}}},
		{ID: "b", Metrics: []byte(`{}`)},
		{ID: "c", Metrics: []byte(`{}`), Evidence: []Evidence{{Kind: "best_frame", Ciphertext: []byte("two")}, {Kind: "clip", Ciphertext: []byte("three!")}}},
	}}
	body, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body[:bytes.Index(body, []byte("age-encryption"))], []byte("YWdl")) {
		t.Fatal("evidence went into the header as base64")
	}
	got, err := DecodeBatch(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 3 || string(got.Records[0].Evidence[0].Ciphertext) != "age-encryption.org/v1 one" ||
		string(got.Records[2].Evidence[1].Ciphertext) != "three!" || got.Records[2].Evidence[1].Kind != "clip" {
		t.Fatalf("round trip: %+v", got)
	}
	if len(b.Records[0].Evidence[0].Ciphertext) == 0 {
		t.Fatal("encoding changed the caller's batch")
	}
	for name, bad := range map[string][]byte{
		"short":          body[:5],
		"magic":          append([]byte("XXXX"), body[4:]...),
		"truncated blob": body[:len(body)-2],
		"trailing bytes": append(append([]byte{}, body...), 'z'),
	} {
		if _, err := DecodeBatch(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Issue 15: the speech check travels with a record and is part of its
// content (a lips-only pass cannot be relabelled as voice-checked without
// a conflict), while records without it keep the hash they always had.
func TestSpeechCheckOnTheWire(t *testing.T) {
	r := Record{ID: "a", Method: "digits", Metrics: []byte(`{}`), FrameSource: FrameCamera}
	before := r.ContentHash()
	r.SpeechCheck = "lips"
	lips := r.ContentHash()
	r.SpeechCheck = "lips_voice"
	if lips == before || r.ContentHash() == lips {
		t.Fatal("the speech check is not part of the content hash")
	}
	body, err := EncodeBatch(Batch{Records: []Record{r}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(body)
	if err != nil || got.Records[0].SpeechCheck != "lips_voice" || got.Records[0].ContentHash() != r.ContentHash() {
		t.Fatalf("round trip: %+v, %v", got.Records, err)
	}
	r.SpeechCheck = string(make([]byte, MaxFieldBytes+1))
	if err := CheckRecordLimits(r); err == nil {
		t.Fatal("an oversized speech_check passed the limits")
	}
}

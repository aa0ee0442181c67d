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

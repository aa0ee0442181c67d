package store

import (
	"bytes"
	"context"
	"testing"
)

// The photo read from the retiree's own identity card wins: neither the
// central's photo nor a last pass replaces it, and the central's is no
// longer wanted while it is held. It is stored encrypted like the others.
func TestCardPhotoIsPreferred(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.roster[0]
	card, central := testJPEG(t, 1), testJPEG(t, 2)
	if _, _, err := f.s.ApplyRosterPhotos(ctx, "sync", 1, false, f.roster[:1], []string{sha256Hex(central)}, nil); err != nil {
		t.Fatal(err)
	}
	if w, _ := f.s.PhotosWanted(ctx, "", 10); len(w) != 1 {
		t.Fatalf("central photo not wanted before the card: %v", w)
	}
	if err := f.s.PutReferencePhoto(ctx, "staff:A001", r.ID, RefCard, card); err != nil {
		t.Fatal(err)
	}
	if w, _ := f.s.PhotosWanted(ctx, "", 10); len(w) != 0 {
		t.Fatalf("central photo still wanted with the card's held: %v", w)
	}
	for _, src := range []string{RefCentral, RefLastPass} {
		if err := f.s.PutReferencePhoto(ctx, "x", r.ID, src, central); err != nil {
			t.Fatal(err)
		}
	}
	p, ok, err := f.s.ReferencePhoto(ctx, "staff:A001", r.ID)
	if err != nil || !ok || p.Source != RefCard || !bytes.Equal(p.JPEG, card) {
		t.Fatalf("held: ok %v source %q same %v, %v; want the card's", ok, p.Source, bytes.Equal(p.JPEG, card), err)
	}
	var ct []byte
	if err := f.s.SQL().QueryRow(`SELECT ciphertext FROM reference_photo WHERE retiree_id = ?`, string(r.ID)).Scan(&ct); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, card[:64]) {
		t.Fatal("card photo stored in the clear")
	}
}

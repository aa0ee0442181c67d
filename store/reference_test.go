package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A lost reference key loses nothing for good: the photos encrypted to it
// are deleted with an audit entry when the new key is made, and the
// central's are wanted again; a photo that does not open is deleted too.
func TestLostReferenceKeyRefetchesPhotos(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var sums []string
	for i, r := range f.roster[:3] {
		sums = append(sums, sha256Hex(testJPEG(t, i)))
		if err := f.s.PutReferencePhoto(ctx, "central", r.ID, RefCentral, testJPEG(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.s.ApplyRosterPhotos(ctx, "sync", 1, false, f.roster[:3], sums, nil); err != nil {
		t.Fatal(err)
	}
	if w, err := f.s.PhotosWanted(ctx, "", 10); err != nil || len(w) != 0 {
		t.Fatalf("wanted before: %v %v", w, err)
	}
	// A photo whose ciphertext is spoiled: deleted when opened, wanted again.
	if _, err := f.s.SQL().Exec(`UPDATE reference_photo SET ciphertext = x'00' WHERE retiree_id = ?`, string(f.roster[2].ID)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.s.ReferencePhoto(ctx, "A001", f.roster[2].ID); err != nil || ok {
		t.Fatalf("spoiled photo: ok %v, %v", ok, err)
	}
	if w, _ := f.s.PhotosWanted(ctx, "", 10); len(w) != 1 || w[0].ID != f.roster[2].ID {
		t.Fatalf("wanted after a spoiled photo: %v", w)
	}
	// The key file is lost; the next process makes a new key.
	f.s.Close()
	if err := os.Remove(filepath.Join(f.dir, ReferenceKeyFile)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, ok, err := s.ReferencePhoto(ctx, "A001", f.roster[0].ID); err != nil || ok {
		t.Fatalf("photo of the lost key: ok %v, %v", ok, err)
	}
	var n int
	s.SQL().QueryRow(`SELECT count(*) FROM reference_photo`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d photos of the lost key kept", n)
	}
	if w, _ := s.PhotosWanted(ctx, "", 10); len(w) != 3 {
		t.Fatalf("wanted after the lost key: %v", w)
	}
	var details []string
	rows, err := s.SQL().Query(`SELECT detail FROM audit WHERE action = ?`, ActReferencePurge)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		rows.Scan(&d)
		details = append(details, d)
	}
	rows.Close()
	all := strings.Join(details, "\n")
	if len(details) != 2 || !strings.Contains(all, `"unreadable":2`) || strings.Contains(all, string(f.roster[2].ID)) {
		t.Fatalf("audit of the deletions: %s", all)
	}
	// The new key works.
	if err := s.PutReferencePhoto(ctx, "central", f.roster[0].ID, RefCentral, testJPEG(t, 0)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ReferencePhoto(ctx, "A001", f.roster[0].ID); err != nil || !ok {
		t.Fatalf("photo of the new key: ok %v, %v", ok, err)
	}
}

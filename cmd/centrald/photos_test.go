package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/sqlitestore"
)

// `roster import FILE --photos DIR` stores the JPEGs named by identity
// number, skips and lists other files, puts each photo's digest in its
// roster entry, and refuses a photo of someone not on the roster.
func TestRosterImportWithPhotos(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	rf := filepath.Join(t.TempDir(), "roster.csv")
	roster := "身份证号,姓名,性别,出生日期,上次认证日期\n" +
		"11010519491231002X,王秀英,女,1949-12-31,2025-12-01\n" +
		"310104195507311235,李建国,男,1955-07-31,\n"
	if err := os.WriteFile(rf, []byte(roster), 0o600); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 32, 40)), nil)
	photo := b.Bytes()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "11010519491231002X.jpg"), photo, 0o600)
	os.WriteFile(filepath.Join(dir, "310104195507311235.JPG"), []byte("not a jpeg at all"), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	os.Symlink("/etc/passwd", filepath.Join(dir, "110105194912310038.jpg"))
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"--data", data, "roster", "import", rf, "--photos", dir}, &out, &errOut, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "reference photos: 1 stored, 3 skipped") || regexp.MustCompile(`\d{17}`).MatchString(errOut.String()) {
		t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(data, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := central.LoadOrCreateKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := st.Photo(ctx, "11010519491231002X")
	if err != nil {
		t.Fatalf("stored photo: %v", err)
	}
	if got, err := keys.OpenPhoto(sealed); err != nil || !bytes.Equal(got, photo) || sealed.SHA256 != central.PhotoSHA256(photo) {
		t.Fatalf("stored photo does not open to the imported one: %v", err)
	}
	// Sealed to the central: no JPEG in the database's files.
	for _, f := range []string{"central.db", "central.db-wal"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte{0xFF, 0xD8, 0xFF}) {
			t.Fatalf("%s holds JPEG magic bytes: a photo in clear", f)
		}
	}
	u, err := st.RosterSince(ctx, 0)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range u.Retirees {
		want := ""
		if e.ID == "11010519491231002X" {
			want = central.PhotoSHA256(photo)
		}
		if e.PhotoSHA256 != want {
			t.Fatalf("entry %s photo_sha256 %q, want %q", e.ID[:6], e.PhotoSHA256, want)
		}
	}
	// The same roster again without --photos: nothing changes, so no
	// terminal withdraws the photo it holds.
	out.Reset()
	if err := run(ctx, []string{"--data", data, "roster", "import", rf}, &out, io.Discard, nil); err != nil {
		t.Fatalf("import without photos: %v", err)
	}
	if !strings.Contains(out.String(), ": 0 changed, 0 removed") {
		t.Fatalf("import without photos changed the roster: %q", out.String())
	}
	st, err = sqlitestore.Open(ctx, filepath.Join(data, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, err = st.RosterSince(ctx, 0)
	sealed, perr := st.Photo(ctx, "11010519491231002X")
	st.Close()
	if err != nil || perr != nil || sealed.SHA256 != central.PhotoSHA256(photo) {
		t.Fatalf("after an import without photos: %v, photo %v", err, perr)
	}
	for _, e := range u.Retirees {
		if e.ID == "11010519491231002X" && e.PhotoSHA256 != central.PhotoSHA256(photo) {
			t.Fatalf("import without photos withdrew the photo: %q", e.PhotoSHA256)
		}
	}
	// The central lost its copy (the upgrade that sealed photos dropped
	// those in clear): the entry still lists the photo terminals hold.
	st, err = sqlitestore.Open(ctx, filepath.Join(data, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.DB().Exec(`DELETE FROM roster_photo`)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"--data", data, "roster", "import", rf}, &out, io.Discard, nil); err != nil ||
		!strings.Contains(out.String(), ": 0 changed, 0 removed") {
		t.Fatalf("import without photos, none held: %v %q", err, out.String())
	}
	// A photo of someone not on the roster: the whole import is refused.
	stranger, err := certkiosk.CompleteResidentID("11010519500101001")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, string(stranger)+".jpg"), photo, 0o600)
	err = run(ctx, []string{"--data", data, "roster", "import", rf, "--photos", dir}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "not on the roster") {
		t.Fatalf("photo of a stranger: %v", err)
	}
}

package ui

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/check"

	"fyne.io/fyne/v2/test"
)

// The disk fills up during a check: staff are told in plain words, the
// result is kept, and once there is room 「重新保存」 saves it — one record,
// no second check.
func TestDiskFullKeepsTheResult(t *testing.T) {
	k, db := newTestKiosk(t)
	res := passResult()
	res.Best = noisyJPEG(t) // a frame that needs new pages
	k.opt.Checker = station{updates: []check.Update{{Done: true, Result: res}}}
	openCard(t, k, db)
	// A full disk, as SQLite's page limit (one connection, so it holds).
	db.SQL().SetMaxOpenConns(1)
	db.SQL().SetMaxIdleConns(1)
	for _, q := range []string{`VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} { // no free pages left to fill
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var pages int
	if err := db.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`PRAGMA max_page_count = ` + strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	k.StartCertification(certkiosk.MethodBlink)
	k.follows.Wait()
	if k.Screen() != "save-problem" || !strings.Contains(screenText(k), "存储空间已满") || !strings.Contains(screenText(k), "重新保存") {
		t.Fatalf("full disk: %s: %s", k.Screen(), screenText(k))
	}
	count := func() int {
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM certification`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d records after a refused save", n)
	}
	test.Tap(k.saveRetry) // still full: still held
	if k.Screen() != "save-problem" || count() != 0 {
		t.Fatalf("retry on a full disk: %s, %d records", k.Screen(), count())
	}
	if _, err := db.SQL().Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	test.Tap(k.saveRetry)
	if k.Screen() != "pass" || count() != 1 {
		t.Fatalf("retry with room: %s, %d records: %s", k.Screen(), count(), screenText(k))
	}
}

func noisyJPEG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 480, 360))
	rng := rand.New(rand.NewSource(1))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Intn(256))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Press taps a button of the screen shown by its label's key, and only one
// that is there.
func TestPressTapsOnlyWhatIsShown(t *testing.T) {
	k, db := newTestKiosk(t)
	k.opt.ReceiptDir = t.TempDir()
	k.opt.Checker = station{updates: []check.Update{{Done: true, Result: passResult()}}}
	openCard(t, k, db)
	if k.Press("result.print") {
		t.Fatal("pressed a button the card screen does not have")
	}
	k.StartCertification(certkiosk.MethodBlink)
	k.follows.Wait()
	if k.Screen() != "pass" || !k.Press("result.contacts") || k.Screen() != "contacts" {
		t.Fatalf("pass → contacts: %s", k.Screen())
	}
}

// A receipt file is there whole or not at all: written beside, synced,
// renamed; a failed write leaves nothing half-written behind.
func TestReceiptWrittenWhole(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/R.pdf"
	if err := writeWhole(path, []byte("%PDF-1.4 whole")); err != nil {
		t.Fatal(err)
	}
	if err := writeWhole(dir+"/taken", nil); err != nil {
		t.Fatal(err)
	}
	if err := writeWhole(dir+"/taken/x.pdf", []byte("x")); err == nil {
		t.Fatal("a receipt under a file was written")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "R.pdf,taken" {
		t.Fatalf("receipt directory holds %v", names)
	}
}

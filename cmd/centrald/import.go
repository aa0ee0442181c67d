package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/central"
	"certkiosk/roster"
	ksync "certkiosk/sync"
)

// importRoster validates a roster file exactly as a terminal would (all or
// nothing, every bad line listed) and publishes it as the next version.
//
// With photoDir, the reference photos in it (JPEGs named by identity
// number, central.ReadPhotoDir) are sealed to the central's evidence
// identity and stored first, and their digests put in
// the roster entries, so terminals fetch them with the next download. A
// photo of someone not on the roster refuses the import; files that are
// not such photos are listed and left out. Without photoDir every entry
// keeps the photo the central already holds: the entries replace the
// previous ones whole, and an empty digest would make every terminal
// withdraw its reference photo.
func importRoster(ctx context.Context, st central.Storage, keys *central.Keys, path, encoding, photoDir string, stdout, stderr io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("roster import: %w", err)
	}
	rs, enc, err := roster.Parse(data, encoding)
	var ie *roster.Error
	if errors.As(err, &ie) {
		for _, l := range ie.Lines {
			fmt.Fprintf(stderr, "  line %d: %s\n", l.Line, translation.Msg(translation.Chinese, l.Reason))
		}
		return fmt.Errorf("roster rejected, nothing imported: %w", err)
	}
	if err != nil {
		return err
	}
	entries := make([]ksync.RosterEntry, len(rs))
	for i, r := range rs {
		entries[i] = ksync.ToEntry(r)
	}
	// A last certification after today is a typo (2062 for 2026): it would
	// keep the retiree "正常" for decades. The newest import's date wins,
	// so a wrong one is corrected by importing the corrected file.
	if bad := central.FutureLastCerts(entries, certkiosk.DateOf(time.Now())); len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintf(stderr, "  %s\n", b)
		}
		return fmt.Errorf("roster rejected, nothing imported: %d last certification date(s) after today", len(bad))
	}
	if photoDir != "" {
		ps, ok := st.(central.PhotoStorage)
		if !ok {
			return errors.New("roster import: this storage keeps no photos")
		}
		photos, skipped, err := central.ReadPhotoDir(photoDir)
		if err != nil {
			return fmt.Errorf("roster import: %w", err)
		}
		for _, s := range skipped {
			fmt.Fprintf(stderr, "  photo skipped: %s\n", s)
		}
		onRoster := map[string]int{}
		for i, e := range entries {
			onRoster[e.ID] = i
		}
		for id := range photos {
			if _, ok := onRoster[id]; !ok {
				return fmt.Errorf("roster rejected, nothing imported: a photo of %s, who is not on the roster", certkiosk.Mask(id))
			}
		}
		sealed, err := central.SealPhotos(keys.Recipient(), photos)
		if err != nil {
			return fmt.Errorf("roster import: %w", err)
		}
		if err := ps.PutPhotos(ctx, sealed); err != nil {
			return fmt.Errorf("roster import: %w", err)
		}
		for id, b := range photos {
			entries[onRoster[id]].PhotoSHA256 = central.PhotoSHA256(b)
		}
		fmt.Fprintf(stdout, "reference photos: %d stored, %d skipped\n", len(photos), len(skipped))
	} else if ps, ok := st.(central.PhotoStorage); ok {
		held, err := ps.PhotoDigests(ctx)
		if err != nil {
			return fmt.Errorf("roster import: %w", err)
		}
		for i := range entries {
			entries[i].PhotoSHA256 = held[entries[i].ID]
		}
	}
	v, changed, deleted, err := st.PutRoster(ctx, entries)
	if err != nil {
		return fmt.Errorf("roster import: %w", err)
	}
	fmt.Fprintf(stdout, "roster v%d (%s, %d rows): %d changed, %d removed\n", v, enc, len(rs), changed, deleted)
	return nil
}

// importBundle ingests an offline bundle and writes the receipt the
// terminal imports (`kioskctl import-receipt`).
func importBundle(ctx context.Context, st central.Storage, keys *central.Keys, path, receiptPath string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, ksync.MaxBundleBytes+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	b, err := ksync.ParseBundle(data)
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	res, rc, err := central.ImportBundle(ctx, st, keys, b, time.Now())
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	if rc.Audit != nil && rc.Audit.Status != ksync.AuditOK {
		fmt.Fprintf(stdout, "ALARM: the audit log of terminal %s does not extend the anchored one: %s\n", b.Terminal, rc.Audit.Detail)
	}
	counts := map[string]int{}
	for _, r := range res {
		counts[r.Status]++
	}
	if receiptPath == "" {
		receiptPath = strings.TrimSuffix(path, ".json") + ".receipt.json"
	}
	out, _ := json.Marshal(rc)
	if err := os.WriteFile(receiptPath, out, 0o600); err != nil {
		return fmt.Errorf("import: write receipt: %w", err)
	}
	fmt.Fprintf(stdout, "imported %d record(s) from %s: %d accepted, %d duplicate, %d conflict, %d invalid; receipt %s\n",
		len(res), b.Terminal, counts[ksync.StatusAccepted], counts[ksync.StatusDuplicate], counts[ksync.StatusConflict],
		counts[ksync.StatusInvalid], receiptPath)
	return nil
}

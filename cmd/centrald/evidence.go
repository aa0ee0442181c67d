package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"certkiosk/central"
)

// exportEvidence writes each evidence object as OUT/<record-uuid>.age
// (a clip as <uuid>.clip.age), byte for byte as the terminal encrypted it.
// File names come only from canonical record IDs and the known kinds, and
// are opened through an os.Root on OUT, so nothing lands outside it; an
// existing file is never overwritten. A row that breaks these rules (a
// database from before they were checked at ingest) is skipped and
// reported; the export goes on and fails at the end.
func exportEvidence(ctx context.Context, st central.Storage, out string, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(out, 0o700); err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	defer root.Close()
	var n, same int
	var skipped []string
	err = st.EachEvidence(ctx, func(id, kind string, ct []byte) error {
		name, ok := evidenceFileName(id, kind)
		if !ok {
			skipped = append(skipped, fmt.Sprintf("record %q evidence %q: not a canonical record ID or a known kind", id, kind))
			return nil
		}
		switch err := writeNew(root, name, ct); {
		case err == nil:
			n++
		case errors.Is(err, errSameFile):
			same++
		default:
			skipped = append(skipped, fmt.Sprintf("%s: %v", name, err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("evidence export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %d evidence object(s) to %s", n, out)
	if same > 0 {
		fmt.Fprintf(stdout, " (%d already there, unchanged)", same)
	}
	fmt.Fprintln(stdout)
	for _, s := range skipped {
		fmt.Fprintln(stderr, "  skipped", s)
	}
	if len(skipped) > 0 {
		return fmt.Errorf("evidence export: %d object(s) skipped, listed above", len(skipped))
	}
	return nil
}

// evidenceFileName is the export file name of a record's evidence, from
// an allow-list: a canonical UUIDv7 and a known kind, nothing else.
func evidenceFileName(id, kind string) (string, bool) {
	if !central.CanonicalUUIDv7(id) || !central.EvidenceKinds[kind] {
		return "", false
	}
	if kind == "best_frame" {
		return id + ".age", true
	}
	return id + "." + kind + ".age", true
}

var errSameFile = errors.New("already exported")

// writeNew creates name in root (0600) and never replaces a file: one that
// exists with the same bytes is errSameFile, with other bytes an error.
func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		old, rerr := root.ReadFile(name)
		if rerr == nil && bytes.Equal(old, data) {
			return errSameFile
		}
		return errors.New("a different file with this name exists; not overwritten")
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

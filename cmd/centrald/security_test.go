package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"
)

// F1: rows a hostile terminal could have stored before ingest checked IDs
// and kinds are skipped and reported; nothing is written outside the
// export folder and nothing is overwritten.
func TestEvidenceExportStaysInsideItsFolder(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	if err := run(ctx, []string{"--data", data, "stats"}, io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", filepath.Join(data, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	victim, _ := uuid.NewV7()
	good, _ := uuid.NewV7()
	outside := t.TempDir()
	rows := []struct{ id, kind, content string }{
		{"/" + victim.String() + "/", "best_frame", "bad id"},          // uuid.Parse accepted this
		{good.String(), "../../../../" + outside + "/owned", "escape"}, // kind as a path
		{victim.String(), "x/../../" + victim.String(), "overwrite"},   // kind naming another file
		{good.String(), "best_frame", "age-encryption.org/v1 genuine"},
		{victim.String(), "best_frame", "age-encryption.org/v1 victim"},
	}
	for i, r := range rows {
		if _, err := db.Exec(`INSERT INTO record (id, terminal, content_hash, body, receipt, verdict, retiree_masked,
			ended_at, synthetic, received_at) VALUES (?, 'T-0001', 'h', '{}', ?, 'pass', 'x', 'now', 0, 'now')
			ON CONFLICT DO NOTHING`, r.id, "R"+string(rune('A'+i))); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO evidence (record_id, kind, sha256, ciphertext) VALUES (?, ?, 'h', ?)`,
			r.id, r.kind, []byte(r.content)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "ev")
	os.MkdirAll(out, 0o700)
	// A file already there with other bytes, and a symlink planted to lead out.
	os.WriteFile(filepath.Join(out, victim.String()+".age"), []byte("kept"), 0o600)
	os.Symlink(outside, filepath.Join(out, "link"))

	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"--data", data, "evidence", "export", "--out", out}, &stdout, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "4 object(s) skipped") {
		t.Fatalf("export: %v, want 4 skipped (3 hostile rows, 1 existing file)\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "exported 1 evidence") {
		t.Fatalf("stdout: %s", stdout.String())
	}
	for _, want := range []string{"not a canonical record ID", "not overwritten"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stderr.String())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, good.String()+".age")); string(b) != "age-encryption.org/v1 genuine" {
		t.Fatalf("genuine evidence: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, victim.String()+".age")); string(b) != "kept" {
		t.Fatalf("existing file overwritten: %q", b)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("files written outside the export folder: %v", ents)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 3 { // genuine, kept, link
		t.Fatalf("export folder holds %d entries: %v", len(ents), ents)
	}
	// Exporting again changes nothing and reports the same rows.
	stdout.Reset()
	run(ctx, []string{"--data", data, "evidence", "export", "--out", out}, &stdout, io.Discard, nil)
	if !strings.Contains(stdout.String(), "exported 0 evidence object(s)") || !strings.Contains(stdout.String(), "1 already there") {
		t.Fatalf("second export: %s", stdout.String())
	}
}

// F14: plain HTTP only on loopback.
func TestInsecureHTTPOnlyOnLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		err := run(context.Background(), []string{"--data", t.TempDir(), "--listen", listen, "--insecure-http"}, io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--insecure-http on %s: %v, want a refusal", listen, err)
		}
	}
}

// F10: the central's identity never lands in a file group or others can read.
func TestIdentityExportIsPrivate(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	os.Chmod(data, 0o755)
	// As the README used to say: identity export > id.txt, under umask 022.
	path := filepath.Join(t.TempDir(), "id.txt")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"--data", data, "identity", "export"}, f, io.Discard, nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 || !strings.Contains(string(b), "AGE-SECRET-KEY-1") {
		t.Fatalf("redirected export: mode %v, %d bytes", fi.Mode().Perm(), len(b))
	}
	out := filepath.Join(t.TempDir(), "id2.txt")
	if err := run(ctx, []string{"--data", data, "identity", "export", "--out", out}, io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Fatalf("--out: mode %v", fi.Mode().Perm())
	}
	// An existing file (whatever its mode) is never reused.
	os.WriteFile(out, []byte("x"), 0o644)
	if err := run(ctx, []string{"--data", data, "identity", "export", "--out", out}, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("--out over an existing file was allowed")
	}
	// The keys and their directory are private too.
	for _, p := range []string{data, filepath.Join(data, "evidence.age-identity"), filepath.Join(data, "signing.ed25519")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s: %v %v", p, fi.Mode().Perm(), err)
		}
	}
}

// Key rotation: a TLS rotation gives a new pin and keeps the old key aside.
func TestRotateTLSKey(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	var before, after bytes.Buffer
	if err := run(ctx, []string{"--data", data, "tls", "pin"}, &before, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"--data", data, "keys", "rotate", "--kind", "tls"}, &after, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	old := strings.TrimSpace(before.String())
	if len(old) != 64 || strings.Contains(after.String(), old) {
		t.Fatalf("pin before %q, rotation said %q", old, after.String())
	}
	retired, _ := filepath.Glob(filepath.Join(data, "retired", "tls.key.*"))
	if len(retired) != 1 {
		t.Fatalf("retired TLS keys: %v", retired)
	}
	if fi, _ := os.Stat(retired[0]); fi.Mode().Perm() != 0o600 {
		t.Fatalf("retired key mode %v", fi.Mode().Perm())
	}
	if err := run(ctx, []string{"--data", data, "keys", "rotate", "--kind", "master"}, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("unknown key kind accepted")
	}
}

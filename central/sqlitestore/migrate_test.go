package sqlitestore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"certkiosk/central/sqlstore"
	"certkiosk/central/storetest"
)

// migrationCount is every embedded migration: all must be applied.
var migrationCount = storetest.MigrationCount(migrations)

func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "central.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != migrationCount {
		t.Fatalf("schema version %d %v, want %d", v, err, migrationCount)
	}
	s.Close()
	// Opening again applies nothing and fails nothing.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM schema_migration`).Scan(&n); err != nil || n != migrationCount {
		t.Fatalf("%d migrations recorded (%v), want %d", n, err, migrationCount)
	}
}

// A file made by centrald before versioned migrations upgrades in place.
// At 6d698f0 it was created by the text of 0001 (CREATE TABLE IF NOT
// EXISTS), then given the columns of 0002 on open; older files lack those.
func TestMigrateFromLegacySchema(t *testing.T) {
	for name, files := range map[string][]string{
		"as at 6d698f0":          {"0001_initial.sql", "0002_record_review.sql"},
		"before the review flag": {"0001_initial.sql"},
	} {
		t.Run(name, func(t *testing.T) {
			var ddl []byte
			for _, f := range files {
				b, err := migrations.ReadFile("migration/" + f)
				if err != nil {
					t.Fatal(err)
				}
				ddl = append(ddl, b...)
			}
			path := filepath.Join(t.TempDir(), "central.db")
			exec := storetest.Exec("sqlite3", "file:"+path)
			open := func() (storetest.Versioned, error) { return Open(context.Background(), path) }
			storetest.RunLegacyUpgrade(t, string(ddl), exec, open, migrationCount)
		})
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "central.db")
	open := func() (storetest.Migrated, error) { return Open(context.Background(), path) }
	storetest.RunSchemaTooNew(t, open, sqlstore.ErrSchemaTooNew)
}

// A central that kept reference photos in clear loses them on upgrade, and
// not a byte of them stays in the file: they are sealed from then on.
func TestMigratePlainPhotosAway(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "central.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Back to the schema before the sealing migration, with a photo in clear.
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("face"), 2000)...)
	if _, err := s.DB().Exec(`DELETE FROM schema_migration WHERE version >= 9;` + storetest.UndoAfterSealing + `
		DROP TABLE roster_photo;
		CREATE TABLE roster_photo (retiree_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, jpeg BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO roster_photo VALUES ('11010519491231002X', 'x', ?)`, jpeg); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if b, _ := os.ReadFile(path); !bytes.Contains(b, jpeg[:8]) {
		t.Fatal("the photo in clear did not reach the file; the test proves nothing")
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM roster_photo WHERE ciphertext IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the upgrade: %d photos, %v", n, err)
	}
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatal("the file still holds JPEG bytes after the upgrade")
	}
}

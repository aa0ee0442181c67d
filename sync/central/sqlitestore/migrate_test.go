package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"certkiosk/sync/central/sqlstore"
	"certkiosk/sync/central/storetest"
)

// migrationCount is every embedded migration: all must be applied.
var migrationCount = func() int {
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		panic(err)
	}
	return len(names)
}()

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
			exec := func(q string) error {
				db, err := sql.Open("sqlite3", "file:"+path)
				if err != nil {
					return err
				}
				defer db.Close()
				_, err = db.Exec(q)
				return err
			}
			open := func() (storetest.Versioned, error) { return Open(context.Background(), path) }
			storetest.RunLegacyUpgrade(t, string(ddl), exec, open, migrationCount)
		})
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "central.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO schema_migration (version, name, applied_at) VALUES (99, '0099_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

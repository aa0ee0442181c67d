package pgstore

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"certkiosk/central/sqlstore"
	"certkiosk/central/storetest"
)

// migrationCount is every embedded migration: all must be applied.
var migrationCount = storetest.MigrationCount(migrations)

// emptyDB creates a fresh database on the server and returns its URL.
func emptyDB(t *testing.T) string {
	t.Helper()
	url := pgURL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("certkiosk_mig_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", url); err == nil {
			a.Exec("DROP DATABASE " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	return replaceDB(url, name)
}

func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	url := emptyDB(t)
	for i := 0; i < 2; i++ { // the second open applies nothing
		s, err := Open(ctx, url)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM schema_migration`).Scan(&n); err != nil || n != migrationCount {
			t.Fatalf("open %d: %d migrations recorded (%v), want %d", i+1, n, err, migrationCount)
		}
		s.Close()
	}
}

// A database made by centrald before versioned migrations upgrades in
// place: at 6d698f0 pgstore ran exactly the text of 0001 on every start.
func TestMigrateFromLegacySchema(t *testing.T) {
	ddl, err := migrations.ReadFile("migration/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	url := emptyDB(t)
	exec := storetest.Exec("pgx", url)
	open := func() (storetest.Versioned, error) { return Open(context.Background(), url) }
	storetest.RunLegacyUpgrade(t, string(ddl), exec, open, migrationCount)
}

func TestSchemaTooNew(t *testing.T) {
	url := emptyDB(t)
	open := func() (storetest.Migrated, error) { return Open(context.Background(), url) }
	storetest.RunSchemaTooNew(t, open, sqlstore.ErrSchemaTooNew)
}

// Two centrald processes starting at once on an empty database both open it.
func TestConcurrentFirstOpen(t *testing.T) {
	ctx := context.Background()
	url := emptyDB(t)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			s, err := Open(ctx, url)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// A central that kept reference photos in clear loses them on upgrade:
// they are sealed from then on.
func TestMigratePlainPhotosAway(t *testing.T) {
	ctx := context.Background()
	url := emptyDB(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`DELETE FROM schema_migration WHERE version >= 8;` + storetest.UndoAfterSealing + `
		DROP TABLE roster_photo;
		CREATE TABLE roster_photo (retiree_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, jpeg BYTEA NOT NULL);
		INSERT INTO roster_photo VALUES ('11010519491231002X', 'x', '\xffd8ffe0'::bytea)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM roster_photo WHERE ciphertext IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the upgrade: %d photos, %v", n, err)
	}
	var cols int
	if err := s.DB().QueryRow(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'roster_photo' AND column_name = 'jpeg'`).Scan(&cols); err != nil || cols != 0 {
		t.Fatalf("the jpeg column is still there (%d, %v)", cols, err)
	}
}

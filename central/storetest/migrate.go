package storetest

import (
	"database/sql"
	"errors"
	"io/fs"
	"testing"
)

// Migrated is a storage on database/sql that applies its embedded
// migrations when it opens.
type Migrated interface {
	DB() *sql.DB
	Close() error
}

// MigrationCount is how many migrations fsys holds (migration/*.sql):
// every one must be applied.
func MigrationCount(fsys fs.FS) int {
	names, err := fs.Glob(fsys, "migration/*.sql")
	if err != nil {
		panic(err)
	}
	return len(names)
}

// Exec returns a function that runs statements on a connection of its own
// to the database (driver, dsn), as an older centrald would have.
func Exec(driver, dsn string) func(q string) error {
	return func(q string) error {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(q)
		return err
	}
}

// RunSchemaTooNew records a migration newer than any this program knows
// and checks that open then refuses the database with tooNew.
func RunSchemaTooNew(t *testing.T, open func() (Migrated, error), tooNew error) {
	t.Helper()
	s, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO schema_migration (version, name, applied_at) VALUES (99, '0099_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = open()
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, tooNew) {
		t.Fatalf("open of a newer schema: %v, want %v", err, tooNew)
	}
}

// UndoAfterSealing undoes the migrations after the one that sealed the
// reference photos (the same statements in both dialects), so that a test
// can go back to the schema before it.
const UndoAfterSealing = `
	ALTER TABLE terminal DROP COLUMN added_at;
	DROP INDEX contact_change_terminal;
	ALTER TABLE contact_change DROP COLUMN status;
	ALTER TABLE contact_change DROP COLUMN note;
	ALTER TABLE pension_roster_cert DROP COLUMN kept;
	ALTER TABLE terminal DROP COLUMN revoked_key;
	ALTER TABLE console_user DROP COLUMN disabled;
	ALTER TABLE console_user DROP COLUMN pin_changed_at;
	DROP TABLE photo_fetch;
`

// Package sqlitestore keeps the central service's state in one SQLite file:
// the embedded default for a single district.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"certkiosk/sync/central/sqlstore"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

//go:embed migration/*.sql
var migrations embed.FS

// Store is the SQLite storage.
type Store struct{ *sqlstore.Store }

// Dialect describes SQLite to sqlstore: times as RFC 3339 text, and every
// write transaction exclusive (BEGIN IMMEDIATE, set in the DSN), so no row
// or advisory locks are needed.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "sqlite", Time: sqlstore.TextTime, Migrations: migrations, Legacy: legacyVersion}
}

// legacyVersion tells which migrations a file made before versioned
// migrations already has: the tables (1), and the record columns that
// were added to older files on open (2).
func legacyVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var tables, cols int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'record'`).Scan(&tables); err != nil {
		return 0, err
	}
	if tables == 0 {
		return 0, nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('record') WHERE name IN ('frame_source', 'review')`).Scan(&cols); err != nil {
		return 0, err
	}
	if cols == 2 {
		return 2, nil
	}
	return 1, nil
}

// Open opens or creates the database file at path (directory 0700, file
// 0600) and applies the migrations it lacks.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("central store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("central store: %w", err)
	}
	f.Close()
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_foreign_keys", "on")
	v.Set("_busy_timeout", "10000")
	v.Set("_txlock", "immediate")
	v.Set("_synchronous", "FULL") // an accepted record survives a power cut
	db, err := sql.Open("sqlite3", "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("central store %s: %w", path, err)
	}
	s, err := sqlstore.Open(ctx, db, Dialect())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("central store %s: %w", path, err)
	}
	return &Store{s}, nil
}

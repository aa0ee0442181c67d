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

	"certkiosk/central/sqlstore"

	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migration/*.sql
var migrations embed.FS

// How the central's file is written (issue 16; README "Performance").
//
// Durability: WAL with synchronous=FULL (in the DSN). Every commit syncs
// the write-ahead log before Ingest returns, so a batch the central has
// answered survives a crash or a power cut; the terminal marks records
// acknowledged only on that answer. synchronous=NORMAL would skip that sync
// and may lose the last acknowledged batches on a power cut: not used.
//
// Checkpoints: SQLite copies the log into the database file, and syncs
// both, whenever the log passes wal_autocheckpoint pages (default 1,000,
// 4 MB) — after every batch of 200 records with 20 KB evidence, inside the
// request. checkpointPages lets the log grow to 64 MB first, so the copy
// and its two syncs come once per ~16 batches; journal_size_limit then
// truncates the log file back. The bytes copied are the same; what goes
// are the syncs and the stalls. A crash before a checkpoint loses nothing:
// recovery replays the log.
const (
	checkpointPages  = 16384    // 64 MB at SQLite's 4 KB pages
	journalSizeLimit = 64 << 20 // bytes the log file keeps after a checkpoint
)

// driverName is mattn's driver with the settings the DSN cannot carry,
// applied to every connection as it opens.
const driverName = "sqlite3_certkiosk_central"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range []string{fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", checkpointPages),
			fmt.Sprintf("PRAGMA journal_size_limit = %d", journalSizeLimit)} {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}})
}

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
	v.Set("_synchronous", "FULL") // an accepted record survives a power cut (see above)
	db, err := sql.Open(driverName, "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("central store %s: %w", path, err)
	}
	s, err := sqlstore.Open(ctx, db, Dialect())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("central store %s: %w", path, err)
	}
	// Long reads (a full roster download) go through a pool of deferred,
	// query-only transactions: in WAL mode they read a snapshot and never
	// take the write lock that ingest and nonces need (N5).
	v.Set("_txlock", "deferred")
	v.Set("_query_only", "true")
	reads, err := sql.Open(driverName, "file:"+path+"?"+v.Encode())
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("central store %s: %w", path, err)
	}
	reads.SetMaxOpenConns(4)
	s.SetReadPool(reads)
	return &Store{s}, nil
}

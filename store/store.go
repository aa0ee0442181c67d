// Package store keeps the kiosk's data in one SQLite file: the roster, staff,
// certifications and their evidence, and the audit log. It works fully
// offline; sync reads from it what the central service has not yet got.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"certkiosk"

	"filippo.io/age"
	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

//go:embed migration/*.sql
var migrations embed.FS

// FileName is the database's name inside the data directory.
const FileName = "certkiosk.db"

// DB is an open kiosk database.
type DB struct {
	db   *sql.DB
	path string
	dir  string
	now  func() time.Time
	// KDF is the argon2id cost for new PIN hashes; tests lower it.
	KDF KDFParams

	dummyOnce sync.Once
	dummy     string

	refMu  sync.Mutex
	refKey *age.X25519Identity // this terminal's reference-photo key, loaded on first use
}

// DSN returns the connection string for path. The settings live in the DSN
// so that every connection the pool opens has them, not just the first:
// WAL lets the UI read while the sync worker writes; SQLite does not check
// foreign keys unless told to, per connection; busy_timeout waits for a
// writer instead of failing; _txlock=immediate takes the write lock at
// BEGIN, so two writers never deadlock upgrading read locks; and
// synchronous=FULL makes a commit durable across a power cut, which a
// record reported saved must be. The page cache is 1 MiB per connection
// (cacheKiB): SQLite keeps pages it has read up to that bound, and every
// check's evidence passes through it, so the kiosk grew with its file
// until each connection's cache was full: at 32 MiB by ~2 MB every ten
// checks, at 4 MiB by 5 MB in the first 50 checks of a day (issue 26's
// soak). Roster imports take a larger cache for their own transaction
// (inBulkTx).
func DSN(path string) string {
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_foreign_keys", "on")
	v.Set("_busy_timeout", "5000")
	v.Set("_txlock", "immediate")
	v.Set("_synchronous", "FULL")
	v.Set("_cache_size", strconv.Itoa(-cacheKiB))
	return "file:" + path + "?" + v.Encode()
}

// Open opens (creating if needed) the database in dir and brings its schema
// up to date. The directory is made private (0700) and the file 0600: it
// holds identity numbers.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: create data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: protect data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// Create the file ourselves so it is born 0600; SQLite gives the -wal
	// and -shm files the main file's permissions.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("open store: protect database file: %w", err)
	}
	db, err := sql.Open("sqlite3", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &DB{db: db, path: path, dir: dir, now: certkiosk.SystemClock, KDF: DefaultKDF}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// SetClock replaces the clock (tests of lockout and retention).
func (s *DB) SetClock(now func() time.Time) { s.now = now }

// Dir is the data directory.
func (s *DB) Dir() string { return s.dir }

// Path is the database file.
func (s *DB) Path() string { return s.path }

// SQL gives direct access for tests and kioskctl's checks.
func (s *DB) SQL() *sql.DB { return s.db }

type migration struct {
	version int
	name    string
}

func knownMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := filepath.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		ms = append(ms, migration{v, n})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// ErrSchemaTooNew means the database was written by a newer certkiosk.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// migrate applies each embedded migration not yet applied, one transaction
// each, recording its version in the same transaction.
func (s *DB) migrate(ctx context.Context) error {
	ms, err := knownMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migration`).Scan(&have); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if have > len(ms) {
		return &certkiosk.Error{Code: certkiosk.EINVALID, Msg: certkiosk.Msg{Key: "error.store.schema_too_new"},
			Detail: fmt.Sprintf("%s has schema version %d, this program knows %d", s.path, have, len(ms)),
			Err:    ErrSchemaTooNew}
	}
	for _, m := range ms[have:] {
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migration (version, name) VALUES (?, ?)`, m.version, filepath.Base(m.name))
			return err
		}); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied schema version.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migration`).Scan(&v)
	return v, err
}

// Page cache sizes, KiB per connection: everyday work, and a roster
// import's transaction (a million-row import otherwise spills pages to the
// WAL again and again).
const (
	cacheKiB     = 1024
	bulkCacheKiB = 32768
)

// inBulkTx is inTx with a bulk cache on its connection for the
// transaction; the connection goes back to the pool with the everyday
// cache (SQLite frees the pages beyond it).
func (s *DB) inBulkTx(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -bulkCacheKiB)); err != nil {
		return fmt.Errorf("bulk page cache: %w", err)
	}
	// Failing that, the connection keeps the larger cache: harmless.
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", -cacheKiB))
	tx, err := conn.BeginTx(ctx, nil)
	return runTx(tx, err, fn)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	return runTx(tx, err, fn)
}

// runTx runs fn in tx (begun with err), committing when it returns nil
// and rolling back when it does not.
func runTx(tx *sql.Tx, err error, fn func(*sql.Tx) error) error {
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

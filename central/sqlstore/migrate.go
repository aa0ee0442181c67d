package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew means the database was written by a newer centrald.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

type migration struct {
	version int
	name    string
}

func knownMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(n), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", n)
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

// migrate applies each migration not yet applied, one transaction each,
// recording its version in the same transaction. Concurrent first starts
// are serialised by the dialect's lock (or SQLite's write lock), and each
// transaction reads the version again under it.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := knownMigrations(s.d.Migrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	err = s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, "migrate"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
		have, err := s.schemaVersion(ctx, tx)
		if err != nil || have > 0 || s.d.Legacy == nil {
			return err
		}
		// A database from before versioned migrations: record what it has.
		legacy, err := s.d.Legacy(ctx, tx)
		if err != nil {
			return fmt.Errorf("legacy schema: %w", err)
		}
		for _, m := range ms[:min(legacy, len(ms))] {
			if err := s.recordMigration(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		body, err := fs.ReadFile(s.d.Migrations, m.name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
			if err := s.lock(ctx, tx, "migrate"); err != nil {
				return err
			}
			have, err := s.schemaVersion(ctx, tx)
			if err != nil || have >= m.version {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			return s.recordMigration(ctx, tx, m)
		}); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("%s schema version %d, this program knows %d: %w", s.d.Name, have, len(ms), ErrSchemaTooNew)
	}
	return nil
}

func (s *Store) recordMigration(ctx context.Context, tx *sql.Tx, m migration) error {
	_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, path.Base(m.name), time.Now().UTC().Format(time.RFC3339Nano))
	return err
}

func (s *Store) schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migration`).Scan(&v)
	return v, err
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := s.schemaVersion(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

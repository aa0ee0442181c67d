// Package pgstore keeps the central service's state in PostgreSQL, for a
// city-wide deployment with many terminals syncing at once.
package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"runtime"

	"certkiosk/central/sqlstore"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

//go:embed migration/*.sql
var migrations embed.FS

// Store is the PostgreSQL storage.
type Store struct{ *sqlstore.Store }

// Dialect describes PostgreSQL to sqlstore: numbered placeholders,
// timestamps, row locks for read-then-write, and transaction-scoped
// advisory locks to serialise one terminal's deliveries.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:      "postgres",
		Numbered:  true,
		Time:      sqlstore.NativeTime,
		ForUpdate: " FOR UPDATE",
		Lock: func(ctx context.Context, tx *sql.Tx, key string) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, key)
			return err
		},
		CopyFrom:   copyFrom,
		Snapshot:   &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		Migrations: migrations,
	}
}

// copyFrom loads rows with COPY … FROM STDIN (binary) on the pgx connection
// under conn, inside the transaction open on it. pgx streams the rows in
// 64 KB messages, each value encoded once into its send buffer; bound
// parameters would hold a batch's whole evidence in memory twice more.
func copyFrom(ctx context.Context, conn *sql.Conn, table string, columns []string, rows [][]any) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: connection is a %T, not pgx", table, dc)
		}
		n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("copy into %s: %d rows of %d", table, n, len(rows))
		}
		return nil
	})
}

// Open connects to url and applies the migrations the database lacks.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(max(4, runtime.NumCPU())) // as pgxpool's default
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s, err := sqlstore.Open(ctx, db, Dialect())
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{s}, nil
}

// Reset empties every table (benchmarks start from a clean slate).
func (s *Store) Reset(ctx context.Context) error {
	_, err := s.DB().ExecContext(ctx, `TRUNCATE evidence, record, conflict, nonce, terminal, roster, audit_head, audit_alarm,
		console_user, console_audit, review_case, pension_state, pension_episode, pension_roster_cert, terminal_report, daily_count;
		UPDATE counter SET value = 0`)
	if err != nil {
		return fmt.Errorf("postgres reset: %w", err)
	}
	return nil
}

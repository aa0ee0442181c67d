// Package sqlstore is the central service's storage over database/sql, one
// implementation for every SQL database: sqlitestore and pgstore only open
// the connection and describe their Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Dialect is what differs between the SQL databases. Queries are written
// once, with ? placeholders, TRUE/FALSE and CAST, which both accept.
type Dialect struct {
	// Name names the database in errors ("sqlite", "postgres").
	Name string
	// Numbered placeholders ($1, $2, …) instead of ?.
	Numbered bool
	// Time turns a time into a query argument in the column's form.
	Time func(time.Time) any
	// ForUpdate is appended to a SELECT whose rows the transaction will
	// change ("" where a transaction already holds the write lock).
	ForUpdate string
	// Lock, when set, serialises transactions that name the same key, until
	// the transaction ends. Without it every write transaction is already
	// exclusive (SQLite's BEGIN IMMEDIATE).
	Lock func(ctx context.Context, tx *sql.Tx, key string) error
	// CopyFrom, when set, bulk-loads rows into table's columns over conn,
	// within the transaction open on it (PostgreSQL's COPY): a batch's
	// evidence goes in one stream instead of statements whose parameters
	// hold every ciphertext at once.
	CopyFrom func(ctx context.Context, conn *sql.Conn, table string, columns []string, rows [][]any) error
	// Snapshot are the options of a read that must see one snapshot.
	Snapshot *sql.TxOptions
	// Migrations holds the files migration/NNNN_name.sql, applied in order.
	Migrations fs.FS
	// Legacy, when set, returns the version a database made before
	// versioned migrations is at (0 for an empty database).
	Legacy func(ctx context.Context, tx *sql.Tx) (int, error)
}

// rebind writes q's ? placeholders the dialect's way. No query of this
// package has a ? inside a string literal.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TextTime is how SQLite keeps times: RFC 3339 text in UTC.
func TextTime(t time.Time) any { return t.UTC().Format(time.RFC3339Nano) }

// NativeTime passes a time as it is, for a timestamp column.
func NativeTime(t time.Time) any { return t }

// scanTime reads a time kept either as a timestamp or as RFC 3339 text.
// Text that does not parse gives the zero time (an expired token).
type scanTime struct{ t *time.Time }

func (s scanTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*s.t = v
	case string:
		*s.t, _ = time.Parse(time.RFC3339Nano, v)
	case []byte:
		*s.t, _ = time.Parse(time.RFC3339Nano, string(v))
	default:
		*s.t = time.Time{}
	}
	return nil
}

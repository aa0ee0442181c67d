package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"certkiosk/central"
	"certkiosk/central/storetest"
)

func TestStorageSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) central.Storage {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "central.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// Every connection of the pool writes the way the package comment says:
// WAL, synchronous FULL (an answered batch is on disk), checkpoints every
// checkpointPages pages.
func TestWriteSettings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Hold several connections at once, so more than one is checked.
	var conns []*sql.Conn
	for i := 0; i < 3; i++ {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var sync, ckpt, limit int64
		for _, q := range []struct {
			pragma string
			dest   any
		}{{"journal_mode", &mode}, {"synchronous", &sync}, {"wal_autocheckpoint", &ckpt}, {"journal_size_limit", &limit}} {
			if err := c.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(q.dest); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, q.pragma, err)
			}
		}
		if mode != "wal" || sync != 2 || ckpt != checkpointPages || limit != journalSizeLimit {
			t.Fatalf("connection %d: journal_mode %s, synchronous %d (2 is FULL), wal_autocheckpoint %d, journal_size_limit %d",
				i, mode, sync, ckpt, limit)
		}
	}
}

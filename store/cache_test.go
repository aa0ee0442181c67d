package store

import (
	"context"
	"database/sql"
	"testing"
)

// TestPageCacheStaysSmall: every connection keeps a 1 MiB page cache (at
// 32 and 4 MiB the kiosk grew with its file, issue 26), a roster import's
// transaction has 32 MiB, and its connection goes back with 1.
func TestPageCacheStaysSmall(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.s.db.SetMaxOpenConns(1) // the same connection before, in and after
	size := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		t.Helper()
		var n int
		if err := q.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := size(f.s.db); n != -cacheKiB {
		t.Fatalf("cache_size %d, want %d", n, -cacheKiB)
	}
	inside := 0
	if err := f.s.inBulkTx(ctx, func(tx *sql.Tx) error { inside = size(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if inside != -bulkCacheKiB {
		t.Fatalf("cache_size in a bulk transaction %d, want %d", inside, -bulkCacheKiB)
	}
	if err := f.s.PutRetirees(ctx, f.roster[:3], true); err != nil {
		t.Fatal(err)
	}
	if n := size(f.s.db); n != -cacheKiB {
		t.Fatalf("cache_size after a roster import %d, want %d", n, -cacheKiB)
	}
}

package pgstore

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"certkiosk/central"
	"certkiosk/central/storetest"
)

// The suite runs against a real PostgreSQL named by CERTKIOSK_PG_URL
// (.ci/run starts one). In CI a missing server fails; elsewhere it skips
// with a loud message.
func pgURL(t *testing.T) string {
	url := os.Getenv("CERTKIOSK_PG_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but CERTKIOSK_PG_URL is not set: .ci/run must start PostgreSQL")
		}
		t.Skip("!!! PostgreSQL storage suite NOT RUN: set CERTKIOSK_PG_URL=postgres://… (scripts/postgres.sh starts a local server)")
	}
	return url
}

func TestStorageSuite(t *testing.T) {
	url := pgURL(t)
	n := 0
	storetest.Run(t, func(t *testing.T) central.Storage {
		// A fresh database per subtest.
		ctx := context.Background()
		admin, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		n++
		name := fmt.Sprintf("certkiosk_test_%d_%d", time.Now().UnixNano(), n)
		if _, err := admin.DB().ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		admin.Close()
		s, err := Open(ctx, replaceDB(url, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			if a, err := Open(ctx, url); err == nil {
				a.DB().ExecContext(ctx, "DROP DATABASE "+name)
				a.Close()
			}
		})
		return s
	})
}

// replaceDB swaps the database name in a postgres:// URL.
func replaceDB(url, db string) string {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndexByte(url, '/')
	if i < len("postgres://") {
		return url + "/" + db + q
	}
	return url[:i+1] + db + q
}

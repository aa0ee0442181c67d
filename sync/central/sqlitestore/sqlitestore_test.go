package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"

	"certkiosk/sync/central"
	"certkiosk/sync/central/storetest"
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

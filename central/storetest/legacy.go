package storetest

import (
	"context"
	"testing"

	"certkiosk/central"
)

// Versioned is a storage that reports its schema version.
type Versioned interface {
	central.Storage
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}

// RunLegacyUpgrade fills a database with ddl (the schema as an older
// centrald created it) and LegacyRows through exec, opens it with open,
// and checks it reached version want with every row kept and usable.
func RunLegacyUpgrade(t *testing.T, ddl string, exec func(string) error, open func() (Versioned, error), want int) {
	t.Helper()
	if err := exec(ddl + LegacyRows); err != nil {
		t.Fatalf("legacy database: %v", err)
	}
	s, err := open()
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(context.Background()); err != nil || v != want {
		t.Fatalf("schema version %d %v, want %d", v, err, want)
	}
	CheckUpgraded(t, s)
}

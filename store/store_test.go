package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"certkiosk"
	"certkiosk/assets/translation"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestOpenMakesPrivateFiles(t *testing.T) {
	_, dir := openTemp(t)
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %o, want %o", path, got, want)
		}
	}
}

// Every pooled connection must carry the settings, not just the first one.
func TestEveryConnectionHasTheSettings(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var conns []*sql.Conn
	for i := 0; i < 3; i++ {
		c, err := s.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var mode string
		var fk, timeout, sync int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
		c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout)
		c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
		if mode != "wal" || fk != 1 || timeout != 5000 || sync != 2 {
			t.Errorf("conn %d: journal=%s fk=%d busy=%d sync=%d; want wal 1 5000 2(FULL)", i, mode, fk, timeout, sync)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestMigrationsRunOnceAndRefuseNewerSchema(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("version %d, %v", v, err)
	}
	s.Close()
	s2, err := Open(ctx, dir) // reopening applies nothing twice
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := s2.SchemaVersion(ctx); v2 != v {
		t.Fatalf("version after reopen %d, want %d", v2, v)
	}
	if _, err := s2.SQL().Exec(`INSERT INTO schema_migration (version, name) VALUES (999, 'future.sql')`); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	_, err = Open(ctx, dir)
	if !errors.Is(err, ErrSchemaTooNew) || translation.Error(translation.Chinese, err) != "数据库由更新版本的程序创建，请升级本程序后再打开" {
		t.Fatalf("open newer schema: err = %v, want ErrSchemaTooNew with a message", err)
	}
}

func TestPutRetireesIsAllOrNothing(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	today := certkiosk.Date{Year: 2026, Month: 11, Day: 27}
	rs, err := DemoRoster(10, 1, today)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]certkiosk.Retiree{}, rs...)
	bad[7].Name = "" // violates the CHECK
	if err := s.PutRetirees(ctx, bad, true); err == nil {
		t.Fatal("a roster with an empty name was accepted")
	}
	if n, _ := s.CountRetirees(ctx); n != 0 {
		t.Fatalf("%d retirees stored after a failed import, want 0", n)
	}
	if err := s.PutRetirees(ctx, rs, true); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRetirees(ctx, rs, true); err != nil { // same again: no duplicates
		t.Fatal(err)
	}
	if n, _ := s.CountRetirees(ctx); n != 10 {
		t.Fatalf("%d retirees, want 10", n)
	}
	got, err := s.FindRetiree(ctx, rs[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != rs[3] {
		t.Fatalf("found %+v, stored %+v", got, rs[3])
	}
	_, err = s.FindRetiree(ctx, "11010519491231002X")
	if certkiosk.ErrorCodeOf(err) != certkiosk.ENOTFOUND {
		t.Fatalf("missing retiree: err = %v, want not_found", err)
	}
}

func TestDemoRoster(t *testing.T) {
	today := certkiosk.Date{Year: 2026, Month: 11, Day: 27}
	a, err := DemoRoster(200, 7, today)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DemoRoster(200, 7, today)
	states := map[certkiosk.Status]int{}
	ids := map[certkiosk.ResidentID]bool{}
	for i, r := range a {
		if r != b[i] {
			t.Fatalf("same seed, different roster at %d", i)
		}
		if _, err := certkiosk.ParseResidentID(string(r.ID)); err != nil {
			t.Fatalf("invalid demo ID: %v", err)
		}
		if ids[r.ID] {
			t.Fatalf("duplicate ID %s", r.ID.Masked())
		}
		ids[r.ID] = true
		age := r.Birth.DaysUntil(today) / 365
		if age < 60 || age > 100 {
			t.Errorf("%s is %d years old", r, age)
		}
		if r.Birth != r.ID.BirthDate() || r.Female != r.ID.Female() {
			t.Errorf("%s: fields disagree with the ID", r)
		}
		states[certkiosk.CycleStatus(r.LastCert, today)]++
	}
	for _, st := range []certkiosk.Status{certkiosk.StatusNever, certkiosk.StatusCurrent, certkiosk.StatusDueSoon, certkiosk.StatusOverdue} {
		if states[st] == 0 {
			t.Errorf("no demo retiree is %s (%v)", st, states)
		}
	}
}

package store

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// sqlite3 runs the sqlite3 shell on the database, as someone with the
// machine in hand would. scripts/deps.sh installs it.
func sqlite3(t *testing.T, path, sql string) {
	t.Helper()
	out, err := exec.Command("sqlite3", path, sql).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
}

func auditFixture(t *testing.T, n int) (*DB, string) {
	t.Helper()
	s, dir := openTemp(t)
	for i := 0; i < n; i++ {
		if err := s.Audit(context.Background(), "staff:A001", ActLookup, fmt.Sprintf("110105********%04d", i), map[string]any{"found": i%2 == 0}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.VerifyAudit(context.Background())
	if err != nil || !rep.OK || rep.Entries != n {
		t.Fatalf("fresh chain: %+v %v", rep, err)
	}
	return s, dir
}

func TestAuditIsAppendOnly(t *testing.T) {
	s, _ := auditFixture(t, 3)
	if _, err := s.SQL().Exec(`UPDATE audit SET actor = 'x' WHERE seq = 2`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update: %v, want append-only refusal", err)
	}
	if _, err := s.SQL().Exec(`DELETE FROM audit WHERE seq = 2`); err == nil {
		t.Fatal("delete was allowed")
	}
}

// Tampering with the sqlite3 shell (after dropping the guard triggers, as
// an attacker would) is found and the first bad entry named.
func TestAuditVerifyNamesTheTamperedEntry(t *testing.T) {
	const drop = `DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; `
	tests := []struct {
		name    string
		sql     string
		wantSeq int64
	}{
		{"edit detail", `UPDATE audit SET detail = '{"found":true}' WHERE seq = 4`, 4},
		{"edit subject", `UPDATE audit SET subject = '110105********9999' WHERE seq = 2`, 2},
		{"edit time", `UPDATE audit SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 7`, 7},
		{"edit first", `UPDATE audit SET actor = 'kioskctl' WHERE seq = 1`, 1},
		{"delete middle", `DELETE FROM audit WHERE seq = 5`, 5},
		{"delete last", `DELETE FROM audit WHERE seq = 8`, 8},
		{"delete last two", `DELETE FROM audit WHERE seq >= 7`, 7},
		{"delete first", `DELETE FROM audit WHERE seq = 1`, 1},
		{"reorder", `UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -1`, 3},
		{"renumber after delete", `DELETE FROM audit WHERE seq = 5; UPDATE audit SET seq = seq - 1 WHERE seq > 5`, 5},
		{"edit last and its hash", `UPDATE audit SET detail = '{}', hash = 'ab' WHERE seq = 8`, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := auditFixture(t, 8)
			sqlite3(t, s.Path(), drop+tt.sql)
			rep, err := s.VerifyAudit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.BadSeq != tt.wantSeq || rep.Problem == "" {
				t.Fatalf("verify after %q: %+v, want entry %d named", tt.sql, rep, tt.wantSeq)
			}
		})
	}
}

func TestAuditOfEmptyLog(t *testing.T) {
	s, _ := openTemp(t)
	rep, err := s.VerifyAudit(context.Background())
	if err != nil || !rep.OK || rep.Entries != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
}

package store

import (
	"context"
	"fmt"
	"math/rand"

	"certkiosk"
)

// Demo rosters use Beijing Dongcheng/Xicheng/Chaoyang/Haidian area codes and
// common names; every person is invented and marked synthetic.
var (
	demoAreas      = []string{"110101", "110102", "110105", "110108", "310104", "440106"}
	demoSurnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	demoGivenChars = []rune("秀英桂兰玉珍凤芳淑华建国志明德福文军伟强春梅丽霞永庆")
	demoCategories = []string{"企业职工基本养老保险", "机关事业单位养老保险", "城乡居民基本养老保险"}
)

// DemoRoster invents n retirees aged 60–100 on today, with a mix of cycle
// states (never certified, current, due soon, overdue). The same seed gives
// the same roster.
func DemoRoster(n int, seed int64, today certkiosk.Date) ([]certkiosk.Retiree, error) {
	rng := rand.New(rand.NewSource(seed))
	seen := map[certkiosk.ResidentID]bool{}
	out := make([]certkiosk.Retiree, 0, n)
	for len(out) < n {
		birth := today.AddMonths(-12*(60+rng.Intn(40)) - rng.Intn(12))
		birth.Day = 1 + rng.Intn(28)
		seq := rng.Intn(1000)
		id, err := certkiosk.CompleteResidentID(fmt.Sprintf("%s%04d%02d%02d%03d",
			demoAreas[rng.Intn(len(demoAreas))], birth.Year, birth.Month, birth.Day, seq))
		if err != nil {
			return nil, fmt.Errorf("demo roster: %w", err)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		name := string(demoSurnames[rng.Intn(len(demoSurnames))]) + string(demoGivenChars[rng.Intn(len(demoGivenChars))])
		if rng.Intn(2) == 0 {
			name += string(demoGivenChars[rng.Intn(len(demoGivenChars))])
		}
		r := certkiosk.Retiree{ID: id, Name: name, Female: id.Female(), Birth: birth,
			Category: demoCategories[rng.Intn(len(demoCategories))],
			// Invented contacts, made from the number so the random draws
			// (and with them every other demo retiree) stay as they were.
			Phone:   "139" + string(id[6:14]),
			Address: fmt.Sprintf("幸福路 %d 号 %d 单元", 1+seq%97, 1+seq%6)}
		switch rng.Intn(5) {
		case 0: // never certified
		case 1: // overdue by up to a year
			r.LastCert = today.AddMonths(-13 - rng.Intn(12))
		case 2: // due within the month
			r.LastCert = today.AddMonths(-11)
		default: // certified in the last ten months
			r.LastCert = today.AddMonths(-rng.Intn(10))
		}
		out = append(out, r)
	}
	return out, nil
}

// DemoRosterSize is how many invented retirees demo mode puts on the roster.
const DemoRosterSize = 200

// Demo staff account, shown on the demo login screen.
const (
	DemoStaffID  = certkiosk.DemoStaffID
	DemoStaffPIN = certkiosk.DemoStaffPIN
)

// SetDemoData marks a database as demo data. Only a database so marked (or
// a new one) takes demo mode, video files in place of the camera, or load
// tests; a marked database is never enrolled with a central.
const SetDemoData = "demo_data"

// IsDemo reports whether the database holds demo data. A database made by
// an older SeedDemo (only the demo account, only invented retirees) counts.
func (s *DB) IsDemo(ctx context.Context) (bool, error) {
	v, err := s.Setting(ctx, SetDemoData, "")
	if err != nil || v == "1" {
		return v == "1", err
	}
	var others, demoStaff, real, invented int
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM staff WHERE id <> ?), (SELECT count(*) FROM staff WHERE id = ?),
		(SELECT count(*) FROM retiree WHERE synthetic = 0), (SELECT count(*) FROM retiree WHERE synthetic = 1)`,
		DemoStaffID, DemoStaffID).Scan(&others, &demoStaff, &real, &invented)
	if err != nil {
		return false, fmt.Errorf("demo data check: %w", err)
	}
	return demoStaff == 1 && others == 0 && real == 0 && invented > 0, nil
}

// IsEmpty reports whether the database has no staff, retirees or
// certifications yet (just created).
func (s *DB) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM staff) + (SELECT count(*) FROM retiree) +
		(SELECT count(*) FROM certification)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("empty database check: %w", err)
	}
	return n == 0, nil
}

// ErrRealData refuses demo or test use of a database with real data.
var ErrRealData = certkiosk.E(certkiosk.EINVALID, "error.store.real_data",
	"the data directory holds real data, not demo data")

// MarkDemo marks an empty or demo database as demo data, and refuses one
// with real data (ErrRealData).
func (s *DB) MarkDemo(ctx context.Context, actor string) error {
	empty, err := s.IsEmpty(ctx)
	if err != nil {
		return err
	}
	demo, err := s.IsDemo(ctx)
	if err != nil {
		return err
	}
	if !empty && !demo {
		return fmt.Errorf("%s: %w", s.dir, ErrRealData)
	}
	return s.SetSetting(ctx, actor, SetDemoData, "1")
}

// SeedDemo marks the database as demo data (refusing one with real data),
// puts the demo roster into an empty database, and a demo operator and an
// evidence key into a database with no staff; what exists is left alone.
// The demo evidence key's private half is thrown away: demo evidence can
// never be opened, by anyone.
func SeedDemo(ctx context.Context, s *DB) error {
	if err := s.MarkDemo(ctx, "demo"); err != nil {
		return err
	}
	// Each step looks for itself whether it was done: a kiosk stopped
	// between two of them (SIGTERM at its first start) finishes the seed
	// at the next, rather than run without an evidence key.
	if staff, err := s.StaffCount(ctx); err != nil {
		return err
	} else if staff == 0 {
		if err := s.AddStaff(ctx, "demo", certkiosk.Staff{ID: DemoStaffID, Name: "演示员", Role: certkiosk.RoleSupervisor}, DemoStaffPIN); err != nil {
			return err
		}
	}
	if rec, err := s.Setting(ctx, SetEvidenceRecipient, ""); err != nil {
		return err
	} else if rec == "" {
		if _, err := s.CreateLocalEvidenceKey(ctx, "demo"); err != nil {
			return err
		}
	}
	n, err := s.CountRetirees(ctx)
	if err != nil || n > 0 {
		return err
	}
	rs, err := DemoRoster(DemoRosterSize, 1, certkiosk.DateOf(s.now().In(certkiosk.China)))
	if err != nil {
		return err
	}
	return s.PutRetirees(ctx, rs, true)
}

// SetLoadTest marks a database made for load tests (kioskctl init
// --load-test): the only kind kioskctl loadgen writes to.
const SetLoadTest = "load_test"

// ErrNotLoadTest refuses load tests on a database not made for them.
var ErrNotLoadTest = certkiosk.E(certkiosk.EINVALID,
	"error.store.not_load_test",
	"load tests run only on a data directory made with kioskctl init --load-test")

// MarkLoadTest marks a new, empty database as made for load tests.
func (s *DB) MarkLoadTest(ctx context.Context, actor string) error {
	empty, err := s.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%s: %w", s.dir, ErrNotLoadTest)
	}
	return s.SetSetting(ctx, actor, SetLoadTest, "1")
}

// IsLoadTest reports whether the database was made for load tests.
func (s *DB) IsLoadTest(ctx context.Context) (bool, error) {
	v, err := s.Setting(ctx, SetLoadTest, "")
	return v == "1", err
}

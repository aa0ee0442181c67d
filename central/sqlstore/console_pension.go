package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"certkiosk"

	"certkiosk/central"
)

// refreshBatch is how many records or roster rows one refresh step folds
// in; each step is one short transaction, so ingest is never held long.
const refreshBatch = 500

// RefreshPension implements central.ConsoleStorage. Ingest is left as it is: new
// records arrive with pension_done false and are folded in here, with the
// roster rows changed since the version last folded in. Every step is
// idempotent, so two refreshes at once, or one cut short, do no harm.
func (s *Store) RefreshPension(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.refreshRecords(ctx)
		if err != nil {
			return total, fmt.Errorf("refresh pension: %w", err)
		}
		total += n
		if n == 0 {
			break
		}
	}
	n, err := s.refreshRoster(ctx)
	total += n
	if err != nil {
		return total, fmt.Errorf("refresh pension: %w", err)
	}
	return total, nil
}

// refreshRecords folds in one batch of new records: review cases for
// those that need a person, then the pension state of their retirees.
func (s *Store) refreshRecords(ctx context.Context) (int, error) {
	var retirees int
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, "pension"); err != nil {
			return err
		}
		rows, err := s.query(ctx, tx, `SELECT id, terminal, CAST(body AS TEXT), review, synthetic, ended_at FROM record
			WHERE NOT pension_done LIMIT ?`, refreshBatch)
		if err != nil {
			return err
		}
		type rec struct {
			id, terminal, retiree, verdict string
			ended                          time.Time
			isCase                         bool
		}
		var recs []rec
		for rows.Next() {
			var r rec
			var body string
			var review, synthetic bool
			if err := rows.Scan(&r.id, &r.terminal, &body, &review, &synthetic, scanTime{&r.ended}); err != nil {
				rows.Close()
				return err
			}
			var b struct {
				RetireeID string `json:"retiree_id"`
				Verdict   string `json:"verdict"`
				Attempt   int    `json:"attempt"`
			}
			if err := json.Unmarshal([]byte(body), &b); err != nil {
				rows.Close()
				return fmt.Errorf("record %s: %w", r.id, err)
			}
			// Load-test records never reach the queue or the pension state.
			r.retiree, r.isCase = b.RetireeID, !synthetic && central.IsCase(b.Verdict, review, b.Attempt)
			r.verdict = b.Verdict
			recs = append(recs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		seen := map[string]bool{}
		var ids, recIDs []string
		for _, r := range recs {
			recIDs = append(recIDs, r.id)
			if r.isCase {
				if _, err := s.exec(ctx, tx, `INSERT INTO review_case (record_id, retiree_id, terminal, ended_at)
					VALUES (?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING`, r.id, r.retiree, r.terminal, s.ts(r.ended)); err != nil {
					return err
				}
			}
			if !seen[r.retiree] {
				seen[r.retiree] = true
				ids = append(ids, r.retiree)
			}
		}
		if err := s.recompute(ctx, tx, ids); err != nil {
			return err
		}
		// The dashboard's counts, each record counted once: in the
		// transaction that marks it done.
		type dayKey struct {
			day               int
			terminal, verdict string
		}
		perDay := map[dayKey]int{}
		for _, r := range recs {
			perDay[dayKey{dayInt(central.DayOf(r.ended)), r.terminal, r.verdict}]++
		}
		for k, n := range perDay {
			if _, err := s.exec(ctx, tx, `INSERT INTO daily_count (day, terminal, verdict, n) VALUES (?, ?, ?, ?)
				ON CONFLICT (day, terminal, verdict) DO UPDATE SET n = daily_count.n + excluded.n`,
				k.day, k.terminal, k.verdict, n); err != nil {
				return err
			}
		}
		if _, err := s.exec(ctx, tx, `UPDATE record SET pension_done = TRUE WHERE id IN (`+placeholders(len(recIDs))+`)`,
			argList(recIDs)...); err != nil {
			return err
		}
		retirees = len(ids)
		return nil
	})
	return retirees, err
}

// refreshRoster recomputes the retirees whose roster rows changed since
// the roster version last folded in, a batch per transaction, then
// records the version.
func (s *Store) refreshRoster(ctx context.Context) (int, error) {
	var done, target int64
	if err := s.row(ctx, s.db, `SELECT (SELECT value FROM counter WHERE name = 'pension_roster_version'),
		(SELECT value FROM counter WHERE name = 'roster_version')`).Scan(&done, &target); err != nil {
		return 0, err
	}
	if done >= target {
		return 0, nil
	}
	total := 0
	afterVersion, afterID := done, ""
	for {
		var ids []string
		var lastVersion int64
		err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
			if err := s.lock(ctx, tx, "pension"); err != nil {
				return err
			}
			rows, err := s.query(ctx, tx, `SELECT id, version FROM roster WHERE version <= ? AND (version > ? OR version = ? AND id > ?)
				ORDER BY version, id LIMIT ?`, target, afterVersion, afterVersion, afterID, refreshBatch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id, &lastVersion); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			return s.recompute(ctx, tx, ids)
		})
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			break
		}
		total += len(ids)
		afterVersion, afterID = lastVersion, ids[len(ids)-1]
	}
	_, err := s.exec(ctx, s.db, `UPDATE counter SET value = ? WHERE name = 'pension_roster_version' AND value < ?`, target, target)
	return total, err
}

// recompute derives the pension state and suspension episodes of the
// retirees ids from everything that counts as a certification: the
// roster's last certification, passes from a camera, and approved review
// cases (on the day of approval). Retirees not on the live roster get no
// state.
func (s *Store) recompute(ctx context.Context, tx *sql.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := placeholders(len(ids)), argList(ids)
	days := map[string][]certkiosk.Date{}
	live := map[string]bool{}
	who := map[string][3]string{} // name, phone, address: what the lists print
	var seen [][2]any
	rows, err := s.query(ctx, tx, `SELECT id, CAST(entry AS TEXT) FROM roster WHERE NOT deleted AND id IN (`+in+`)`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, entry string
		if err := rows.Scan(&id, &entry); err != nil {
			rows.Close()
			return err
		}
		live[id] = true
		var e struct {
			Name     string `json:"name"`
			Phone    string `json:"phone"`
			Address  string `json:"address"`
			LastCert string `json:"last_cert"`
		}
		if err := json.Unmarshal([]byte(entry), &e); err != nil {
			rows.Close()
			return fmt.Errorf("roster entry %s: %w", certkiosk.Mask(id), err)
		}
		who[id] = [3]string{e.Name, e.Phone, e.Address}
		if d, err := certkiosk.ParseDate(e.LastCert); err == nil {
			seen = append(seen, [2]any{id, dayInt(d)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var certRows [][]any
	for _, x := range seen {
		certRows = append(certRows, []any{x[0], x[1]})
	}
	// pension_roster_cert keeps every date the roster has carried, for
	// audit only: the newest import's date is the one that counts, so a
	// corrected typo takes back the suspension and back pay it made up.
	if err := s.insertRows(ctx, tx, `INSERT INTO pension_roster_cert (retiree_id, day) VALUES `, 2, certRows,
		` ON CONFLICT DO NOTHING`); err != nil {
		return err
	}
	for _, x := range seen {
		id := x[0].(string)
		days[id] = append(days[id], intDay(x[1].(int)))
	}
	// The roster's current date, and the dates an approval replaced
	// (kept); passes that count on the day they ended: from a camera, not
	// held for review, not a load test; approvals on the day of the
	// decision.
	for _, q := range []struct {
		query string
		ended bool // the day column is a timestamp, not a day number
	}{
		{`SELECT retiree_id, day FROM pension_roster_cert WHERE kept AND retiree_id IN (` + in + `)`, false},
		{`SELECT retiree_id, ended_at FROM record
			WHERE verdict = 'pass' AND NOT review AND NOT synthetic AND retiree_id IN (` + in + `)`, true},
		{`SELECT retiree_id, decided_day FROM review_case
			WHERE decision = 'approve' AND retiree_id IN (` + in + `)`, false},
	} {
		if err := s.addDays(ctx, tx, q.query, args, q.ended, days); err != nil {
			return err
		}
	}
	if _, err := s.exec(ctx, tx, `DELETE FROM pension_episode WHERE retiree_id IN (`+in+`)`, args...); err != nil {
		return err
	}
	removed, err := s.execN(ctx, tx, `DELETE FROM pension_state WHERE retiree_id IN (`+in+`)`, args...)
	if err != nil {
		return err
	}
	var states, episodes [][]any
	for _, id := range ids {
		if !live[id] {
			continue
		}
		last, eps := central.Derive(days[id])
		if last.IsZero() {
			continue
		}
		w := who[id]
		states = append(states, []any{id, dayInt(last), dayInt(certkiosk.DueDate(last)),
			monthInt(certkiosk.SuspensionMonth(last)), w[0], w[1], w[2]})
		for _, e := range eps {
			episodes = append(episodes, []any{id, monthInt(e.Since), monthInt(e.Until), monthInt(e.Resume),
				dayInt(e.Last), dayInt(e.Certified), w[0], w[1]})
		}
	}
	if err := s.insertRows(ctx, tx, `INSERT INTO pension_state (retiree_id, last_day, due_day, susp_month, name, phone, address)
		VALUES `, 7, states, ""); err != nil {
		return err
	}
	if delta := int64(len(states)) - removed; delta != 0 {
		if _, err := s.exec(ctx, tx, `UPDATE counter SET value = value + ? WHERE name = 'pension_retirees'`, delta); err != nil {
			return err
		}
	}
	return s.insertRows(ctx, tx, `INSERT INTO pension_episode (retiree_id, since_month, until_month, resume_month,
		last_day, certified_day, name, phone) VALUES `, 8, episodes, "")
}

// insertRows inserts rows of n columns with multi-row VALUES, a few
// hundred rows per statement: one round trip instead of one per row.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head string, n int, rows [][]any, tail string) error {
	const perStatement = 200
	one := "(" + placeholders(n) + ")"
	for len(rows) > 0 {
		k := min(len(rows), perStatement)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, k*n)
		for i, r := range rows[:k] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		b.WriteString(tail)
		if _, err := s.exec(ctx, tx, b.String(), args...); err != nil {
			return err
		}
		rows = rows[k:]
	}
	return nil
}

// addDays appends to days[retiree] the day of each (retiree, day) row the
// query returns; ended says the day is a timestamp to date in China time.
func (s *Store) addDays(ctx context.Context, tx *sql.Tx, query string, args []any, ended bool, days map[string][]certkiosk.Date) error {
	rows, err := s.query(ctx, tx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var day int
		var at time.Time
		var dest any = &day
		if ended {
			dest = scanTime{&at}
		}
		if err := rows.Scan(&id, dest); err != nil {
			return err
		}
		d := intDay(day)
		if ended {
			d = central.DayOf(at)
		}
		days[id] = append(days[id], d)
	}
	return rows.Err()
}

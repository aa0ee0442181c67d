package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"certkiosk"
)

// Roster download settings.
const (
	SetRosterVersion Key = "roster_version"   // the central's version this roster matches
	SetRosterPulled  Key = "roster_pulled_at" // RFC 3339, when it was last fetched
)

// RosterVersion returns the central roster version held and when it was
// fetched (zero values before the first download).
func (s *DB) RosterVersion(ctx context.Context) (int64, time.Time, error) {
	v, err := s.Setting(ctx, SetRosterVersion, "0")
	if err != nil {
		return 0, time.Time{}, err
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	at, _ := s.Setting(ctx, SetRosterPulled, "")
	t, _ := time.Parse(time.RFC3339, at)
	return n, t, nil
}

// ApplyRoster applies a roster download from the central atomically: all of
// it or, on any error, none. A full snapshot replaces the roster (retirees
// it lacks are removed unless certifications refer to them); a delta
// upserts and removes. A retiree's last certification never moves back:
// the kiosk may know of a newer one than the central.
func (s *DB) ApplyRoster(ctx context.Context, actor string, version int64, full bool, rs []certkiosk.Retiree, deleted []certkiosk.ResidentID) (added, removed int, err error) {
	return s.ApplyRosterPhotos(ctx, actor, version, full, rs, nil, deleted)
}

// ApplyRosterPhotos is ApplyRoster with the SHA-256 of each retiree's
// reference photo at the central (photos[i] for rs[i]; "" or a short slice:
// none), which PhotosWanted compares with the photos held.
func (s *DB) ApplyRosterPhotos(ctx context.Context, actor string, version int64, full bool, rs []certkiosk.Retiree, photos []string, deleted []certkiosk.ResidentID) (added, removed int, err error) {
	err = s.inBulkTx(ctx, func(tx *sql.Tx) error {
		if full {
			if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS snapshot (id TEXT PRIMARY KEY); DELETE FROM snapshot`); err != nil {
				return err
			}
			for _, r := range rs {
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO snapshot (id) VALUES (?)`, string(r.ID)); err != nil {
					return err
				}
			}
		}
		// Phone and address corrected at this counter and not yet
		// acknowledged by the central stay as corrected: the roster the
		// central sends was made before it heard of them.
		st, err := tx.PrepareContext(ctx, `INSERT INTO retiree (id, name, female, birth, category, last_cert, phone, address,
				pension_status, suspended_since, photo_sha256, roster_last_cert)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, female = excluded.female, birth = excluded.birth,
				category = excluded.category, synthetic = 0, photo_sha256 = excluded.photo_sha256,
				pension_status = excluded.pension_status, suspended_since = excluded.suspended_since,
				phone = CASE WHEN EXISTS (SELECT 1 FROM contact_change c WHERE c.retiree_id = retiree.id
					AND c.kind = 'corrected' AND c.sync_state = 'pending') THEN retiree.phone ELSE excluded.phone END,
				address = CASE WHEN EXISTS (SELECT 1 FROM contact_change c WHERE c.retiree_id = retiree.id
					AND c.kind = 'corrected' AND c.sync_state = 'pending') THEN retiree.address ELSE excluded.address END,
				last_cert = CASE WHEN retiree.last_cert IS NULL OR excluded.last_cert > retiree.last_cert
					THEN excluded.last_cert ELSE retiree.last_cert END,
				roster_last_cert = excluded.roster_last_cert`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, r := range rs {
			photo := ""
			if i < len(photos) {
				photo = photos[i]
			}
			if _, err := st.ExecContext(ctx, string(r.ID), r.Name, r.Female, r.Birth.String(), r.Category,
				nullDate(r.LastCert), r.Phone, r.Address, string(r.Pension), r.SuspendedSince.String(), photo); err != nil {
				return fmt.Errorf("retiree %s: %w", r.ID.Masked(), err)
			}
		}
		added = len(rs)
		del := func(where string, args ...any) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM retiree WHERE `+where+
				` AND NOT EXISTS (SELECT 1 FROM certification c WHERE c.retiree_id = retiree.id)`, args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			removed += int(n)
			return nil
		}
		if full {
			if err := del(`id NOT IN (SELECT id FROM snapshot)`); err != nil {
				return err
			}
		}
		for _, id := range deleted {
			if err := del(`id = ?`, string(id)); err != nil {
				return err
			}
		}
		for k, v := range map[Key]string{SetRosterVersion: strconv.FormatInt(version, 10),
			SetRosterPulled: s.now().UTC().Format(time.RFC3339)} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, ActRosterImport, "central", map[string]any{"version": version, "full": full,
			"upserted": len(rs), "removed": removed})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("apply roster v%d: %w", version, err)
	}
	return added, removed, nil
}

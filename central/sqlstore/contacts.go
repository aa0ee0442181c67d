package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/sync"
)

var _ central.ContactStorage = (*Store)(nil)

// PutContacts implements central.ContactStorage. The whole request is one
// transaction; each change is checked, stored once, and folded into the
// retiree's current contact when it is newer than what is held (terminals
// sync at different times, so the order of arrival means nothing). A
// change the terminal has not earned (central.ContactWindow) is stored as
// refused and answered invalid; past the terminal's hourly cap changes
// are answered invalid (429) and not stored.
func (s *Store) PutContacts(ctx context.Context, terminal string, chs []sync.ContactChange, now time.Time) ([]sync.RecordResult, error) {
	out := make([]sync.RecordResult, len(chs))
	refused := 0
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, "contacts:"+terminal); err != nil {
			return err
		}
		var used int
		if err := s.row(ctx, tx, `SELECT count(*) FROM contact_change WHERE terminal = ? AND received_at > ?`,
			terminal, s.ts(now.Add(-time.Hour))).Scan(&used); err != nil {
			return err
		}
		budget := central.MaxContactChangesPerHour - used
		for i, c := range chs {
			out[i] = sync.RecordResult{ID: c.ID}
			if err := c.Validate(now); err != nil {
				out[i].Status, out[i].Error = sync.StatusInvalid, err.Error()
				continue
			}
			st, msg, err := s.putContact(ctx, tx, terminal, c, now, &budget)
			if err != nil {
				return fmt.Errorf("contact change %s: %w", c.ID, err)
			}
			out[i].Status, out[i].Error = st, msg
			if st == sync.StatusInvalid {
				refused++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put contacts: %w", err)
	}
	for i := range out {
		out[i].Code = sync.StatusCode(out[i].Status)
		if out[i].Error == central.RefusedTooMany {
			out[i].Code = 429
		}
	}
	return out, nil
}

// putContact judges and stores one valid change; budget is what is left
// of the terminal's hourly cap.
func (s *Store) putContact(ctx context.Context, tx *sql.Tx, terminal string, c sync.ContactChange, now time.Time, budget *int) (string, string, error) {
	if err := s.lock(ctx, tx, "contact:"+c.RetireeID); err != nil {
		return "", "", err
	}
	hash := c.ContentHash()
	var have, status, note string
	err := s.row(ctx, tx, `SELECT content_hash, status, note FROM contact_change WHERE id = ?`, c.ID).Scan(&have, &status, &note)
	rejudged := false
	switch {
	case err == nil && have == hash && status == central.ContactRefused:
		// Sent again: judged again, since the record that earns it may
		// have arrived since (a batch that failed before the contacts).
		earned, err := s.earned(ctx, tx, terminal, c)
		if err != nil || !earned {
			return sync.StatusInvalid, note, err
		}
		if _, err := s.exec(ctx, tx, `UPDATE contact_change SET status = ?, note = '' WHERE id = ?`, central.ContactAccepted, c.ID); err != nil {
			return "", "", err
		}
		rejudged = true
	case err == nil && have == hash:
		return sync.StatusDuplicate, "", nil
	case err == nil:
		return sync.StatusConflict, "", nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", "", err
	}
	var rel sync.RelativeContact
	if c.Relative != nil {
		rel = *c.Relative
	}
	if !rejudged {
		if *budget <= 0 {
			return sync.StatusInvalid, central.RefusedTooMany, nil
		}
		*budget--
		earned, err := s.earned(ctx, tx, terminal, c)
		if err != nil {
			return "", "", err
		}
		status, note = central.ContactAccepted, ""
		if !earned {
			status, note = central.ContactRefused, central.RefusedNotEarned
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO contact_change (id, terminal, retiree_id, staff_id, kind, phone, address,
			relative_name, relation, relative_mobile, at, received_at, content_hash, status, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, terminal, c.RetireeID, c.StaffID, c.Kind, c.Phone, c.Address, rel.Name, rel.Relation, rel.Mobile,
			s.ts(c.At), s.ts(now), hash, status, note); err != nil {
			return "", "", err
		}
		if !earned {
			return sync.StatusInvalid, note, nil
		}
	}
	// Fold into the current contact: details and relative each keep the
	// newest change of their own. A change dated ahead of the central's
	// clock (Validate allows a little skew) counts as made now, so it does
	// not outrank the changes of the next hours.
	if c.At.After(now) {
		c.At = now
	}
	var checked, relAt time.Time
	var phone, address string
	err = s.row(ctx, tx, `SELECT checked_at, relative_at, phone, address FROM retiree_contact WHERE retiree_id = ?`+s.d.ForUpdate, c.RetireeID).
		Scan(scanTime{&checked}, scanTime{&relAt}, &phone, &address)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.exec(ctx, tx, `INSERT INTO retiree_contact (retiree_id) VALUES (?)`, c.RetireeID); err != nil {
			return "", "", err
		}
	} else if err != nil {
		return "", "", err
	}
	switch c.Kind {
	case sync.ContactConfirmed, sync.ContactCorrected:
		if c.At.After(checked) {
			_, err = s.exec(ctx, tx, `UPDATE retiree_contact SET phone = ?, address = ?, checked_at = ?, checked_by = ?
				WHERE retiree_id = ?`, c.Phone, c.Address, s.ts(c.At), terminal, c.RetireeID)
			if err == nil && (c.Phone != phone || c.Address != address) {
				err = s.publishContact(ctx, tx, c.RetireeID)
			}
		}
	case sync.ContactRelativeSet, sync.ContactRelativeRemoved:
		if c.At.After(relAt) {
			_, err = s.exec(ctx, tx, `UPDATE retiree_contact SET relative_name = ?, relation = ?, relative_mobile = ?,
				relative_at = ? WHERE retiree_id = ?`, rel.Name, rel.Relation, rel.Mobile, s.ts(c.At), c.RetireeID)
		}
	}
	if err != nil {
		return "", "", err
	}
	return sync.StatusAccepted, "", nil
}

// earned reports whether terminal identified the retiree in person within
// central.ContactWindow before the change: a pass or a manual review of
// its own for the retiree that ended then.
func (s *Store) earned(ctx context.Context, tx *sql.Tx, terminal string, c sync.ContactChange) (bool, error) {
	rows, err := s.query(ctx, tx, `SELECT ended_at FROM record WHERE retiree_id = ? AND terminal = ?
		AND verdict IN ('pass', 'manual_review') AND NOT synthetic`, c.RetireeID, terminal)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var ended time.Time
		if err := rows.Scan(scanTime{&ended}); err != nil {
			return false, err
		}
		if !c.At.Before(ended.Add(-time.Minute)) && !c.At.After(ended.Add(central.ContactWindow)) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// UndoContactChange implements central.ConsoleStorage: the office takes back an
// accepted change; the retiree's contact is folded again from the changes
// still standing, and published to the terminals.
func (s *Store) UndoContactChange(ctx context.Context, id, user string, now time.Time) (string, error) {
	var retiree string
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		var status string
		err := s.row(ctx, tx, `SELECT retiree_id, status FROM contact_change WHERE id = ?`+s.d.ForUpdate, id).Scan(&retiree, &status)
		if errors.Is(err, sql.ErrNoRows) || err == nil && status != central.ContactAccepted {
			return central.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.lock(ctx, tx, "contact:"+retiree); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE contact_change SET status = ?, note = ? WHERE id = ?`,
			central.ContactUndone, "由 "+user+" 于 "+now.In(certkiosk.China).Format("2006-01-02 15:04")+" 撤销", id); err != nil {
			return err
		}
		return s.refoldContact(ctx, tx, retiree)
	})
	return retiree, err
}

// refoldContact sets a retiree's current contact from the newest accepted
// change of each kind (none: the office's roster speaks again).
func (s *Store) refoldContact(ctx context.Context, tx *sql.Tx, retiree string) error {
	var phone, address, by string
	var checked, relAt time.Time
	var rel sync.RelativeContact
	err := s.row(ctx, tx, `SELECT phone, address, at, terminal FROM contact_change WHERE retiree_id = ? AND status = 'accepted'
		AND kind IN ('confirmed', 'corrected') ORDER BY at DESC, id DESC LIMIT 1`, retiree).Scan(&phone, &address, scanTime{&checked}, &by)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	err = s.row(ctx, tx, `SELECT relative_name, relation, relative_mobile, at FROM contact_change WHERE retiree_id = ? AND status = 'accepted'
		AND kind IN ('relative_set', 'relative_removed') ORDER BY at DESC, id DESC LIMIT 1`, retiree).
		Scan(&rel.Name, &rel.Relation, &rel.Mobile, scanTime{&relAt})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	nullTime := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return s.ts(t)
	}
	if _, err := s.exec(ctx, tx, `UPDATE retiree_contact SET phone = ?, address = ?, checked_at = ?, checked_by = ?,
		relative_name = ?, relation = ?, relative_mobile = ?, relative_at = ? WHERE retiree_id = ?`,
		phone, address, nullTime(checked), by, rel.Name, rel.Relation, rel.Mobile, nullTime(relAt), retiree); err != nil {
		return err
	}
	return s.publishContact(ctx, tx, retiree)
}

// publishContact makes a retiree's roster entry part of a new roster
// version, so every terminal downloads the contact a counter checked
// (RosterSince serves it over the office's).
func (s *Store) publishContact(ctx context.Context, tx *sql.Tx, retiree string) error {
	var version int64
	if err := s.row(ctx, tx, `SELECT value FROM counter WHERE name = 'roster_version'`+s.d.ForUpdate).Scan(&version); err != nil {
		return err
	}
	n, err := s.execN(ctx, tx, `UPDATE roster SET version = ? WHERE id = ? AND NOT deleted`, version+1, retiree)
	if err != nil || n == 0 {
		return err // not on the roster: nothing to publish
	}
	_, err = s.exec(ctx, tx, `UPDATE counter SET value = ? WHERE name = 'roster_version'`, version+1)
	return err
}

// RetireeContact implements central.ContactStorage.
func (s *Store) RetireeContact(ctx context.Context, retireeID string) (central.RetireeContact, error) {
	rc := central.RetireeContact{RetireeID: retireeID}
	var name, relation, mobile string
	err := s.row(ctx, s.db, `SELECT phone, address, checked_at, relative_name, relation, relative_mobile
		FROM retiree_contact WHERE retiree_id = ?`, retireeID).
		Scan(&rc.Phone, &rc.Address, scanTime{&rc.CheckedAt}, &name, &relation, &mobile)
	none := errors.Is(err, sql.ErrNoRows) // only refused changes, or nothing
	if err != nil && !none {
		return rc, fmt.Errorf("retiree contact: %w", err)
	}
	if mobile != "" {
		rc.Relative = &sync.RelativeContact{Name: name, Relation: relation, Mobile: mobile, Consent: true}
	}
	rows, err := s.query(ctx, s.db, `SELECT id, terminal, staff_id, kind, phone, address, relative_name, relation,
		relative_mobile, at, received_at, status, note FROM contact_change WHERE retiree_id = ? ORDER BY at DESC, id DESC LIMIT 100`, retireeID)
	if err != nil {
		return rc, fmt.Errorf("retiree contact: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r central.ContactRecord
		var rel sync.RelativeContact
		if err := rows.Scan(&r.ID, &r.Terminal, &r.StaffID, &r.Kind, &r.Phone, &r.Address, &rel.Name, &rel.Relation,
			&rel.Mobile, scanTime{&r.At}, scanTime{&r.Received}, &r.Status, &r.Note); err != nil {
			return rc, fmt.Errorf("retiree contact: %w", err)
		}
		r.RetireeID = retireeID
		if r.Kind == sync.ContactRelativeSet {
			rel.Consent = true
			r.Relative = &rel
		}
		rc.Changes = append(rc.Changes, r)
	}
	if err := rows.Err(); err != nil {
		return rc, fmt.Errorf("retiree contact: %w", err)
	}
	if none && len(rc.Changes) == 0 {
		return rc, central.ErrNotFound
	}
	return rc, nil
}

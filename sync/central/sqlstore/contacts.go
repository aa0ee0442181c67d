package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"certkiosk/sync"
	"certkiosk/sync/central"
)

var _ central.ContactStorage = (*Store)(nil)

// PutContacts implements central.ContactStorage. The whole request is one
// transaction; each change is checked, stored once, and folded into the
// retiree's current contact when it is newer than what is held (terminals
// sync at different times, so the order of arrival means nothing).
func (s *Store) PutContacts(ctx context.Context, terminal string, chs []sync.ContactChange, now time.Time) ([]sync.RecordResult, error) {
	out := make([]sync.RecordResult, len(chs))
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		for i, c := range chs {
			out[i] = sync.RecordResult{ID: c.ID}
			if err := c.Validate(now); err != nil {
				out[i].Status, out[i].Error = sync.StatusInvalid, err.Error()
				continue
			}
			st, err := s.putContact(ctx, tx, terminal, c, now)
			if err != nil {
				return fmt.Errorf("contact change %s: %w", c.ID, err)
			}
			out[i].Status = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put contacts: %w", err)
	}
	for i := range out {
		out[i].Code = sync.StatusCode(out[i].Status)
	}
	return out, nil
}

func (s *Store) putContact(ctx context.Context, tx *sql.Tx, terminal string, c sync.ContactChange, now time.Time) (string, error) {
	if err := s.lock(ctx, tx, "contact:"+c.RetireeID); err != nil {
		return "", err
	}
	hash := c.ContentHash()
	var have string
	err := s.row(ctx, tx, `SELECT content_hash FROM contact_change WHERE id = ?`, c.ID).Scan(&have)
	switch {
	case err == nil && have == hash:
		return sync.StatusDuplicate, nil
	case err == nil:
		return sync.StatusConflict, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	var rel sync.RelativeContact
	if c.Relative != nil {
		rel = *c.Relative
	}
	if _, err := s.exec(ctx, tx, `INSERT INTO contact_change (id, terminal, retiree_id, staff_id, kind, phone, address,
		relative_name, relation, relative_mobile, at, received_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, terminal, c.RetireeID, c.StaffID, c.Kind, c.Phone, c.Address, rel.Name, rel.Relation, rel.Mobile,
		s.ts(c.At), s.ts(now), hash); err != nil {
		return "", err
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
			return "", err
		}
	} else if err != nil {
		return "", err
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
		return "", err
	}
	return sync.StatusAccepted, nil
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
	if errors.Is(err, sql.ErrNoRows) {
		return rc, central.ErrNotFound
	}
	if err != nil {
		return rc, fmt.Errorf("retiree contact: %w", err)
	}
	if mobile != "" {
		rc.Relative = &sync.RelativeContact{Name: name, Relation: relation, Mobile: mobile, Consent: true}
	}
	rows, err := s.query(ctx, s.db, `SELECT id, terminal, staff_id, kind, phone, address, relative_name, relation,
		relative_mobile, at, received_at FROM contact_change WHERE retiree_id = ? ORDER BY at DESC, id DESC LIMIT 100`, retireeID)
	if err != nil {
		return rc, fmt.Errorf("retiree contact: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r central.ContactRecord
		var rel sync.RelativeContact
		if err := rows.Scan(&r.ID, &r.Terminal, &r.StaffID, &r.Kind, &r.Phone, &r.Address, &rel.Name, &rel.Relation,
			&rel.Mobile, scanTime{&r.At}, scanTime{&r.Received}); err != nil {
			return rc, fmt.Errorf("retiree contact: %w", err)
		}
		r.RetireeID = retireeID
		if r.Kind == sync.ContactRelativeSet {
			rel.Consent = true
			r.Relative = &rel
		}
		rc.Changes = append(rc.Changes, r)
	}
	return rc, rows.Err()
}

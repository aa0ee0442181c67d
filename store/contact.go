package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"certkiosk"

	"github.com/google/uuid"
)

// Contact change kinds (定期检查信息 and 亲情联系人), as the central receives them.
const (
	ContactConfirmed       = "confirmed"        // phone and address checked with the retiree, unchanged
	ContactCorrected       = "corrected"        // phone or address corrected
	ContactRelativeSet     = "relative_set"     // a relative's contact recorded or changed, with consent
	ContactRelativeRemoved = "relative_removed" // the retiree withdrew consent
)

// ContactChange is one check or change made at the counter, queued for the
// central.
type ContactChange = certkiosk.ContactChange

// CheckContact records that staff went through the retiree's phone and
// address with them after a pass: unchanged is a confirmation, anything
// else a correction that replaces the roster's values here at once. Both
// are audited (masked) and queued for the central. The phone must be a
// mainland mobile or landline (or empty: the retiree has none); it is
// stored in canonical form.
func (s *DB) CheckContact(ctx context.Context, staff string, id certkiosk.ResidentID, phone, address string) (ContactChange, error) {
	// No phone at all is an answer too: some retirees have none.
	p := ""
	if strings.TrimSpace(phone) != "" {
		var err error
		if p, _, err = certkiosk.ParsePhone(phone); err != nil {
			return ContactChange{}, err
		}
	}
	a, err := certkiosk.CleanAddress(address)
	if err != nil {
		return ContactChange{}, err
	}
	ch := ContactChange{RetireeID: id, StaffID: staff, Phone: p, Address: a, At: s.now()}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var oldPhone, oldAddr string
		err := tx.QueryRowContext(ctx, `SELECT phone, address FROM retiree WHERE id = ?`, string(id)).Scan(&oldPhone, &oldAddr)
		if errors.Is(err, sql.ErrNoRows) {
			return certkiosk.E(certkiosk.ENOTFOUND, "error.store.not_on_roster", "retiree %s not on the roster", id.Masked())
		}
		if err != nil {
			return err
		}
		if canon, _, perr := certkiosk.ParsePhone(oldPhone); perr == nil {
			oldPhone = canon
		}
		ch.Kind = ContactConfirmed
		if oldPhone != p || oldAddr != a {
			ch.Kind = ContactCorrected
		}
		if _, err := tx.ExecContext(ctx, `UPDATE retiree SET phone = ?, address = ?, contact_checked = ? WHERE id = ?`,
			p, a, certkiosk.DateOf(ch.At.In(certkiosk.China)).String(), string(id)); err != nil {
			return err
		}
		if err := s.queueContact(ctx, tx, &ch); err != nil {
			return err
		}
		return s.audit(ctx, tx, staff, ActContact, id.Masked(), map[string]any{"kind": ch.Kind, "id": ch.ID,
			"phone_changed": oldPhone != p, "address_changed": oldAddr != a, "phone": certkiosk.MaskPhone(p)})
	})
	if err != nil {
		return ch, fmt.Errorf("check contact of %s: %w", id.Masked(), err)
	}
	return ch, nil
}

// SetRelative records a relative's contact for the retiree (replacing any
// held), with the retiree's consent, audited and queued for the central.
func (s *DB) SetRelative(ctx context.Context, staff string, id certkiosk.ResidentID, r certkiosk.Relative) (ContactChange, error) {
	r, err := certkiosk.CleanRelative(r)
	if err != nil {
		return ContactChange{}, err
	}
	ch := ContactChange{RetireeID: id, StaffID: staff, Kind: ContactRelativeSet, Relative: r, At: s.now()}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := ch.At.UTC().Format(timeFormat)
		if _, err := tx.ExecContext(ctx, `INSERT INTO relative (retiree_id, name, relation, mobile, consent_at, staff_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (retiree_id) DO UPDATE SET name = excluded.name, relation = excluded.relation,
				mobile = excluded.mobile, consent_at = excluded.consent_at, staff_id = excluded.staff_id,
				updated_at = excluded.updated_at`, string(id), r.Name, r.Relation, r.Mobile, now, staff, now); err != nil {
			if isForeignKey(err) {
				return certkiosk.E(certkiosk.ENOTFOUND, "error.store.not_on_roster", "retiree %s not on the roster", id.Masked())
			}
			return err
		}
		if err := s.queueContact(ctx, tx, &ch); err != nil {
			return err
		}
		return s.audit(ctx, tx, staff, ActRelative, id.Masked(), map[string]any{"kind": ch.Kind, "id": ch.ID,
			"relation": r.Relation, "mobile": certkiosk.MaskPhone(r.Mobile), "consent": true})
	})
	if err != nil {
		return ch, fmt.Errorf("set relative of %s: %w", id.Masked(), err)
	}
	return ch, nil
}

// RemoveRelative deletes the relative's contact (the retiree withdrew
// consent), audited and queued for the central. Removing none is no error.
func (s *DB) RemoveRelative(ctx context.Context, staff string, id certkiosk.ResidentID) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM relative WHERE retiree_id = ?`, string(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ch := ContactChange{RetireeID: id, StaffID: staff, Kind: ContactRelativeRemoved, At: s.now()}
		if err := s.queueContact(ctx, tx, &ch); err != nil {
			return err
		}
		return s.audit(ctx, tx, staff, ActRelative, id.Masked(), map[string]any{"kind": ch.Kind, "id": ch.ID})
	})
	if err != nil {
		return fmt.Errorf("remove relative of %s: %w", id.Masked(), err)
	}
	return nil
}

// Relative returns the retiree's relative's contact; ok is false when none
// is recorded.
func (s *DB) Relative(ctx context.Context, id certkiosk.ResidentID) (r certkiosk.Relative, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT name, relation, mobile FROM relative WHERE retiree_id = ?`, string(id)).
		Scan(&r.Name, &r.Relation, &r.Mobile)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("relative of %s: %w", id.Masked(), err)
	}
	r.Consent = true
	return r, true, nil
}

func (s *DB) queueContact(ctx context.Context, tx *sql.Tx, ch *ContactChange) error {
	u, err := uuid.NewV7()
	if err != nil {
		return err
	}
	ch.ID = u.String()
	_, err = tx.ExecContext(ctx, `INSERT INTO contact_change (id, retiree_id, staff_id, kind, phone, address,
		relative_name, relation, relative_mobile, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ch.ID, string(ch.RetireeID), ch.StaffID, ch.Kind, ch.Phone, ch.Address,
		ch.Relative.Name, ch.Relative.Relation, ch.Relative.Mobile, ch.At.UTC().Format(timeFormat))
	return err
}

const contactCols = `id, retiree_id, staff_id, kind, phone, address, relative_name, relation, relative_mobile, at, sync_state`

func scanContact(sc scanner) (ContactChange, error) {
	var ch ContactChange
	var at, state string
	if err := sc.Scan(&ch.ID, &ch.RetireeID, &ch.StaffID, &ch.Kind, &ch.Phone, &ch.Address,
		&ch.Relative.Name, &ch.Relative.Relation, &ch.Relative.Mobile, &at, &state); err != nil {
		return ch, err
	}
	ch.Relative.Consent = ch.Kind == ContactRelativeSet
	ch.Acked = state == "acked"
	var err error
	ch.At, err = time.Parse(timeFormat, at)
	return ch, err
}

func (s *DB) contacts(ctx context.Context, where string, args ...any) ([]ContactChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+contactCols+` FROM contact_change WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ContactChange
	for rows.Next() {
		ch, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// ContactOutbox returns up to limit contact changes after ID after that the
// central has not acknowledged, oldest first.
func (s *DB) ContactOutbox(ctx context.Context, after string, limit int) ([]ContactChange, error) {
	out, err := s.contacts(ctx, `sync_state = 'pending' AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("contact outbox: %w", err)
	}
	return out, nil
}

// ContactHistory returns a retiree's contact checks and changes, newest
// first.
func (s *DB) ContactHistory(ctx context.Context, id certkiosk.ResidentID) ([]ContactChange, error) {
	out, err := s.contacts(ctx, `retiree_id = ? ORDER BY id DESC LIMIT 100`, string(id))
	if err != nil {
		return nil, fmt.Errorf("contact history of %s: %w", id.Masked(), err)
	}
	return out, nil
}

// MarkContactsAcked records that the central has these contact changes.
func (s *DB) MarkContactsAcked(ctx context.Context, actor string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UTC().Format(timeFormat)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		moved := 0
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE contact_change SET sync_state = 'acked', acked_at = ?
				WHERE id = ? AND sync_state = 'pending'`, now, id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			moved += int(n)
		}
		return s.audit(ctx, tx, actor, ActSyncState, "contacts", map[string]any{"changes": len(ids), "acked": moved})
	})
	if err != nil {
		return fmt.Errorf("mark %d contact change(s) acked: %w", len(ids), err)
	}
	return nil
}

// PendingContacts counts contact changes not yet at the central.
func (s *DB) PendingContacts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM contact_change WHERE sync_state = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("pending contacts: %w", err)
	}
	return n, nil
}

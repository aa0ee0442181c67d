package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/internal/pinhash"
)

// KDFParams is an argon2id cost (package pinhash hashes and checks).
type KDFParams = pinhash.Params

// DefaultKDF is pinhash's default cost: about a tenth of a second per
// login on a 2-core counter PC.
var DefaultKDF = pinhash.Default

// Lockout policy: MaxFailedLogins wrong PINs in a row lock an account for
// LockoutDuration.
const (
	MaxFailedLogins = 5
	LockoutDuration = 15 * time.Minute
	MinPINLength    = pinhash.MinLength
)

func hashPIN(pin string, p KDFParams) (string, error) { return pinhash.Hash(pin, p) }

func checkPIN(pin, encoded string) (bool, error) { return pinhash.Check(pin, encoded) }

func validPIN(pin string) error { return pinhash.Valid(pin) }

func validStaffID(id string) error {
	if id == "" || len(id) > 32 || strings.ContainsAny(id, " \t\r\n") {
		return certkiosk.E(certkiosk.EINVALID, "error.store.staff_id", "bad staff ID")
	}
	return nil
}

// AddStaff creates a staff account.
func (s *DB) AddStaff(ctx context.Context, actor string, st certkiosk.Staff, pin string) error {
	if err := validStaffID(st.ID); err != nil {
		return err
	}
	if _, err := certkiosk.ParseRole(string(st.Role)); err != nil {
		return err
	}
	if err := validPIN(pin); err != nil {
		return err
	}
	h, err := hashPIN(pin, s.KDF)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff WHERE id = ?`, st.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return certkiosk.E(certkiosk.ECONFLICT, "error.store.staff_exists", "staff %s exists", st.ID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (id, name, role, pin_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			st.ID, st.Name, string(st.Role), h, s.now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, ActStaffAdd, st.ID, map[string]any{"role": string(st.Role)})
	})
	if err != nil {
		return fmt.Errorf("add staff %s: %w", st.ID, err)
	}
	return nil
}

// SetPIN replaces a staff member's PIN and clears any lockout.
func (s *DB) SetPIN(ctx context.Context, actor, id, pin string) error {
	if err := validPIN(pin); err != nil {
		return err
	}
	h, err := hashPIN(pin, s.KDF)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET pin_hash = ?, failed = 0, locked_until = NULL WHERE id = ?`, h, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return certkiosk.E(certkiosk.ENOTFOUND, "error.store.staff_not_found", "staff %s not found", id)
		}
		return s.audit(ctx, tx, actor, ActStaffPasswd, id, nil)
	})
	if err != nil {
		return fmt.Errorf("set PIN of %s: %w", id, err)
	}
	return nil
}

// LockedError says an account is locked and until when.
type LockedError struct{ Until, Now time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("account locked until %s", e.Until.Format(time.RFC3339))
}

// ErrorCode makes a lockout an authorisation error.
func (e *LockedError) ErrorCode() string { return certkiosk.EUNAUTHORIZED }

// ErrorMsg tells staff how long to wait, in whole minutes.
func (e *LockedError) ErrorMsg() certkiosk.Msg {
	m := int(e.Until.Sub(e.Now).Minutes() + 0.999)
	return certkiosk.Msg{Key: "error.store.locked", Args: map[string]any{"Minutes": max(m, 1)}}
}

// maxProbes bounds the counters kept for unknown staff IDs.
const maxProbes = 1000

// Login checks a staff member's PIN. Wrong PINs count; the fifth in a row
// locks the account for 15 minutes, during which even the right PIN is
// refused. A right PIN resets the count.
//
// The attempt is counted before the PIN is checked, in one transaction
// with the lock check, so concurrent guesses never get more than
// MaxFailedLogins checks between lockouts. Unknown IDs are counted and
// locked the same way (table login_probe), and a disabled account says so
// only to the right PIN: no answer tells which staff IDs exist.
func (s *DB) Login(ctx context.Context, id, pin string) (certkiosk.Staff, error) {
	var st certkiosk.Staff
	wrong := certkiosk.E(certkiosk.EUNAUTHORIZED, "error.store.bad_pin", "wrong staff ID or PIN")
	now := s.now().UTC()
	var hash string
	known := true
	attempt := 0
	var lockErr error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var failed int
		var locked sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT id, name, role, pin_hash, failed, locked_until, disabled FROM staff WHERE id = ?`, id).
			Scan(&st.ID, &st.Name, &st.Role, &hash, &failed, &locked, &st.Disabled)
		if errors.Is(err, sql.ErrNoRows) {
			known = false
			err = tx.QueryRowContext(ctx, `SELECT failed, locked_until FROM login_probe WHERE id = ?`, probeKey(id)).Scan(&failed, &locked)
			if errors.Is(err, sql.ErrNoRows) {
				err = nil
			}
		}
		if err != nil {
			return err
		}
		if locked.Valid {
			until, _ := time.Parse(time.RFC3339, locked.String)
			if now.Before(until) {
				lockErr = &LockedError{Until: until, Now: now}
				return nil
			}
			failed = 0 // the lockout is over: a fresh count
		}
		if failed >= MaxFailedLogins { // others' guesses used the attempts up
			until := now.Add(LockoutDuration)
			lockErr = &LockedError{Until: until, Now: now}
			return s.setCounter(ctx, tx, known, id, 0, until.Format(time.RFC3339))
		}
		attempt = failed + 1
		return s.setCounter(ctx, tx, known, id, attempt, "")
	})
	if err != nil {
		return certkiosk.Staff{}, fmt.Errorf("login: %w", err)
	}
	if lockErr != nil {
		return certkiosk.Staff{}, lockErr
	}
	ok := false
	if known {
		if ok, err = checkPIN(pin, hash); err != nil {
			return certkiosk.Staff{}, fmt.Errorf("login %s: %w", id, err)
		}
	} else {
		checkPIN(pin, s.dummyHash()) // same time as a real check
	}
	if ok {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE staff SET failed = 0, locked_until = NULL WHERE id = ?`, id); err != nil {
				return err
			}
			if st.Disabled {
				return nil
			}
			return s.audit(ctx, tx, "staff:"+id, ActLogin, id, nil)
		})
		if err != nil {
			return certkiosk.Staff{}, fmt.Errorf("login %s: %w", id, err)
		}
		if st.Disabled { // told only to someone who knows the PIN
			return certkiosk.Staff{}, certkiosk.E(certkiosk.EUNAUTHORIZED, "error.store.staff_disabled", "staff %s disabled", id)
		}
		return st, nil
	}
	subject, actor := id, "staff:"+id
	if !known { // whatever was typed (maybe an identity number) is not logged
		subject, actor = "unknown", "staff:unknown"
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.audit(ctx, tx, actor, ActLoginFailed, subject, map[string]any{"failed": attempt}); err != nil {
			return err
		}
		if attempt >= MaxFailedLogins {
			until := now.Add(LockoutDuration)
			if err := s.setCounter(ctx, tx, known, id, 0, until.Format(time.RFC3339)); err != nil {
				return err
			}
			lockErr = &LockedError{Until: until, Now: now}
			return s.audit(ctx, tx, actor, ActLocked, subject, map[string]any{"until": until.Format(time.RFC3339)})
		}
		return nil
	})
	if err != nil {
		return certkiosk.Staff{}, fmt.Errorf("login: %w", err)
	}
	if lockErr != nil {
		return certkiosk.Staff{}, lockErr
	}
	return certkiosk.Staff{}, wrong
}

// probeKey bounds what is kept of an unknown ID typed at sign-in.
func probeKey(id string) string {
	if len(id) > 64 {
		return id[:64]
	}
	return id
}

// setCounter writes the wrong-PIN count and lock of a staff ID, known or not.
func (s *DB) setCounter(ctx context.Context, tx *sql.Tx, known bool, id string, failed int, lockedUntil string) error {
	locked := sql.NullString{String: lockedUntil, Valid: lockedUntil != ""}
	if known {
		_, err := tx.ExecContext(ctx, `UPDATE staff SET failed = ?, locked_until = ? WHERE id = ?`, failed, locked, id)
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_probe WHERE (SELECT count(*) FROM login_probe) >= ?
		AND (locked_until IS NULL OR locked_until < ?)`, maxProbes, s.now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO login_probe (id, failed, locked_until) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until`, probeKey(id), failed, locked)
	return err
}

// dummyHash is checked for unknown staff IDs, at this database's cost.
func (s *DB) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = hashPIN("not-a-real-pin", s.KDF) })
	return s.dummy
}

// ListStaff returns all staff accounts.
func (s *DB) ListStaff(ctx context.Context) ([]certkiosk.Staff, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role, disabled FROM staff ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []certkiosk.Staff
	for rows.Next() {
		var st certkiosk.Staff
		if err := rows.Scan(&st.ID, &st.Name, &st.Role, &st.Disabled); err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// StaffCount returns how many accounts exist (init refuses to run twice).
func (s *DB) StaffCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM staff`).Scan(&n)
	return n, err
}

// AddStaffBy adds a staff member on behalf of signed-in staff by: only an
// admin may (the rule lives here, not in a screen).
func (s *DB) AddStaffBy(ctx context.Context, by certkiosk.Staff, st certkiosk.Staff, pin string) error {
	if !by.Role.Allows(certkiosk.RoleAdmin) {
		return certkiosk.E(certkiosk.EUNAUTHORIZED, "error.store.add_staff_role", "staff %s (%s) may not add staff", by.ID, by.Role)
	}
	return s.AddStaff(ctx, "staff:"+by.ID, st, pin)
}

// SetPINBy sets a staff member's PIN on behalf of signed-in staff by: an
// admin for anyone, anyone else only for themselves.
func (s *DB) SetPINBy(ctx context.Context, by certkiosk.Staff, id, pin string) error {
	if !by.Role.Allows(certkiosk.RoleAdmin) && by.ID != id {
		return certkiosk.E(certkiosk.EUNAUTHORIZED, "error.store.set_pin_role", "staff %s (%s) may not set the PIN of %s", by.ID, by.Role, id)
	}
	return s.SetPIN(ctx, "staff:"+by.ID, id, pin)
}

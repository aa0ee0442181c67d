package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"certkiosk"
)

// The kiosk's clock against the central's (issue 23, N1). The central
// judges every record's time by its own clock; the kiosk learns how far
// its clock is from the central's at every sync (NoteClockOffset) and
// refuses to certify while they differ by more than MaxClockOffset. It
// never records a certification earlier than its own last one.
const (
	SetClockOffset   Key = "central_clock_offset_ms" // central minus kiosk, milliseconds
	SetClockOffsetAt Key = "central_clock_offset_at" // when it was learned (kiosk time)
	// MaxClockOffset is the central's MaxRecordAhead and the signature
	// window: a kiosk further off would certify at times the central
	// refuses.
	MaxClockOffset = certkiosk.MaxClockOffset
	// clockTolerance absorbs the sub-second order of stored times.
	clockTolerance = time.Second
)

// NoteClockOffset records the central's clock minus this kiosk's, learned
// at a sync at kiosk time at. Bookkeeping written at every sync: not
// audited.
func (s *DB) NoteClockOffset(ctx context.Context, offset time.Duration, at time.Time) error {
	for k, v := range map[Key]string{SetClockOffset: strconv.FormatInt(offset.Milliseconds(), 10),
		SetClockOffsetAt: at.UTC().Format(time.RFC3339)} {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return fmt.Errorf("note clock offset: %w", err)
		}
	}
	return nil
}

// ClockOffset returns the central's clock minus this kiosk's as last
// learned, and when; known is false before the first sync that told it.
// The device screen shows it.
func (s *DB) ClockOffset(ctx context.Context) (offset time.Duration, at time.Time, known bool, err error) {
	return s.clockOffset(ctx, s.db)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *DB) clockOffset(ctx context.Context, q queryRower) (time.Duration, time.Time, bool, error) {
	var ms, at sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT (SELECT value FROM setting WHERE key = ?), (SELECT value FROM setting WHERE key = ?)`,
		SetClockOffset, SetClockOffsetAt).Scan(&ms, &at); err != nil {
		return 0, time.Time{}, false, fmt.Errorf("clock offset: %w", err)
	}
	n, err := strconv.ParseInt(ms.String, 10, 64)
	if !ms.Valid || err != nil {
		return 0, time.Time{}, false, nil // never learned
	}
	t, _ := time.Parse(time.RFC3339, at.String)
	return time.Duration(n) * time.Millisecond, t, true, nil
}

// checkClock refuses a certification while the kiosk's clock is known to
// be more than MaxClockOffset from the central's, or when it would end
// before the last certification this kiosk recorded and the central did
// not refuse as invalid (the clock went back).
func (s *DB) checkClock(ctx context.Context, tx *sql.Tx, c *certkiosk.Certification) error {
	off, _, known, err := s.clockOffset(ctx, tx)
	if err != nil {
		return err
	}
	if known && (off > MaxClockOffset || off < -MaxClockOffset) {
		return certkiosk.E(certkiosk.EUNAVAILABLE, "error.store.clock_off",
			"the kiosk's clock is %s from the central's (at most %s)", off.Round(time.Second), MaxClockOffset).
			With("Minutes", int(off.Abs().Round(time.Minute)/time.Minute))
	}
	var last sql.NullString
	// A record the central refused as invalid does not count: one made
	// while the BIOS date was years ahead would otherwise stop every check
	// until that date came. (A conflict means the central holds a version
	// of it: it counts.)
	if err := tx.QueryRowContext(ctx, `SELECT max(ended_at) FROM certification
		WHERE sync_state = 'acked' OR sync_error NOT LIKE '`+refusedInvalid+`%'`).Scan(&last); err != nil {
		return err
	}
	if last.Valid {
		if t, err := time.Parse(timeFormat, last.String); err == nil && c.Ended.Before(t.Add(-clockTolerance)) {
			return certkiosk.E(certkiosk.EUNAVAILABLE, "error.store.clock_back",
				"certification ending %s is before the last one (%s): the clock went back",
				c.Ended.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

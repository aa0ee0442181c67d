package terminal

import (
	"context"
	"fmt"

	"certkiosk"
	"certkiosk/roster"
	"certkiosk/store"
	ksync "certkiosk/sync"
)

// RosterResult sums up a roster download.
type RosterResult struct {
	Version  int64 `json:"version"`
	Full     bool  `json:"full"`
	Upserted int   `json:"upserted"`
	Removed  int   `json:"removed"`
}

// PullRoster downloads the roster changes since the version this kiosk
// holds and applies them atomically. An entry that does not validate
// refuses the whole update.
func PullRoster(ctx context.Context, db *store.DB, c *ksync.Client, actor string) (RosterResult, error) {
	have, _, err := db.RosterVersion(ctx)
	if err != nil {
		return RosterResult{}, err
	}
	u, err := c.Roster(ctx, have)
	if err != nil {
		return RosterResult{}, fmt.Errorf("roster download: %w", err)
	}
	res := RosterResult{Version: u.Version, Full: u.Full}
	// The office's cut-off day comes with every answer, new roster or not.
	if d := u.BackpayCutoffDay; d != 0 {
		if d < 1 || d > 31 {
			return res, fmt.Errorf("roster download v%d: back-pay cut-off day %d out of range", u.Version, d)
		}
		if err := db.SetBackpayCutoff(ctx, actor, d); err != nil {
			return res, err
		}
	}
	if u.Version == 0 || !u.Full && u.Version == have {
		return res, nil // the central keeps no roster, or nothing is new
	}
	rs := make([]certkiosk.Retiree, 0, len(u.Retirees))
	photos := make([]string, 0, len(u.Retirees))
	for _, e := range u.Retirees {
		r, err := fromEntry(e)
		if err != nil {
			return res, fmt.Errorf("roster download v%d: %w", u.Version, err)
		}
		if e.PhotoSHA256 != "" && !isHexDigest(e.PhotoSHA256) {
			return res, fmt.Errorf("roster download v%d: entry %s: malformed photo_sha256", u.Version, r.ID.Masked())
		}
		rs = append(rs, r)
		photos = append(photos, e.PhotoSHA256)
	}
	var del []certkiosk.ResidentID
	for _, id := range u.Deleted {
		del = append(del, certkiosk.ResidentID(id))
	}
	res.Upserted, res.Removed, err = db.ApplyRosterPhotos(ctx, actor, u.Version, u.Full, rs, photos, del)
	return res, err
}

func fromEntry(e ksync.RosterEntry) (certkiosk.Retiree, error) {
	id, err := certkiosk.ParseResidentID(e.ID)
	if err != nil {
		return certkiosk.Retiree{}, fmt.Errorf("entry %s: %w", certkiosk.Mask(e.ID), err)
	}
	r := certkiosk.Retiree{ID: id, Name: e.Name, Female: e.Female, Category: e.Category, Phone: e.Phone, Address: e.Address}
	if r.Birth, err = certkiosk.ParseDate(e.Birth); err != nil {
		return r, fmt.Errorf("entry %s: %w", id.Masked(), err)
	}
	if e.LastCert != "" {
		if r.LastCert, err = certkiosk.ParseDate(e.LastCert); err != nil {
			return r, fmt.Errorf("entry %s: %w", id.Masked(), err)
		}
	}
	if err := roster.Validate(r); err != nil {
		return r, fmt.Errorf("roster entry: %w", err)
	}
	switch st := certkiosk.PensionStatus(e.Status); st {
	case "", certkiosk.PensionInTime, certkiosk.PensionDueSoon, certkiosk.PensionOverdue, certkiosk.PensionUnknown:
		r.Pension = st
		if e.SuspendedSince != "" {
			return r, fmt.Errorf("entry %s: suspended_since without status suspended", id.Masked())
		}
	case certkiosk.PensionSuspended:
		r.Pension = st
		if r.SuspendedSince, err = certkiosk.ParseMonth(e.SuspendedSince); err != nil {
			return r, fmt.Errorf("entry %s: suspended needs suspended_since YYYY-MM: %w", id.Masked(), err)
		}
	default:
		return r, fmt.Errorf("entry %s: unknown status %q", id.Masked(), e.Status)
	}
	return r, nil
}

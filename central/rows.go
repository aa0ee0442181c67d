package central

import (
	"encoding/json"
	"fmt"

	"certkiosk"
	"certkiosk/sync"
)

// Rows is what both storages' result sets offer (database/sql and pgx).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadRoster reads rows of (id, entry JSON, deleted, checked phone, checked
// address) into a roster update; a checked phone or address that is not
// empty replaces the entry's.
func ReadRoster(rows Rows, u *sync.RosterUpdate) error {
	for rows.Next() {
		var id, entry, phone, address string
		var del bool
		if err := rows.Scan(&id, &entry, &del, &phone, &address); err != nil {
			return err
		}
		if del {
			u.Deleted = append(u.Deleted, id)
			continue
		}
		var e sync.RosterEntry
		if err := json.Unmarshal([]byte(entry), &e); err != nil {
			return err
		}
		if phone != "" {
			e.Phone = phone
		}
		if address != "" {
			e.Address = address
		}
		u.Retirees = append(u.Retirees, e)
	}
	return rows.Err()
}

// ReadEvidence calls fn for each row of (record ID, kind, ciphertext).
func ReadEvidence(rows Rows, fn func(recordID, kind string, ciphertext []byte) error) error {
	for rows.Next() {
		var id, kind string
		var ct []byte
		if err := rows.Scan(&id, &kind, &ct); err != nil {
			return err
		}
		if err := fn(id, kind, ct); err != nil {
			return err
		}
	}
	return rows.Err()
}

// FutureLastCerts lists (masked) the entries whose last certification is
// after today: a roster import refuses them.
func FutureLastCerts(entries []sync.RosterEntry, today certkiosk.Date) []string {
	var out []string
	for _, e := range entries {
		if d, err := certkiosk.ParseDate(e.LastCert); err == nil && today.Before(d) {
			out = append(out, fmt.Sprintf("%s: last certification %s is after today (%s)", certkiosk.Mask(e.ID), e.LastCert, today))
		}
	}
	return out
}

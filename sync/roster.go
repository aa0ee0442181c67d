package sync

import (
	"certkiosk"
)

// ToEntry is the wire form of a roster retiree.
func ToEntry(r certkiosk.Retiree) RosterEntry {
	return RosterEntry{ID: string(r.ID), Name: r.Name, Female: r.Female, Birth: r.Birth.String(),
		Category: r.Category, LastCert: r.LastCert.String(), Phone: r.Phone, Address: r.Address}
}

package terminal

import (
	"encoding/json"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/internal/fuzzseed"
	"certkiosk/store"
	ksync "certkiosk/sync"
)

func rosterSeeds() [][]any {
	full, _ := json.Marshal(ksync.RosterUpdate{Version: 3, Full: true, Retirees: []ksync.RosterEntry{{ID: "11010519491231002X", Name: "王秀英",
		Female: true, Birth: "1949-12-31", Category: "企业职工基本养老保险", LastCert: "2025-11-03"}}})
	delta, _ := json.Marshal(ksync.RosterUpdate{Version: 4, Retirees: []ksync.RosterEntry{{ID: "110105195003070016", Name: "李建国",
		Birth: "1950-03-07"}}, Deleted: []string{"11010519491231002X"}})
	return [][]any{{full}, {delta}, {[]byte(`{"version":0}`)}, {[]byte(`{"version":1,"retirees":[{"id":"110105491231002","name":"x","birth":"1949-12-31"}]}`)},
		{[]byte(`{"version":1,"retirees":[{"id":"11010519491231002X","name":"","birth":"x"}]}`)}, {[]byte(`null`)}}
}

// FuzzRosterUpdate decodes roster snapshots and deltas as a kiosk does and
// validates each entry; what passes is a valid retiree and round-trips.
func FuzzRosterUpdate(f *testing.F) {
	for _, s := range rosterSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u ksync.RosterUpdate
		if err := json.Unmarshal(data, &u); err != nil {
			return
		}
		for _, e := range u.Retirees {
			r, err := fromEntry(e)
			if err != nil {
				if strings.Contains(err.Error(), e.ID) && len(e.ID) >= 15 {
					t.Fatalf("error shows the number: %v", err)
				}
				continue
			}
			back := ksync.ToEntry(r)
			if r2, err := fromEntry(back); err != nil || r2.ID != r.ID || r2.Birth != r.Birth || r2.LastCert != r.LastCert {
				t.Fatalf("entry %+v does not round-trip: %+v %v", e, back, err)
			}
		}
	})
}

func TestFuzzSeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzRosterUpdate", rosterSeeds()...)
}

func TestToRecordCarriesTheSpeechCheck(t *testing.T) {
	r := ToRecord(store.OutboxRecord{Certification: certkiosk.Certification{Method: certkiosk.MethodDigits,
		SpeechCheck: certkiosk.SpeechLips, Metrics: []byte(`{}`)}})
	if r.SpeechCheck != "lips" {
		t.Fatalf("speech check %q on the wire", r.SpeechCheck)
	}
}

// The wire's photo limit is the store's: a photo the central may send is
// one the terminal may keep.
func TestPhotoLimitsAgree(t *testing.T) {
	if ksync.MaxPhotoBytes != store.MaxReferencePhotoBytes {
		t.Fatalf("wire %d, store %d", ksync.MaxPhotoBytes, store.MaxReferencePhotoBytes)
	}
	// The contact change kinds on the wire are the store's.
	for wire, kept := range map[string]string{ksync.ContactConfirmed: store.ContactConfirmed,
		ksync.ContactCorrected: store.ContactCorrected, ksync.ContactRelativeSet: store.ContactRelativeSet,
		ksync.ContactRelativeRemoved: store.ContactRelativeRemoved} {
		if wire != kept {
			t.Errorf("wire %q, store %q", wire, kept)
		}
	}
}

package sync

import (
	"encoding/json"
	"testing"
	"time"

	"certkiosk"
)

// What a terminal sends to POST /v1/contacts, decoded and checked as the
// central does: nothing that validates carries a malformed number, a
// relative without consent, or a relative on a contact check.

func contactSeeds() [][]any {
	good := `{"changes":[{"id":"0193a1b2-0000-7000-8000-000000000001","retiree_id":"11010519491231002X","staff_id":"A001",` +
		`"kind":"corrected","phone":"13812345678","address":"北京市东城区","at":"2026-11-27T09:00:00Z"},` +
		`{"id":"x2","retiree_id":"11010519491231002X","staff_id":"A001","kind":"relative_set",` +
		`"relative":{"name":"王芳","relation":"子女","mobile":"13900001111","consent":true},"at":"2026-11-27T09:00:00Z"}]}`
	return [][]any{{[]byte(good)}, {[]byte(`{"changes":[]}`)}, {[]byte(`{"changes":[{"kind":"relative_removed"}]}`)},
		{[]byte(`{"changes":[{"id":"a","retiree_id":"11010519491231002X","staff_id":"A","kind":"confirmed","phone":"010-62345678转12","at":"2026-11-27T09:00:00Z"}]}`)},
		{[]byte(`{"changes":null}`)}, {[]byte(`[`)}, {[]byte(``)}}
}

func FuzzContactsRequest(f *testing.F) {
	for _, s := range contactSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ContactsRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		for _, c := range req.Changes {
			if c.Validate(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)) != nil {
				continue
			}
			if c.ContentHash() != c.ContentHash() {
				t.Fatal("content hash is not stable")
			}
			if c.Phone != "" {
				if p, _, err := certkiosk.ParsePhone(c.Phone); err != nil || p != c.Phone {
					t.Fatalf("valid change with phone %q", c.Phone)
				}
			}
			switch c.Kind {
			case ContactRelativeSet:
				if c.Relative == nil || !c.Relative.Consent || len(c.Relative.Mobile) != 11 {
					t.Fatalf("valid relative_set %+v", c.Relative)
				}
			default:
				if c.Relative != nil {
					t.Fatalf("valid %s carries a relative", c.Kind)
				}
			}
		}
	})
}

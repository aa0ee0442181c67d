package certkiosk_test

import (
	"strings"
	"testing"

	"certkiosk"
)

// Phone numbers and relatives are typed at the counter and arrive from
// terminals at the central: both go through these parsers.

var phoneSeeds = [][]any{
	{"13812345678"}, {"+86 138-1234-5678"}, {"008613812345678"}, {"010-62345678"}, {"(0571)8234567"},
	{"021 6123 4567 转 801"}, {"0755-23456789#12"}, {"12345"}, {"+1 415 555 0100"}, {"０１０"}, {""}, {"0"}, {"转"},
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range phoneSeeds {
		f.Add(s[0].(string))
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, kind, err := certkiosk.ParsePhone(s)
		masked := certkiosk.MaskPhone(s)
		if err != nil {
			return
		}
		again, kind2, err := certkiosk.ParsePhone(p)
		if err != nil || again != p || kind2 != kind {
			t.Fatalf("canonical %q of %q parses to %q %s %v", p, s, again, kind2, err)
		}
		digits := strings.ReplaceAll(p, "-", "")
		if len(digits) >= 11 && strings.Contains(masked, digits) {
			t.Fatalf("mask %q shows the whole number %q", masked, p)
		}
	})
}

var relativeSeeds = [][]any{
	{"王芳", "子女", "13900001111", true}, {"", "子女", "13900001111", true}, {"王芳", "同事", "13900001111", true},
	{"王芳", "配偶", "010-62345678", true}, {"王芳", "配偶", "13900001111", false}, {"王\x00芳", "配偶", "13900001111", true},
}

func FuzzCleanRelative(f *testing.F) {
	for _, s := range relativeSeeds {
		f.Add(s[0].(string), s[1].(string), s[2].(string), s[3].(bool))
	}
	f.Fuzz(func(t *testing.T, name, relation, mobile string, consent bool) {
		r, err := certkiosk.CleanRelative(certkiosk.Relative{Name: name, Relation: relation, Mobile: mobile, Consent: consent})
		if err != nil {
			return
		}
		if !r.Consent || len(r.Mobile) != 11 || r.Name == "" {
			t.Fatalf("accepted %+v", r)
		}
		if again, err := certkiosk.CleanRelative(r); err != nil || again != r {
			t.Fatalf("clean form %+v does not clean to itself: %+v %v", r, again, err)
		}
	})
}

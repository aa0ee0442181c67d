package certkiosk

import "testing"

func TestParsePhone(t *testing.T) {
	good := []struct {
		in, want string
		kind     PhoneKind
	}{
		{"13812345678", "13812345678", PhoneMobile},
		{"138 1234 5678", "13812345678", PhoneMobile},
		{"+86 138-1234-5678", "13812345678", PhoneMobile},
		{"008619912345678", "19912345678", PhoneMobile},
		{"010-62345678", "010-62345678", PhoneLandline},
		{"(0571)8234567", "0571-8234567", PhoneLandline},
		{"021 6123 4567 转 801", "021-61234567转801", PhoneLandline},
		{"0755-23456789", "0755-23456789", PhoneLandline},
	}
	for _, g := range good {
		got, kind, err := ParsePhone(g.in)
		if err != nil || got != g.want || kind != g.kind {
			t.Errorf("ParsePhone(%q) = %q, %s, %v; want %q, %s", g.in, got, kind, err, g.want, g.kind)
		}
	}
	for _, b := range []string{"", "1", "0", "12812345678", "1381234567", "138123456789", "+1 415 555 0100",
		"010-6234567890", "010-0234567", "0010-62345678", "abc", "138-1234-567a", "13812345678转1", "0571-123"} {
		if got, _, err := ParsePhone(b); err == nil {
			t.Errorf("ParsePhone(%q) = %q, want an error", b, got)
		} else if ErrorMessageOf(err) == "" {
			t.Errorf("ParsePhone(%q): no Chinese message", b)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "138****5678", "+86 13812345678": "138****5678",
		"010-62345678": "010-****5678", "0571-8234567": "0571-***4567",
		"": "", "12": "**", "98765432": "******32",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanRelative(t *testing.T) {
	r, err := CleanRelative(Relative{Name: " 张伟 ", Relation: "子女", Mobile: "139-0000-1111", Consent: true})
	if err != nil || r.Name != "张伟" || r.Mobile != "13900001111" {
		t.Fatalf("CleanRelative = %+v, %v", r, err)
	}
	for _, bad := range []Relative{
		{Name: "张伟", Relation: "子女", Mobile: "13900001111"},                 // no consent
		{Name: "", Relation: "子女", Mobile: "13900001111", Consent: true},    // no name
		{Name: "张伟", Relation: "同事", Mobile: "13900001111", Consent: true},  // unknown relation
		{Name: "张伟", Relation: "子女", Mobile: "010-62345678", Consent: true}, // landline
		{Name: "张伟2", Relation: "子女", Mobile: "13900001111", Consent: true}, // digits in name
	} {
		if _, err := CleanRelative(bad); err == nil {
			t.Errorf("CleanRelative(%+v) accepted", bad)
		}
	}
}

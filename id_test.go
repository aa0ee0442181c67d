package certkiosk

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Check characters in these fixtures were computed independently (Python),
// and the first two are the worked examples of GB 11643-1999.
func TestParseResidentID(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want ResidentID
		part IDPart // "" when valid
	}{
		{"standard example with X", "11010519491231002X", "11010519491231002X", ""},
		{"lower-case x is upper-cased", "11010519491231002x", "11010519491231002X", ""},
		{"spaces trimmed", "  11010519491231002X ", "11010519491231002X", ""},
		{"standard example born 1880", "440524188001010014", "", IDPartBirth},
		{"leap day birth", "110102196002290058", "110102196002290058", ""},
		{"Hong Kong residence permit", "810000195003120125", "810000195003120125", ""},
		{"Macau residence permit", "820000194511050036", "820000194511050036", ""},
		{"Taiwan residence permit", "830000194002290041", "830000194002290041", ""},
		{"foreign permanent resident (2023)", "931156195210100018", "931156195210100018", ""},
		{"empty", "", "", IDPartLength},
		{"17 digits", "11010519491231002", "", IDPartLength},
		{"19 characters", "11010519491231002XX", "", IDPartLength},
		{"letter inside", "1101051949123100AX", "", IDPartChars},
		{"X not last", "X10105194912310020", "", IDPartChars},
		{"full-width digits", "１１０１０５１９４９１２３１００２Ｘ", "", IDPartLength},
		{"unknown province 99", "990105194912310025", "", IDPartRegion},
		{"province 00", "000105194912310025", "", IDPartRegion},
		{"HK code with county", "810100195003120125", "", IDPartRegion},
		{"permanent resident, bad province", "901156195210100018", "", IDPartRegion},
		{"permanent resident, no nationality", "931000195210100018", "", IDPartRegion},
		{"month 13", "110105194913310025", "", IDPartBirth},
		{"30 February", "110105194902300025", "", IDPartBirth},
		{"29 February, not leap", "110102196102290058", "", IDPartBirth},
		{"born in the future", "110105202712310025", "", IDPartBirth},
		{"born before 1890", "110105188912310025", "", IDPartBirth},
		{"wrong check digit", "110105194912310021", "", IDPartChecksum},
		{"one digit mistyped", "110105194912310120", "", IDPartChecksum},
		{"two digits swapped", "110150194912310020", "", IDPartChecksum},
		{"15-digit legacy", "110105491231002", "", IDPartLegacy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResidentID(tt.in, now)
			if tt.part == "" {
				if err != nil {
					t.Fatalf("parse %q: %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("parse %q = %q, want %q", tt.in, got, tt.want)
				}
				return
			}
			var ie *IDError
			if !errors.As(err, &ie) {
				t.Fatalf("parse %q: err = %v, want *IDError", tt.in, err)
			}
			if ie.Part != tt.part {
				t.Fatalf("parse %q: part = %s, want %s (%v)", tt.in, ie.Part, tt.part, err)
			}
			if ie.Message == "" || ErrorCodeOf(err) != EINVALID {
				t.Fatalf("parse %q: want a Chinese message and code invalid, got %q %q", tt.in, ie.Message, ErrorCodeOf(err))
			}
			if strings.Contains(err.Error(), tt.in) && len(tt.in) >= 15 {
				t.Fatalf("error text leaks the number: %v", err)
			}
		})
	}
}

func TestLegacyNumberSuggestsConversion(t *testing.T) {
	_, err := ParseResidentID("110105491231002")
	var ie *IDError
	if !errors.As(err, &ie) || ie.Part != IDPartLegacy {
		t.Fatalf("err = %v, want legacy error", err)
	}
	if ie.Suggest != "11010519491231002X" {
		t.Fatalf("suggest = %q, want 11010519491231002X", ie.Suggest)
	}
	if !strings.Contains(ie.Message, "18位") {
		t.Fatalf("message %q should ask for the 18-digit number", ie.Message)
	}
	// F12: the converted number is masked like every other ID.
	if strings.Contains(ie.Message, "11010519491231002X") || !strings.Contains(ie.Message, Mask("11010519491231002X")) {
		t.Fatalf("message %q must show the converted number masked", ie.Message)
	}
	if strings.Contains(err.Error(), "1231") {
		t.Fatalf("error detail %q shows the number", err.Error())
	}
}

func TestResidentIDFields(t *testing.T) {
	id := ResidentID("11010519491231002X")
	if got := id.BirthDate(); got != (Date{1949, 12, 31}) {
		t.Errorf("birth = %v", got)
	}
	if !id.Female() { // sequence 002: even
		t.Errorf("002 should be female")
	}
	if ResidentID("440524188001010014").Female() { // 001: odd (format only; born 1880)
		t.Errorf("001 should be male")
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "110105********002X"},
		{"110105491231002", "110105*****1002"},
		{"1101051949", "110*****49"},
		{"11010", "****0"},
		{"110", "***"},
		{"", ""},
		{" 11010519491231002X ", "110105********002X"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Mask(tt.in); len(tt.in) >= 4 && strings.TrimSpace(tt.in) == got {
			t.Errorf("Mask(%q) returned the input unmasked", tt.in)
		}
	}
	if got := ResidentID("11010519491231002X").Masked(); got != "110105********002X" {
		t.Errorf("Masked = %q", got)
	}
}

func TestCompleteResidentID(t *testing.T) {
	for first17, want := range map[string]ResidentID{
		"11010519491231002": "11010519491231002X",
		"31010419550731123": "310104195507311235",
		"93115619521010001": "931156195210100018",
	} {
		got, err := CompleteResidentID(first17)
		if err != nil || got != want {
			t.Errorf("CompleteResidentID(%s) = %q, %v; want %q", first17, got, err, want)
		}
	}
	for _, bad := range []string{"1101051949123100", "1101051949123100A", "99010519491231002", "11010519491331002"} {
		if _, err := CompleteResidentID(bad); err == nil {
			t.Errorf("CompleteResidentID(%s) accepted", bad)
		}
	}
}

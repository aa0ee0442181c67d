package certkiosk

import (
	"strings"
	"unicode/utf8"
)

// Phone numbers on a retiree's record are mainland China numbers, the ones a
// social-insurance office can call: an 11-digit mobile (1[3-9]…), or a
// landline with its area code (010-12345678, 0571-1234567), optionally with
// an extension. They are stored in one canonical form: a mobile as 11
// digits, a landline as AREA-NUMBER[转EXT].

// PhoneKind says what a phone number is.
type PhoneKind string

// Phone kinds.
const (
	PhoneMobile   PhoneKind = "mobile"
	PhoneLandline PhoneKind = "landline"
)

// MaxAddressRunes bounds an address typed at the counter.
const MaxAddressRunes = 200

// ParsePhone accepts a mainland mobile or landline number as people write it
// (spaces, dashes, brackets around the area code, a +86 / 0086 prefix) and
// returns it in canonical form.
func ParsePhone(s string) (string, PhoneKind, error) {
	bad := Errorf(EINVALID, "电话号码格式不对：手机号为 11 位（如 13812345678），固定电话请带区号（如 010-12345678）",
		"phone number is neither a mainland mobile nor a landline with area code")
	t := strings.TrimSpace(s)
	if t == "" {
		return "", "", Errorf(EINVALID, "请填写电话号码", "empty phone number")
	}
	if len(t) > 40 {
		return "", "", bad
	}
	// Split off an extension: 转, ext, x, #.
	ext := ""
	for _, sep := range []string{"转", "ext", "EXT", "x", "X", "#"} {
		if i := strings.Index(t, sep); i > 0 {
			ext = digitsOnly(t[i+len(sep):])
			if ext == "" || len(ext) > 6 || !allDigitsOrSep(t[i+len(sep):]) {
				return "", "", bad
			}
			t = t[:i]
			break
		}
	}
	if !allDigitsOrSep(strings.TrimPrefix(t, "+")) {
		return "", "", bad
	}
	d := digitsOnly(t)
	switch {
	case strings.HasPrefix(t, "+86"):
		d = d[2:]
	case strings.HasPrefix(d, "0086"):
		d = d[4:]
	case strings.HasPrefix(t, "+"):
		return "", "", bad // a foreign number
	case len(d) == 13 && strings.HasPrefix(d, "861"):
		d = d[2:]
	}
	if ext == "" && len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' {
		return d, PhoneMobile, nil
	}
	if len(d) < 2 || d[0] != '0' || d[1] == '0' {
		return "", "", bad
	}
	// Area codes: 010 and 02X are three digits, all others four.
	area := 4
	if strings.HasPrefix(d, "010") || strings.HasPrefix(d, "02") {
		area = 3
	}
	local := d[min(area, len(d)):]
	if len(d) <= area || len(local) < 7 || len(local) > 8 || local[0] == '0' || local[0] == '1' {
		return "", "", bad
	}
	out := d[:area] + "-" + local
	if ext != "" {
		out += "转" + ext
	}
	return out, PhoneLandline, nil
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func allDigitsOrSep(s string) bool {
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r == ' ', r == '-', r == '(', r == ')', r == '（', r == '）':
		default:
			return false
		}
	}
	return true
}

// MaskPhone hides the middle of a phone number on screens: a mobile keeps
// its first three and last four digits (138****5678), a landline its area
// code and last four (010-****5678). Anything else keeps at most its last
// two characters.
func MaskPhone(p string) string {
	if p == "" {
		return ""
	}
	if c, kind, err := ParsePhone(p); err == nil {
		switch kind {
		case PhoneMobile:
			return c[:3] + "****" + c[7:]
		case PhoneLandline:
			c, _, _ = strings.Cut(c, "转")
			area, local, _ := strings.Cut(c, "-")
			return area + "-" + strings.Repeat("*", len(local)-4) + local[len(local)-4:]
		}
	}
	r := []rune(p)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-2) + string(r[len(r)-2:])
}

// CleanAddress trims an address typed at the counter and checks its length.
func CleanAddress(s string) (string, error) {
	a := strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(a) > MaxAddressRunes {
		return "", Errorf(EINVALID, "住址太长（最多 200 字）", "address has more than %d characters", MaxAddressRunes)
	}
	if !utf8.ValidString(a) || strings.ContainsFunc(a, func(r rune) bool { return r < ' ' }) {
		return "", Errorf(EINVALID, "住址含有无效字符", "address has control characters")
	}
	return a, nil
}

// Relations a relative (亲情联系人) may have to the retiree.
var Relations = []string{"配偶", "子女", "孙子女", "兄弟姐妹", "其他亲属", "邻居或朋友"}

// Relative is a relative's contact (亲情联系人), recorded with the retiree's
// consent so the office can remind them when the retiree is due. It is
// printed on nothing.
type Relative struct {
	Name     string
	Relation string // one of Relations
	Mobile   string // canonical 11-digit mobile
	Consent  bool   // the retiree agreed, asked at the counter
}

// CleanRelative checks a relative's contact as staff typed it and returns
// it in canonical form. The retiree's consent is required.
func CleanRelative(r Relative) (Relative, error) {
	r.Name = strings.TrimSpace(r.Name)
	n := utf8.RuneCountInString(r.Name)
	if n == 0 {
		return r, Errorf(EINVALID, "请填写亲情联系人姓名", "relative has no name")
	}
	if n > 30 || strings.ContainsFunc(r.Name, func(c rune) bool { return c < ' ' || c >= '0' && c <= '9' }) {
		return r, Errorf(EINVALID, "亲情联系人姓名格式不对", "relative name is too long or has digits or control characters")
	}
	known := false
	for _, x := range Relations {
		known = known || x == r.Relation
	}
	if !known {
		return r, Errorf(EINVALID, "请选择与本人的关系", "unknown relation %q", r.Relation)
	}
	m, kind, err := ParsePhone(r.Mobile)
	if err != nil {
		return r, err
	}
	if kind != PhoneMobile {
		return r, Errorf(EINVALID, "亲情联系人请填写手机号（11 位），以便接收提醒短信", "relative's number is a landline")
	}
	r.Mobile = m
	if !r.Consent {
		return r, Errorf(EINVALID, "须经本人同意才能登记亲情联系人", "no consent recorded")
	}
	return r, nil
}

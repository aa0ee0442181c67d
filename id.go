package certkiosk

import (
	"fmt"
	"strings"
	"time"
)

// ResidentID is a validated 18-character identity number in canonical form
// (upper-case check character). It covers mainland resident identity cards
// (GB 11643-1999), Hong Kong / Macau / Taiwan residence permits (leading
// 810000, 820000, 830000) and the 2023 foreign permanent resident ID card
// (leading 9), all of which share the layout "6-character area, 8-digit birth
// date, 3-digit sequence, ISO 7064 MOD 11-2 check character".
//
// Never print a ResidentID in a log or on a screen that does not need it:
// use Mask.
type ResidentID string

// IDPart names the part of an identity number that failed validation, so a
// screen can say exactly what is wrong.
type IDPart string

// Parts of an identity number, as reported by IDError.
const (
	IDPartLength   IDPart = "length"
	IDPartChars    IDPart = "characters"
	IDPartRegion   IDPart = "region"
	IDPartBirth    IDPart = "birth_date"
	IDPartChecksum IDPart = "checksum"
	IDPartLegacy   IDPart = "legacy_15"
)

// IDError explains why an identity number was refused. Message is a short
// Simplified Chinese sentence for staff; Error() gives the English detail.
type IDError struct {
	Part    IDPart
	Detail  string // English, for logs; never contains the full number
	Message string // Chinese, for screens
	// Suggest is set for a legacy 15-digit number: the 18-digit number it
	// converts to, for staff to compare with the retiree's current card.
	// Message shows it masked; never print it whole.
	Suggest ResidentID
}

func (e *IDError) Error() string {
	return fmt.Sprintf("invalid identity number (%s): %s", e.Part, e.Detail)
}

// ErrorCode makes an IDError an invalid-input error for ErrorCodeOf.
func (e *IDError) ErrorCode() string { return EINVALID }

// ErrorMessage gives the Chinese sentence for screens.
func (e *IDError) ErrorMessage() string { return e.Message }

// provinces lists the two-digit province-level codes of GB/T 2260 that are
// where mainland cards and permanent residence cards are issued. Hong Kong,
// Macau and Taiwan appear only as the whole codes 810000/820000/830000 of
// residence permits. Only the province is checked: cards stay valid after their county code is
// abolished, so a full county list would refuse real people.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
}

// ISO 7064 MOD 11-2 weights (2^(17-i) mod 11) and check characters.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idChecks  = "10X98765432"
)

// earliestBirth bounds birth dates from below: nobody alive was born before.
var earliestBirth = time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseResidentID validates s and returns it in canonical form. Spaces
// around the number are ignored and a lower-case "x" is accepted.
//
// A 15-digit legacy number (first-generation cards, invalid since 2013) is
// refused: it is not what the roster holds, and a silent conversion could
// hide a typing error. The error carries the 18-digit number it converts to
// so staff can check it against the retiree's current card.
func ParseResidentID(s string) (ResidentID, error) {
	return parseResidentID(s, time.Now())
}

func parseResidentID(s string, now time.Time) (ResidentID, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) == 15 && allDigits(s) {
		e := &IDError{Part: IDPartLegacy,
			Detail:  "15-digit legacy number; ask for the 18-digit number",
			Message: "这是15位旧身份证号，已停止使用，请输入18位号码"}
		if conv, err := convertLegacy(s, now); err == nil {
			e.Suggest = conv
			e.Message += "（对应的18位号码可能是 " + conv.Masked() + "，请与证件核对）" // masked like every ID shown
		}
		return "", e
	}
	if len(s) != 18 {
		return "", &IDError{Part: IDPartLength,
			Detail:  fmt.Sprintf("has %d characters, want 18", len([]rune(s))),
			Message: fmt.Sprintf("身份证号应为18位，现在是%d位", len([]rune(s)))}
	}
	if !allDigits(s[:17]) || !(isDigit(s[17]) || s[17] == 'X') {
		return "", &IDError{Part: IDPartChars,
			Detail:  "only digits, and X as the last character, are allowed",
			Message: "身份证号只能是数字，最后一位可以是X"}
	}
	if err := checkRegion(s[:6]); err != nil {
		return "", err
	}
	if err := checkBirth(s[6:14], now); err != nil {
		return "", err
	}
	if want := idCheckChar(s[:17]); s[17] != want {
		return "", &IDError{Part: IDPartChecksum,
			Detail:  "check character does not match",
			Message: "身份证号校验位不对，请核对每一位数字"}
	}
	return ResidentID(s), nil
}

// checkRegion accepts a mainland area code (valid province), a HK/Macau/
// Taiwan residence permit (810000/820000/830000) or a foreign permanent
// resident number (9, a province code, a 3-digit nationality code).
func checkRegion(r string) error {
	bad := func(detail string) error {
		return &IDError{Part: IDPartRegion, Detail: detail,
			Message: "身份证号前6位（地区码）不对"}
	}
	switch {
	case r == "810000" || r == "820000" || r == "830000":
		return nil
	case r[0] == '9':
		if !provinces[r[1:3]] {
			return bad("permanent residence number with an unknown province")
		}
		if r[3:6] == "000" {
			return bad("permanent residence number without a nationality code")
		}
		return nil
	case provinces[r[:2]]:
		return nil
	default:
		return bad("unknown province code")
	}
}

func checkBirth(d string, now time.Time) error {
	t, err := time.Parse("20060102", d)
	if err != nil || t.Format("20060102") != d {
		return &IDError{Part: IDPartBirth, Detail: "birth date is not a calendar date",
			Message: "身份证号中的出生日期（第7到14位）不是有效日期"}
	}
	if t.Before(earliestBirth) || t.After(now) {
		return &IDError{Part: IDPartBirth, Detail: "birth date out of range",
			Message: "身份证号中的出生日期（第7到14位）不在合理范围内"}
	}
	return nil
}

func convertLegacy(s string, now time.Time) (ResidentID, error) {
	return completeResidentID(s[:6]+"19"+s[6:15], now)
}

// CompleteResidentID appends the check character to 17 digits and validates
// the result: for synthetic demo and test rosters, never for user input.
func CompleteResidentID(first17 string) (ResidentID, error) {
	return completeResidentID(first17, time.Now())
}

func completeResidentID(first17 string, now time.Time) (ResidentID, error) {
	if len(first17) != 17 || !allDigits(first17) {
		return "", &IDError{Part: IDPartLength, Detail: "want 17 digits to complete",
			Message: "需要17位数字"}
	}
	return parseResidentID(first17+string(idCheckChar(first17)), now)
}

// idCheckChar computes the ISO 7064 MOD 11-2 check character of 17 digits.
func idCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idChecks[sum%11]
}

// BirthDate returns the birth date encoded in the number.
func (id ResidentID) BirthDate() Date {
	d, _ := ParseDate(string(id)[6:10] + "-" + string(id)[10:12] + "-" + string(id)[12:14])
	return d
}

// Female reports whether the sequence code is even (GB 11643: odd for men).
func (id ResidentID) Female() bool { return (id[16]-'0')%2 == 0 }

// Masked returns the number as Mask shows it.
func (id ResidentID) Masked() string { return Mask(string(id)) }

// Mask hides the middle of an identity number for screens and logs, keeping
// the area code and the last four characters: 110105********123X. It is the
// one masking function of certkiosk; anything that is not a well-formed
// number (a half-typed search, a wrong length) is masked more heavily, so no
// input ever appears whole.
func Mask(s string) string {
	r := []rune(strings.TrimSpace(s))
	n := len(r)
	keepHead, keepTail := 0, 0
	switch {
	case n >= 15:
		keepHead, keepTail = 6, 4
	case n >= 8:
		keepHead, keepTail = 3, 2
	case n >= 4:
		keepTail = 1
	}
	out := make([]rune, n)
	for i := range r {
		if i < keepHead || i >= n-keepTail {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

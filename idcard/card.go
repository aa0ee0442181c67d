package idcard

import (
	"fmt"
	"image"
	"strings"
	"time"
	"unicode/utf16"

	"certkiosk"
)

// TextLen and PhotoLen are the sizes of a card's text and WLT photo in a
// read answer.
const (
	TextLen  = 256
	PhotoLen = 1024
)

// LongTerm is what a card's validity end says for a card valid for life.
const LongTerm = "长期"

// CardText is the card's text as stored: UCS-2 little-endian fields,
// space-padded, in this order and of these sizes in characters (bytes / 2):
// name 15, sex code 1, nationality code 2, birth date 8 (YYYYMMDD), address
// 35, identity number 18, issuing authority 15, valid from 8, valid to 8
// (a date or 长期), reserved 18. On a residence permit for Hong Kong, Macau
// and Taiwan residents the nationality is blank and the reserved part holds
// the pass number, the issue count and the card type "J" (character 124).
type CardText struct {
	Name, Sex, Nation, Birth, Address, ID, Authority, ValidFrom, ValidTo, Reserved string
}

// textFields gives each field's size in UTF-16 code units.
var textFields = [...]int{15, 1, 2, 8, 35, 18, 15, 8, 8, 18}

func (t *CardText) fields() [10]*string {
	return [10]*string{&t.Name, &t.Sex, &t.Nation, &t.Birth, &t.Address, &t.ID, &t.Authority, &t.ValidFrom, &t.ValidTo, &t.Reserved}
}

// cardTypeAt is the character index of the card type in the text.
const cardTypeAt = 124

// Encode lays the text out as a card stores it (256 bytes). A field longer
// than its place, or a character outside UCS-2, is an error.
func (t CardText) Encode() ([]byte, error) {
	out := make([]byte, 0, TextLen)
	for i, f := range t.fields() {
		u := utf16.Encode([]rune(*f))
		if len(u) > textFields[i] {
			return nil, fmt.Errorf("card text field %d: %d characters, room for %d", i, len(u), textFields[i])
		}
		for _, c := range u {
			if utf16.IsSurrogate(rune(c)) {
				return nil, fmt.Errorf("card text field %d: a character outside UCS-2", i)
			}
		}
		for len(u) < textFields[i] {
			u = append(u, ' ')
		}
		for _, c := range u {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out, nil
}

// DecodeText splits a card's text into its fields, trimming the padding.
// A shorter text is read as if padded with spaces; bytes past 256 are
// ignored.
func DecodeText(b []byte) CardText {
	u := make([]uint16, TextLen/2)
	for i := range u {
		if 2*i+1 < len(b) {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = ' '
		}
	}
	var t CardText
	at := 0
	for i, f := range t.fields() {
		*f = strings.TrimRight(string(utf16.Decode(u[at:at+textFields[i]])), " \x00\u3000")
		*f = strings.TrimLeft(*f, " \u3000")
		at += textFields[i]
	}
	return t
}

// cardType returns the card type character of a text ("" for a resident
// identity card, "J" for a residence permit, "I" for a foreigner's
// permanent residence card).
func cardType(b []byte) string {
	if len(b) < 2*cardTypeAt+2 {
		return ""
	}
	c := rune(uint16(b[2*cardTypeAt]) | uint16(b[2*cardTypeAt+1])<<8)
	if c == 'I' || c == 'J' {
		return string(c)
	}
	return ""
}

// Card is a card as read and checked.
type Card struct {
	ID        certkiosk.ResidentID
	Name      string
	Sex       string // 男 or 女
	Nation    string // GB 3304 name (汉族); "" on a residence permit
	Birth     certkiosk.Date
	Address   string
	Authority string
	ValidFrom certkiosk.Date
	ValidTo   certkiosk.Date // zero when LongTerm
	LongTerm  bool           // valid for life (长期)
	Permit    bool           // a residence permit for Hong Kong, Macau or Taiwan residents
	Photo     []byte         // the WLT photo as read (encrypted); nil when none
	// Portrait is the photo decoded by the supervisor's decoder
	// (DecoderConfig.DecodePhoto); nil without one.
	Portrait image.Image
}

// PhotoState says what the card's photo is: PhotoNone, PhotoWLT or
// PhotoDecoded.
func (c Card) PhotoState() string {
	switch {
	case c.Portrait != nil:
		return PhotoDecoded
	case len(c.Photo) > 0:
		return PhotoWLT
	}
	return PhotoNone
}

// String describes the card for logs, with the number masked.
func (c Card) String() string {
	return fmt.Sprintf("card %s valid to %s", c.ID.Masked(), c.ValidToText())
}

// GoString masks the number for %#v too.
func (c Card) GoString() string { return c.String() }

// ValidToText returns the end of validity as the card says it: a date
// (YYYY-MM-DD) or 长期.
func (c Card) ValidToText() string {
	if c.LongTerm {
		return LongTerm
	}
	return c.ValidTo.String()
}

// Expired reports whether the card's validity ended before today. A card
// is valid on its last day.
func (c *Card) Expired(today certkiosk.Date) bool {
	return !c.LongTerm && today.After(c.ValidTo)
}

// ExpiredAt is Expired on the day of now in China's time zone.
func (c *Card) ExpiredAt(now time.Time) bool {
	return c.Expired(certkiosk.DateOf(now.In(certkiosk.China)))
}

// ParseCard checks a card's text and keeps its photo. Any field that is not
// what a valid card holds, an identity number that fails its check
// character included, is a bad_card *Error.
func ParseCard(text, photo []byte) (*Card, error) {
	bad := func(format string, args ...any) error {
		return newError(CodeBadCard, msgBadCard, nil, format, args...)
	}
	if typ := cardType(text); typ == "I" {
		return nil, newError(CodeBadCard, "暂不支持外国人永久居留身份证，请手工输入证件号码", nil, "foreigner's permanent residence card")
	}
	t := DecodeText(text)
	id, err := certkiosk.ParseResidentID(t.ID)
	if err != nil {
		msg := "身份证号码无效（" + certkiosk.ErrorMessageOf(err) + "），请人工核对证件"
		return nil, newError(CodeBadCard, msg, err, "identity number on the card")
	}
	c := &Card{ID: id, Name: t.Name, Address: t.Address, Authority: t.Authority, Permit: cardType(text) == "J"}
	if c.Name == "" {
		return nil, bad("card %s has no name", id.Masked())
	}
	var ok bool
	if c.Sex, ok = sexes[t.Sex]; !ok && (t.Sex == "男" || t.Sex == "女") {
		c.Sex, ok = t.Sex, true
	}
	if !ok {
		return nil, bad("card %s: sex code %q", id.Masked(), t.Sex)
	}
	if c.Nation, ok = NationName(t.Nation); !ok && !(c.Permit && t.Nation == "") {
		return nil, bad("card %s: nationality code %q", id.Masked(), t.Nation)
	}
	if c.Birth, err = cardDate(t.Birth); err != nil {
		return nil, newError(CodeBadCard, msgBadCard, err, "card %s: birth date", id.Masked())
	}
	if c.ValidFrom, err = cardDate(t.ValidFrom); err != nil {
		return nil, newError(CodeBadCard, msgBadCard, err, "card %s: valid from", id.Masked())
	}
	if t.ValidTo == LongTerm {
		c.LongTerm = true
	} else if c.ValidTo, err = cardDate(t.ValidTo); err != nil {
		return nil, newError(CodeBadCard, msgBadCard, err, "card %s: valid to", id.Masked())
	}
	if len(photo) > 0 {
		c.Photo = append([]byte(nil), photo...)
	}
	return c, nil
}

// cardDate reads a card's YYYYMMDD date.
func cardDate(s string) (certkiosk.Date, error) {
	t, err := time.Parse("20060102", s)
	if err != nil || t.Format("20060102") != s {
		return certkiosk.Date{}, fmt.Errorf("date %q is not YYYYMMDD", s)
	}
	return certkiosk.DateOf(t), nil
}

// Text returns the card's text as the card stores it (the inverse of
// ParseCard), for simulators.
func (c *Card) Text() CardText {
	t := CardText{Name: c.Name, Address: c.Address, ID: string(c.ID), Authority: c.Authority,
		Birth: compactDate(c.Birth), ValidFrom: compactDate(c.ValidFrom), ValidTo: compactDate(c.ValidTo)}
	for code, s := range sexes {
		if s == c.Sex {
			t.Sex = code
		}
	}
	if code, ok := NationCode(c.Nation); ok {
		t.Nation = code
	}
	if c.LongTerm {
		t.ValidTo = LongTerm
	}
	if c.Permit {
		r := []rune(strings.Repeat(" ", textFields[9]))
		r[cardTypeAt-(TextLen/2-textFields[9])] = 'J'
		t.Reserved = string(r)
	}
	return t
}

func compactDate(d certkiosk.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day)
}

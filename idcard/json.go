package idcard

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"certkiosk"
)

// CardJSON is a card as `kioskctl idcard read --json` prints it; dates are
// YYYY-MM-DD and valid_to may be 长期. Simulator card files use the same
// keys (SimCard).
type CardJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Sex       string `json:"sex"`    // 男 or 女
	Nation    string `json:"nation"` // GB 3304 name, 汉族
	Birth     string `json:"birth"`
	Address   string `json:"address"`
	Authority string `json:"authority"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
	Expired   bool   `json:"expired"`
	Photo     string `json:"photo"` // none, wlt or decoded
}

// JSON returns the card for printing, expired as of now (China's date).
// It holds the full identity number: print it only where the number is the
// point, never in a log.
func (c *Card) JSON(now time.Time) CardJSON {
	return CardJSON{ID: string(c.ID), Name: c.Name, Sex: c.Sex, Nation: c.Nation, Birth: c.Birth.String(),
		Address: c.Address, Authority: c.Authority, ValidFrom: c.ValidFrom.String(), ValidTo: c.ValidToText(),
		Expired: c.ExpiredAt(now), Photo: c.PhotoState()}
}

// SimCard is a simulator's card file: CardJSON's keys (expired is ignored;
// photo "none" puts no photo on the card), where sex and nation may also be
// codes and dates may be YYYYMMDD, plus an optional WLT photo in base64.
// Nothing is validated, so a file can hold a card with a wrong check
// character or an expired one.
type SimCard struct {
	CardJSON
	PhotoWLT []byte `json:"photo_wlt,omitempty"`
}

// LoadSimCard reads a simulator card file.
func LoadSimCard(path string) (SimCard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return SimCard{}, fmt.Errorf("idcard: card file: %w", err)
	}
	var s SimCard
	if err := json.Unmarshal(b, &s); err != nil {
		return SimCard{}, fmt.Errorf("idcard: card file %s: %w", path, err)
	}
	return s, nil
}

// Text returns the card's text and WLT photo as the simulator stores them.
// Without photo_wlt (and photo not "none") the photo is 1024 bytes made
// from the number, standing in for a real encrypted photo.
func (s SimCard) Text() (CardText, []byte) {
	t := CardText{Name: s.Name, ID: s.ID, Address: s.Address, Authority: s.Authority,
		Sex: s.Sex, Nation: s.Nation,
		Birth: compactText(s.Birth), ValidFrom: compactText(s.ValidFrom), ValidTo: compactText(s.ValidTo)}
	for code, name := range sexes {
		if name == s.Sex {
			t.Sex = code
		}
	}
	if code, ok := NationCode(s.Nation); ok {
		t.Nation = code
	}
	switch {
	case s.Photo == PhotoNone:
		return t, nil
	case len(s.PhotoWLT) > 0:
		return t, s.PhotoWLT
	}
	return t, stubWLT(s.ID)
}

// compactText turns YYYY-MM-DD into the card's YYYYMMDD; anything else
// (长期, a date already compact) is kept.
func compactText(s string) string {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		return s[:4] + s[5:7] + s[8:]
	}
	return s
}

// stubWLT makes 1024 bytes that stand in for a card's encrypted photo: the
// WLT magic and bytes derived from seed.
func stubWLT(seed string) []byte {
	out := []byte("WLf")
	h := sha256.Sum256([]byte(seed))
	for len(out) < PhotoLen {
		h = sha256.Sum256(h[:])
		out = append(out, h[:]...)
	}
	return out[:PhotoLen]
}

// DemoCard makes the identity card of a demo roster retiree
// (store.DemoRoster), for the kiosk's demo mode: valid for life (people
// over 46 get such cards), issued on a day derived from the number.
func DemoCard(r certkiosk.Retiree) *Card {
	id := string(r.ID)
	n := 0
	for _, ch := range id[14:17] {
		n = n*10 + int(ch-'0')
	}
	from := r.Birth.AddMonths(12 * 47)
	from.Day = 1 + n%28
	sex := "男"
	if r.Female {
		sex = "女"
	}
	addr := []rune(strings.TrimSpace(r.Address))
	if len(addr) > textFields[4] {
		addr = addr[:textFields[4]]
	}
	name := []rune(r.Name)
	if len(name) > textFields[0] {
		name = name[:textFields[0]]
	}
	return &Card{ID: r.ID, Name: string(name), Sex: sex, Nation: "汉族", Birth: r.Birth,
		Address: string(addr), Authority: "示例市公安局示例分局", ValidFrom: from, LongTerm: true,
		Photo: stubWLT(id)}
}

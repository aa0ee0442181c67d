package idcard

import (
	"testing"
)

func cardSeeds(t testing.TB) [][]any {
	c := goldenCard(t)
	good, _ := c.Text().Encode()
	c.LongTerm, c.ValidTo = false, c.ValidFrom.AddMonths(240)
	dated, _ := c.Text().Encode()
	bad := c.Text()
	bad.ID = "110105194912310021"
	badID, _ := bad.Encode()
	c.Permit, c.Nation = true, ""
	permit, _ := c.Text().Encode()
	return [][]any{{good}, {dated}, {badID}, {permit}, {good[:100]}, {[]byte{}}}
}

// FuzzParseCard reads arbitrary card text: never a panic, only bad_card
// refusals, and a card it accepts lays out and reads back the same.
func FuzzParseCard(f *testing.F) {
	for _, s := range cardSeeds(f) {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseCard(text, nil)
		if err != nil {
			if CodeOf(err) != CodeBadCard {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		b, err := c.Text().Encode()
		if err != nil {
			return // a character outside UCS-2 that a real card cannot hold
		}
		back, err := ParseCard(b, nil)
		if err != nil || back.JSON(now2026) != c.JSON(now2026) {
			t.Fatalf("read back %+v, %v\nwant %+v", back, err, c.JSON(now2026))
		}
	})
}

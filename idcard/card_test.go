package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"

	"certkiosk"
)

// now2026 pins the clock: expiry is decided on this day (China's date).
var now2026 = time.Date(2026, 12, 7, 9, 0, 0, 0, certkiosk.China)

func goldenCard(t testing.TB) *Card {
	t.Helper()
	id, err := certkiosk.ParseResidentID("11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	return &Card{ID: id, Name: "王美娜", Sex: "女", Nation: "汉族", Birth: certkiosk.Date{Year: 1949, Month: 12, Day: 31},
		Address: "北京市朝阳区幸福路1号院2号楼3单元401室", Authority: "北京市公安局朝阳分局",
		ValidFrom: certkiosk.Date{Year: 2016, Month: 3, Day: 1}, LongTerm: true, Photo: stubWLT("golden")}
}

func TestNations(t *testing.T) {
	if len(nations) != 58 {
		t.Fatalf("%d nationalities, want 56 and 2 others", len(nations))
	}
	for code, want := range map[string]string{"01": "汉族", "1": "汉族", "05": "维吾尔族", "29": "柯尔克孜族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士"} {
		if got, ok := NationName(code); !ok || got != want {
			t.Errorf("NationName(%q) = %q, %v", code, got, ok)
		}
	}
	if _, ok := NationName("57"); ok {
		t.Error("57 is not a GB 3304 code")
	}
	if c, ok := NationCode("蒙古"); !ok || c != "02" {
		t.Errorf("NationCode(蒙古) = %q %v", c, ok)
	}
}

func TestCardRoundTripAndExpiry(t *testing.T) {
	c := goldenCard(t)
	c.LongTerm, c.ValidTo = false, certkiosk.Date{Year: 2026, Month: 12, Day: 7}
	text, err := c.Text().Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCard(text, c.Photo)
	if err != nil {
		t.Fatal(err)
	}
	j := back.JSON(now2026)
	want := CardJSON{ID: "11010519491231002X", Name: "王美娜", Sex: "女", Nation: "汉族", Birth: "1949-12-31",
		Address: "北京市朝阳区幸福路1号院2号楼3单元401室", Authority: "北京市公安局朝阳分局",
		ValidFrom: "2016-03-01", ValidTo: "2026-12-07", Expired: false, Photo: "wlt"}
	if j != want {
		t.Fatalf("got  %+v\nwant %+v", j, want)
	}
	if !back.ExpiredAt(now2026.Add(24 * time.Hour)) {
		t.Error("not expired the day after its last day")
	}
	// 23:30 UTC on the 7th is the 8th in China.
	if !back.ExpiredAt(time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC)) {
		t.Error("expiry not counted in China's time zone")
	}
	if s := back.String(); strings.Contains(s, string(back.ID)) || !strings.Contains(s, back.ID.Masked()) {
		t.Errorf("String() = %q", s)
	}
}

func TestParseCardRefusals(t *testing.T) {
	base := goldenCard(t).Text()
	for name, mod := range map[string]func(*CardText){
		"check digit": func(t *CardText) { t.ID = "110105194912310021" },
		"short id":    func(t *CardText) { t.ID = "1101051949" },
		"sex":         func(t *CardText) { t.Sex = "9" },
		"nation":      func(t *CardText) { t.Nation = "77" },
		"birth":       func(t *CardText) { t.Birth = "19491332" },
		"valid from":  func(t *CardText) { t.ValidFrom = "2016-3-1" },
		"valid to":    func(t *CardText) { t.ValidTo = "永久" },
		"no name":     func(t *CardText) { t.Name = "" },
		"foreigner": func(t *CardText) {
			t.Reserved = strings.Repeat(" ", 14) + "I"
		},
	} {
		ct := base
		mod(&ct)
		text, err := ct.Encode()
		if err != nil {
			t.Fatal(name, err)
		}
		_, err = ParseCard(text, nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeBadCard || e.Message == "" {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.Contains(err.Error(), "110105194912310021") || strings.Contains(e.Message, "110105194912310021") {
			t.Errorf("%s: error shows the number: %v", name, err)
		}
	}
	ct := base
	ct.ID = "110105194912310021"
	text, _ := ct.Encode()
	_, err := ParseCard(text, nil)
	if !strings.Contains(certkiosk.ErrorMessageOf(err), "校验位") {
		t.Errorf("check digit message: %q", certkiosk.ErrorMessageOf(err))
	}
}

func TestPermitAndPadding(t *testing.T) {
	c := goldenCard(t)
	c.Permit, c.Nation = true, ""
	c.ID = "810000194912310027"
	if _, err := certkiosk.ParseResidentID(string(c.ID)); err != nil {
		c.ID = mustComplete(t, "81000019491231002")
	}
	text, err := c.Text().Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCard(text, nil)
	if err != nil || !back.Permit || back.Nation != "" || back.PhotoState() != PhotoNone {
		t.Fatalf("%+v %v", back, err)
	}
	// Fields padded with NULs or full-width spaces read the same.
	ct := goldenCard(t).Text()
	ct.Name = "王美娜\u3000\u3000"
	text, _ = ct.Encode()
	if back, err := ParseCard(text, nil); err != nil || back.Name != "王美娜" {
		t.Fatalf("%v %v", back, err)
	}
	if _, err := (CardText{Name: strings.Repeat("名", 16)}).Encode(); err == nil {
		t.Error("a 16-character name fitted")
	}
	if _, err := (CardText{Name: "𠀀"}).Encode(); err == nil {
		t.Error("a character outside UCS-2 encoded")
	}
}

func mustComplete(t testing.TB, first17 string) certkiosk.ResidentID {
	t.Helper()
	id, err := certkiosk.CompleteResidentID(first17)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSimCardFiles(t *testing.T) {
	for file, want := range map[string]string{
		"valid.json":     "",
		"expired.json":   "",
		"bad_check.json": CodeBadCard,
	} {
		sc, err := LoadSimCard("testdata/cards/" + file)
		if err != nil {
			t.Fatal(err)
		}
		ct, photo := sc.Text()
		text, err := ct.Encode()
		if err != nil {
			t.Fatal(file, err)
		}
		c, err := ParseCard(text, photo)
		if CodeOf(err) != want {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if err == nil {
			j := c.JSON(now2026)
			sc.Expired, sc.Photo = j.Expired, PhotoWLT
			if j != sc.CardJSON {
				t.Errorf("%s: read back %+v\nwant %+v", file, j, sc.CardJSON)
			}
		}
	}
}

func TestDemoCard(t *testing.T) {
	r := certkiosk.Retiree{ID: mustComplete(t, "11010519491231002"), Name: "赵六", Female: true,
		Birth: certkiosk.Date{Year: 1949, Month: 12, Day: 31}, Address: "幸福路 3 号 2 单元"}
	c := DemoCard(r)
	text, err := c.Text().Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCard(text, c.Photo)
	if err != nil || back.JSON(now2026) != c.JSON(now2026) || back.Sex != "女" || back.Expired(certkiosk.DateOf(now2026)) {
		t.Fatalf("%+v %v", back.JSON(now2026), err)
	}
}

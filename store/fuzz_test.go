package store

import (
	"errors"
	"regexp"
	"testing"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/internal/fuzzseed"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func toGBK(s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func rosterSeeds() [][]any {
	good := rosterHeader + "11010519491231002X,王秀英,女,1949-12-31,企业职工基本养老保险,2025-11-03,13800000000,北京市东城区\n" +
		"110105195003070016,李建国,男,1950年3月7日,,,,\n"
	return [][]any{
		{[]byte(good), "auto"},
		{toGBK(good), "auto"},
		{toGBK(good), "gbk"},
		{append([]byte("\xef\xbb\xbf"), good...), "utf8"},
		{[]byte(rosterHeader + "110105491231002,王,女,1949-12-31,,,,\n"), "auto"},
		{[]byte(rosterHeader + "11010519491231002X,\"王\"\"秀英\",女,19491231,,,,\n11010519491231002X,王,女,1949.12.31,,,,\n"), "auto"},
		{[]byte("身份证号,姓名\n\"unterminated\n"), "auto"},
		{[]byte("ÃƒÂ¥,ç\n"), "utf8"},
		{[]byte{0xff, 0xfe, 0x00, 0x41}, "auto"},
		{[]byte(""), "auto"},
		{[]byte("身份证号,姓名,性别,出生日期\n11010519491231002X,王秀英,男,1949/12/31\n"), "auto"},
	}
}

var fullID = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)

// FuzzParseRoster: roster files (UTF-8 or GBK) come from outside; every
// accepted row is a valid retiree, and no message repeats a full number.
func FuzzParseRoster(f *testing.F) {
	for _, s := range rosterSeeds() {
		f.Add(s[0].([]byte), s[1].(string))
	}
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		rows, _, err := ParseRoster(data, encoding)
		var ie *ImportError
		if errors.As(err, &ie) {
			for _, l := range ie.Lines {
				for _, m := range fullID.FindAllString(translation.Msg(translation.Chinese, l.Reason), -1) {
					if _, perr := certkiosk.ParseResidentID(m); perr == nil {
						t.Fatalf("line %d reason shows a full number: %q", l.Line, translation.Msg(translation.Chinese, l.Reason))
					}
				}
			}
			return
		}
		if err != nil {
			return
		}
		seen := map[certkiosk.ResidentID]bool{}
		for _, r := range rows {
			if id, err := certkiosk.ParseResidentID(string(r.ID)); err != nil || id != r.ID || seen[r.ID] || r.Name == "" {
				t.Fatalf("accepted row %+v (%v, duplicate %v)", r, err, seen[r.ID])
			}
			seen[r.ID] = true
		}
	})
}

func TestFuzzSeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzParseRoster", rosterSeeds()...)
}

package roster

import (
	"errors"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/assets/translation"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const header = "身份证号,姓名,性别,出生日期,待遇类别,上次认证日期,联系电话,住址"

func TestParseUTF8AndGBK(t *testing.T) {
	text := header + "\n11010519491231002X,王秀英,女,1949年12月31日,企业职工基本养老保险,2025/12/1,13800000000,北京市朝阳区\n" +
		"110102196002290058,欧阳·明,男,19600229,城乡居民基本养老保险,2026.3.1,,\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for enc, data := range map[string]string{EncodingUTF8: "\ufeff" + text, EncodingGBK: gbk} {
		rows, got, err := ParseRows([]byte(data), EncodingAuto)
		if err != nil || got != enc || len(rows) != 2 {
			t.Fatalf("%s: %d rows, detected %s, %v", enc, len(rows), got, err)
		}
		w := rows[0].Retiree
		if w.Name != "王秀英" || !w.Female || w.Birth.String() != "1949-12-31" || w.LastCert.String() != "2025-12-01" ||
			rows[0].Line != 2 || rows[1].Line != 3 || rows[1].Retiree.Name != "欧阳·明" {
			t.Fatalf("%s: rows %+v", enc, rows)
		}
	}
}

// Every bad line is listed, and the whole file is refused; the reasons are
// Chinese and never show a full identity number.
func TestParseRefusesWhole(t *testing.T) {
	text := header + "\n11010519491231002X,王秀英,男,1949-12-31,,,,\n" + // sex disagrees with the number
		"11010519491231002X,王秀英,女,1950-01-01,,,,\n" + // birth disagrees
		"110102196002290058,欧阳·明,男,1960-02-29,,1950-01-01,,\n" // certified before birth
	rows, _, err := Parse([]byte(text), EncodingUTF8)
	var e *Error
	if !errors.As(err, &e) || rows != nil || len(e.Lines) != 3 {
		t.Fatalf("rows %v, err %v", rows, err)
	}
	for i, want := range []string{"性别", "出生日期", "上次认证日期"} {
		if !strings.Contains(translation.Msg(translation.Chinese, e.Lines[i].Reason), want) || e.Lines[i].Line != i+2 {
			t.Errorf("line %d: %q, want a reason about %s", e.Lines[i].Line, translation.Msg(translation.Chinese, e.Lines[i].Reason), want)
		}
	}
	if certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID || !strings.Contains(translation.Error(translation.Chinese, err), "未导入") {
		t.Fatalf("code %s, message %q", certkiosk.ErrorCodeOf(err), translation.Error(translation.Chinese, err))
	}
}

// A retiree that comes by download meets the same rules as a file's line.
func TestValidateAgreesWithTheFileRules(t *testing.T) {
	good := certkiosk.Retiree{ID: "11010519491231002X", Name: "王秀英", Female: true,
		Birth: certkiosk.Date{Year: 1949, Month: 12, Day: 31}}
	if err := Validate(good); err != nil {
		t.Fatalf("good retiree: %v", err)
	}
	bad := map[string]func(*certkiosk.Retiree){
		"no name":         func(r *certkiosk.Retiree) { r.Name = "" },
		"digits in name":  func(r *certkiosk.Retiree) { r.Name = "王1" },
		"sex":             func(r *certkiosk.Retiree) { r.Female = false },
		"birth":           func(r *certkiosk.Retiree) { r.Birth.Day = 30 },
		"cert before":     func(r *certkiosk.Retiree) { r.LastCert = certkiosk.Date{Year: 1940, Month: 1, Day: 1} },
		"address too big": func(r *certkiosk.Retiree) { r.Address = strings.Repeat("路", 200) },
		"invalid utf-8":   func(r *certkiosk.Retiree) { r.Address = "\xff" },
	}
	for name, spoil := range bad {
		r := good
		spoil(&r)
		err := Validate(r)
		if err == nil || certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
			t.Errorf("%s: %v, want an invalid-input error", name, err)
		}
		if err != nil && strings.Contains(err.Error(), string(r.ID)) {
			t.Errorf("%s: the error shows the full number: %v", name, err)
		}
	}
}

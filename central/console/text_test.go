package console

import (
	"bytes"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/central"

	"github.com/xuri/excelize/v2"
)

func TestDayAndMonthTextMatchString(t *testing.T) {
	d := certkiosk.Date{Year: 1999, Month: 12, Day: 25}
	for i := 0; i < 3000; i++ {
		if got, want := dayText(d), d.String(); got != want {
			t.Fatalf("dayText %q, String %q", got, want)
		}
		m := certkiosk.MonthOf(d)
		if got, want := monthText(m), m.String(); got != want {
			t.Fatalf("monthText %q, String %q", got, want)
		}
		d = central.AddDays(d, 7)
	}
	if dayText(certkiosk.Date{}) != "" || monthText(certkiosk.Month{}) != "" {
		t.Error("zero values are not empty")
	}
}

func TestXLSXRoundTrip(t *testing.T) {
	tb := &Table{Name: "t", Header: []string{"身份证号", "姓名", "住址"}, Rows: [][]string{
		{"11010519491231002X", "张三", "北京 & <东城> \"区\" '1'"},
		{"110105195001010019", " 李四 ", "=HYPERLINK(\"http://x\")"},
		{"110105195001010027", "王\u0001五", ""},
	}}
	var b bytes.Buffer
	if err := tb.WriteXLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{tb.Header, tb.Rows[0], tb.Rows[1], {"110105195001010027", "王\uFFFD五"}}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	if v, _ := f.GetCellFormula("Sheet1", "C3"); v != "" {
		t.Errorf("text became a formula: %q", v)
	}
}

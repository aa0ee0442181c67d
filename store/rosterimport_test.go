package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/assets/translation"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const rosterHeader = "身份证号,姓名,性别,出生日期,待遇类别,上次认证日期,联系电话,住址\n"

// Valid lines; check characters computed independently (Python).
var goodLines = []string{
	"11010519491231002X,王秀英,女,1949-12-31,企业职工基本养老保险,2025-12-01,13800000000,北京市朝阳区",
	"310104195507311235,李建国,男,1955年7月31日,机关事业单位养老保险,,,上海市徐汇区",
	"110102196002290058,欧阳·明,男,19600229,城乡居民基本养老保险,2026.3.1,,",
	"810000195003120125,陈 Mary,女,1950-03-12,企业职工基本养老保险,2025-11-01,,香港居民",
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportGoodRosterUTF8AndGBK(t *testing.T) {
	for _, enc := range []string{"utf8", "utf8-bom", "gbk"} {
		t.Run(enc, func(t *testing.T) {
			s, _ := openTemp(t)
			ctx := context.Background()
			text := rosterHeader + strings.Join(goodLines, "\n") + "\n"
			data := []byte(text)
			switch enc {
			case "utf8-bom":
				data = append([]byte("\xef\xbb\xbf"), data...)
			case "gbk":
				data = gbk(t, strings.Replace(text, "陈 Mary", "陈玛丽", 1))
			}
			res, err := s.ImportRoster(ctx, "kioskctl", data, EncodingAuto)
			if err != nil {
				t.Fatal(err)
			}
			wantEnc := EncodingUTF8
			if enc == "gbk" {
				wantEnc = EncodingGBK
			}
			if res.Encoding != wantEnc || res.Rows != 4 || res.Added != 4 || res.Updated != 0 {
				t.Fatalf("first import: %+v", res)
			}
			r, err := s.FindRetiree(ctx, "11010519491231002X")
			if err != nil || r.Name != "王秀英" || !r.Female || r.LastCert.String() != "2025-12-01" || r.Address != "北京市朝阳区" {
				t.Fatalf("imported row: %+v %v", r, err)
			}
			r, _ = s.FindRetiree(ctx, "110102196002290058")
			if r.Name != "欧阳·明" || r.LastCert.String() != "2026-03-01" || r.Birth.String() != "1960-02-29" {
				t.Fatalf("date forms: %+v", r)
			}
			// The same file again changes nothing.
			res, err = s.ImportRoster(ctx, "kioskctl", data, EncodingAuto)
			if err != nil || res.Added != 0 || res.Updated != 0 || res.Unchanged != 4 {
				t.Fatalf("re-import: %+v %v", res, err)
			}
			// A changed line is an update.
			changed := strings.Replace(string(data), "13800000000", "13900000000", 1)
			if enc == "gbk" {
				changed = string(gbk(t, strings.Replace(strings.Replace(text, "陈 Mary", "陈玛丽", 1), "13800000000", "13900000000", 1)))
			}
			res, err = s.ImportRoster(ctx, "kioskctl", []byte(changed), EncodingAuto)
			if err != nil || res.Added != 0 || res.Updated != 1 || res.Unchanged != 3 {
				t.Fatalf("changed import: %+v %v", res, err)
			}
		})
	}
}

// One file with every kind of bad line: rejected whole, every bad line named,
// the table unchanged.
func TestImportBadRosterIsRejectedWhole(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if _, err := s.ImportRoster(ctx, "kioskctl", []byte(rosterHeader+goodLines[0]+"\n"), EncodingAuto); err != nil {
		t.Fatal(err)
	}
	lines := []string{
		goodLines[1], // line 2: good
		"110105194912310021,赵六,女,1949-12-31,,,,", // 3: wrong check digit
		"11010519490230002X,孙七,女,1949-02-30,,,,", // 4: impossible date (ID date invalid)
		"44010619530115001X,周八,男,1953-13-15,,,,", // 5: impossible birth date column
		goodLines[2], // 6: good
		"310104195507311235,李建国,男,1955-07-31,,,,", // 7: duplicate of line 2
		"11010519491231002X,王秀英,男,1949-12-31,,,,", // 8: sex contradicts ID
		"\x80\x81,\xff\xfe,女,1949-12-31,,,,",      // 9: mojibake bytes
		"44052419500101001X,吴九",                   // 10: truncated last line
	}
	data := rosterHeader + strings.Join(lines, "\n")
	before := countRows(t, s)
	_, err := s.ImportRoster(ctx, "kioskctl", []byte(data), EncodingUTF8)
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *ImportError", err)
	}
	want := map[int]string{3: "校验位", 4: "出生日期", 5: "出生日期", 7: "第2行重复", 8: "性别", 9: "乱码", 10: "列"}
	got := map[int]string{}
	for _, l := range ie.Lines {
		got[l.Line] = translation.Msg(translation.Chinese, l.Reason)
	}
	for line, frag := range want {
		if !strings.Contains(got[line], frag) {
			t.Errorf("line %d: reason %q, want one mentioning %q", line, got[line], frag)
		}
	}
	if len(ie.Lines) != len(want) {
		t.Errorf("%d bad lines reported, want %d: %+v", len(ie.Lines), len(want), ie.Lines)
	}
	if after := countRows(t, s); after != before {
		t.Fatalf("table changed from %d to %d rows after a rejected import", before, after)
	}
	if msg := translation.Error(translation.Chinese, err); !strings.Contains(msg, "未导入") {
		t.Errorf("message %q should say nothing was imported", msg)
	}
}

func TestImportMissingColumnAndWrongEncoding(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	noSex := "身份证号,姓名,出生日期\n11010519491231002X,王秀英,1949-12-31\n"
	_, err := s.ImportRoster(ctx, "kioskctl", []byte(noSex), EncodingAuto)
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Lines[0].Line != 1 || !strings.Contains(translation.Msg(translation.Chinese, ie.Lines[0].Reason), "性别") {
		t.Fatalf("missing column: %v", err)
	}
	// A GBK file read as UTF-8: the header is not recognised, and the
	// message suggests the encoding.
	data := gbk(t, rosterHeader+goodLines[0]+"\n")
	_, err = s.ImportRoster(ctx, "kioskctl", data, EncodingUTF8)
	if !errors.As(err, &ie) || !strings.Contains(translation.Msg(translation.Chinese, ie.Lines[0].Reason), "编码") {
		t.Fatalf("GBK read as UTF-8: %v", err)
	}
	// A UTF-8 file read as GBK: mojibake header.
	_, err = s.ImportRoster(ctx, "kioskctl", []byte(rosterHeader+goodLines[0]+"\n"), EncodingGBK)
	if !errors.As(err, &ie) {
		t.Fatalf("UTF-8 read as GBK: %v", err)
	}
	if _, err := s.ImportRoster(ctx, "kioskctl", []byte(rosterHeader), EncodingAuto); !errors.As(err, &ie) {
		t.Fatalf("header only: %v", err)
	}
	if _, err := s.ImportRoster(ctx, "kioskctl", []byte(rosterHeader), "latin1"); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("unknown encoding: %v", err)
	}
	if countRows(t, s) != 0 {
		t.Fatal("rows stored from rejected files")
	}
}

// A GBK file with one line pasted in from a UTF-8 source: that line is
// mojibake and is named.
func TestImportMixedEncodingLine(t *testing.T) {
	s, _ := openTemp(t)
	data := gbk(t, rosterHeader+goodLines[0]+"\n")
	data = append(data, []byte(strings.Replace(goodLines[1], "李建国", "李建国国", 1)+"\n")...)
	_, err := s.ImportRoster(context.Background(), "kioskctl", data, EncodingAuto)
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Lines) != 1 || ie.Lines[0].Line != 3 {
		t.Fatalf("mixed file: %v %+v", err, ie)
	}
}

func countRows(t *testing.T, s *DB) int {
	t.Helper()
	n, err := s.CountRetirees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDueListAndCountsMatchCycleStatus(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	base := certkiosk.Date{Year: 2026, Month: 2, Day: 28}
	rs, err := DemoRoster(400, 11, base)
	if err != nil {
		t.Fatal(err)
	}
	// Add edge cases around month ends and leap days.
	for i, last := range []string{"2024-02-29", "2025-02-28", "2025-01-31", "2025-03-31", "2025-02-27", "2025-03-29"} {
		d, _ := certkiosk.ParseDate(last)
		rs[i].LastCert = d
	}
	if err := s.PutRetirees(ctx, rs, true); err != nil {
		t.Fatal(err)
	}
	for _, today := range []string{"2026-02-28", "2026-03-01", "2025-03-01", "2025-02-28", "2026-12-31"} {
		td, _ := certkiosk.ParseDate(today)
		want := map[certkiosk.Status]int{}
		for _, r := range rs {
			want[certkiosk.CycleStatus(r.LastCert, td)]++
		}
		o, d, n, err := s.DueCounts(ctx, td)
		if err != nil {
			t.Fatal(err)
		}
		if o != want[certkiosk.StatusOverdue] || d != want[certkiosk.StatusDueSoon] || n != want[certkiosk.StatusNever] {
			t.Errorf("%s: counts %d/%d/%d, want %v", today, o, d, n, want)
		}
		list, err := s.DueList(ctx, td, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != o+d+n {
			t.Errorf("%s: list has %d, counts say %d", today, len(list), o+d+n)
		}
		rank := map[certkiosk.Status]int{certkiosk.StatusOverdue: 0, certkiosk.StatusDueSoon: 1, certkiosk.StatusNever: 2}
		for i, e := range list {
			if e.Status == certkiosk.StatusCurrent {
				t.Fatalf("%s: current retiree %s on the due list", today, e.Retiree)
			}
			if i > 0 && rank[e.Status] < rank[list[i-1].Status] {
				t.Fatalf("%s: list out of order at %d", today, i)
			}
		}
	}
	limited, _ := s.DueList(ctx, base, 5)
	if len(limited) != 5 {
		t.Fatalf("limit 5 gave %d", len(limited))
	}
}

package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"certkiosk"
	"certkiosk/central"
)

// The lists for the payment system, by name (the export file names).
const (
	ListSuspensions = "suspensions"
	ListResumptions = "resumptions"
	ListDue         = "due"
)

// ListNames are the lists in the order the console shows them.
var ListNames = []string{ListSuspensions, ListResumptions, ListDue}

func validList(name string) bool {
	for _, n := range ListNames {
		if n == name {
			return true
		}
	}
	return false
}

// Table is one list ready to show or write: Chinese headers, the identity
// number first, one row of text per retiree, sorted by identity number.
type Table struct {
	Name   string
	Title  string
	Note   string
	Header []string
	Rows   [][]string
	Total  int // rows in the whole list (Rows may be its first few)
}

// DueWindow is the list of who is due: the due date within these days.
const DueWindow = 30

// DueRange is the window of the due list for month m seen on today: from
// today when m is this month, else from m's first day, DueWindow days.
func DueRange(m certkiosk.Month, today certkiosk.Date) (from, to certkiosk.Date) {
	from = m.First()
	if m == certkiosk.MonthOf(today) {
		from = today
	}
	return from, central.AddDays(from, DueWindow)
}

// List builds list name for month m. The rules are the root package's:
// suspension from the first month after a missed due date; payment
// resumes the month after certifying, with the withheld months paid back
// (one month later when certified after the cut-off day).
func (s *Server) List(ctx context.Context, name string, m certkiosk.Month, today certkiosk.Date) (*Table, error) {
	return BuildList(ctx, s.Store, name, m, today, s.CutoffDay)
}

// BuildList is List for callers without a Server (centrald report).
func BuildList(ctx context.Context, st central.ConsoleStorage, name string, m certkiosk.Month, today certkiosk.Date, cutoffDay int) (*Table, error) {
	return BuildListHead(ctx, st, name, m, today, cutoffDay, 0)
}

// BuildListHead is BuildList keeping only the first limit rows (all when
// limit ≤ 0); Total still counts them all.
func BuildListHead(ctx context.Context, st central.ConsoleStorage, name string, m certkiosk.Month, today certkiosk.Date, cutoffDay, limit int) (*Table, error) {
	t, err := NewTable(name, m, today, cutoffDay)
	if err != nil {
		return nil, err
	}
	err = EachRow(ctx, st, name, m, today, cutoffDay, limit, func(r []string) error {
		t.Rows = append(t.Rows, append([]string(nil), r...))
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.Total = len(t.Rows)
	if limit > 0 && t.Total == limit {
		from, to := DueRange(m, today)
		susp, res, due, err := st.ListCounts(ctx, m, from, to)
		if err != nil {
			return nil, err
		}
		t.Total = map[string]int{ListSuspensions: susp, ListResumptions: res, ListDue: due}[name]
	}
	return t, nil
}

// NewTable is list name for month m without its rows: title, note and
// the Chinese column headers, the identity number first.
func NewTable(name string, m certkiosk.Month, today certkiosk.Date, cutoffDay int) (*Table, error) {
	t := &Table{Name: name}
	switch name {
	case ListSuspensions:
		t.Title = m.Chinese() + "暂停发放名单"
		t.Note = "本月处于暂停发放状态的人员：应认证日期已过而未认证，从应认证日期之后的第一个月起暂停发放。"
		t.Header = []string{"身份证号", "姓名", "暂停发放起始月份", "上次认证日期", "应认证日期", "已认证日期（如有）", "联系电话"}
	case ListResumptions:
		t.Title = m.Chinese() + "恢复发放名单"
		t.Note = fmt.Sprintf("暂停发放后已认证、本月恢复发放的人员；停发的月份补发，认证日在 %d 日以后的，补发再推迟一个月。", cutoffOr(cutoffDay))
		t.Header = []string{"身份证号", "姓名", "暂停发放起始月份", "认证日期", "恢复发放月份", "补发月数", "补发月份", "联系电话"}
	case ListDue:
		from, to := DueRange(m, today)
		t.Title = fmt.Sprintf("即将到期名单（应认证日期 %s 至 %s）", from, to)
		t.Note = "请提醒这些人员按时认证；登记了亲情联系人的，也可联系亲属。"
		t.Header = []string{"身份证号", "姓名", "应认证日期", "剩余天数", "联系电话", "住址", "亲情联系人", "关系", "亲情联系人手机"}
	default:
		return nil, fmt.Errorf("unknown list %q", name)
	}
	return t, nil
}

// EachRow streams list name for month m, row by row in the list's order,
// as text in NewTable's columns: a list of 80,000 people is never held
// whole. emit must not keep the slice it is given.
func EachRow(ctx context.Context, st central.ConsoleStorage, name string, m certkiosk.Month, today certkiosk.Date, cutoffDay, limit int,
	emit func([]string) error) error {
	var row []string
	switch name {
	case ListSuspensions:
		row = make([]string, 7)
		return st.Suspensions(ctx, m, limit, func(r *central.Row) error {
			row[0], row[1], row[2], row[3], row[4], row[5], row[6] = r.ID, r.Name, monthText(r.Since), dayText(r.Last),
				dayText(r.Due), dayText(r.Certified), r.Phone
			return emit(row)
		})
	case ListResumptions:
		row = make([]string, 8)
		return st.Resumptions(ctx, m, limit, func(r *central.Row) error {
			e := central.Episode{Since: r.Since, Until: certkiosk.MonthOf(r.Certified), Resume: r.Resume, Last: r.Last, Certified: r.Certified}
			n, bm := e.Backpay(cutoffDay)
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = r.ID, r.Name, monthText(r.Since),
				dayText(r.Certified), monthText(r.Resume), strconv.Itoa(n), monthText(bm), r.Phone
			return emit(row)
		})
	case ListDue:
		from, to := DueRange(m, today)
		row = make([]string, 9)
		return st.Due(ctx, from, to, limit, func(r *central.Row) error {
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8] = r.ID, r.Name, dayText(r.Due),
				strconv.Itoa(today.DaysUntil(r.Due)), r.Phone, r.Address, r.Relative.Name, r.Relative.Relation, r.Relative.Mobile
			return emit(row)
		})
	}
	return fmt.Errorf("unknown list %q", name)
}

// dayText and monthText are Date.String and Month.String without fmt:
// a long list formats hundreds of thousands of them.
func dayText(d certkiosk.Date) string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	put4(b[0:4], d.Year)
	b[4] = '-'
	put2(b[5:7], int(d.Month))
	b[7] = '-'
	put2(b[8:10], d.Day)
	return string(b[:])
}

func monthText(m certkiosk.Month) string {
	if m.IsZero() {
		return ""
	}
	var b [7]byte
	put4(b[0:4], m.Year)
	b[4] = '-'
	put2(b[5:7], int(m.Month))
	return string(b[:])
}

func put4(b []byte, n int) {
	b[0], b[1], b[2], b[3] = byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10)
}
func put2(b []byte, n int) { b[0], b[1] = byte('0'+n/10%10), byte('0'+n%10) }

func cutoffOr(d int) int {
	if d <= 0 {
		return certkiosk.DefaultBackpayCutoffDay
	}
	return d
}

// Masked returns the first n rows with identity numbers and phones masked,
// for showing on screen.
func (t *Table) Masked(n int) [][]string {
	var out [][]string
	for i, r := range t.Rows {
		if i == n {
			break
		}
		row := append([]string(nil), r...)
		row[0] = certkiosk.Mask(row[0])
		for j, h := range t.Header {
			if strings.Contains(h, "电话") || strings.Contains(h, "手机") {
				row[j] = certkiosk.MaskPhone(row[j])
			}
		}
		out = append(out, row)
	}
	return out
}

// cell defuses text a spreadsheet would run as a formula (CSV injection):
// a name or address from the roster starting with = + - @ gets a leading
// apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the table as UTF-8 CSV with a byte-order mark, which
// Excel and WPS need to read Chinese text as UTF-8.
func (t *Table) WriteCSV(w io.Writer) error {
	cw, err := NewCSV(w, t.Header)
	if err != nil {
		return fmt.Errorf("write %s.csv: %w", t.Name, err)
	}
	for _, r := range t.Rows {
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("write %s.csv: %w", t.Name, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("write %s.csv: %w", t.Name, err)
	}
	return nil
}

// RowWriter writes a list row by row (CSV or XLSX).
type RowWriter interface {
	Write(row []string) error
	Close() error
}

type csvWriter struct {
	cw  *csv.Writer
	row []string
}

// NewCSV starts a CSV list: the byte-order mark, then the header. Cells a
// spreadsheet would run as formulas are defused (cell).
func NewCSV(w io.Writer, header []string) (RowWriter, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	c := &csvWriter{cw: csv.NewWriter(w), row: make([]string, len(header))}
	c.cw.UseCRLF = true
	if err := c.cw.Write(header); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *csvWriter) Write(r []string) error {
	for i := range r {
		c.row[i] = cell(r[i])
	}
	return c.cw.Write(c.row[:len(r)])
}

func (c *csvWriter) Close() error {
	c.cw.Flush()
	return c.cw.Error()
}

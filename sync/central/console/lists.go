package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"certkiosk"
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
	return from, AddDays(from, DueWindow)
}

// List builds list name for month m. The rules are the root package's:
// suspension from the first month after a missed due date; payment
// resumes the month after certifying, with the withheld months paid back
// (one month later when certified after the cut-off day).
func (s *Server) List(ctx context.Context, name string, m certkiosk.Month, today certkiosk.Date) (*Table, error) {
	return BuildList(ctx, s.Store, name, m, today, s.CutoffDay)
}

// BuildList is List for callers without a Server (centrald report).
func BuildList(ctx context.Context, st Store, name string, m certkiosk.Month, today certkiosk.Date, cutoffDay int) (*Table, error) {
	return BuildListHead(ctx, st, name, m, today, cutoffDay, 0)
}

// BuildListHead is BuildList keeping only the first limit rows (all when
// limit ≤ 0); Total still counts them all.
func BuildListHead(ctx context.Context, st Store, name string, m certkiosk.Month, today certkiosk.Date, cutoffDay, limit int) (*Table, error) {
	t := &Table{Name: name}
	switch name {
	case ListSuspensions:
		rows, err := st.Suspensions(ctx, m, limit)
		if err != nil {
			return nil, err
		}
		t.Title = m.Chinese() + "暂停发放名单"
		t.Note = "本月处于暂停发放状态的人员：应认证日期已过而未认证，从应认证日期之后的第一个月起暂停发放。"
		t.Header = []string{"身份证号", "姓名", "暂停发放起始月份", "上次认证日期", "应认证日期", "已认证日期（如有）", "联系电话"}
		for _, r := range rows {
			t.Rows = append(t.Rows, []string{r.ID, r.Name, r.Since.String(), r.Last.String(), r.Due.String(), r.Certified.String(), r.Phone})
		}
	case ListResumptions:
		rows, err := st.Resumptions(ctx, m, limit)
		if err != nil {
			return nil, err
		}
		t.Title = m.Chinese() + "恢复发放名单"
		t.Note = fmt.Sprintf("暂停发放后已认证、本月恢复发放的人员；停发的月份补发，认证日在 %d 日以后的，补发再推迟一个月。", cutoffOr(cutoffDay))
		t.Header = []string{"身份证号", "姓名", "暂停发放起始月份", "认证日期", "恢复发放月份", "补发月数", "补发月份", "联系电话"}
		for _, r := range rows {
			e := Episode{Since: r.Since, Until: certkiosk.MonthOf(r.Certified), Resume: r.Resume, Last: r.Last, Certified: r.Certified}
			n, bm := e.Backpay(cutoffDay)
			t.Rows = append(t.Rows, []string{r.ID, r.Name, r.Since.String(), r.Certified.String(), r.Resume.String(),
				strconv.Itoa(n), bm.String(), r.Phone})
		}
	case ListDue:
		from, to := DueRange(m, today)
		rows, err := st.Due(ctx, from, to, limit)
		if err != nil {
			return nil, err
		}
		t.Title = fmt.Sprintf("即将到期名单（应认证日期 %s 至 %s）", from, to)
		t.Note = "请提醒这些人员按时认证；登记了亲情联系人的，也可联系亲属。"
		t.Header = []string{"身份证号", "姓名", "应认证日期", "剩余天数", "联系电话", "住址", "亲情联系人", "关系", "亲情联系人手机"}
		for _, r := range rows {
			t.Rows = append(t.Rows, []string{r.ID, r.Name, r.Due.String(), strconv.Itoa(today.DaysUntil(r.Due)), r.Phone, r.Address,
				r.Relative.Name, r.Relative.Relation, r.Relative.Mobile})
		}
	default:
		return nil, fmt.Errorf("unknown list %q", name)
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
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write %s.csv: %w", t.Name, err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.Header); err != nil {
		return fmt.Errorf("write %s.csv: %w", t.Name, err)
	}
	row := make([]string, len(t.Header))
	for _, r := range t.Rows {
		for i := range r {
			row[i] = cell(r[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write %s.csv: %w", t.Name, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s.csv: %w", t.Name, err)
	}
	return nil
}

package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"certkiosk"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Roster column headers. Offices export rosters from Excel with Chinese
// headers; a few common variants are accepted for each field.
var rosterHeaders = map[string][]string{
	"id":        {"身份证号", "身份证号码", "公民身份号码", "证件号码", "id"},
	"name":      {"姓名", "name"},
	"sex":       {"性别", "sex"},
	"birth":     {"出生日期", "birth"},
	"category":  {"待遇类别", "人员类别", "category"},
	"last_cert": {"上次认证日期", "最近认证日期", "last_cert"},
	"phone":     {"联系电话", "电话", "phone"},
	"address":   {"住址", "居住地址", "地址", "address"},
}

var requiredColumns = []string{"id", "name", "sex", "birth"}

// Encoding of a roster file.
const (
	EncodingAuto = "auto"
	EncodingUTF8 = "utf8"
	EncodingGBK  = "gbk"
)

// LineError is one rejected line of a roster file.
type LineError struct {
	Line   int    // 1-based line in the file (1 is the header)
	Reason string // Chinese, for the supervisor
}

// ImportError lists every bad line of a rejected roster; nothing of the
// file was imported.
type ImportError struct {
	Lines []LineError
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("roster rejected: %d bad line(s), first at line %d", len(e.Lines), e.Lines[0].Line)
}

// ErrorCode makes a rejected roster an invalid-input error.
func (e *ImportError) ErrorCode() string { return certkiosk.EINVALID }

// ErrorMessage summarises for screens; Lines has the detail.
func (e *ImportError) ErrorMessage() string {
	return fmt.Sprintf("名册有%d行错误，未导入任何数据（第一处在第%d行：%s）", len(e.Lines), e.Lines[0].Line, e.Lines[0].Reason)
}

// ImportResult counts what an accepted import did.
type ImportResult struct {
	Encoding  string // the encoding used
	Rows      int    // data rows in the file
	Added     int
	Updated   int
	Unchanged int
}

// decodeRoster returns the file as UTF-8 text, detecting the encoding when
// asked: valid UTF-8 (with or without a BOM) is UTF-8, anything else is GBK,
// which is what Excel on a Chinese Windows writes.
func decodeRoster(data []byte, encoding string) (string, string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch encoding {
	case EncodingAuto, "":
		if utf8.Valid(data) {
			return string(data), EncodingUTF8, nil
		}
		encoding = EncodingGBK
	case EncodingUTF8, "utf-8":
		return string(data), EncodingUTF8, nil // invalid bytes are reported per line
	case EncodingGBK, "gb18030", "gb2312":
	default:
		return "", "", certkiosk.Errorf(certkiosk.EINVALID, "编码只能是 auto、utf8 或 gbk", "unknown encoding %q", encoding)
	}
	// GB18030 decodes every GBK file the same way and covers more characters.
	out, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), data)
	if err != nil {
		return "", "", fmt.Errorf("decode roster as GBK: %w", err)
	}
	return string(out), EncodingGBK, nil
}

// parsedRow is a validated roster line.
type parsedRow struct {
	line int
	r    certkiosk.Retiree
}

// ParseRoster reads and validates a roster file completely. It returns
// every row or an *ImportError listing every bad line; never some rows.
func ParseRoster(data []byte, encoding string) ([]certkiosk.Retiree, string, error) {
	rows, enc, err := parseRoster(data, encoding)
	if err != nil {
		return nil, enc, err
	}
	out := make([]certkiosk.Retiree, len(rows))
	for i, p := range rows {
		out[i] = p.r
	}
	return out, enc, nil
}

func parseRoster(data []byte, encoding string) ([]parsedRow, string, error) {
	text, enc, err := decodeRoster(data, encoding)
	if err != nil {
		return nil, "", err
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1 // checked here, to name the line
	cr.ReuseRecord = true
	var bad []LineError
	addBad := func(line int, format string, args ...any) {
		bad = append(bad, LineError{line, fmt.Sprintf(format, args...)})
	}
	header, err := cr.Read()
	if err != nil {
		return nil, enc, &ImportError{[]LineError{{1, "读不到表头：" + csvReason(err)}}}
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		for field, names := range rosterHeaders {
			for _, n := range names {
				if strings.EqualFold(h, n) {
					cols[field] = i
				}
			}
		}
	}
	for _, f := range requiredColumns {
		if _, ok := cols[f]; !ok {
			hint := ""
			if enc == EncodingUTF8 && !utf8.ValidString(strings.Join(header, "")) || strings.ContainsRune(strings.Join(header, ""), utf8.RuneError) {
				hint = "（表头是乱码，文件编码可能不对，试试 --encoding gbk 或 utf8）"
			}
			return nil, enc, &ImportError{[]LineError{{1, fmt.Sprintf("缺少“%s”列%s", rosterHeaders[f][0], hint)}}}
		}
	}
	width := len(header)
	var rows []parsedRow
	firstLine := map[certkiosk.ResidentID]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			addBad(line, "格式错误：%s", csvReason(err))
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != width {
			addBad(line, "应有%d列，实际%d列（行不完整？）", width, len(rec))
			continue
		}
		get := func(f string) string {
			if i, ok := cols[f]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r, reason := validateRow(get)
		if reason == "" {
			if prev, dup := firstLine[r.ID]; dup {
				reason = fmt.Sprintf("身份证号与第%d行重复", prev)
			} else {
				firstLine[r.ID] = line
			}
		}
		if reason != "" {
			addBad(line, "%s", reason)
			continue
		}
		rows = append(rows, parsedRow{line, r})
	}
	if len(bad) > 0 {
		return nil, enc, &ImportError{bad}
	}
	if len(rows) == 0 {
		return nil, enc, &ImportError{[]LineError{{2, "名册里没有数据行"}}}
	}
	return rows, enc, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch pe.Err {
		case csv.ErrQuote, csv.ErrBareQuote:
			return "引号不配对（行被截断？）"
		case csv.ErrFieldCount:
			return "列数不对"
		}
	}
	return err.Error()
}

// validateRow checks one line; reason is "" when it is good.
func validateRow(get func(string) string) (certkiosk.Retiree, string) {
	var r certkiosk.Retiree
	for _, f := range []string{"id", "name", "sex", "birth", "category", "last_cert", "phone", "address"} {
		v := get(f)
		if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
			return r, fmt.Sprintf("“%s”有乱码（文件编码可能不对）", rosterHeaders[f][0])
		}
		for _, c := range v {
			if unicode.IsControl(c) || unicode.Is(unicode.Co, c) {
				return r, fmt.Sprintf("“%s”含有不可见或私用字符（可能是乱码）", rosterHeaders[f][0])
			}
		}
	}
	id, err := certkiosk.ParseResidentID(get("id"))
	if err != nil {
		return r, certkiosk.ErrorMessageOf(err)
	}
	r.ID = id
	r.Name = get("name")
	if reason := validName(r.Name); reason != "" {
		return r, reason
	}
	switch get("sex") {
	case "女", "F", "f":
		r.Female = true
	case "男", "M", "m":
	default:
		return r, "性别应填“男”或“女”"
	}
	if r.Female != id.Female() {
		return r, "性别与身份证号（第17位）不符"
	}
	birth, err := parseRosterDate(get("birth"))
	if err != nil {
		return r, "出生日期无效：" + get("birth")
	}
	if birth != id.BirthDate() {
		return r, "出生日期与身份证号不符"
	}
	r.Birth = birth
	r.Category = get("category")
	if s := get("last_cert"); s != "" {
		d, err := parseRosterDate(s)
		if err != nil {
			return r, "上次认证日期无效：" + s
		}
		if d.Before(birth) {
			return r, "上次认证日期早于出生日期"
		}
		r.LastCert = d
	}
	r.Phone = get("phone")
	r.Address = get("address")
	if len(r.Category) > 200 || len(r.Phone) > 50 || len(r.Address) > 500 {
		return r, "某一项内容过长"
	}
	return r, ""
}

// validName accepts Chinese names (with the middle dot of minority names)
// and Latin names of foreign residents.
func validName(n string) string {
	if n == "" {
		return "姓名不能为空"
	}
	if utf8.RuneCountInString(n) > 40 {
		return "姓名过长"
	}
	for _, c := range n {
		switch {
		case unicode.Is(unicode.Han, c), unicode.IsLetter(c), c == '·', c == '•', c == ' ', c == '-', c == '.':
		default:
			return fmt.Sprintf("姓名含有无效字符“%c”", c)
		}
	}
	return ""
}

var dateSeparators = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")

// parseRosterDate accepts the date forms Excel exports: 1956-03-07,
// 1956/3/7, 1956.3.7, 1956年3月7日 and 19560307.
func parseRosterDate(s string) (certkiosk.Date, error) {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		return certkiosk.ParseDate(s) // the common case, without allocating
	}
	if len(s) == 8 && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	s = dateSeparators.Replace(s)
	parts := strings.Split(s, "-")
	if len(parts) == 3 {
		for i := 1; i < 3; i++ {
			if len(parts[i]) == 1 {
				parts[i] = "0" + parts[i]
			}
		}
		s = strings.Join(parts, "-")
	}
	return certkiosk.ParseDate(s)
}

// ImportRoster validates a roster file and, only if every line is good,
// stores it in one transaction. Importing the same file again changes
// nothing. The import is audited with its counts.
func (s *DB) ImportRoster(ctx context.Context, actor string, data []byte, encoding string) (ImportResult, error) {
	rows, enc, err := parseRoster(data, encoding)
	res := ImportResult{Encoding: enc, Rows: len(rows)}
	if err != nil {
		return res, err
	}
	// Insert in key order: B-tree pages fill one after another instead of
	// splitting all over the file (several times faster at a million rows).
	sort.Slice(rows, func(i, j int) bool { return rows[i].r.ID < rows[j].r.ID })
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// An upsert that skips identical rows, so re-importing writes nothing;
		// changes() tells an insert from an update from a no-op.
		st, err := tx.PrepareContext(ctx, `INSERT INTO retiree (id, name, female, birth, category, last_cert, phone, address)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, female = excluded.female, birth = excluded.birth,
				category = excluded.category, last_cert = excluded.last_cert, phone = excluded.phone,
				address = excluded.address, synthetic = 0
			WHERE (name, female, birth, category, last_cert, phone, address, synthetic) IS NOT
				(excluded.name, excluded.female, excluded.birth, excluded.category, excluded.last_cert,
				 excluded.phone, excluded.address, 0)`)
		if err != nil {
			return err
		}
		defer st.Close()
		var before int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM retiree`).Scan(&before); err != nil {
			return err
		}
		changed := 0
		for _, p := range rows {
			r := p.r
			out, err := st.ExecContext(ctx, string(r.ID), r.Name, r.Female, r.Birth.String(), r.Category,
				nullDate(r.LastCert), r.Phone, r.Address)
			if err != nil {
				return fmt.Errorf("line %d: %w", p.line, err)
			}
			n, _ := out.RowsAffected()
			changed += int(n)
		}
		var after int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM retiree`).Scan(&after); err != nil {
			return err
		}
		res.Added = after - before
		res.Updated = changed - res.Added
		res.Unchanged = len(rows) - changed
		return s.audit(ctx, tx, actor, ActRosterImport, "", map[string]any{"rows": len(rows), "added": res.Added,
			"updated": res.Updated, "unchanged": res.Unchanged, "encoding": enc})
	})
	if err != nil {
		return ImportResult{Encoding: enc, Rows: len(rows)}, fmt.Errorf("import roster: %w", err)
	}
	return res, nil
}

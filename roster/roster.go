// Package roster reads the roster files offices export from Excel (CSV,
// UTF-8 or GBK, Chinese headers) and holds the one set of rules a retiree
// on a roster must meet, whether it arrives in a file at the kiosk, in a
// file at the central, or in a roster download. It is pure Go and imports
// nothing of ours but the root package, so the central uses it without
// the kiosk's store.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"certkiosk"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Roster column headers. Offices export rosters from Excel with Chinese
// headers; a few common variants are accepted for each field.
var headers = map[string][]string{
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

// Error lists every bad line of a rejected roster: nothing of the file
// may be used.
type Error struct {
	Lines []LineError
}

func (e *Error) Error() string {
	return fmt.Sprintf("roster rejected: %d bad line(s), first at line %d", len(e.Lines), e.Lines[0].Line)
}

// ErrorCode makes a rejected roster an invalid-input error.
func (e *Error) ErrorCode() string { return certkiosk.EINVALID }

// ErrorMessage summarises for screens; Lines has the detail.
func (e *Error) ErrorMessage() string {
	return fmt.Sprintf("名册有%d行错误，未导入任何数据（第一处在第%d行：%s）", len(e.Lines), e.Lines[0].Line, e.Lines[0].Reason)
}

// decode returns the file as UTF-8 text, detecting the encoding when
// asked: valid UTF-8 (with or without a BOM) is UTF-8, anything else is GBK,
// which is what Excel on a Chinese Windows writes.
func decode(data []byte, encoding string) (string, string, error) {
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

// Row is a validated roster line.
type Row struct {
	Line    int // 1-based line in the file
	Retiree certkiosk.Retiree
}

// Parse reads and validates a roster file completely. It returns every
// retiree or an *Error listing every bad line; never some rows. enc is the
// encoding used (utf8 or gbk).
func Parse(data []byte, encoding string) (_ []certkiosk.Retiree, enc string, _ error) {
	rows, enc, err := ParseRows(data, encoding)
	if err != nil {
		return nil, enc, err
	}
	out := make([]certkiosk.Retiree, len(rows))
	for i, p := range rows {
		out[i] = p.Retiree
	}
	return out, enc, nil
}

// ParseRows is Parse with the line of each retiree.
func ParseRows(data []byte, encoding string) ([]Row, string, error) {
	text, enc, err := decode(data, encoding)
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
		return nil, enc, &Error{[]LineError{{1, "读不到表头：" + csvReason(err)}}}
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		for field, names := range headers {
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
				hint = "（表头是乱码，文件编码可能不对，请改用 GBK 或 UTF-8 编码再试）"
			}
			return nil, enc, &Error{[]LineError{{1, fmt.Sprintf("缺少“%s”列%s", headers[f][0], hint)}}}
		}
	}
	width := len(header)
	var rows []Row
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
		rows = append(rows, Row{line, r})
	}
	if len(bad) > 0 {
		return nil, enc, &Error{bad}
	}
	if len(rows) == 0 {
		return nil, enc, &Error{[]LineError{{2, "名册里没有数据行"}}}
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
			return r, fmt.Sprintf("“%s”有乱码（文件编码可能不对）", headers[f][0])
		}
		for _, c := range v {
			if unicode.IsControl(c) || unicode.Is(unicode.Co, c) {
				return r, fmt.Sprintf("“%s”含有不可见或私用字符（可能是乱码）", headers[f][0])
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
	birth, err := parseDate(get("birth"))
	if err != nil {
		return r, "出生日期无效：" + get("birth")
	}
	r.Birth = birth
	r.Category = get("category")
	if s := get("last_cert"); s != "" {
		if r.LastCert, err = parseDate(s); err != nil {
			return r, "上次认证日期无效：" + s
		}
	}
	r.Phone = get("phone")
	r.Address = get("address")
	return r, problem(r)
}

// Validate checks a retiree that arrived by another road than a file (a
// roster download from the central) by the same rules as a file's line.
func Validate(r certkiosk.Retiree) error {
	if reason := validName(r.Name); reason != "" {
		return certkiosk.Errorf(certkiosk.EINVALID, reason, "retiree %s: bad name", r.ID.Masked())
	}
	if reason := problem(r); reason != "" {
		return certkiosk.Errorf(certkiosk.EINVALID, reason, "retiree %s: %s", r.ID.Masked(), reason)
	}
	return nil
}

// problem checks the rules across fields: the identity number must agree
// with sex and birth date; "" when all is well.
func problem(r certkiosk.Retiree) string {
	for _, v := range []string{r.Name, r.Category, r.Phone, r.Address} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
			return "有乱码（文件编码可能不对）"
		}
	}
	if r.Female != r.ID.Female() {
		return "性别与身份证号（第17位）不符"
	}
	if r.Birth != r.ID.BirthDate() {
		return "出生日期与身份证号不符"
	}
	if !r.LastCert.IsZero() && r.LastCert.Before(r.Birth) {
		return "上次认证日期早于出生日期"
	}
	if len(r.Category) > 200 || len(r.Phone) > 50 || len(r.Address) > 500 {
		return "某一项内容过长"
	}
	return ""
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

// parseDate accepts the date forms Excel exports: 1956-03-07,
// 1956/3/7, 1956.3.7, 1956年3月7日 and 19560307.
func parseDate(s string) (certkiosk.Date, error) {
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

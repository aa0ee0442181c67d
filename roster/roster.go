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
	Line   int           // 1-based line in the file (1 is the header)
	Reason certkiosk.Msg // for the supervisor, by its key in the translations
}

// reason is the message key (error.roster.*) with the values it names,
// given as name, value pairs.
func reason(key string, nameValues ...any) certkiosk.Msg {
	m := certkiosk.Msg{Key: "error.roster." + key}
	for i := 0; i+1 < len(nameValues); i += 2 {
		if m.Args == nil {
			m.Args = map[string]any{}
		}
		m.Args[nameValues[i].(string)] = nameValues[i+1]
	}
	return m
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

// ErrorMsg summarises for screens; Lines has the detail.
func (e *Error) ErrorMsg() certkiosk.Msg {
	return reason("rejected", "Count", len(e.Lines), "Line", e.Lines[0].Line, "Reason", e.Lines[0].Reason)
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
		return "", "", certkiosk.E(certkiosk.EINVALID, "error.roster.encoding", "unknown encoding %q", encoding)
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
	addBad := func(line int, why certkiosk.Msg) {
		bad = append(bad, LineError{line, why})
	}
	header, err := cr.Read()
	if err != nil {
		return nil, enc, &Error{[]LineError{{1, reason("no_header", "Reason", csvReason(err))}}}
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
			why := reason("missing_column", "Column", headers[f][0])
			if enc == EncodingUTF8 && !utf8.ValidString(strings.Join(header, "")) || strings.ContainsRune(strings.Join(header, ""), utf8.RuneError) {
				// The header is garbled: the file's encoding may be wrong.
				why = reason("missing_column_mojibake", "Column", headers[f][0])
			}
			return nil, enc, &Error{[]LineError{{1, why}}}
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
			addBad(line, reason("format", "Reason", csvReason(err)))
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != width {
			addBad(line, reason("columns", "Want", width, "Got", len(rec)))
			continue
		}
		get := func(f string) string {
			if i, ok := cols[f]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r, why := validateRow(get)
		if why.Key == "" {
			if prev, dup := firstLine[r.ID]; dup {
				why = reason("duplicate", "Line", prev)
			} else {
				firstLine[r.ID] = line
			}
		}
		if why.Key != "" {
			addBad(line, why)
			continue
		}
		rows = append(rows, Row{line, r})
	}
	if len(bad) > 0 {
		return nil, enc, &Error{bad}
	}
	if len(rows) == 0 {
		return nil, enc, &Error{[]LineError{{2, reason("empty")}}}
	}
	return rows, enc, nil
}

func csvReason(err error) certkiosk.Msg {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch pe.Err {
		case csv.ErrQuote, csv.ErrBareQuote:
			return reason("csv_quote")
		case csv.ErrFieldCount:
			return reason("csv_fields")
		}
	}
	return reason("csv", "Detail", err.Error())
}

// validateRow checks one line; the reason's Key is "" when it is good.
func validateRow(get func(string) string) (certkiosk.Retiree, certkiosk.Msg) {
	var r certkiosk.Retiree
	for _, f := range []string{"id", "name", "sex", "birth", "category", "last_cert", "phone", "address"} {
		v := get(f)
		if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
			return r, reason("mojibake_field", "Column", headers[f][0])
		}
		for _, c := range v {
			if unicode.IsControl(c) || unicode.Is(unicode.Co, c) {
				return r, reason("control_field", "Column", headers[f][0])
			}
		}
	}
	id, err := certkiosk.ParseResidentID(get("id"))
	if err != nil {
		// The identity number's own words (the root package's IDError).
		return r, reason("id", "Reason", certkiosk.ErrorMessageOf(err))
	}
	r.ID = id
	r.Name = get("name")
	if why := validName(r.Name); why.Key != "" {
		return r, why
	}
	switch get("sex") {
	case "女", "F", "f":
		r.Female = true
	case "男", "M", "m":
	default:
		return r, reason("sex")
	}
	birth, err := parseDate(get("birth"))
	if err != nil {
		return r, reason("birth", "Value", get("birth"))
	}
	r.Birth = birth
	r.Category = get("category")
	if s := get("last_cert"); s != "" {
		if r.LastCert, err = parseDate(s); err != nil {
			return r, reason("last_cert", "Value", s)
		}
	}
	r.Phone = get("phone")
	r.Address = get("address")
	return r, problem(r)
}

// Validate checks a retiree that arrived by another road than a file (a
// roster download from the central) by the same rules as a file's line.
func Validate(r certkiosk.Retiree) error {
	if why := validName(r.Name); why.Key != "" {
		return &certkiosk.Error{Code: certkiosk.EINVALID, Msg: why, Detail: fmt.Sprintf("retiree %s: bad name", r.ID.Masked())}
	}
	if why := problem(r); why.Key != "" {
		return &certkiosk.Error{Code: certkiosk.EINVALID, Msg: why, Detail: fmt.Sprintf("retiree %s: %s", r.ID.Masked(), why.Key)}
	}
	return nil
}

// problem checks the rules across fields: the identity number must agree
// with sex and birth date; the Key is "" when all is well.
func problem(r certkiosk.Retiree) certkiosk.Msg {
	for _, v := range []string{r.Name, r.Category, r.Phone, r.Address} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
			return reason("mojibake")
		}
	}
	if r.Female != r.ID.Female() {
		return reason("sex_mismatch")
	}
	if r.Birth != r.ID.BirthDate() {
		return reason("birth_mismatch")
	}
	if !r.LastCert.IsZero() && r.LastCert.Before(r.Birth) {
		return reason("cert_before_birth")
	}
	if len(r.Category) > 200 || len(r.Phone) > 50 || len(r.Address) > 500 {
		return reason("too_long")
	}
	return certkiosk.Msg{}
}

// validName accepts Chinese names (with the middle dot of minority names)
// and Latin names of foreign residents.
func validName(n string) certkiosk.Msg {
	if n == "" {
		return reason("name_empty")
	}
	if utf8.RuneCountInString(n) > 40 {
		return reason("name_long")
	}
	for _, c := range n {
		switch {
		case unicode.Is(unicode.Han, c), unicode.IsLetter(c), c == '·', c == '•', c == ' ', c == '-', c == '.':
		default:
			return reason("name_char", "Char", string(c))
		}
	}
	return certkiosk.Msg{}
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

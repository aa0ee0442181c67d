package console

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The smallest workbook Excel, WPS and LibreOffice open: one sheet of
// inline strings (so identity numbers stay text), a bold header. Written
// as it streams, deflated at the fastest level: a list of 80,000 people
// takes a fraction of what a general spreadsheet library needs (tests
// read the result back with excelize).
var xlsxParts = []struct{ name, body string }{
	{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
	{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
	{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
	{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
	{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>`},
}

// WriteXLSX writes the table as one worksheet. Every cell is text, so an
// identity number never turns into a rounded number.
func (t *Table) WriteXLSX(w io.Writer) error {
	xw, err := NewXLSX(w, t.Header)
	if err != nil {
		return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
	}
	for _, r := range t.Rows {
		if err := xw.Write(r); err != nil {
			return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
		}
	}
	if err := xw.Close(); err != nil {
		return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
	}
	return nil
}

type xlsxWriter struct {
	zw *zip.Writer
	b  *bufio.Writer
	n  int // rows written, the header included
}

// NewXLSX starts a one-sheet workbook with a bold header; rows follow as
// they are written, and Close finishes the file.
func NewXLSX(w io.Writer, header []string) (RowWriter, error) {
	if len(header) > 26 {
		return nil, fmt.Errorf("%d columns", len(header))
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, p := range xlsxParts {
		f, err := zw.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return nil, err
		}
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{zw: zw, b: bufio.NewWriterSize(f, 64<<10)}
	x.b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols>`)
	for i := range header {
		width := "14"
		if i == 0 {
			width = "22"
		}
		fmt.Fprintf(x.b, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, width)
	}
	x.b.WriteString(`</cols><sheetData>`)
	x.row(header, ` s="1"`)
	return x, nil
}

const cellOpen = `<c t="inlineStr"><is><t`

// row writes one row. Cell references are optional in SpreadsheetML (a
// cell without one is the next in its row) and would be a third of a
// long list's bytes, so there are none.
func (x *xlsxWriter) row(cells []string, style string) {
	x.n++
	b := x.b
	open := cellOpen
	if style != "" {
		open = `<c t="inlineStr"` + style + `><is><t`
	}
	b.WriteString(`<row>`)
	for _, c := range cells {
		b.WriteString(open)
		if strings.TrimSpace(c) != c {
			b.WriteString(` xml:space="preserve"`)
		}
		b.WriteByte('>')
		if plainXML(c) {
			b.WriteString(c)
		} else {
			xml.EscapeText(b, []byte(c)) // inline strings are never run as formulas
		}
		b.WriteString(`</t></is></c>`)
	}
	b.WriteString(`</row>`)
}

// plainXML reports whether s needs no escaping in XML text.
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80: // non-ASCII: leave invalid UTF-8 and the like to EscapeText
			if !utf8.ValidString(s[i:]) {
				return false
			}
			return plainXMLRest(s[i:])
		}
	}
	return true
}

// plainXMLRest checks the non-ASCII remainder: valid UTF-8 without
// characters XML forbids.
func plainXMLRest(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == '&' || r == '<' || r == '>' || r == '"' || r == '\'' || r == 0x7f ||
			r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

func (x *xlsxWriter) Write(r []string) error {
	x.row(r, "")
	return nil
}

func (x *xlsxWriter) Close() error {
	x.b.WriteString(`</sheetData></worksheet>`)
	if err := x.b.Flush(); err != nil {
		return err
	}
	return x.zw.Close()
}

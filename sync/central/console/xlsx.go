package console

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// column is the letter of the i-th column (0-based; lists have < 26).
func column(i int) string { return string(rune('A' + i)) }

// WriteXLSX writes the table as one worksheet. Every cell is text, so an
// identity number never turns into a rounded number.
func (t *Table) WriteXLSX(w io.Writer) error {
	if len(t.Header) > 26 {
		return fmt.Errorf("write %s.xlsx: %d columns", t.Name, len(t.Header))
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, p := range xlsxParts {
		f, err := zw.Create(p.name)
		if err != nil {
			return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
		}
	}
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
	}
	b := bufio.NewWriterSize(f, 64<<10)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols>`)
	for i := range t.Header {
		width := "14"
		if i == 0 {
			width = "22"
		}
		fmt.Fprintf(b, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, width)
	}
	b.WriteString(`</cols><sheetData>`)
	row := func(n int, cells []string, style string) {
		num := strconv.Itoa(n)
		b.WriteString(`<row r="` + num + `">`)
		for i, c := range cells {
			b.WriteString(`<c r="` + column(i) + num + `" t="inlineStr"` + style + `><is><t`)
			if strings.TrimSpace(c) != c {
				b.WriteString(` xml:space="preserve"`)
			}
			b.WriteByte('>')
			xml.EscapeText(b, []byte(c)) // inline strings are never run as formulas
			b.WriteString(`</t></is></c>`)
		}
		b.WriteString(`</row>`)
	}
	row(1, t.Header, ` s="1"`)
	for i, r := range t.Rows {
		row(i+2, r, "")
	}
	b.WriteString(`</sheetData></worksheet>`)
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write %s.xlsx: %w", t.Name, err)
	}
	return nil
}

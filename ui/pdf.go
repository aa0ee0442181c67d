package ui

import (
	"bytes"
	"fmt"
	"image/png"

	"certkiosk"
	"certkiosk/assets"

	"fyne.io/fyne/v2/lang"
	"github.com/go-pdf/fpdf"
)

// ReceiptInfo is what a printed receipt says. The identity number is
// masked: the receipt leaves the building.
type ReceiptInfo struct {
	Name     string
	MaskedID string
	Method   certkiosk.Method
	Verdict  certkiosk.Verdict
	Time     string // 2006-01-02 15:04, China time
	Terminal string
	Due      string
	Receipt  certkiosk.ReceiptCode
	Token    string // signed QR content
	// Pension is what happens next (PassSentence): when payment resumes
	// and the back pay arrives, or the next due date. "" prints nothing.
	Pension string
}

// ReceiptPDF lays out a receipt for an 80 mm roll printer, in the bundled
// Chinese font, with the signed QR code.
func ReceiptPDF(r ReceiptInfo) ([]byte, error) {
	p := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: 80, Ht: 175}})
	p.SetMargins(5, 6, 5)
	p.SetAutoPageBreak(false, 0)
	font, err := assets.ReceiptFont()
	if err != nil {
		return nil, err
	}
	p.AddUTF8FontFromBytes("sc", "", font)
	p.AddPage()
	p.SetFont("sc", "", 13)
	p.MultiCell(70, 6.5, lang.L("pdf.title"), "", "C", false)
	p.Ln(2)
	p.SetFont("sc", "", 10.5)
	row := func(k, v string) {
		p.CellFormat(27, 6.5, k, "", 0, "L", false, 0, "")
		p.MultiCell(43, 6.5, v, "", "L", false)
	}
	row(lang.L("pdf.name"), r.Name)
	row(lang.L("pdf.id"), r.MaskedID)
	row(lang.L("pdf.method"), lang.L("method."+string(r.Method)))
	row(lang.L("pdf.result"), lang.L("verdict."+string(r.Verdict)))
	row(lang.L("pdf.time"), r.Time)
	row(lang.L("pdf.due"), r.Due)
	row(lang.L("pdf.terminal"), r.Terminal)
	p.SetFont("sc", "", 12)
	row(lang.L("pdf.receipt"), string(r.Receipt))
	if r.Pension != "" {
		p.Ln(1)
		p.SetFont("sc", "", 11)
		for _, line := range wrapText(p, r.Pension, 68) {
			p.CellFormat(70, 6, line, "", 1, "L", false, 0, "")
		}
	}
	qr, err := ReceiptQR(r.Token, 400)
	if err != nil {
		return nil, err
	}
	var img bytes.Buffer
	if err := png.Encode(&img, qr); err != nil {
		return nil, fmt.Errorf("receipt PDF: %w", err)
	}
	p.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, &img)
	y := p.GetY() + 2
	p.ImageOptions("qr", 15, y, 50, 50, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.SetY(y + 52)
	p.SetFont("sc", "", 9)
	for _, line := range wrapText(p, lang.L("pdf.note"), 70) {
		p.CellFormat(70, 5, line, "", 1, "L", false, 0, "")
	}
	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("receipt PDF: %w", err)
	}
	return out.Bytes(), nil
}

// wrapText breaks text into lines no wider than width in the current font.
// fpdf's MultiCell drops the character at a break that is not a space —
// in Chinese, almost every break — so lines are cut here, rune by rune.
func wrapText(p *fpdf.Fpdf, text string, width float64) []string {
	var lines []string
	line := []rune{}
	for _, r := range text {
		if r == '\n' {
			lines = append(lines, string(line))
			line = line[:0]
			continue
		}
		if len(line) > 0 && p.GetStringWidth(string(append(line, r))) > width {
			lines = append(lines, string(line))
			line = line[:0]
		}
		line = append(line, r)
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return lines
}

package central

import (
	"io"
	"regexp"

	"certkiosk"
)

// idLike matches what may be an identity number in free text: 18
// characters (17 digits and a digit or X) or a legacy 15-digit number.
var idLike = regexp.MustCompile(`\b(\d{17}[\dXx]|\d{15})\b`)

// MaskIDs masks every identity number in s (110105********0039): errors
// and log lines never carry one whole, whatever wrapped error they quote
// (a file name, a path, a driver's message).
func MaskIDs(s string) string {
	if len(s) < 15 {
		return s
	}
	return idLike.ReplaceAllStringFunc(s, certkiosk.Mask)
}

// MaskingWriter writes to w with identity numbers masked (MaskIDs). Give
// it whole lines (a log.Logger writes one per call).
func MaskingWriter(w io.Writer) io.Writer { return maskingWriter{w} }

type maskingWriter struct{ w io.Writer }

func (m maskingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(m.w, MaskIDs(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

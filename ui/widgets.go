package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// BigButton is a button never smaller than the kiosk's tap target
// (SizeNameTarget, ≥ 60×60 px), whatever its label.
type BigButton struct {
	widget.Button
}

// NewBigButton makes a BigButton; icon may be nil.
func NewBigButton(label string, icon fyne.Resource, tapped func()) *BigButton {
	b := &BigButton{}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// MinSize grows the button's own minimum to the tap target.
func (b *BigButton) MinSize() fyne.Size {
	s := b.Button.MinSize()
	t := theme.Size(SizeNameTarget)
	return fyne.NewSize(max(s.Width, t), max(s.Height, t))
}

// TypedKey presses the button on Enter as well as Space: staff work the
// kiosk from the keyboard, and Enter is what people press.
func (b *BigButton) TypedKey(ev *fyne.KeyEvent) {
	if (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) && !b.Disabled() && b.OnTapped != nil {
		b.OnTapped()
		return
	}
	b.Button.TypedKey(ev)
}

// NewText makes a one-line label of the given theme text size.
func NewText(text string, size fyne.ThemeSizeName, bold bool) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = size
	l.TextStyle.Bold = bold
	return l
}

// NewParagraph makes a label that wraps at word (for Chinese: character)
// boundaries; use it where the layout gives it a width (VBox, Form, Border
// centre), never in an HBox.
func NewParagraph(text string, size fyne.ThemeSizeName, bold bool) *widget.Label {
	l := NewText(text, size, bold)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// Press taps the button whose label is the translation of key on the
// screen shown, as staff would; false when the screen has none. The
// kiosk's soak scenario drives the real screens with it.
func (k *Kiosk) Press(key string) bool {
	b := findButton(k.Window.Content(), lang.L(key))
	if b == nil || b.Disabled() || b.OnTapped == nil {
		return false
	}
	b.OnTapped()
	return true
}

// findButton is the BigButton labelled label under o (nil: none).
func findButton(o fyne.CanvasObject, label string) *BigButton {
	switch w := o.(type) {
	case *BigButton:
		if w.Text == label {
			return w
		}
	case *container.Scroll:
		return findButton(w.Content, label)
	case *fyne.Container:
		for _, c := range w.Objects {
			if b := findButton(c, label); b != nil {
				return b
			}
		}
	}
	return nil
}

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// CustomerView is the second window, facing the retiree on a second
// monitor: the live picture and the prompt, full-screen, nothing else.
type CustomerView struct {
	Window  fyne.Window
	Preview *Preview
	prompt  *widget.Label
}

// NewCustomerView opens the retiree-facing window. Staff drag it to the
// second monitor; it then fills that screen.
func NewCustomerView(a fyne.App) *CustomerView {
	c := &CustomerView{Window: a.NewWindow(lang.L("customer.title")), Preview: NewPreview(fyne.NewSize(640, 480))}
	c.prompt = widget.NewLabel(lang.L("customer.idle"))
	c.prompt.SizeName = SizeNamePromptText
	c.prompt.TextStyle.Bold = true
	c.prompt.Wrapping = fyne.TextWrapWord
	c.prompt.Alignment = fyne.TextAlignCenter
	c.Window.SetContent(container.NewBorder(c.prompt, nil, nil, nil, c.Preview.Image))
	c.Window.Resize(fyne.NewSize(1024, 768))
	return c
}

// SetPrompt shows text to the retiree (on the UI goroutine).
func (c *CustomerView) SetPrompt(text string) {
	if c != nil {
		c.prompt.SetText(text)
	}
}

// Prompt is the text shown.
func (c *CustomerView) Prompt() string { return c.prompt.Text }

// Package translation is the words of certkiosk, once: the JSON files in
// this folder (zh_Hans.json, the default, and en.json) hold every sentence
// a retiree or staff member reads, by key. The UI loads them into Fyne
// (assets.Translations); programs without Fyne (kioskctl) word a key or an
// error here, from the same embedded files. Plain Go: no Fyne.
package translation

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"certkiosk"
)

// Languages: Chinese, the default, and English.
const (
	Chinese = "zh_Hans"
	English = "en"
)

//go:embed *.json
var files embed.FS

var (
	loadOnce sync.Once
	words    map[string]map[string]string
	loadErr  error
)

func load() {
	words = map[string]map[string]string{}
	for _, l := range []string{Chinese, English} {
		data, err := files.ReadFile(l + ".json")
		if err != nil {
			loadErr = fmt.Errorf("translation %s: %w", l, err)
			return
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			loadErr = fmt.Errorf("translation %s: %w", l, err)
			return
		}
		words[l] = m
	}
}

// Keys returns the keys of language l (nil for an unknown language).
func Keys(l string) map[string]string {
	loadOnce.Do(load)
	if loadErr != nil {
		panic(loadErr) // the files are embedded: a test catches a broken one
	}
	return words[l]
}

// Text words key in language l ("zh_Hans" or "en"; anything else is
// Chinese), filling in args as Fyne does ({{.N}}). ok is false when the key
// is missing; text is then the key, as Fyne's lang.L shows it.
func Text(l, key string, args map[string]any) (text string, ok bool) {
	m := Keys(l)
	if m == nil {
		m = Keys(Chinese)
	}
	s, ok := m[key]
	if !ok {
		return key, false
	}
	if !strings.Contains(s, "{{") {
		return s, true
	}
	t, err := template.New(key).Parse(s)
	if err != nil {
		return s, true
	}
	var b bytes.Buffer
	if err := t.Execute(&b, args); err != nil {
		return s, true
	}
	return b.String(), true
}

// Msg words m in language l, its values that are messages first.
func Msg(l string, m certkiosk.Msg) string {
	return m.Text(func(key string, args map[string]any) string {
		s, _ := Text(l, key, args)
		return s
	})
}

// Error words err for staff in language l: the message its chain carries
// by key, else the words it carries (errors made outside the kiosk's
// translations), else the sentence for its kind (error.invalid, …).
func Error(l string, err error) string {
	if err == nil {
		return ""
	}
	if m, ok := certkiosk.ErrorMsgOf(err); ok {
		return Msg(l, m)
	}
	if s := certkiosk.ErrorWordsOf(err); s != "" && l == Chinese {
		return s
	}
	s, _ := Text(l, "error."+certkiosk.ErrorCodeOf(err), nil)
	return s
}

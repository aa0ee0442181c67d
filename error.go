package certkiosk

import (
	"errors"
	"fmt"
)

// Error codes: the kind of a failure, so a screen can choose what to say
// while the log keeps the detail (after upspin's and wtf's errors).
const (
	EINVALID      = "invalid"      // bad input; fix it and retry
	ENOTFOUND     = "not_found"    // no such retiree, record, staff member
	ECONFLICT     = "conflict"     // already exists / different content under one ID
	EUNAUTHORIZED = "unauthorized" // wrong PIN, locked account, missing role
	EUNAVAILABLE  = "unavailable"  // camera, network or central service is down
	EINTERNAL     = "internal"     // a bug or a broken machine
)

// Msg is words for staff (or a retiree) by their key in the translations
// (assets/translation: Chinese, the default, and English), with the values
// they name ({{.Minutes}}). The words live there once; a screen or a
// command words a Msg in its language (ui.ErrorText, translation.Msg).
type Msg struct {
	Key  string
	Args map[string]any // a value that is a Msg is worded first
}

// Text words m through lookup (one language's translations), wording the
// values that are messages first.
func (m Msg) Text(lookup func(key string, args map[string]any) string) string {
	if len(m.Args) == 0 {
		return lookup(m.Key, nil)
	}
	args := make(map[string]any, len(m.Args))
	for k, v := range m.Args {
		if sub, ok := v.(Msg); ok {
			v = sub.Text(lookup)
		}
		args[k] = v
	}
	return lookup(m.Key, args)
}

// Error is an application error: a code, a message for staff (Msg, by its
// key in the translations), and an English detail for logs. It may wrap a
// cause. Message holds Chinese words instead of a key only for errors made
// outside the kiosk's translations (the central and its console).
type Error struct {
	Code    string
	Msg     Msg    // the staff message, worded by the screen (no ID numbers)
	Message string // Simplified Chinese words, when there is no Msg
	Detail  string // English, for logs
	Err     error
}

// E builds an *Error whose message for staff is key in the translations
// ("error.staff.bad_pin"), with a formatted English detail. With adds the
// values the message names.
func E(code, key, format string, args ...any) *Error {
	return &Error{Code: code, Msg: Msg{Key: key}, Detail: fmt.Sprintf(format, args...)}
}

// With sets a value the message names ({{.name}}) and returns e.
func (e *Error) With(name string, v any) *Error {
	if e.Msg.Args == nil {
		e.Msg.Args = map[string]any{}
	}
	e.Msg.Args[name] = v
	return e
}

// Errorf builds an *Error with Chinese words for staff and a formatted
// English detail (the central's errors; the kiosk's use E).
func Errorf(code, message, format string, args ...any) *Error {
	return &Error{Code: code, Message: message, Detail: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	s := e.Code
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code; other error types may offer the same method.
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage returns the Chinese words, "" when the message is a Msg.
func (e *Error) ErrorMessage() string { return e.Message }

// ErrorMsg returns the message by key; its Key is "" when there is none.
func (e *Error) ErrorMsg() Msg { return e.Msg }

// ErrorCodeOf returns the code of the first error in err's chain that has
// one, EINTERNAL for any other error, and "" for nil.
func ErrorCodeOf(err error) string {
	if err == nil {
		return ""
	}
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return EINTERNAL
}

// ErrorMsgOf returns the message by key of the first error in err's chain
// that has one (ErrorMsg() with a Key); ok is false when none has.
func ErrorMsgOf(err error) (m Msg, ok bool) {
	var c interface{ ErrorMsg() Msg }
	if errors.As(err, &c) && c.ErrorMsg().Key != "" {
		return c.ErrorMsg(), true
	}
	return Msg{}, false
}

// ErrorWordsOf returns the Chinese words of the first error in err's chain
// that has some (ErrorMessage()), "" when none has: errors made outside the
// kiosk's translations. Screens word an error through its Msg first.
func ErrorWordsOf(err error) string {
	var m interface{ ErrorMessage() string }
	if errors.As(err, &m) {
		return m.ErrorMessage()
	}
	return ""
}

// ErrorMessageOf returns the Chinese words to show for err (ErrorWordsOf),
// or a generic sentence that hides internal detail. The central's console
// uses it; the kiosk words errors from the translations (ErrorMsgOf).
func ErrorMessageOf(err error) string {
	if err == nil {
		return ""
	}
	if s := ErrorWordsOf(err); s != "" {
		return s
	}
	return "系统出错，请联系管理员"
}

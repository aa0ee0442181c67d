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

// Error is an application error: a code, a Chinese message for staff, and an
// English detail for logs. It may wrap a cause.
type Error struct {
	Code    string
	Message string // Simplified Chinese, safe to show (no ID numbers)
	Detail  string // English, for logs
	Err     error
}

// Errorf builds an *Error with a formatted English detail.
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

// ErrorMessage returns the Chinese message.
func (e *Error) ErrorMessage() string { return e.Message }

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

// ErrorMessageOf returns the Chinese message to show for err: the first one
// in its chain, or a generic sentence that hides internal detail.
func ErrorMessageOf(err error) string {
	if err == nil {
		return ""
	}
	var m interface{ ErrorMessage() string }
	if errors.As(err, &m) && m.ErrorMessage() != "" {
		return m.ErrorMessage()
	}
	return "系统出错，请联系管理员"
}

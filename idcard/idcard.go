// Package idcard reads second-generation resident identity cards
// (二代身份证) on the desktop readers (身份证阅读机具) of service halls, which
// speak the SAM serial protocol of GA 467 over serial or USB-serial:
// find the card, select it, read its text and photo.
//
// The package links no UI and no computer vision. A Reader reads one card;
// Watch turns a reader into events (card placed, card removed, reader gone,
// reader back) and reopens an unplugged reader. A Simulator answers as a
// reader with a given card, in-process (for the kiosk's demo mode) or on a
// pseudo-terminal (for tests and `kioskctl idcard simulate`).
//
// Identity numbers are never logged in full: Card's String masks them.
package idcard

import (
	"context"
	"errors"
	"fmt"

	"certkiosk"
)

// Reader is one card reader.
type Reader interface {
	// Poll reports whether a card lies on the reader, without reading it.
	Poll(ctx context.Context) (bool, error)
	// Read finds, selects and reads the card on the reader. The error is
	// an *Error (see Code) for anything but a cancelled context.
	Read(ctx context.Context) (*Card, error)
	// Close releases the reader.
	Close() error
}

// Opener opens a reader; Watch calls it again after the reader is gone.
type Opener func(ctx context.Context) (Reader, error)

// Failure codes of *Error, as `kioskctl idcard read --json` reports them.
const (
	CodeNoCard   = "no_card"   // no card on the reader (or it was taken away)
	CodeNoReader = "no_reader" // no device, the device does not answer, or it is gone
	CodeBadFrame = "bad_frame" // the reader's answers do not parse or fail their checksum
	CodeBadCard  = "bad_card"  // the card answered but its data is not a valid identity card
)

// Error is a failure of the reader or the card: a code, a Chinese sentence
// for staff (never with the full identity number) and the cause.
type Error struct {
	Code    string
	Message string // Simplified Chinese, for screens
	Detail  string // English, for logs
	Err     error
}

func (e *Error) Error() string {
	s := "idcard " + e.Code
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

// ErrorMessage gives the Chinese sentence (certkiosk.ErrorMessageOf).
func (e *Error) ErrorMessage() string { return e.Message }

// ErrorCode maps the failure onto certkiosk's error kinds
// (certkiosk.ErrorCodeOf); Code keeps the reader's own code.
func (e *Error) ErrorCode() string {
	switch e.Code {
	case CodeNoCard:
		return certkiosk.ENOTFOUND
	case CodeBadCard:
		return certkiosk.EINVALID
	default:
		return certkiosk.EUNAVAILABLE
	}
}

func newError(code, message string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: message, Detail: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the idcard failure code in err's chain ("" when none).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Chinese sentences for staff.
const (
	msgNoCard     = "没有检测到身份证，请把身份证平放在阅读器上"
	msgNoReader   = "身份证阅读器没有连接或没有应答，请检查连接线"
	msgBadFrame   = "身份证阅读器通信出错，请重新放置身份证再试"
	msgBadCard    = "身份证信息无效，无法读取，请人工核对证件"
	msgReaderAuth = "身份证阅读器自检失败或未经授权，请联系管理员"
)

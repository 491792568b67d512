package handlers

import (
	"errors"
	"unicode/utf8"
)

// UserError is an error whose Msg is safe and useful to show the sender: it
// says what was wrong and what to do instead. Err, when set, classifies it
// for logs and tests (errors.Is) and never reaches the user.
type UserError struct {
	Msg string
	Err error
}

func (e *UserError) Error() string {
	if e.Err != nil {
		return "handlers: " + e.Err.Error()
	}
	return "handlers: user error"
}

func (e *UserError) Unwrap() error { return e.Err }

// Classes of user errors; compare with errors.Is.
var (
	ErrForbidden   = errors.New("forbidden")    // role or unit does not allow it
	ErrBadInput    = errors.New("bad input")    // unparsable command arguments
	ErrFileRefused = errors.New("file refused") // type, size or download problem
	errBadDate     = errors.Join(ErrBadInput, errors.New("bad date"))
)

// genericFailure is the only thing a user ever sees of an internal error.
const genericFailure = "系统暂时无法处理，请稍后再试。"

func userErr(class error, msg string) error { return &UserError{Msg: msg, Err: class} }

// clip shortens s to at most n runes for echoing user input back.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

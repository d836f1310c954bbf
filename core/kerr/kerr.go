// Package kerr is Kafka's table of broker error codes: each code's name,
// whether it is retriable, and what it means. A non-zero error code in a
// response becomes an *Error, which callers test with errors.As or IsRetriable.
package kerr

import (
	"errors"
	"strconv"
)

// Error is one Kafka error code.
type Error struct {
	Code        int16
	Name        string
	Retriable   bool
	Description string
}

func (e *Error) Error() string { return e.Name + ": " + e.Description }

var byCode = func() map[int16]*Error {
	m := make(map[int16]*Error, len(table))
	for i := range table {
		m[table[i].Code] = &table[i]
	}
	return m
}()

// Known returns the table's entry for code, and false for 0 and for codes
// the table does not list.
func Known(code int16) (*Error, bool) {
	e, ok := byCode[code]
	return e, ok
}

// ForCode returns the error for code: nil for 0, and for a code this table
// does not know, an Error named UNKNOWN_ERROR_CODE_<n> (never nil), so a
// newer broker's code is still reported.
func ForCode(code int16) *Error {
	if code == 0 {
		return nil
	}
	if e, ok := byCode[code]; ok {
		return e
	}
	return &Error{Code: code, Name: unknownName(code), Description: "an error code this client does not know"}
}

// Name is the symbolic name of code: "NONE" for 0, UNKNOWN_ERROR_CODE_<n>
// for codes the table does not know.
func Name(code int16) string {
	if code == 0 {
		return "NONE"
	}
	return ForCode(code).Name
}

func unknownName(code int16) string { return "UNKNOWN_ERROR_CODE_" + strconv.Itoa(int(code)) }

// All returns every known code in ascending order, for bindings that export
// the table.
func All() []Error { return append([]Error(nil), table...) }

// IsRetriable reports whether err wraps a Kafka error that may succeed when
// retried.
func IsRetriable(err error) bool {
	var ke *Error
	return errors.As(err, &ke) && ke.Retriable
}

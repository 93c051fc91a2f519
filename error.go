package runbook

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps them to statuses in
// one place; the CLI maps them to exit messages.
const (
	EINVALID      = "invalid"       // bad input from the caller
	ENOTFOUND     = "not_found"     // unknown runbook, execution, step
	ECONFLICT     = "conflict"      // the current state does not allow the operation
	EFORBIDDEN    = "forbidden"     // the actor may not do this
	EUNAUTHORIZED = "unauthorized"  // no or bad credentials
	ETOOLARGE     = "too_large"     // request or payload over a limit
	EUNSUPPORTED  = "unsupported"   // wrong content type or protocol
	EUNAVAILABLE  = "unavailable"   // a dependency (the store) does not answer
	EINTERNAL     = "internal"      // a fault of ours
	ETIMEOUT      = "timeout"       // a deadline passed
	ECANCELLED    = "cancelled"     // the operation was cancelled
	EUNRESOLVED   = "unresolved"    // a field path or placeholder names no value
	ESTALE        = "stale_version" // an optimistic concurrency check failed
)

// Error is the one error type of the domain: a machine-readable code, a
// message safe to show a user, and optional per-field details.
type Error struct {
	Code    string
	Message string
	Details []FieldError
	Err     error // the cause, for logs; never shown to clients
}

// FieldError is one problem with one field of an input, such as a step of a
// runbook definition.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of its
// *Error, or a generic text for internal errors so that details do not leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the field details of err's *Error, if any.
func ErrorDetails(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/runbookhq/runbook"
)

// invalidParam is the 400 of a bad query parameter.
func invalidParam(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &runbook.Error{Code: runbook.EINVALID, Message: name + ": " + msg,
		Details: []runbook.FieldError{{Field: name, Message: msg}}}
}

// intParam reads an integer query parameter within [lo, hi], def when
// absent.
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalidParam(name, "%q is not a whole number", v)
	}
	if n < lo || n > hi {
		return 0, invalidParam(name, "must be between %d and %d, not %d", lo, hi, n)
	}
	return n, nil
}

// seqParam reads a history sequence number (0 when absent).
func seqParam(name, v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidParam(name, "%q is not a sequence number (a whole number, 0 or more)", v)
	}
	return n, nil
}

// timeParam reads an RFC 3339 query parameter (zero when absent).
func timeParam(q url.Values, name string) (time.Time, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, invalidParam(name, "%q is not an RFC 3339 time such as 2026-03-01T09:00:00Z", v)
	}
	return t, nil
}

// userOf returns who acts: the body's user when given, else the X-User-Id
// header ("" when neither says). Until the API authenticates, both are
// taken on trust.
func userOf(r *http.Request, fromBody string) string {
	if u := strings.TrimSpace(fromBody); u != "" {
		return u
	}
	return strings.TrimSpace(r.Header.Get(headerUserID))
}

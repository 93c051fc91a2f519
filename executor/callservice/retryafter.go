package callservice

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps the delay a target may ask for, so that a bogus header
// cannot overflow or park a step for years.
const maxRetryAfter = 24 * time.Hour

// retryAfterMs parses a Retry-After header value, delta-seconds or an
// HTTP-date relative to now, into milliseconds. It returns 0 when the value
// is absent, unparsable or in the past.
func retryAfterMs(value string, now time.Time) int64 {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter.Milliseconds()
		}
		d = time.Duration(secs) * time.Second
	} else {
		t, err := http.ParseTime(value)
		if err != nil {
			return 0
		}
		d = t.Sub(now)
		if d <= 0 {
			return 0
		}
	}
	return min(d, maxRetryAfter).Milliseconds()
}

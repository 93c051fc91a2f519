package callservice

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfterMs(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		value string
		want  int64
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{" 7 ", 7000},
		{"3600", 3_600_000},
		{"99999999999999999", maxRetryAfter.Milliseconds()},
		{now.Add(2 * time.Second).Format(http.TimeFormat), 2000},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter.Milliseconds()},
		{now.Format(http.TimeFormat), 0},
		{"Mon, 02 Jan 2006", 0},
		{"1.5", 0},
	}
	for _, tt := range tests {
		if got := retryAfterMs(tt.value, now); got != tt.want {
			t.Errorf("retryAfterMs(%q) = %d, want %d", tt.value, got, tt.want)
		}
	}
}

func FuzzRetryAfterMs(f *testing.F) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, s := range []string{"120", "0", "-1", "Tue, 04 Mar 2025 05:07:07 GMT", "Tuesday, 04-Mar-25 05:07:07 GMT", "Tue Mar  4 05:07:07 2025", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got := retryAfterMs(value, now)
		if got < 0 || got > maxRetryAfter.Milliseconds() {
			t.Errorf("retryAfterMs(%q) = %d, out of [0, %d]", value, got, maxRetryAfter.Milliseconds())
		}
	})
}

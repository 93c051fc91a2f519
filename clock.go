package runbook

import "time"

// Clock is the engine's source of time. Tests inject a fake clock so that
// retries, approval deadlines and timeouts can be driven without sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once d has passed on this clock.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped it.
	Stop() bool
}

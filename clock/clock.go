// Package clock provides the real clock and a fake one for tests, both
// implementing runbook.Clock.
package clock

import (
	"time"

	"github.com/runbookhq/runbook"
)

// Real is the wall clock.
type Real struct{}

// Now returns the current time in UTC.
func (Real) Now() time.Time { return time.Now().UTC() }

// NewTimer returns a timer of the wall clock.
func (Real) NewTimer(d time.Duration) runbook.Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Package clock provides the clocks that implement runbook.Clock: the real
// one, a fake one for tests, and one kept to a reference such as the clock
// of a database that several replicas share (Synced).
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

package clock

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/runbookhq/runbook"
)

// SyncTolerance is the smallest correction a Synced clock makes: a
// measured offset closer than that to the one in use is left alone. A
// round trip's measurement error is far below it, so a node whose clock
// agrees with the reference keeps an offset of exactly zero instead of one
// that jitters; leases and timers, counted in seconds, do not notice
// less.
const SyncTolerance = 20 * time.Millisecond

// syncSamples is how many round trips one Sync makes; the shortest gives
// the offset, as in NTP: its midpoint is the closest to the moment the
// reference read its clock.
const syncSamples = 3

// Synced is a clock that keeps to a reference clock, in practice the clock
// of the database that several replicas share: its Now is the base
// clock's time plus the offset last measured by Sync, so that every
// replica's leases and timers are in the same time whatever its own clock
// says. Timers are the base clock's: a duration needs no correction. It
// is safe for concurrent use.
type Synced struct {
	base   runbook.Clock
	ref    runbook.ClockReference
	offset atomic.Int64 // nanoseconds added to the base clock's time
}

// NewSynced returns a clock that keeps base to ref once Sync has run; until
// then it is base.
func NewSynced(base runbook.Clock, ref runbook.ClockReference) *Synced {
	return &Synced{base: base, ref: ref}
}

// Now returns the base clock's time corrected by the offset in use.
func (s *Synced) Now() time.Time {
	return s.base.Now().Add(time.Duration(s.offset.Load()))
}

// NewTimer returns a timer of the base clock.
func (s *Synced) NewTimer(d time.Duration) runbook.Timer { return s.base.NewTimer(d) }

// Offset returns the correction in use: the reference's time minus the
// base clock's.
func (s *Synced) Offset() time.Duration { return time.Duration(s.offset.Load()) }

// Sync measures the offset of the reference from the base clock and uses
// it when it differs from the one in use by SyncTolerance or more. It
// returns the offset in use afterwards and whether it changed. On an
// error the offset in use is kept.
func (s *Synced) Sync(ctx context.Context) (offset time.Duration, changed bool, err error) {
	var best, bestTrip time.Duration
	for i := range syncSamples {
		before := s.base.Now()
		at, err := s.ref.ReferenceTime(ctx)
		if err != nil {
			return s.Offset(), false, fmt.Errorf("read the reference clock: %w", err)
		}
		after := s.base.Now()
		trip := after.Sub(before)
		if i == 0 || trip < bestTrip {
			best, bestTrip = at.Sub(before.Add(trip/2)), trip
		}
	}
	current := s.Offset()
	if diff := best - current; diff < SyncTolerance && diff > -SyncTolerance {
		return current, false, nil
	}
	s.offset.Store(int64(best))
	return best, true, nil
}

package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// reference is a reference clock for tests: each read takes trips[i] of
// the base clock's time (the round trip) and reports the base's time at
// the middle of it plus skew.
type reference struct {
	base  *Fake
	skew  time.Duration
	trips []time.Duration
	reads int
	err   error
}

func (r *reference) ReferenceTime(context.Context) (time.Time, error) {
	if r.err != nil {
		return time.Time{}, r.err
	}
	var trip time.Duration
	if r.reads < len(r.trips) {
		trip = r.trips[r.reads]
	}
	r.reads++
	r.base.Advance(trip / 2)
	at := r.base.Now().Add(r.skew)
	r.base.Advance(trip - trip/2)
	return at, nil
}

var syncStart = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// A node whose clock is an hour ahead of the database's reads the
// database's time once synced, and keeps its own timers.
func TestSyncedKeepsToTheReference(t *testing.T) {
	t.Parallel()
	base := NewFake(syncStart)
	s := NewSynced(base, &reference{base: base, skew: -time.Hour})
	if got := s.Now(); !got.Equal(syncStart) {
		t.Fatalf("before Sync: %v, want the base clock's %v", got, syncStart)
	}
	offset, changed, err := s.Sync(t.Context())
	if err != nil || !changed || offset != -time.Hour {
		t.Fatalf("Sync = %v, %v, %v; want -1h, changed", offset, changed, err)
	}
	if got, want := s.Now(), base.Now().Add(-time.Hour); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
	timer := s.NewTimer(time.Second)
	base.Advance(time.Second)
	select {
	case <-timer.C():
	default:
		t.Fatal("a timer of the synced clock did not fire when the base clock passed its deadline")
	}
}

// The offset comes from the read with the shortest round trip: the others
// may have waited anywhere in theirs.
func TestSyncedTakesTheShortestRoundTrip(t *testing.T) {
	t.Parallel()
	base := NewFake(syncStart)
	// The reference answers at the middle of every trip except the long
	// ones, whose answers come late: a skew measured on them is off.
	ref := &reference{base: base, skew: 5 * time.Second,
		trips: []time.Duration{900 * time.Millisecond, 2 * time.Millisecond, 400 * time.Millisecond}}
	s := NewSynced(base, lateAnswers{ref, map[int]time.Duration{0: 300 * time.Millisecond, 2: 150 * time.Millisecond}})
	offset, _, err := s.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if offset != 5*time.Second {
		t.Fatalf("offset %v, want the 2ms round trip's 5s", offset)
	}
	if ref.reads != syncSamples {
		t.Fatalf("%d reads of the reference, want %d", ref.reads, syncSamples)
	}
}

// lateAnswers moves the base clock on after some reads of a reference, as
// if their answer spent that long on the way back.
type lateAnswers struct {
	*reference
	late map[int]time.Duration
}

func (l lateAnswers) ReferenceTime(ctx context.Context) (time.Time, error) {
	read := l.reads
	at, err := l.reference.ReferenceTime(ctx)
	l.base.Advance(l.late[read])
	return at, err
}

// Offsets within SyncTolerance of the one in use are not applied: a clock
// that agrees with the database stays exactly on its own time.
func TestSyncedIgnoresOffsetsWithinTheTolerance(t *testing.T) {
	t.Parallel()
	base := NewFake(syncStart)
	ref := &reference{base: base, skew: SyncTolerance - time.Millisecond}
	s := NewSynced(base, ref)
	if offset, changed, err := s.Sync(t.Context()); err != nil || changed || offset != 0 {
		t.Fatalf("Sync = %v, %v, %v; want 0, unchanged", offset, changed, err)
	}
	ref.skew = 3 * time.Second
	if offset, changed, _ := s.Sync(t.Context()); !changed || offset != 3*time.Second {
		t.Fatalf("Sync = %v, %v; want 3s, changed", offset, changed)
	}
	ref.skew = 3*time.Second + SyncTolerance - time.Millisecond
	if offset, changed, _ := s.Sync(t.Context()); changed || offset != 3*time.Second {
		t.Fatalf("Sync = %v, %v; want 3s kept", offset, changed)
	}
	ref.skew = 3*time.Second - SyncTolerance
	if offset, changed, _ := s.Sync(t.Context()); !changed || offset != 3*time.Second-SyncTolerance {
		t.Fatalf("Sync = %v, %v; want %v, changed", offset, changed, 3*time.Second-SyncTolerance)
	}
}

// A failed read keeps the offset in use.
func TestSyncedKeepsItsOffsetWhenTheReferenceFails(t *testing.T) {
	t.Parallel()
	base := NewFake(syncStart)
	ref := &reference{base: base, skew: time.Minute}
	s := NewSynced(base, ref)
	if _, _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	ref.err = errors.New("connection refused")
	offset, changed, err := s.Sync(t.Context())
	if !errors.Is(err, ref.err) || changed || offset != time.Minute || s.Offset() != time.Minute {
		t.Fatalf("Sync = %v, %v, %v; want the error and 1m kept", offset, changed, err)
	}
}

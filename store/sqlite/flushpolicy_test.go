package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFlushPolicyHoldsThePOnlyWhileFlushesAreFast checks when a flush is
// made as a raw call: with more than one P and while recent flushes were
// fast; a slow disk turns it off until flushes are fast again.
func TestFlushPolicyHoldsThePOnlyWhileFlushesAreFast(t *testing.T) {
	t.Parallel()
	p := &flushPolicy{procs: fixedProcs(2)}
	if !p.raw() {
		t.Fatal("a new policy with two Ps flushes with ordinary calls; want raw until a flush is slow")
	}
	p.observe(20 * time.Millisecond)
	if p.raw() {
		t.Fatalf("after a 20 ms flush (average %v) the policy still holds the P", p.avg)
	}
	fast := 0
	for p.avg >= rawFlushLimit {
		p.observe(200 * time.Microsecond)
		fast++
	}
	if !p.raw() || fast > 20 {
		t.Fatalf("after %d fast flushes (average %v): raw %v; want raw again within 20", fast, p.avg, p.raw())
	}
	if one := (&flushPolicy{procs: fixedProcs(1)}); one.raw() {
		t.Fatal("with a single P the policy holds it during flushes; the process needs it while the disk works")
	}
}

// TestFlushPolicyFlushes checks that both kinds of flush work and that
// each is timed.
func TestFlushPolicyFlushes(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "wal"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, procs := range []int{1, 2} {
		p := &flushPolicy{procs: fixedProcs(procs)}
		if _, err := f.WriteString("frame"); err != nil {
			t.Fatal(err)
		}
		if err := p.flush(f); err != nil {
			t.Fatalf("flush with %d Ps: %v", procs, err)
		}
		if p.avg <= 0 {
			t.Fatalf("flush with %d Ps was not timed: average %v", procs, p.avg)
		}
	}
	closed, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := (&flushPolicy{procs: fixedProcs(2)}).flush(closed); err == nil {
		t.Fatal("a raw flush of a closed file succeeded; want its error")
	}
}

// fixedProcs stands for runtime.GOMAXPROCS in the tests.
func fixedProcs(n int) func() int { return func() int { return n } }

// TestFlushPolicyFollowsGOMAXPROCS checks that the policy reads the
// number of Ps at every flush: the runtime may change it while the store
// is open.
func TestFlushPolicyFollowsGOMAXPROCS(t *testing.T) {
	t.Parallel()
	procs := 2
	p := &flushPolicy{procs: func() int { return procs }}
	if !p.raw() {
		t.Fatal("with two Ps and fast flushes the policy does not hold the P")
	}
	procs = 1
	if p.raw() {
		t.Fatal("GOMAXPROCS went down to 1 and the policy still holds the P")
	}
}

package storetest

import (
	"context"
	"testing"

	"github.com/runbookhq/runbook"
)

// test is one check of the suite, run against its own store.
type test struct {
	name string
	run  func(t *testing.T, s runbook.Store)
}

// Run runs the conformance suite: one parallel subtest per rule, each with
// a new store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) runbook.Store) {
	t.Helper()
	var all []test
	for _, group := range [][]test{runbookTests(), commitTests(), executionTests(), taskTests(), eventTests(), lifecycleTests()} {
		all = append(all, group...)
	}
	if defers(newStore(t)) {
		all = append(all, deferTests()...)
	}
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// Open opens a store with open (such as sqlite.Open or postgres.Open) at
// where, and closes it when tb ends. Either failing fails tb.
func Open[S runbook.Store](tb testing.TB, open func(ctx context.Context, where string) (S, error), where string) S {
	tb.Helper()
	s, err := open(tb.Context(), where)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

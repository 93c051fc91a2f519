package storetest

import (
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
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// Package storetest is the conformance suite of runbook.Store: every
// backend (memory, sqlite, postgres) runs Run in its tests and Benchmark in
// its benchmarks, so they all keep the same promises.
//
// The suite relies only on the Store interface. newStore must return an
// empty store for each call and close it in a t.Cleanup; every subtest gets
// its own store and runs in parallel with the others.
//
// Stores may return nil or empty slices alike for empty byte slices and
// approver lists; times must come back in UTC with at least microsecond
// precision (the suite uses microsecond times). History events are compared
// by their JSON encoding, since SQL stores keep them as JSON.
package storetest

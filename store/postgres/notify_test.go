package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

// A store listening for task notifications is woken by the other stores of
// its schema when they put a task no process holds or give leases back,
// and only then: not by its own commits, not by tasks their writer leased
// to itself, not by a release that gave nothing back, not by another
// schema.
func TestTaskNotifications(t *testing.T) {
	t.Parallel()
	uri := schemaURI(t)
	a, b := openStore(t, uri), openStore(t, uri)
	elsewhere := openStore(t, schemaURI(t))

	wakes := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() { stopped <- a.WatchTasks(ctx, func() { wakes <- struct{}{} }) }()
	await := func(why string) {
		t.Helper()
		select {
		case <-wakes:
		case err := <-stopped:
			t.Fatalf("WatchTasks stopped before %s: %v", why, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("not woken: %s", why)
		}
		// Notifications arrive in commit order: one that should not have
		// woken a and was sent before would be queued by now.
		if n := len(wakes); n != 0 {
			t.Fatalf("%d more wake-ups than expected, before %s", n, why)
		}
	}
	timer := func(exec int) *runbook.Transition {
		return newExecution(execID(exec), &runbook.Task{ExecutionID: execID(exec), Key: "timer", Kind: runbook.TaskTimer, DueAt: at(60)})
	}
	await("listening")

	mustCommit(t, a, timer(1))         // a's own
	mustCommit(t, elsewhere, timer(2)) // another schema
	mustCommit(t, b, newExecution(execID(3), &runbook.Task{ExecutionID: execID(3), Key: "run", Kind: runbook.TaskRun,
		DueAt: at(0), Owner: "node-b", LeaseExpiresAt: at(30)})) // leased to its writer
	mustCommit(t, b, timer(4))
	await("b put a task no one holds")

	if err := b.ReleaseLeases(t.Context(), "nobody"); err != nil { // nothing to give back
		t.Fatal(err)
	}
	if err := b.ReleaseLeases(t.Context(), "node-b"); err != nil {
		t.Fatal(err)
	}
	await("b gave its leases back")

	cancel()
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WatchTasks returned %v when its context ended", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WatchTasks did not return when its context ended")
	}
}

// The store reads the database server's clock: the time the replicas
// sharing it keep to. The server runs on this machine, so its clock and
// the test's agree.
func TestReferenceTimeIsTheDatabasesClock(t *testing.T) {
	t.Parallel()
	s := openStore(t, schemaURI(t))
	before := time.Now()
	at, err := s.ReferenceTime(t.Context())
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(before.Add(-time.Second)) || at.After(after.Add(time.Second)) {
		t.Fatalf("database time %v, want between %v and %v", at, before, after)
	}
	later, err := s.ReferenceTime(t.Context())
	if err != nil || !later.After(at) {
		t.Fatalf("a second read = %v, %v; want a later time than %v (the clock, not the transaction's start)", later, err, at)
	}
	s.Close()
	if _, err := s.ReferenceTime(t.Context()); runbook.ErrorCode(err) != runbook.EUNAVAILABLE {
		t.Fatalf("after Close: %v, want an %s error", err, runbook.EUNAVAILABLE)
	}
}

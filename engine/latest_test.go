package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/spec"
)

// versionLister counts the store's listings of a runbook's versions.
type versionLister struct {
	runbook.Store
	lists atomic.Int32
}

func (s *versionLister) ListRunbookVersions(ctx context.Context, id string) ([]*runbook.RunbookRecord, error) {
	s.lists.Add(1)
	return s.Store.ListRunbookVersions(ctx, id)
}

const versionedRunbook = `
id: versioned
version: "VERSION"
steps:
  - {id: only, type: call-service, config: {url: "STUB/json?n=1", method: POST}}
`

// On a shared store, a start without a version runs the latest one: the
// engine keeps it between starts instead of listing the versions each
// time, and a version stored by another node since refuses the start,
// which then takes the new one.
func TestAStartRunsTheLatestVersionStoredByAnyNode(t *testing.T) {
	t.Parallel()
	var lister *versionLister
	h := newHarness(t, func(c *engine.Config) {
		lister = &versionLister{Store: c.Store}
		c.Store, c.ExclusiveStore = lister, false
	})
	h.put(strings.ReplaceAll(versionedRunbook, "VERSION", "1.0.0"))
	// Another node of the shared store, which only stores a version: on
	// the harness's clock, so that it does not take this engine's leases
	// for expired ones.
	other := secondEngine(t, h, false, func(c *engine.Config) { c.Clock, c.PollInterval = h.clock, time.Hour })

	version := func(id string) string {
		t.Helper()
		x := waitOn(t, h.e, id)
		if x.Status != runbook.ExecutionCompleted {
			t.Fatalf("execution %s: %s", id, describe(x))
		}
		return x.RunbookVersion
	}
	if v := version(h.start("versioned", nil)); v != "1.0.0" {
		t.Fatalf("first start ran version %s, want 1.0.0", v)
	}
	listed := lister.lists.Load()
	if v := version(h.start("versioned", nil)); v != "1.0.0" {
		t.Fatalf("second start ran version %s, want 1.0.0", v)
	}
	if n := lister.lists.Load() - listed; n != 0 {
		t.Fatalf("the second start listed the versions %d times; the engine keeps the latest", n)
	}

	rb, err := spec.Parse([]byte(strings.ReplaceAll(strings.ReplaceAll(versionedRunbook, "VERSION", "1.1.0"), "STUB", h.url)), spec.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.PutRunbook(context.Background(), rb); err != nil {
		t.Fatal(err)
	}
	if v := version(h.start("versioned", nil)); v != "1.1.0" {
		t.Fatalf("after another node stored 1.1.0, a start ran version %s", v)
	}
	got, err := h.e.GetRunbook(context.Background(), "versioned", "")
	if err != nil || got.Version != "1.1.0" {
		t.Fatalf("GetRunbook of the latest = %v, %v; want 1.1.0", got, err)
	}
}

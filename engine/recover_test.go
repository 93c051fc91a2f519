package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
)

// secondEngine starts another engine on the harness's store, as a new
// process (after a restart) or another node would; configure may change
// its settings.
func secondEngine(t *testing.T, h *harness, exclusive bool, configure ...func(*engine.Config)) *engine.Engine {
	t.Helper()
	ev, err := expr.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	cfg := engine.Config{Store: h.store, Executors: builtin.Registry(ev, builtin.Options{}), Evaluator: ev,
		Clock: clock.Real{}, ShutdownGrace: time.Second, ExclusiveStore: exclusive, PollInterval: 20 * time.Millisecond}
	for _, c := range configure {
		c(&cfg)
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	t.Cleanup(func() { e.Close() })
	return e
}

const heldRunbook = `
id: held
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "STUB/json?n=1", method: POST}}
  - {id: slow, type: call-service, dependsOn: [first], config: {url: "STUB/gate/slow", method: POST}}
  - {id: last, type: call-service, dependsOn: [slow], config: {url: "STUB/json?n=3", method: POST}}
`

// waitOn waits, through engine e, until the execution ends.
func waitOn(t *testing.T, e *engine.Engine, id string) *runbook.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := e.Watch(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range events {
	}
	x, err := e.GetExecution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Status.Terminal() {
		t.Fatalf("execution did not end: %s", describe(x))
	}
	return x
}

func TestAnAttemptInterruptedByAStopRunsAgainAfterARestart(t *testing.T) {
	t.Parallel()
	onBothStoreKinds(t, func(t *testing.T, exclusive bool) {
		h := newHarness(t, func(c *engine.Config) {
			c.ExclusiveStore = exclusive
			c.ShutdownGrace = 10 * time.Millisecond
		})
		h.put(heldRunbook)
		id := h.start("held", nil)
		h.gates.waitArrived(t, "slow")
		// The first process stops while the attempt is in flight: the
		// attempt is interrupted and not recorded.
		if err := h.e.Close(); err != nil {
			t.Fatal(err)
		}
		if s := h.get(id).StepResults["slow"].Status; s != runbook.StepRunning {
			t.Fatalf("the interrupted attempt was recorded as %s", s)
		}
		h.gates.open("slow")
		e2 := secondEngine(t, h, exclusive)
		x := waitOn(t, e2, id)
		if x.Status != runbook.ExecutionCompleted {
			t.Fatalf("after the restart: %s", describe(x))
		}
		if n := len(h.stub.Requests("/json")); n != 2 {
			t.Fatalf("first and last must run once each, got %d calls", n)
		}
		var deliveries int
		for _, ev := range h.history(id) {
			if ev.Type == runbook.EventStepCompleted && ev.StepID == "slow" {
				deliveries = ev.Deliveries
			}
		}
		if deliveries != 2 {
			t.Fatalf("the completion must record the redelivery, deliveries = %d", deliveries)
		}
		if err := engine.CheckFold(context.Background(), e2, id); err != nil {
			t.Fatal(err)
		}
	})
}

// A step that ends while the engine is stopping does not start the next
// one on this node (the worker that would run it refuses it), and the
// next start runs it: once, on both kinds of store.
func TestTheNextStepOfAChainEndingDuringAStopRunsAfterTheRestart(t *testing.T) {
	t.Parallel()
	onBothStoreKinds(t, func(t *testing.T, exclusive bool) {
		h := newHarness(t, func(c *engine.Config) {
			c.ExclusiveStore = exclusive
			c.ShutdownGrace = time.Minute // the held attempt may finish
		})
		h.put(heldRunbook)
		id := h.start("held", nil)
		h.gates.waitArrived(t, "slow")
		closed := make(chan error, 1)
		go func() { closed <- h.e.Close() }()
		deadline := time.Now().Add(10 * time.Second)
		for !engine.Closing(h.e) {
			if time.Now().After(deadline) {
				t.Fatal("Close did not begin")
			}
			time.Sleep(time.Millisecond) // Close has no signal of its start to wait on
		}
		h.gates.open("slow") // slow completes during the grace period
		select {
		case err := <-closed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Close did not return once the attempt finished")
		}
		x := h.get(id)
		if x.StepResults["slow"].Status != runbook.StepCompleted || x.StepResults["last"].Status != runbook.StepRunning {
			t.Fatalf("after the stop: %s; want slow completed and last started, not run", describe(x))
		}
		if n := len(h.stub.Requests("/json")); n != 1 {
			t.Fatalf("%d calls to /json before the restart, want first's only", n)
		}
		e2 := secondEngine(t, h, exclusive)
		if x := waitOn(t, e2, id); x.Status != runbook.ExecutionCompleted {
			t.Fatalf("after the restart: %s", describe(x))
		}
		if n := len(h.stub.Requests("/json")); n != 2 {
			t.Fatalf("first and last must run once each, got %d calls", n)
		}
	})
}

// onBothStoreKinds runs test in parallel subtests on an exclusive store
// (attempts in flight recorded by step rows) and on a shared one (by
// leased run tasks).
func onBothStoreKinds(t *testing.T, test func(t *testing.T, exclusive bool)) {
	for _, exclusive := range []bool{true, false} {
		t.Run(map[bool]string{true: "exclusive store", false: "shared store"}[exclusive], func(t *testing.T) {
			t.Parallel()
			test(t, exclusive)
		})
	}
}

package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/internal/stub"
	"github.com/runbookhq/runbook/spec"
	"github.com/runbookhq/runbook/store/memory"
)

// harness is an engine on a memory store with a fake clock and a stub
// service whose base URL replaces "STUB" in runbook texts.
type harness struct {
	t     *testing.T
	e     *engine.Engine
	store runbook.Store
	clock *clock.Fake
	stub  *stub.Server
	url   string
	gates *gates
}

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, configure ...func(*engine.Config)) *harness {
	t.Helper()
	var store runbook.Store = memory.New()
	if !deferFor(t) {
		store = rowWriter{store}
	}
	h := &harness{t: t, store: store, clock: clock.NewFake(epoch), stub: stub.New(true), gates: newGates()}
	mux := http.NewServeMux()
	mux.Handle("/gate/{name}", h.gates)
	mux.Handle("/", h.stub)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(h.gates.openAll)
	h.url = srv.URL
	ev, err := expr.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	cfg := engine.Config{
		Store:          h.store,
		Executors:      builtin.Registry(ev, builtin.Options{}),
		Evaluator:      ev,
		Clock:          h.clock,
		ShutdownGrace:  time.Second,
		ExclusiveStore: exclusiveFor(t),
		DirectCommit:   directFor(t),
	}
	for _, c := range configure {
		c(&cfg)
	}
	h.store = cfg.Store
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	h.e = e
	return h
}

// exclusiveFor alternates the two ways attempts in flight are recorded
// (run tasks for shared stores, step rows for exclusive ones) between
// tests, so that the whole suite covers both.
func exclusiveFor(t *testing.T) bool {
	return len(t.Name())%2 == 0
}

// directFor picks whether a test's engine commits transitions directly or
// through the group committer, by another rule than exclusiveFor so that
// every combination is covered.
func directFor(t *testing.T) bool {
	return len(t.Name())%3 == 0
}

// deferFor picks whether a test's store lets the engine defer the rows of
// transitions (runbook.RowDeferrer), by another rule than exclusiveFor
// and directFor so that every combination is covered.
func deferFor(t *testing.T) bool {
	return len(t.Name())%5 != 0
}

// rowWriter hides the store's DefersRows: every transition writes its
// rows, as on a store that is not a runbook.RowDeferrer.
type rowWriter struct{ runbook.Store }

// put parses a YAML runbook (STUB replaced by the stub's URL) and stores it.
func (h *harness) put(yaml string) *runbook.Runbook {
	h.t.Helper()
	rb, err := spec.Parse([]byte(strings.ReplaceAll(yaml, "STUB", h.url)), spec.FormatYAML)
	if err != nil {
		h.t.Fatalf("parse runbook: %v (%v)", err, runbook.ErrorDetails(err))
	}
	if _, _, err := h.e.PutRunbook(context.Background(), rb); err != nil {
		h.t.Fatalf("put runbook: %v", err)
	}
	return rb
}

func (h *harness) start(runbookID string, input any) string {
	h.t.Helper()
	return h.startWith(engine.StartRequest{RunbookID: runbookID, Input: input, Actor: "analyst-1",
		Context: &runbook.ExecutionContext{TenantID: "acme", LegalBasis: runbook.LegalBasis{
			Authority: "IR-policy", Classification: "TLP:AMBER", AuthorizedUsers: []string{"alice", "bob", "carol", "dave"}}}})
}

func (h *harness) startWith(req engine.StartRequest) string {
	h.t.Helper()
	id, _, err := h.e.StartExecution(context.Background(), req)
	if err != nil {
		h.t.Fatalf("start: %v", err)
	}
	return id
}

// get returns the execution's read model.
func (h *harness) get(id string) *runbook.Execution {
	h.t.Helper()
	x, err := h.e.GetExecution(context.Background(), id)
	if err != nil {
		h.t.Fatalf("get execution: %v", err)
	}
	return x
}

// wait follows the execution's events until cond holds, failing after a
// deadline. It never sleeps: each committed event triggers a check.
func (h *harness) wait(id string, what string, cond func(*runbook.Execution) bool) *runbook.Execution {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x := h.get(id)
	for !cond(x) {
		events, err := h.e.Watch(ctx, id, x.Seq)
		if err != nil {
			h.t.Fatalf("watch: %v", err)
		}
		open := true
		for open && !cond(x) {
			select {
			case _, open = <-events:
			case <-ctx.Done():
				h.t.Fatalf("timed out waiting for %s; execution is %s", what, describe(h.get(id)))
			}
			x = h.get(id)
		}
		if !cond(x) && x.Status.Terminal() {
			h.t.Fatalf("execution ended while waiting for %s: %s (%s)", what, describe(x), x.Error)
		}
	}
	return x
}

func (h *harness) waitStatus(id string, status runbook.ExecutionStatus) *runbook.Execution {
	h.t.Helper()
	return h.wait(id, "status "+string(status), func(x *runbook.Execution) bool { return x.Status == status })
}

func (h *harness) waitStep(id, step string, status runbook.StepStatus) *runbook.Execution {
	h.t.Helper()
	return h.wait(id, "step "+step+" "+string(status), func(x *runbook.Execution) bool {
		r := x.StepResults[step]
		return r != nil && r.Status == status
	})
}

// checkFold asserts that the stored snapshot is the fold of the history.
func (h *harness) checkFold(id string) {
	h.t.Helper()
	if err := engine.CheckFold(context.Background(), h.e, id); err != nil {
		h.t.Fatal(err)
	}
}

// history returns the event types of the execution, in order.
func (h *harness) history(id string) []runbook.Event {
	h.t.Helper()
	events, err := h.e.History(context.Background(), id, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return events
}

func describe(x *runbook.Execution) string {
	var b strings.Builder
	b.WriteString(string(x.Status))
	for id, r := range x.StepResults {
		b.WriteString(" " + id + "=" + string(r.Status))
		if r.Error != "" {
			b.WriteString("(" + r.Error + ")")
		}
	}
	return b.String()
}

// gates are HTTP endpoints that block until the test opens them, so a test
// can hold a step in flight.
type gates struct {
	mu      sync.Mutex
	gates   map[string]chan struct{}
	arrived map[string]chan struct{}
}

func newGates() *gates {
	return &gates{gates: map[string]chan struct{}{}, arrived: map[string]chan struct{}{}}
}

func (g *gates) chans(name string) (gate, arrived chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gates[name] == nil {
		g.gates[name] = make(chan struct{})
		g.arrived[name] = make(chan struct{}, 100)
	}
	return g.gates[name], g.arrived[name]
}

func (g *gates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gate, arrived := g.chans(r.PathValue("name"))
	select {
	case arrived <- struct{}{}:
	default: // nobody counts arrivals at this gate
	}
	select {
	case <-gate:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"gate":"` + r.PathValue("name") + `"}`))
	case <-r.Context().Done():
	}
}

// arrived waits until a request reached the gate.
func (g *gates) waitArrived(t *testing.T, name string) {
	t.Helper()
	_, arrived := g.chans(name)
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatalf("no request reached gate %s", name)
	}
}

func (g *gates) open(name string) {
	gate, _ := g.chans(name)
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-gate:
	default:
		close(gate)
	}
}

func (g *gates) openAll() {
	g.mu.Lock()
	names := make([]string, 0, len(g.gates))
	for n := range g.gates {
		names = append(names, n)
	}
	g.mu.Unlock()
	for _, n := range names {
		g.open(n)
	}
}

func engineStart(id string, input any) engine.StartRequest {
	return engine.StartRequest{RunbookID: id, Input: input, Actor: "analyst-1"}
}

// advance moves the fake clock and makes the engine look for due tasks.
func (h *harness) advance(d time.Duration) {
	h.clock.Advance(d)
	h.e.Wake()
}

// liveActorsSettled returns how many executions the engine holds in
// memory once the workers that just committed have let go of them (they
// release an execution right after their commit): it polls for up to ten
// seconds until none is held.
func (h *harness) liveActorsSettled() int {
	deadline := time.Now().Add(10 * time.Second)
	n := engine.LiveActors(h.e)
	for n > 0 && time.Now().Before(deadline) {
		runtime.Gosched()
		n = engine.LiveActors(h.e)
	}
	return n
}

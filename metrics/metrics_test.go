package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/internal/stub"
	"github.com/runbookhq/runbook/metrics"
	"github.com/runbookhq/runbook/spec"
	"github.com/runbookhq/runbook/store/memory"
	"github.com/runbookhq/runbook/store/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The engine takes *Metrics as its observer.
var _ engine.Observer = (*metrics.Metrics)(nil)

// rig is a real engine on an instrumented memory store, observed by m,
// with a stub service for call-service steps.
type rig struct {
	t   *testing.T
	m   *metrics.Metrics
	eng *engine.Engine
	url string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	m := metrics.New()
	store := metrics.InstrumentStore(memory.New(), m)
	if err := m.ObserveWaits(store); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stub.New(false))
	t.Cleanup(srv.Close)
	ev, err := expr.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Executors: builtin.Registry(ev, builtin.Options{}), Evaluator: ev,
		Observer: m, ShutdownGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start()
	t.Cleanup(func() { _ = eng.Close() })
	return &rig{t: t, m: m, eng: eng, url: srv.URL}
}

func (r *rig) put(yaml string) {
	r.t.Helper()
	rb, err := spec.Parse([]byte(strings.ReplaceAll(yaml, "STUB", r.url)), spec.FormatYAML)
	if err != nil {
		r.t.Fatalf("%v %v", err, runbook.ErrorDetails(err))
	}
	if _, _, err := r.eng.PutRunbook(context.Background(), rb); err != nil {
		r.t.Fatal(err)
	}
}

// run starts an execution and waits until it reaches status.
func (r *rig) run(runbookID string, status runbook.ExecutionStatus) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, _, err := r.eng.StartExecution(ctx, engine.StartRequest{RunbookID: runbookID, Context: &runbook.ExecutionContext{
		LegalBasis: runbook.LegalBasis{AuthorizedUsers: []string{"alice"}}}})
	if err != nil {
		r.t.Fatal(err)
	}
	for {
		x, err := r.eng.GetExecution(ctx, id)
		if err != nil {
			r.t.Fatal(err)
		}
		if x.Status == status {
			return id
		}
		events, err := r.eng.Watch(ctx, id, x.Seq)
		if err != nil {
			r.t.Fatal(err)
		}
		select {
		case <-events:
		case <-ctx.Done():
			r.t.Fatalf("%s stayed %s, want %s", runbookID, x.Status, status)
		}
	}
}

func TestEngineMetricsAfterRunningExecutions(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.put(`
id: ok
version: "1"
steps:
  - {id: a, type: call-service, config: {url: "STUB/ok", method: POST}}
  - {id: b, type: call-service, dependsOn: [a], config: {url: "STUB/ok", method: POST}}
`)
	r.put(`
id: broken
version: "1"
steps:
  - id: a
    type: call-service
    retryPolicy: {maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1}
    config: {url: "STUB/status/500", method: POST}
`)
	r.put(`
id: gated
version: "1"
steps:
  - {id: ask, type: human-approval, approvalConfig: {approvers: [alice], minApprovals: 1}}
`)
	r.put(`
id: waiting
version: "1"
steps:
  - {id: scan, type: wait-for-event, config: {eventType: scan.done, timeoutMs: 3600000}}
`)
	r.run("ok", runbook.ExecutionCompleted)
	r.run("ok", runbook.ExecutionCompleted)
	r.run("broken", runbook.ExecutionFailed)
	gated := r.run("gated", runbook.ExecutionAwaitingApproval)
	r.run("waiting", runbook.ExecutionAwaitingEvent)
	r.run("gated", runbook.ExecutionAwaitingApproval)

	want := `
# HELP runbook_executions_started_total Executions started, by runbook id.
# TYPE runbook_executions_started_total counter
runbook_executions_started_total{runbook_id="broken"} 1
runbook_executions_started_total{runbook_id="gated"} 2
runbook_executions_started_total{runbook_id="ok"} 2
runbook_executions_started_total{runbook_id="waiting"} 1
# HELP runbook_executions_finished_total Executions that reached a terminal status (completed, failed, cancelled), by runbook id and status.
# TYPE runbook_executions_finished_total counter
runbook_executions_finished_total{runbook_id="broken",status="failed"} 1
runbook_executions_finished_total{runbook_id="ok",status="completed"} 2
# HELP runbook_step_attempts_total Step attempts that ended, by step type and outcome (completed, failed, retrying, cancelled, parked).
# TYPE runbook_step_attempts_total counter
runbook_step_attempts_total{outcome="completed",type="call-service"} 4
runbook_step_attempts_total{outcome="failed",type="call-service"} 1
runbook_step_attempts_total{outcome="parked",type="human-approval"} 2
runbook_step_attempts_total{outcome="parked",type="wait-for-event"} 1
# HELP runbook_executions_waiting Executions parked on an approval, an event or a child execution, by kind of wait.
# TYPE runbook_executions_waiting gauge
runbook_executions_waiting{kind="approval"} 2
runbook_executions_waiting{kind="child"} 0
runbook_executions_waiting{kind="event"} 1
`
	names := []string{"runbook_executions_started_total", "runbook_executions_finished_total", "runbook_step_attempts_total",
		"runbook_executions_waiting"}
	if err := testutil.GatherAndCompare(r.m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(r.m.Registry(), "runbook_execution_duration_seconds"); err != nil || n != 2 {
		t.Fatalf("execution duration series (completed, failed): %d %v", n, err)
	}
	if got := histogramCount(t, r.m, "runbook_step_attempt_duration_seconds", "call-service"); got != 5 {
		t.Fatalf("call-service attempt durations observed %d times, want 5", got)
	}

	// Deciding the approval moves an execution out of the waiting gauge.
	if _, err := r.eng.Decide(context.Background(), gated, "ask", engine.DecisionRequest{ApproverID: "alice", Decision: runbook.Approved}); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(r.m.Registry(), strings.NewReader(`
# HELP runbook_executions_waiting Executions parked on an approval, an event or a child execution, by kind of wait.
# TYPE runbook_executions_waiting gauge
runbook_executions_waiting{kind="approval"} 1
runbook_executions_waiting{kind="child"} 0
runbook_executions_waiting{kind="event"} 1
`), "runbook_executions_waiting"); err != nil {
		t.Fatal(err)
	}

	// Store operations are timed, and errors counted by code.
	if got := histogramCount(t, r.m, "runbook_store_operation_duration_seconds", "commit"); got == 0 {
		t.Fatal("no commit was timed")
	}
	before := histogramCount(t, r.m, "runbook_store_operation_duration_seconds", "get_execution")
	_, err := r.eng.GetExecution(context.Background(), "ghost")
	if runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Fatal(err)
	}
	if after := histogramCount(t, r.m, "runbook_store_operation_duration_seconds", "get_execution"); after != before+1 {
		t.Fatalf("get_execution timed %d then %d times", before, after)
	}
	if err := testutil.GatherAndCompare(r.m.Registry(), strings.NewReader(`
# HELP runbook_store_errors_total Store operations that returned an error, by operation and error code (not_found is an answer, not a fault).
# TYPE runbook_store_errors_total counter
runbook_store_errors_total{code="not_found",operation="get_execution"} 1
`), "runbook_store_errors_total"); err != nil {
		t.Fatal(err)
	}

	problems, err := testutil.GatherAndLint(r.m.Registry())
	if err != nil || len(problems) > 0 {
		t.Fatalf("promlint: %v %v", problems, err)
	}
	problems, err = testutil.CollectAndLint(r.m.Registry(), names...)
	if err != nil || len(problems) > 0 {
		t.Fatalf("promlint: %v %v", problems, err)
	}
}

// histogramCount returns the sample count of a histogram series whose
// only label has the given value.
func histogramCount(t *testing.T, m *metrics.Metrics, name, label string) uint64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetValue() == label {
					return metric.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

func TestHTTPMiddleware(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	h := m.HTTPMiddleware(mux, func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		_, route, _ := strings.Cut(pattern, " ")
		return route
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, req := range []struct{ method, path string }{
		{"GET", "/items/1"}, {"GET", "/items/2"}, {"GET", "/items/missing"}, {"GET", "/nowhere"}, {"PROPFIND", "/items/1"},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP runbook_http_requests_total HTTP requests served, by route pattern, method and status code.
# TYPE runbook_http_requests_total counter
runbook_http_requests_total{code="200",method="GET",route="/items/{id}"} 2
runbook_http_requests_total{code="404",method="GET",route="/items/{id}"} 1
runbook_http_requests_total{code="404",method="GET",route="unmatched"} 1
runbook_http_requests_total{code="405",method="other",route="unmatched"} 1
`), "runbook_http_requests_total"); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "runbook_http_request_duration_seconds"); err != nil || n != 3 {
		t.Fatalf("duration series by route and method: %d %v", n, err)
	}
}

// failingWaits is a WaitLister whose store does not answer.
type failingWaits struct{}

func (failingWaits) ListWaits(context.Context, runbook.WaitFilter) ([]*runbook.Wait, error) {
	return nil, errors.New("database is locked")
}

func TestHandlerServesTheRestWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	if err := m.ObserveWaits(failingWaits{}); err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveWaits(failingWaits{}); err == nil {
		t.Fatal("registering the waits collector twice must fail")
	}
	m.ExecutionStarted("rb")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `runbook_executions_started_total{runbook_id="rb"} 1`) ||
		strings.Contains(body, "runbook_executions_waiting{") {
		t.Fatalf("scrape with a failing store: %d\n%s", rec.Code, body)
	}
	if _, err := m.Registry().Gather(); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("gathering must report the store's error: %v", err)
	}
}

func TestInstrumentStoreWithoutMetrics(t *testing.T) {
	t.Parallel()
	s := memory.New()
	if metrics.InstrumentStore(s, nil) != runbook.Store(s) {
		t.Fatal("InstrumentStore with nil metrics must return the store itself")
	}
}

// TestInstrumentStoreKeepsCapabilities checks that the decorator offers
// what the engine looks for on the store it wraps: pipelined commits
// (timed like Commit) and deferred rows.
func TestInstrumentStoreKeepsCapabilities(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "runbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	store := metrics.InstrumentStore(raw, m)
	defer store.Close()
	p, ok := store.(runbook.PipelinedCommitter)
	if !ok {
		t.Fatal("an instrumented SQLite store is not a PipelinedCommitter")
	}
	if d, ok := store.(runbook.RowDeferrer); !ok || !d.DefersRows() {
		t.Fatal("an instrumented SQLite store does not defer rows")
	}
	rec := &runbook.ExecutionRecord{ID: "e1", RunbookID: "rb", RunbookVersion: "1", Status: runbook.ExecutionRunning, Seq: 1}
	res, err := p.CommitPipelined(ctx, []*runbook.Transition{{Create: true, Execution: rec,
		Events: []runbook.Event{{Seq: 1, Type: runbook.EventExecutionStarted}}}})()
	if err != nil || res[0].Err != nil {
		t.Fatalf("CommitPipelined = %v, %v", res, err)
	}
	if n := commitsTimed(t, m); n != 1 {
		t.Fatalf("%d commits timed, want the pipelined one", n)
	}
	if got, _, err := store.GetExecution(ctx, "e1"); err != nil || got.Seq != 1 {
		t.Fatalf("GetExecution after a pipelined commit = %+v, %v", got, err)
	}

	if _, ok := metrics.InstrumentStore(memory.New(), m).(runbook.PipelinedCommitter); ok {
		t.Fatal("an instrumented memory store claims pipelined commits its store does not have")
	}
	if metrics.Unwrap(store) != runbook.Store(raw) {
		t.Fatal("Unwrap does not return the wrapped store")
	}
}

// notifier is a store that sends task notifications.
type notifier struct {
	runbook.Store
	woken int
}

func (n *notifier) WatchTasks(ctx context.Context, wake func()) error {
	wake()
	n.woken++
	return errors.New("connection lost")
}

// The decorator forwards the task notifications of a store that sends
// them, and says that a store that does not cannot.
func TestInstrumentStoreForwardsTaskNotifications(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	inner := &notifier{Store: memory.New()}
	n, ok := metrics.InstrumentStore(inner, m).(runbook.TaskNotifier)
	if !ok {
		t.Fatal("the decorator is not a TaskNotifier")
	}
	woken := 0
	if err := n.WatchTasks(t.Context(), func() { woken++ }); err == nil || err.Error() != "connection lost" {
		t.Fatalf("WatchTasks = %v, want the wrapped store's error", err)
	}
	if woken != 1 || inner.woken != 1 {
		t.Fatalf("wake called %d times through the decorator, the store watched %d times; want 1 and 1", woken, inner.woken)
	}
	n = metrics.InstrumentStore(memory.New(), m).(runbook.TaskNotifier)
	if err := n.WatchTasks(t.Context(), func() { t.Fatal("woken by a store that sends no notifications") }); runbook.ErrorCode(err) != runbook.EUNSUPPORTED {
		t.Fatalf("WatchTasks of an instrumented memory store = %v, want an %s error", err, runbook.EUNSUPPORTED)
	}
}

// commitsTimed returns how many commits the store duration histogram holds.
func commitsTimed(t *testing.T, m *metrics.Metrics) uint64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "runbook_store_operation_duration_seconds" {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == "commit" {
					return metric.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	t.Fatal("no commit duration histogram")
	return 0
}

// clocked is a store with a clock of its own.
type clocked struct {
	runbook.Store
	at time.Time
}

func (c clocked) ReferenceTime(context.Context) (time.Time, error) { return c.at, nil }

// The decorator forwards the clock of a store that has one, and says that
// a store that has none has none: the engine then keeps its own clock.
func TestInstrumentStoreForwardsTheStoresClock(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r, ok := metrics.InstrumentStore(clocked{memory.New(), at}, m).(runbook.ClockReference)
	if !ok {
		t.Fatal("the decorator is not a ClockReference")
	}
	if got, err := r.ReferenceTime(t.Context()); err != nil || !got.Equal(at) {
		t.Fatalf("ReferenceTime = %v, %v; want the wrapped store's %v", got, err, at)
	}
	r = metrics.InstrumentStore(memory.New(), m).(runbook.ClockReference)
	if _, err := r.ReferenceTime(t.Context()); runbook.ErrorCode(err) != runbook.EUNSUPPORTED {
		t.Fatalf("ReferenceTime of an instrumented memory store = %v, want an %s error", err, runbook.EUNSUPPORTED)
	}
}

// Tasks that failed and are tried again are counted by kind: a task that
// keeps failing shows as a rate that does not fall.
func TestTaskFailuresAreCountedByKind(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.TaskFailed(runbook.TaskRun)
	m.TaskFailed(runbook.TaskRun)
	m.TaskFailed(runbook.TaskTimer)
	want := `
# HELP runbook_task_failures_total Tasks that failed on this node and are tried again, by kind (run, timer, child, start, cancel).
# TYPE runbook_task_failures_total counter
runbook_task_failures_total{kind="run"} 2
runbook_task_failures_total{kind="timer"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "runbook_task_failures_total"); err != nil {
		t.Fatal(err)
	}
}

// The clock's correction is read at each scrape, in seconds.
func TestClockOffsetIsReadAtEachScrape(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	offset := -1500 * time.Millisecond
	if err := m.ObserveClockOffset(func() time.Duration { return offset }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-1.5", "0.25"} {
		expo := `
# HELP runbook_clock_offset_seconds Correction applied to this node's clock to keep to the shared store's (0 when none is needed or the store has no clock).
# TYPE runbook_clock_offset_seconds gauge
runbook_clock_offset_seconds ` + want + "\n"
		if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(expo), "runbook_clock_offset_seconds"); err != nil {
			t.Fatal(err)
		}
		offset = 250 * time.Millisecond
	}
}

package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestLogsAreQueryableAndCarryTheExecutionID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: logged
version: "1"
steps:
  - {id: a, type: call-service, config: {url: "STUB/json?x=1", method: GET}}
  - id: b
    type: call-service
    dependsOn: [a]
    config: {url: "STUB/status/404", method: GET}
`)
	id := h.start("logged", nil)
	h.waitStatus(id, runbook.ExecutionFailed)
	ctx := context.Background()
	all, total, err := h.e.Logs(ctx, id, runbook.LogFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(all) || total < 6 {
		t.Fatalf("%d logs (total %d)", len(all), total)
	}
	for _, l := range all {
		if l.ExecutionID != id {
			t.Fatalf("log %s carries executionId %q", l.ID, l.ExecutionID)
		}
	}
	if x := h.get(id); x.LogCount != total {
		t.Errorf("logCount %d but %d entries", x.LogCount, total)
	}
	bLogs, _, _ := h.e.Logs(ctx, id, runbook.LogFilter{StepID: "b"})
	for _, l := range bLogs {
		if l.StepID != "b" {
			t.Fatalf("step filter returned %+v", l)
		}
	}
	errs, _, _ := h.e.Logs(ctx, id, runbook.LogFilter{Level: runbook.LogError})
	if len(errs) == 0 {
		t.Fatal("no error-level log for a failed step")
	}
	for _, l := range errs {
		if l.Level != runbook.LogError {
			t.Fatalf("level filter returned %s", l.Level)
		}
	}
	if !strings.Contains(errs[0].Message, "404") {
		t.Errorf("error log = %q", errs[0].Message)
	}
	page, total2, _ := h.e.Logs(ctx, id, runbook.LogFilter{Offset: 1, Limit: 2})
	if len(page) != 2 || page[0].ID != all[1].ID || total2 != total {
		t.Fatalf("offset/limit page = %+v", page)
	}
	none, _, _ := h.e.Logs(ctx, id, runbook.LogFilter{StartTime: epoch.Add(time.Hour)})
	if len(none) != 0 {
		t.Fatalf("time range filter returned %d logs", len(none))
	}
	if _, _, err := h.e.Logs(ctx, id, runbook.LogFilter{Level: "loud"}); runbook.ErrorCode(err) != runbook.EINVALID {
		t.Fatalf("unknown level: %v", err)
	}
	if _, _, err := h.e.Logs(ctx, "missing", runbook.LogFilter{}); runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Fatalf("unknown execution: %v", err)
	}
}

func TestEvidenceRecordsWhatAStepFetchedWithItsHash(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: evidence
version: "1"
steps:
  - id: fetch
    type: call-service
    config:
      url: "STUB/text"
      method: GET
      evidence: {type: mail-headers, sourceRef: "mailbox:alice", confidence: 0.7}
`)
	id := h.start("evidence", nil)
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	items, err := h.e.Evidence(context.Background(), id)
	if err != nil || len(items) != 1 {
		t.Fatalf("evidence = %+v, %v", items, err)
	}
	sum := sha256.Sum256([]byte("hello"))
	ev := items[0]
	if ev.Type != "mail-headers" || ev.SourceRef != "mailbox:alice" || ev.Confidence != 0.7 || ev.SHA256 != hex.EncodeToString(sum[:]) ||
		ev.StepID != "fetch" || ev.ExecutionID != id || ev.ID == "" {
		t.Fatalf("evidence item = %+v", ev)
	}
	if x.EvidenceCount != 1 {
		t.Fatalf("evidenceCount = %d", x.EvidenceCount)
	}
}

func TestApprovalsBelongToOneExecution(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(approvalRunbook(1, "[alice, bob]", "fail"))
	a := h.start("approve", nil)
	b := h.start("approve", nil)
	h.waitStatus(a, runbook.ExecutionAwaitingApproval)
	h.waitStatus(b, runbook.ExecutionAwaitingApproval)
	if _, err := decide(h, a, "ask", "alice", runbook.Approved); err != nil {
		t.Fatal(err)
	}
	h.waitStatus(a, runbook.ExecutionCompleted)
	x := h.get(b)
	if x.Status != runbook.ExecutionAwaitingApproval || len(x.StepResults["ask"].Approvals) != 0 {
		t.Fatalf("a decision on one execution reached another: %s %+v", x.Status, x.StepResults["ask"].Approvals)
	}
	if _, err := decide(h, b, "ask", "alice", runbook.Rejected); err != nil {
		t.Fatalf("alice may decide on the other execution too: %v", err)
	}
}

// Not parallel: it counts the goroutines of the whole process.
func TestParkedExecutionsHoldNoGoroutinesAndNoMemory(t *testing.T) {
	h := newHarness(t)
	h.put(approvalRunbook(1, "[alice]", "fail"))
	h.put(waitRunbook)
	h.gates.open("kick")
	before := engineGoroutines()
	var ids []string
	for i := 0; i < 300; i++ {
		ids = append(ids, h.start("approve", nil), h.start("scan", map[string]any{"host": "web-1"}))
	}
	for i, id := range ids {
		want := runbook.ExecutionAwaitingApproval
		if i%2 == 1 {
			want = runbook.ExecutionAwaitingEvent
		}
		h.waitStatus(id, want)
	}
	if n := h.liveActorsSettled(); n != 0 {
		t.Fatalf("%d parked executions still held in memory", n)
	}
	// Watchers of the waits above end asynchronously; poll until the
	// engine's goroutines are back to what they were.
	deadline := time.Now().Add(10 * time.Second)
	after := engineGoroutines()
	for after > before && time.Now().Before(deadline) {
		runtime.Gosched()
		after = engineGoroutines()
	}
	if after > before {
		t.Fatalf("engine goroutines grew from %d to %d for %d parked executions", before, after, len(ids))
	}
}

// engineGoroutines counts the goroutines running engine code (HTTP client
// and server goroutines of the test are left out, and so are the idle
// workers of the engine's pool: at most maxIdleWorkers, whatever the
// number of executions, and no execution's).
func engineGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		i := strings.Index(g, "runbook/engine.")
		if i < 0 {
			continue
		}
		// The innermost engine frame of an idle worker is the pool's
		// loop; a busy worker runs its task's frames above it.
		if strings.HasPrefix(g[i:], "runbook/engine.(*workerPool).worker(") {
			continue
		}
		n++
	}
	return n
}

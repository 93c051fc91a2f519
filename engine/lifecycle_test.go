package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
)

const threeSteps = `
id: three
version: "1"
steps:
  - {id: one, type: call-service, config: {url: "STUB/gate/one", method: POST}}
  - {id: two, type: call-service, dependsOn: [one], config: {url: "STUB/json?n=2", method: POST}}
  - {id: three, type: call-service, dependsOn: [two], config: {url: "STUB/json?n=3", method: POST}}
`

func op(actor, reason string) engine.OperationRequest {
	return engine.OperationRequest{Actor: actor, Reason: reason}
}

func TestPauseLetsTheRunningStepFinishAndResumeContinues(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(threeSteps)
	ctx := context.Background()
	id := h.start("three", nil)
	h.gates.waitArrived(t, "one")
	if err := h.e.Pause(ctx, id, op("alice", "checking scope")); err != nil {
		t.Fatal(err)
	}
	h.gates.open("one")
	x := h.waitStep(id, "one", runbook.StepCompleted)
	if x.Status != runbook.ExecutionPaused || x.StepResults["two"].Status != runbook.StepPending {
		t.Fatalf("after the running step finished: %s", describe(x))
	}
	if err := h.e.Pause(ctx, id, op("alice", "")); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("pausing a paused execution: %v", err)
	}
	if err := h.e.Resume(ctx, id, op("bob", "scope confirmed")); err != nil {
		t.Fatal(err)
	}
	h.waitStatus(id, runbook.ExecutionCompleted)
	if n := len(h.stub.Requests("/json")); n != 2 {
		t.Fatalf("steps two and three ran %d times in all", n)
	}
	var paused, resumed *runbook.Event
	history := h.history(id)
	for i := range history {
		switch history[i].Type {
		case runbook.EventExecutionPaused:
			paused = &history[i]
		case runbook.EventExecutionResumed:
			resumed = &history[i]
		}
	}
	if paused == nil || paused.Actor != "alice" || paused.Reason != "checking scope" || resumed == nil || resumed.Actor != "bob" {
		t.Fatalf("who paused and resumed must be recorded: %+v %+v", paused, resumed)
	}
	if err := h.e.Resume(ctx, id, op("bob", "")); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("resuming a completed execution: %v", err)
	}
	h.checkFold(id)
}

func TestCancelInterruptsTheRunningStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(threeSteps)
	ctx := context.Background()
	id := h.start("three", nil)
	h.gates.waitArrived(t, "one")
	if err := h.e.Cancel(ctx, id, op("carol", "false positive")); err != nil {
		t.Fatal(err)
	}
	x := h.waitStatus(id, runbook.ExecutionCancelled)
	if x.CancelledBy != "carol" || x.CancellationReason != "false positive" {
		t.Fatalf("cancelledBy %q reason %q", x.CancelledBy, x.CancellationReason)
	}
	if s := x.StepResults["one"].Status; s != runbook.StepCancelled {
		t.Fatalf("running step = %s", s)
	}
	h.gates.open("one")
	if err := h.e.Cancel(ctx, id, op("carol", "")); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("cancelling twice: %v", err)
	}
	if err := h.e.Pause(ctx, id, op("carol", "")); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("pausing a cancelled execution: %v", err)
	}
	if x := h.get(id); x.Status != runbook.ExecutionCancelled || x.StepResults["two"].Status != runbook.StepPending {
		t.Fatalf("something ran after the cancel: %s", describe(x))
	}
	h.checkFold(id)
}

func TestCancelDropsWaits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(waitRunbook)
	h.gates.open("kick")
	id := h.start("scan", map[string]any{"host": "web-1"})
	h.waitStatus(id, runbook.ExecutionAwaitingEvent)
	if err := h.e.Cancel(context.Background(), id, op("carol", "")); err != nil {
		t.Fatal(err)
	}
	_, matched, err := h.e.SendEvent(context.Background(), engine.EventRequest{Type: "scan.completed", CorrelationID: "web-1", TenantID: "acme"})
	if err != nil || matched != 0 {
		t.Fatalf("a cancelled execution still waited: %d, %v", matched, err)
	}
}

func TestRetryFailedStepContinuesDownstream(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: fixable
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "STUB/json?a=1", method: GET}}
  - id: flaky
    type: call-service
    dependsOn: [first]
    retryPolicy: {maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1}
    config: {url: "STUB/flaky/1", method: POST}
  - {id: last, type: call-service, dependsOn: [flaky], config: {url: "STUB/ok", method: POST}}
`)
	ctx := context.Background()
	id := h.start("fixable", nil)
	h.waitStatus(id, runbook.ExecutionFailed)
	if err := h.e.RetryStep(ctx, id, "first", op("alice", "")); runbook.ErrorCode(err) != runbook.ECONFLICT {
		t.Fatalf("retrying a completed step: %v", err)
	}
	if err := h.e.RetryStep(ctx, id, "nope", op("alice", "")); runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Fatalf("retrying an unknown step: %v", err)
	}
	if err := h.e.RetryStep(ctx, id, "flaky", op("alice", "upstream fixed")); err != nil {
		t.Fatal(err)
	}
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	if r := x.StepResults["flaky"]; r.AttemptNumber != 2 || r.Status != runbook.StepCompleted {
		t.Fatalf("flaky = %+v", r)
	}
	if x.StepResults["last"].Status != runbook.StepCompleted {
		t.Fatal("the retry did not continue downstream")
	}
	if n := len(h.stub.Requests("/json")); n != 1 {
		t.Fatalf("the completed step ran again: %d calls", n)
	}
	h.checkFold(id)
}

func TestReplayUsesTheOriginalVersionAndCanReuseOutputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: versions
version: "1.0.0"
steps:
  - {id: a, type: call-service, config: {url: "STUB/json?v=1&x={input.x}", method: GET}}
  - {id: b, type: call-service, dependsOn: [a], config: {url: "STUB/json?b={a.v}", method: GET}}
`)
	ctx := context.Background()
	id := h.start("versions", map[string]any{"x": 5})
	h.waitStatus(id, runbook.ExecutionCompleted)
	h.put(`
id: versions
version: "2.0.0"
steps:
  - {id: a, type: call-service, config: {url: "STUB/json?v=2", method: GET}}
`)
	replayID, err := h.e.Replay(ctx, id, engine.ReplayRequest{Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	x := h.waitStatus(replayID, runbook.ExecutionCompleted)
	if x.RunbookVersion != "1.0.0" || !x.IsReplay || x.OriginalExecutionID != id {
		t.Fatalf("replay = version %s, isReplay %v, original %q", x.RunbookVersion, x.IsReplay, x.OriginalExecutionID)
	}
	if x.StepResults["a"].Output.(map[string]any)["x"] != float64(5) {
		t.Fatal("replay must use the original input")
	}
	calls := len(h.stub.Requests("/json"))
	fromB, err := h.e.Replay(ctx, id, engine.ReplayRequest{FromStepID: "b", Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	x = h.waitStatus(fromB, runbook.ExecutionCompleted)
	if got := len(h.stub.Requests("/json")) - calls; got != 1 {
		t.Fatalf("replay from b made %d calls, want only b's", got)
	}
	if r := x.StepResults["a"]; !r.Reused || r.Status != runbook.StepCompleted {
		t.Fatalf("a should be reused: %+v", r)
	}
	if _, err := h.e.Replay(ctx, id, engine.ReplayRequest{FromStepID: "zzz"}); runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Fatalf("replay from an unknown step: %v", err)
	}
	h.checkFold(fromB)
}

func TestIdempotentStartReturnsTheFirstExecution(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(threeSteps)
	h.gates.open("one")
	ctx := context.Background()
	req := engine.StartRequest{RunbookID: "three", IdempotencyKey: "alert-42", Context: &runbook.ExecutionContext{TenantID: "acme"}}
	first, created, err := h.e.StartExecution(ctx, req)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	second, created, err := h.e.StartExecution(ctx, req)
	if err != nil || created || second != first {
		t.Fatalf("second start = %s created %v, %v", second, created, err)
	}
	req.Context = &runbook.ExecutionContext{TenantID: "other"}
	third, created, err := h.e.StartExecution(ctx, req)
	if err != nil || !created || third == first {
		t.Fatalf("the same key in another tenant must start a new execution: %s %v %v", third, created, err)
	}
}

// TestStartWithoutVersionTakesTheLatestStored checks that a start without a
// version follows new versions as they are stored, whether or not the
// engine caches the latest version (it does on a store it owns).
func TestStartWithoutVersionTakesTheLatestStored(t *testing.T) {
	t.Parallel()
	for _, exclusive := range []bool{true, false} {
		t.Run(fmt.Sprintf("exclusive=%v", exclusive), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *engine.Config) { c.ExclusiveStore = exclusive })
			for _, v := range []string{"1.0.0", "1.10.0", "1.2.0"} {
				h.put(`
id: moving
version: "` + v + `"
steps:
  - {id: a, type: call-service, config: {url: "STUB/json", method: GET}}
`)
				x := h.waitStatus(h.start("moving", nil), runbook.ExecutionCompleted)
				if want := map[string]string{"1.0.0": "1.0.0", "1.10.0": "1.10.0", "1.2.0": "1.10.0"}[v]; x.RunbookVersion != want {
					t.Fatalf("after storing %s, a start without version ran %s, want %s", v, x.RunbookVersion, want)
				}
			}
		})
	}
}

package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestRetriesWithBackoffKeepTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: flaky
version: "1"
steps:
  - id: call
    type: call-service
    config: {url: "STUB/flaky/2", method: POST}
    retryPolicy: {maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 5000, backoffMultiplier: 2}
`)
	id := h.start("flaky", nil)
	x := h.waitStep(id, "call", runbook.StepRetrying)
	if got := x.StepResults["call"].NextAttemptAt; got == nil || !got.Equal(epoch.Add(time.Second)) {
		t.Fatalf("first retry due at %v, want now+1s", got)
	}
	h.advance(time.Second)
	x = h.wait(id, "second retry", func(x *runbook.Execution) bool {
		r := x.StepResults["call"]
		return r.AttemptNumber == 2 && r.Status == runbook.StepRetrying
	})
	if got := x.StepResults["call"].NextAttemptAt; !got.Equal(epoch.Add(3 * time.Second)) {
		t.Fatalf("second retry due at %v, want +2s after the first retry", got)
	}
	h.advance(2 * time.Second)
	x = h.waitStatus(id, runbook.ExecutionCompleted)
	if r := x.StepResults["call"]; r.AttemptNumber != 3 {
		t.Fatalf("completed on attempt %d", r.AttemptNumber)
	}
	reqs := h.stub.Requests("/flaky/2")
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.IdempotencyKey != id+":call" {
			t.Fatalf("attempt sent idempotency key %q", r.IdempotencyKey)
		}
	}
	h.checkFold(id)
}

func TestNonRetryableErrorFailsAtOnceAndKeepsResults(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: notfound
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "STUB/json?a=1", method: GET}}
  - id: second
    type: call-service
    dependsOn: [first]
    config: {url: "STUB/status/404", method: GET}
    retryPolicy: {maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 10, backoffMultiplier: 1}
  - {id: third, type: call-service, dependsOn: [second], config: {url: "STUB/ok", method: GET}}
`)
	id := h.start("notfound", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["second"]; r.AttemptNumber != 1 || !strings.Contains(r.Error, "HTTP 404") {
		t.Fatalf("second = %+v", r)
	}
	if r := x.StepResults["first"]; r.Status != runbook.StepCompleted || r.Output.(map[string]any)["a"] != float64(1) {
		t.Fatalf("a failed run must keep earlier results: %+v", r)
	}
	if r := x.StepResults["third"]; r.Status != runbook.StepPending {
		t.Fatalf("third = %s", r.Status)
	}
	if !strings.Contains(x.Error, "second") || !strings.Contains(x.Error, "404") {
		t.Fatalf("execution error %q", x.Error)
	}
	h.checkFold(id)
}

func TestRetryableErrorsListLimitsRetries(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: picky
version: "1"
steps:
  - id: call
    type: call-service
    config: {url: "STUB/status/503", method: GET}
    retryPolicy: {maxAttempts: 4, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1, retryableErrors: ["timed out"]}
`)
	id := h.start("picky", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if n := x.StepResults["call"].AttemptNumber; n != 1 {
		t.Fatalf("a 503 not listed in retryableErrors was retried: %d attempts", n)
	}
}

func TestDefaultRetryPolicyApplies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: defaulted
version: "1"
defaultRetryPolicy: {maxAttempts: 2, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1}
steps:
  - {id: call, type: call-service, config: {url: "STUB/status/500", method: GET}}
`)
	id := h.start("defaulted", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if n := x.StepResults["call"].AttemptNumber; n != 2 {
		t.Fatalf("defaultRetryPolicy maxAttempts 2 gave %d attempts", n)
	}
	if n := len(h.stub.Requests("/status/500")); n != 2 {
		t.Fatalf("%d requests", n)
	}
}

func TestFailureLetsRunningStepsFinish(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: partial
version: "1"
steps:
  - {id: slow, type: call-service, config: {url: "STUB/gate/slow", method: GET}}
  - id: broken
    type: call-service
    config: {url: "STUB/status/400", method: GET}
  - {id: after-slow, type: call-service, dependsOn: [slow], config: {url: "STUB/ok", method: GET}}
`)
	id := h.start("partial", nil)
	h.gates.waitArrived(t, "slow")
	x := h.waitStep(id, "broken", runbook.StepFailed)
	if x.Status.Terminal() {
		t.Fatalf("execution ended (%s) while a step was still running", x.Status)
	}
	h.gates.open("slow")
	x = h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["slow"]; r.Status != runbook.StepCompleted {
		t.Fatalf("the running step must finish and be recorded: %s", r.Status)
	}
	if r := x.StepResults["after-slow"]; r.Status != runbook.StepPending {
		t.Fatalf("no new step may start after a failure: %s", r.Status)
	}
	h.checkFold(id)
}

func TestAttemptTimeoutIsRetryable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: hangs
version: "1"
steps:
  - id: call
    type: call-service
    timeoutMs: 50
    config: {url: "STUB/hang", method: GET}
    retryPolicy: {maxAttempts: 2, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1}
`)
	id := h.start("hangs", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	r := x.StepResults["call"]
	if r.AttemptNumber != 2 || !strings.Contains(r.Error, "timed out") {
		t.Fatalf("step = %+v", r)
	}
}

func TestGlobalTimeoutFailsTheRunAndCancelsWhatRuns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: slowrun
version: "1"
globalTimeoutMs: 60000
steps:
  - {id: wait, type: call-service, config: {url: "STUB/gate/never", method: GET}}
  - {id: next, type: call-service, dependsOn: [wait], config: {url: "STUB/ok", method: GET}}
`)
	id := h.start("slowrun", nil)
	h.gates.waitArrived(t, "never")
	h.advance(61 * time.Second)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if !strings.Contains(x.Error, "global timeout of 60000ms") {
		t.Fatalf("error = %q", x.Error)
	}
	if s := x.StepResults["wait"].Status; s != runbook.StepCancelled {
		t.Fatalf("in-flight step = %s", s)
	}
	if s := x.StepResults["next"].Status; s != runbook.StepPending {
		t.Fatalf("next = %s", s)
	}
	h.checkFold(id)
}

func TestConfigTimeoutIsNotCutByADefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: own-timeout
version: "1"
steps:
  - id: call
    type: call-service
    config: {url: "STUB/hang", method: GET, timeoutMs: 80}
    retryPolicy: {maxAttempts: 2, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1, retryableErrors: [TIMEOUT]}
`)
	id := h.start("own-timeout", nil)
	x := h.waitStatus(id, runbook.ExecutionFailed)
	r := x.StepResults["call"]
	if !strings.Contains(r.Error, "timed out after 80ms") || r.AttemptNumber != 2 {
		t.Fatalf("call = %+v (retryableErrors matches the error code, ignoring case)", r)
	}
}

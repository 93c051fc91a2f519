package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

const branching = `
id: branching
version: "1"
steps:
  - {id: enrich, type: call-service, config: {url: "STUB/json?riskScore={input.score}", method: GET}}
  - id: assess
    type: conditional
    dependsOn: [enrich]
    config:
      condition: {field: enrich.riskScore, operator: gt, value: 7}
      trueBranch: contain
      falseBranch: monitor
  - {id: contain, type: call-service, config: {url: "STUB/json?action=contain", method: POST}}
  - {id: notify-contained, type: call-service, dependsOn: [contain], config: {url: "STUB/ok", method: POST}}
  - {id: monitor, type: call-service, config: {url: "STUB/json?action=monitor", method: POST}}
  - id: close
    type: call-service
    dependsOn: [notify-contained, monitor]
    trigger: any
    config: {url: "STUB/ok", method: POST}
`

func TestConditionalFollowsTheTrueBranch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(branching)
	id := h.start("branching", map[string]any{"score": 9})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	want := map[string]runbook.StepStatus{
		"enrich": runbook.StepCompleted, "assess": runbook.StepCompleted, "contain": runbook.StepCompleted,
		"notify-contained": runbook.StepCompleted, "monitor": runbook.StepSkipped, "close": runbook.StepCompleted,
	}
	for step, status := range want {
		if got := x.StepResults[step].Status; got != status {
			t.Errorf("%s = %s, want %s", step, got, status)
		}
	}
	if r := x.StepResults["monitor"]; !r.Skipped || !strings.Contains(r.SkipReason, `conditional "assess"`) {
		t.Errorf("monitor skip = %v %q", r.Skipped, r.SkipReason)
	}
	decision := x.StepResults["assess"].Output.(map[string]any)
	if decision["result"] != true || decision["left"] != float64(9) || decision["branch"] != "contain" {
		t.Errorf("the decision and the values compared must be recorded: %v", decision)
	}
	if len(h.stub.Requests("/json")) != 2 {
		t.Errorf("calls: %d", len(h.stub.Requests("/json")))
	}
	h.checkFold(id)
}

func TestConditionalFalseBranchSkipsEverythingOnlyOnTheOtherBranch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(branching)
	id := h.start("branching", map[string]any{"score": 3})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	for step, status := range map[string]runbook.StepStatus{
		"contain": runbook.StepSkipped, "notify-contained": runbook.StepSkipped,
		"monitor": runbook.StepCompleted, "close": runbook.StepCompleted,
	} {
		if got := x.StepResults[step].Status; got != status {
			t.Errorf("%s = %s, want %s", step, got, status)
		}
	}
	if r := x.StepResults["notify-contained"]; !strings.Contains(r.SkipReason, `dependency "contain" was skipped`) {
		t.Errorf("skip reason must name the dependency: %q", r.SkipReason)
	}
	h.checkFold(id)
}

func TestJoinIsSkippedWhenEveryDependencyWas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: allskipped
version: "1"
steps:
  - id: gate
    type: conditional
    config: {expression: "input.go == true", trueBranch: a, falseBranch: b}
  - {id: a, type: call-service, condition: {field: input.never, operator: exists}, config: {url: "STUB/ok", method: GET}}
  - {id: b, type: call-service, condition: {field: input.never, operator: exists}, config: {url: "STUB/ok", method: GET}}
  - {id: join, type: call-service, dependsOn: [a, b], trigger: any, config: {url: "STUB/ok", method: GET}}
`)
	id := h.start("allskipped", map[string]any{"go": true})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	if r := x.StepResults["a"]; r.Status != runbook.StepSkipped || !strings.Contains(r.SkipReason, "condition not met") {
		t.Errorf("guard skip: %+v", r)
	}
	if r := x.StepResults["join"]; r.Status != runbook.StepSkipped || !strings.Contains(r.SkipReason, "every dependency was skipped") {
		t.Errorf("join: %+v", r)
	}
	if n := len(h.stub.Requests("")); n != 0 {
		t.Errorf("%d calls made", n)
	}
}

func TestStepConditionGuardsTheStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: guarded
version: "1"
steps:
  - {id: lookup, type: call-service, config: {url: "STUB/json?status=active", method: GET}}
  - id: disable
    type: call-service
    dependsOn: [lookup]
    condition: {field: lookup.status, operator: eq, value: active}
    config: {url: "STUB/ok", method: POST}
  - id: archive
    type: call-service
    dependsOn: [lookup]
    condition: {field: status, operator: in, value: [closed, resolved]}
    config: {url: "STUB/ok", method: POST}
`)
	id := h.start("guarded", map[string]any{"status": "open"})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	if s := x.StepResults["disable"].Status; s != runbook.StepCompleted {
		t.Errorf("disable = %s", s)
	}
	r := x.StepResults["archive"]
	if r.Status != runbook.StepSkipped || !strings.Contains(r.SkipReason, "condition not met") || !strings.Contains(r.SkipReason, "open") {
		t.Errorf("archive = %+v (a bare field falls back to the input)", r)
	}
}

func TestLoopRunsItsBodyOncePerItem(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: fanout
version: "1"
steps:
  - id: each
    type: loop
    loopConfig: {maxIterations: 10, iterateOver: input.hosts, concurrency: 2}
    config:
      body:
        type: call-service
        config: {url: "STUB/json?host={item}&index={index}", method: GET}
  - {id: report, type: call-service, dependsOn: [each], config: {url: "STUB/echo", method: POST, body: "{each.results}"}}
`)
	hosts := []any{"h1", "h2", "h3", "h4", "h5"}
	id := h.start("fanout", map[string]any{"hosts": hosts})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	out := x.StepResults["each"].Output.(map[string]any)
	if out["iterations"] != float64(5) {
		t.Fatalf("iterations = %v", out["iterations"])
	}
	results := out["results"].([]any)
	for i, r := range results {
		m := r.(map[string]any)
		if m["host"] != hosts[i] || m["index"] != float64(i) {
			t.Errorf("iteration %d output %v", i, m)
		}
	}
	if got := x.StepResults["report"].Output.(map[string]any)["body"].([]any); len(got) != 5 {
		t.Errorf("downstream saw %d results", len(got))
	}
	if n := len(x.StepResults["each"].Iterations); n != 5 {
		t.Errorf("%d iteration results", n)
	}
	keys := map[string]bool{}
	for _, r := range h.stub.Requests("/json") {
		keys[r.IdempotencyKey] = true
	}
	if len(keys) != 5 {
		t.Errorf("each iteration needs its own idempotency key: %v", keys)
	}
	h.checkFold(id)
}

func TestLoopStopsAtMaxIterations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: capped
version: "1"
steps:
  - id: each
    type: loop
    loopConfig: {maxIterations: 3, iterateOver: input.items}
    config: {bodyStepId: call}
  - {id: call, type: call-service, config: {url: "STUB/json?n={item}", method: GET}}
`)
	id := h.start("capped", map[string]any{"items": []any{1, 2, 3, 4, 5}})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	out := x.StepResults["each"].Output.(map[string]any)
	if out["iterations"] != float64(3) || len(h.stub.Requests("/json")) != 3 {
		t.Fatalf("iterations = %v, calls = %d", out["iterations"], len(h.stub.Requests("/json")))
	}
	if s := x.StepResults["call"].Status; s != runbook.StepCompleted {
		t.Fatalf("the body step shows its loop's status, got %s", s)
	}
}

func TestWhileLoopUsesThePreviousResult(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: paging
version: "1"
steps:
  - id: pages
    type: loop
    loopConfig:
      maxIterations: 10
      continueWhile: {expression: "previous.page < 3.0"}
    config:
      body:
        type: call-service
        config: {url: "STUB/json?page={index}", method: GET}
`)
	id := h.start("paging", nil)
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	out := x.StepResults["pages"].Output.(map[string]any)
	if out["iterations"] != float64(4) {
		t.Fatalf("pages 0..3 expected, got %v iterations", out["iterations"])
	}
}

func TestLoopIterationFailureFailsTheLoop(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: loopfail
version: "1"
steps:
  - id: each
    type: loop
    loopConfig: {maxIterations: 10, iterateOver: input.codes}
    config:
      body:
        type: call-service
        retryPolicy: {maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1}
        config: {url: "STUB/status/{item}", method: GET}
`)
	id := h.start("loopfail", map[string]any{"codes": []any{200, 404, 200}})
	x := h.waitStatus(id, runbook.ExecutionFailed)
	r := x.StepResults["each"]
	if r.Status != runbook.StepFailed || !strings.Contains(r.Error, "iteration 2 failed") || !strings.Contains(r.Error, "404") {
		t.Fatalf("loop = %+v", r)
	}
	h.checkFold(id)
}

func TestConditionalWithoutABranchForItsOutcomeIsFlaggedSkipped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: onebranch
version: "1"
steps:
  - id: check
    type: conditional
    config: {condition: {field: input.severity, operator: eq, value: high}, trueBranch: page}
  - {id: page, type: call-service, config: {url: "STUB/ok", method: POST}}
  - {id: log, type: call-service, dependsOn: [check], config: {url: "STUB/ok", method: POST}}
`)
	id := h.start("onebranch", map[string]any{"severity": "low"})
	x := h.waitStatus(id, runbook.ExecutionCompleted)
	r := x.StepResults["check"]
	if r.Status != runbook.StepCompleted || !r.Skipped || r.SkipReason != "no branch for outcome false" {
		t.Fatalf("check = %+v", r)
	}
	if x.StepResults["page"].Status != runbook.StepSkipped || x.StepResults["log"].Status != runbook.StepCompleted {
		t.Fatalf("page %s, log %s", x.StepResults["page"].Status, x.StepResults["log"].Status)
	}
}

func TestGuardThatCannotBeEvaluatedFailsTheStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: badguard
version: "1"
steps:
  - id: check
    type: call-service
    condition: {field: input.score, operator: gt, value: 5}
    config: {url: "STUB/ok", method: GET}
`)
	id := h.start("badguard", map[string]any{"score": "high"})
	x := h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["check"]; !strings.Contains(r.Error, "evaluate condition") || r.AttemptNumber != 1 {
		t.Fatalf("check = %+v", r)
	}
	if err := h.e.RetryStep(context.Background(), id, "check", op("alice", "")); err != nil {
		t.Fatal(err)
	}
	x = h.waitStatus(id, runbook.ExecutionFailed)
	if r := x.StepResults["check"]; r.AttemptNumber != 2 {
		t.Fatalf("the retried guard must count as attempt 2: %+v", r)
	}
	h.checkFold(id)
}

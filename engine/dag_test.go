package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

func TestSequentialStepsPassOutputsDownstream(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: chain
version: "1"
steps:
  - id: enrich
    type: call-service
    config: {url: "STUB/json?riskScore=8&host=web-1", method: GET}
  - id: ticket
    type: call-service
    dependsOn: [enrich]
    config:
      url: "STUB/echo"
      method: POST
      body: {score: "{enrich.riskScore}", host: "{steps.enrich.host}", note: "risk {enrich.riskScore} on {input.alert.host}"}
`)
	id := h.start("chain", map[string]any{"alert": map[string]any{"host": "web-1"}})
	x := h.waitStatus(id, runbook.ExecutionCompleted)

	echo := x.StepResults["ticket"].Output.(map[string]any)
	body := echo["body"].(map[string]any)
	if body["score"] != float64(8) {
		t.Errorf("whole placeholder must keep the number type, got %#v", body["score"])
	}
	if body["note"] != "risk 8 on web-1" {
		t.Errorf("embedded placeholders = %q", body["note"])
	}
	if body["host"] != "web-1" {
		t.Errorf("steps.<id> path = %#v", body["host"])
	}
	headers := echo["headers"].(map[string]any)
	if headers["Idempotency-Key"] != id+":ticket" {
		t.Errorf("derived idempotency key = %v", headers["Idempotency-Key"])
	}
	if headers["X-Execution-Id"] != id || headers["X-Tenant-Id"] != "acme" || headers["X-Initiated-By"] != "analyst-1" {
		t.Errorf("execution headers = %v", headers)
	}
	out := x.Output.(map[string]any)
	if _, ok := out["enrich"]; !ok {
		t.Errorf("execution output lacks step outputs: %v", out)
	}
	for _, step := range []string{"enrich", "ticket"} {
		r := x.StepResults[step]
		if r.Status != runbook.StepCompleted || r.AttemptNumber != 1 || r.StartTime == nil || r.EndTime == nil {
			t.Errorf("step %s result = %+v", step, r)
		}
	}
	h.checkFold(id)
}

func TestDiamondRunsJoinAfterBothBranches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: diamond
version: "1"
steps:
  - {id: a, type: call-service, config: {url: "STUB/json?v=1", method: GET}}
  - {id: b, type: call-service, dependsOn: [a], config: {url: "STUB/gate/b", method: GET}}
  - {id: c, type: call-service, dependsOn: [a], config: {url: "STUB/json?v=3", method: GET}}
  - {id: d, type: call-service, dependsOn: [b, c], config: {url: "STUB/echo", method: POST, body: {b: "{b.gate}", c: "{c.v}"}}}
`)
	id := h.start("diamond", nil)
	h.gates.waitArrived(t, "b")
	x := h.waitStep(id, "c", runbook.StepCompleted)
	if s := x.StepResults["d"].Status; s != runbook.StepPending {
		t.Fatalf("d started before b finished: %s", s)
	}
	h.gates.open("b")
	x = h.waitStatus(id, runbook.ExecutionCompleted)
	body := x.StepResults["d"].Output.(map[string]any)["body"].(map[string]any)
	if body["b"] != "b" || body["c"] != float64(3) {
		t.Fatalf("join saw %v", body)
	}
	h.checkFold(id)
}

func TestMaxConcurrentStepsLimitsParallelSteps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: wide
version: "1"
maxConcurrentSteps: 2
steps:
  - {id: s1, type: call-service, config: {url: "STUB/gate/g1", method: GET}}
  - {id: s2, type: call-service, config: {url: "STUB/gate/g2", method: GET}}
  - {id: s3, type: call-service, config: {url: "STUB/gate/g3", method: GET}}
`)
	id := h.start("wide", nil)
	h.gates.waitArrived(t, "g1")
	h.gates.waitArrived(t, "g2")
	x := h.get(id)
	if s := x.StepResults["s3"].Status; s != runbook.StepPending {
		t.Fatalf("third step is %s while two hold the slots", s)
	}
	h.gates.open("g1")
	h.gates.waitArrived(t, "g3")
	h.gates.open("g2")
	h.gates.open("g3")
	h.waitStatus(id, runbook.ExecutionCompleted)
}

func TestUnresolvablePlaceholderFailsStepClearly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: bad-ref
version: "1"
steps:
  - {id: call, type: call-service, config: {url: "STUB/json?h={input.host}", method: GET}}
`)
	id := h.start("bad-ref", map[string]any{})
	x := h.waitStatus(id, runbook.ExecutionFailed)
	r := x.StepResults["call"]
	if r.Status != runbook.StepFailed || !strings.Contains(r.Error, "input.host") {
		t.Fatalf("step = %+v", r)
	}
	if r.AttemptNumber != 1 {
		t.Fatalf("an unresolvable placeholder must not be retried: %d attempts", r.AttemptNumber)
	}
	if !strings.Contains(x.Error, `step "call" failed`) {
		t.Fatalf("execution error = %q", x.Error)
	}
	if len(h.stub.Requests("/json")) != 0 {
		t.Fatal("the request was sent despite the unresolved placeholder")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.put(`
id: typed
version: "1"
inputSchema:
  type: object
  required: [host]
  properties:
    host: {type: string}
    port: {type: integer}
steps:
  - {id: s, type: call-service, config: {url: "STUB/ok", method: GET}}
`)
	ctx := context.Background()
	_, _, err := h.e.StartExecution(ctx, engineStart("missing", nil))
	if runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Errorf("unknown runbook: %v", err)
	}
	_, _, err = h.e.StartExecution(ctx, engineStart("typed", map[string]any{"port": "eighty"}))
	if runbook.ErrorCode(err) != runbook.EINVALID {
		t.Fatalf("invalid input: %v", err)
	}
	fields := map[string]bool{}
	for _, d := range runbook.ErrorDetails(err) {
		fields[d.Field] = true
	}
	if !fields["input"] && !fields["input.host"] || !fields["input.port"] {
		t.Errorf("details should name the missing host and the bad port: %v", runbook.ErrorDetails(err))
	}
	if _, err := h.e.GetExecution(ctx, "nope"); runbook.ErrorCode(err) != runbook.ENOTFOUND {
		t.Errorf("unknown execution: %v", err)
	}
}

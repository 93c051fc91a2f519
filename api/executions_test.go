package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

// quick completes at once; held waits in its "hold" step until the test
// releases the service; flaky fails in "fragile" until the service is
// fixed; typed checks its input.
const (
	quickRunbook = `
id: quick
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "SVC/ok", method: POST}}
  - {id: second, type: call-service, dependsOn: [first], config: {url: "SVC/ok", method: POST}}
`
	heldRunbook = `
id: held
version: "1"
steps:
  - {id: hold, type: call-service, config: {url: "SVC/hold", method: POST, timeoutMs: 60000}}
  - {id: after, type: call-service, dependsOn: [hold], config: {url: "SVC/ok", method: POST}}
`
	flakyRunbook = `
id: flaky
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "SVC/ok", method: POST}}
  - id: fragile
    type: call-service
    dependsOn: [first]
    retryPolicy: {maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1}
    config: {url: "SVC/fail", method: POST}
  - {id: last, type: call-service, dependsOn: [fragile], config: {url: "SVC/ok", method: POST}}
`
	typedRunbook = `
id: typed
version: "1"
inputSchema:
  type: object
  required: [host]
  properties:
    host: {type: string}
    priority: {type: integer, minimum: 1}
steps:
  - {id: call, type: call-service, config: {url: "SVC/ok", method: POST, body: {host: "{input.host}"}}}
`
)

func TestStartExecution(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(quickRunbook)
	e.put(typedRunbook)
	ctx := context.Background()

	status, _, body := e.call(ctx, "POST", "/api/v1/executions", "application/json", `{"runbookId": "quick"}`, "X-User-Id", "analyst-7")
	if status != http.StatusCreated || body["status"] != "started" || body["version"] != "v1" || body["executionId"] == "" {
		t.Fatalf("start: %d %v", status, body)
	}
	x := e.waitStatus(body["executionId"].(string), runbook.ExecutionCompleted)
	c := x.Context
	if c.InitiatedBy != "analyst-7" || c.TenantID != "default" || c.LegalBasis.Authority != "UNKNOWN" ||
		c.LegalBasis.Classification != "UNCLASSIFIED" || c.LegalBasis.AuthorizedUsers == nil || c.Assumptions == nil {
		t.Fatalf("context defaults: %+v", c)
	}

	// The context's initiatedBy wins over the header; without either it is anonymous.
	res, err := e.c.WithUser("bob").StartExecution(ctx, client.StartRequest{RunbookID: "quick",
		Context: &runbook.ExecutionContext{InitiatedBy: "carol", TenantID: "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if x := e.waitStatus(res.ExecutionID, runbook.ExecutionCompleted); x.Context.InitiatedBy != "carol" || x.Context.TenantID != "acme" {
		t.Fatalf("context: %+v", x.Context)
	}
	res, err = e.c.StartExecution(ctx, client.StartRequest{RunbookID: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	if x := e.waitStatus(res.ExecutionID, runbook.ExecutionCompleted); x.Context.InitiatedBy != "anonymous" {
		t.Fatalf("initiatedBy %q", x.Context.InitiatedBy)
	}

	// Idempotency: body key, header key, and the two must agree.
	first, err := e.c.StartExecution(ctx, client.StartRequest{RunbookID: "quick", IdempotencyKey: "alert-42"})
	if err != nil || !first.Created || first.Status != "started" {
		t.Fatalf("first keyed start: %+v %v", first, err)
	}
	e.waitStatus(first.ExecutionID, runbook.ExecutionCompleted)
	status, _, body = e.call(ctx, "POST", "/api/v1/executions", "application/json", `{"runbookId": "quick"}`, "Idempotency-Key", "alert-42")
	if status != http.StatusOK || body["executionId"] != first.ExecutionID || body["status"] != "completed" {
		t.Fatalf("the header key must find the first execution and its status: %d %v", status, body)
	}
	again, err := e.c.StartExecution(ctx, client.StartRequest{RunbookID: "quick", IdempotencyKey: "alert-42"})
	if err != nil || again.Created || again.ExecutionID != first.ExecutionID {
		t.Fatalf("the body key must find the first execution: %+v %v", again, err)
	}
	status, _, body = e.call(ctx, "POST", "/api/v1/executions", "application/json", `{"runbookId": "quick", "idempotencyKey": "a"}`,
		"Idempotency-Key", "b")
	wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)

	// Input is checked against the runbook's inputSchema.
	_, err = e.c.StartExecution(ctx, client.StartRequest{RunbookID: "typed", Input: map[string]any{"priority": 0}})
	wantCode(t, err, runbook.EINVALID)
	if d := runbook.ErrorDetails(err); len(d) < 2 {
		t.Fatalf("every input problem is a detail: %v", d)
	}
	ok, err := e.c.StartExecution(ctx, client.StartRequest{RunbookID: "typed", Input: map[string]any{"host": "srv-1", "priority": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if x := e.waitStatus(ok.ExecutionID, runbook.ExecutionCompleted); x.Input.(map[string]any)["host"] != "srv-1" {
		t.Fatalf("input %v", x.Input)
	}
}

func TestStartExecutionErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(quickRunbook)
	cases := []struct {
		name        string
		contentType string
		body        string
		bad         bool
		status      int
		code        string
		field       string
	}{
		{"unknown runbook", "application/json", `{"runbookId": "ghost"}`, false, http.StatusNotFound, runbook.ENOTFOUND, ""},
		{"unknown version", "application/json", `{"runbookId": "quick", "runbookVersion": "7"}`, false, http.StatusNotFound, runbook.ENOTFOUND, ""},
		{"missing runbookId", "application/json", `{"input": {}}`, true, http.StatusBadRequest, runbook.EINVALID, "runbookId"},
		{"malformed JSON", "application/json", `{"runbookId": `, true, http.StatusBadRequest, runbook.EINVALID, ""},
		{"not an object", "application/json", `["quick"]`, true, http.StatusBadRequest, runbook.EINVALID, ""},
		// kin-openapi reads the first JSON value only, so it does not see this one.
		{"trailing data", "application/json", `{"runbookId": "quick"} {}`, false, http.StatusBadRequest, runbook.EINVALID, ""},
		{"unknown field", "application/json", `{"runbookId": "quick", "runbook": "quick"}`, true, http.StatusBadRequest, runbook.EINVALID, "runbook"},
		{"unknown context field", "application/json", `{"runbookId": "quick", "context": {"tenant": "x"}}`, true, http.StatusBadRequest, runbook.EINVALID, "tenant"},
		{"wrong type", "application/json", `{"runbookId": 5}`, true, http.StatusBadRequest, runbook.EINVALID, "runbookId"},
		{"empty body", "application/json", ``, true, http.StatusBadRequest, runbook.EINVALID, ""},
		{"wrong content type", "text/plain", `{"runbookId": "quick"}`, true, http.StatusUnsupportedMediaType, runbook.EUNSUPPORTED, ""},
		{"no content type", "", `{"runbookId": "quick"}`, true, http.StatusUnsupportedMediaType, runbook.EUNSUPPORTED, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			ctx := context.Background()
			if c.bad {
				ctx = badRequest(ctx)
			}
			status, _, body := e.call(ctx, "POST", "/api/v1/executions", c.contentType, c.body)
			wantError(t, status, body, c.status, c.code)
			if c.field != "" {
				details, _ := body["details"].([]any)
				if len(details) != 1 || details[0].(map[string]any)["field"] != c.field {
					t.Fatalf("details %v, want field %q", details, c.field)
				}
			}
		})
	}
}

func TestGetAndListExecutions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(quickRunbook)
	e.put(heldRunbook)
	ctx := context.Background()
	var quick []string
	for range 3 {
		id := e.start("quick", map[string]any{"n": 1})
		e.waitStatus(id, runbook.ExecutionCompleted)
		quick = append(quick, id)
	}
	held := e.start("held", nil)
	e.svc.waitHeld(t)

	status, _, body := e.call(ctx, "GET", "/api/v1/executions/"+quick[0], "", "")
	if status != http.StatusOK || body["version"] != "v1" {
		t.Fatalf("get: %d %v", status, body)
	}
	x := body["execution"].(map[string]any)
	for _, field := range []string{"id", "runbookId", "runbookVersion", "status", "context", "input", "startTime", "endTime",
		"durationMs", "isReplay", "stepResults", "logCount", "evidenceCount"} {
		if _, ok := x[field]; !ok {
			t.Errorf("execution lacks %q", field)
		}
	}
	ms := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	step := x["stepResults"].(map[string]any)["first"].(map[string]any)
	for _, v := range []any{x["startTime"], x["endTime"], step["startTime"], step["endTime"]} {
		if s, _ := v.(string); !ms.MatchString(s) {
			t.Errorf("time %v is not RFC 3339 UTC with milliseconds", v)
		}
	}
	if step["status"] != "completed" || step["attemptNumber"] != float64(1) || step["stepId"] != "first" {
		t.Errorf("step result %v", step)
	}

	all, err := e.c.ListExecutions(ctx, client.ListOptions{})
	if err != nil || len(all.Executions) != 4 || all.Executions[0].ID != held || all.NextCursor != "" {
		t.Fatalf("list, newest first: %+v %v", all, err)
	}
	done, err := e.c.ListExecutions(ctx, client.ListOptions{RunbookID: "quick", Status: runbook.ExecutionCompleted})
	if err != nil || len(done.Executions) != 3 {
		t.Fatalf("filtered list: %+v %v", done, err)
	}
	var paged []string
	page := &client.ExecutionPage{}
	for {
		page, err = e.c.ListExecutions(ctx, client.ListOptions{RunbookID: "quick", Limit: 2, Cursor: page.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Executions {
			paged = append(paged, s.ID)
		}
		if page.NextCursor == "" {
			break
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint([]string{quick[2], quick[1], quick[0]}) {
		t.Fatalf("pages %v, want %v", paged, quick)
	}
	running, err := e.c.ListExecutions(ctx, client.ListOptions{Status: runbook.ExecutionRunning})
	if err != nil || len(running.Executions) != 1 || running.Executions[0].ID != held {
		t.Fatalf("running: %+v %v", running, err)
	}

	for _, q := range []string{"status=finished", "limit=0", "limit=1001", "limit=ten"} {
		status, _, body := e.call(badRequest(ctx), "GET", "/api/v1/executions?"+q, "", "")
		wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
	}
	_, err = e.c.GetExecution(ctx, "ghost")
	wantCode(t, err, runbook.ENOTFOUND)
	e.svc.release()
	e.waitStatus(held, runbook.ExecutionCompleted)
}

func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(heldRunbook)
	e.put(quickRunbook)
	ctx := context.Background()
	id := e.start("held", nil)
	e.svc.waitHeld(t)

	status, _, body := e.call(ctx, "POST", "/api/v1/executions/"+id+"/pause", "application/json", `{"reason": "checking with the owner"}`,
		"X-User-Id", "alice")
	if status != http.StatusOK || body["status"] != "paused" || body["executionId"] != id || body["version"] != "v1" {
		t.Fatalf("pause: %d %v", status, body)
	}
	// The running attempt finishes and is recorded; nothing starts after it.
	e.svc.release()
	x := e.waitFor(id, "hold completed while paused", func(x *runbook.Execution) bool {
		return x.StepResults["hold"].Status == runbook.StepCompleted
	})
	if x.Status != runbook.ExecutionPaused || x.StepResults["after"].Status != runbook.StepPending {
		t.Fatalf("paused execution moved on: %s, after %s", x.Status, x.StepResults["after"].Status)
	}
	_, err := e.c.Pause(ctx, id, client.OperationRequest{})
	wantCode(t, err, runbook.ECONFLICT)

	// No body at all is fine on the lifecycle endpoints.
	status, _, body = e.call(ctx, "POST", "/api/v1/executions/"+id+"/resume", "", "")
	if status != http.StatusOK || body["status"] != "resumed" {
		t.Fatalf("resume: %d %v", status, body)
	}
	e.waitStatus(id, runbook.ExecutionCompleted)
	_, err = e.c.Resume(ctx, id, client.OperationRequest{})
	wantCode(t, err, runbook.ECONFLICT)
	_, err = e.c.Pause(ctx, id, client.OperationRequest{})
	wantCode(t, err, runbook.ECONFLICT) // pause a completed run
	_, err = e.c.Cancel(ctx, id, client.OperationRequest{})
	wantCode(t, err, runbook.ECONFLICT)

	for _, op := range []string{"pause", "resume", "cancel"} {
		status, _, body := e.call(ctx, "POST", "/api/v1/executions/ghost/"+op, "application/json", `{}`)
		wantError(t, status, body, http.StatusNotFound, runbook.ENOTFOUND)
	}
	status, _, body = e.call(badRequest(ctx), "POST", "/api/v1/executions/"+id+"/pause", "application/json", `{"user": "x"}`)
	wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
}

func TestCancelRecordsWhoAndWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(heldRunbook)
	ctx := context.Background()
	id := e.start("held", nil)
	e.svc.waitHeld(t)
	res, err := e.c.WithUser("bob").Cancel(ctx, id, client.OperationRequest{Reason: "false positive"})
	if err != nil || res.Status != "cancelled" || res.ExecutionID != id {
		t.Fatalf("cancel: %+v %v", res, err)
	}
	x := e.waitStatus(id, runbook.ExecutionCancelled)
	if x.CancelledBy != "bob" || x.CancellationReason != "false positive" || x.StepResults["after"].Status == runbook.StepCompleted {
		t.Fatalf("cancelled execution: by %q (%q), after %s", x.CancelledBy, x.CancellationReason, x.StepResults["after"].Status)
	}
	_, err = e.c.Cancel(ctx, id, client.OperationRequest{UserID: "bob"})
	wantCode(t, err, runbook.ECONFLICT)
}

func TestRetryStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(flakyRunbook)
	ctx := context.Background()
	id := e.start("flaky", nil)
	x := e.waitStatus(id, runbook.ExecutionFailed)
	if x.StepResults["fragile"].Status != runbook.StepFailed || x.Error == "" {
		t.Fatalf("failed execution keeps its step results: %+v", x.StepResults["fragile"])
	}

	_, err := e.c.RetryStep(ctx, id, "first", client.OperationRequest{})
	wantCode(t, err, runbook.ECONFLICT) // a step that did not fail
	_, err = e.c.RetryStep(ctx, id, "ghost", client.OperationRequest{})
	wantCode(t, err, runbook.ENOTFOUND)
	_, err = e.c.RetryStep(ctx, "ghost", "fragile", client.OperationRequest{})
	wantCode(t, err, runbook.ENOTFOUND)

	e.svc.fix()
	status, _, body := e.call(ctx, "POST", "/api/v1/executions/"+id+"/steps/fragile/retry", "application/json",
		`{"userId": "alice", "reason": "service fixed"}`)
	if status != http.StatusOK || body["status"] != "retried" || body["stepId"] != "fragile" || body["executionId"] != id {
		t.Fatalf("retry: %d %v", status, body)
	}
	x = e.waitStatus(id, runbook.ExecutionCompleted)
	if x.StepResults["fragile"].AttemptNumber != 2 || x.StepResults["last"].Status != runbook.StepCompleted {
		t.Fatalf("the retry continues downstream: %+v %+v", x.StepResults["fragile"], x.StepResults["last"])
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(quickRunbook)
	ctx := context.Background()
	orig := e.start("quick", map[string]any{"host": "a"})
	e.waitStatus(orig, runbook.ExecutionCompleted)

	status, _, body := e.call(ctx, "POST", "/api/v1/executions/"+orig+"/replay", "application/json", `{"fromStepId": "second"}`,
		"X-User-Id", "alice")
	if status != http.StatusCreated || body["status"] != "replaying" || body["originalExecutionId"] != orig || body["executionId"] == orig {
		t.Fatalf("replay: %d %v", status, body)
	}
	x := e.waitStatus(body["executionId"].(string), runbook.ExecutionCompleted)
	if !x.IsReplay || x.OriginalExecutionID != orig || !x.StepResults["first"].Reused || x.StepResults["second"].Reused {
		t.Fatalf("replay from second: %+v first %+v", x, x.StepResults["first"])
	}
	if x.Input.(map[string]any)["host"] != "a" {
		t.Fatalf("replay input %v", x.Input)
	}
	whole, err := e.c.Replay(ctx, orig, client.ReplayRequest{Context: &runbook.ExecutionContext{TenantID: "other"}})
	if err != nil {
		t.Fatal(err)
	}
	if x := e.waitStatus(whole.ExecutionID, runbook.ExecutionCompleted); x.Context.TenantID != "other" || x.StepResults["first"].Reused {
		t.Fatalf("replay with a context: %+v", x.Context)
	}

	_, err = e.c.Replay(ctx, "ghost", client.ReplayRequest{})
	wantCode(t, err, runbook.ENOTFOUND)
	_, err = e.c.Replay(ctx, orig, client.ReplayRequest{FromStepID: "ghost"})
	wantCode(t, err, runbook.ENOTFOUND)
}

func TestLogsEvidenceHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(flakyRunbook)
	ctx := context.Background()
	id := e.start("flaky", nil)
	x := e.waitStatus(id, runbook.ExecutionFailed)

	all, err := e.c.Logs(ctx, id, client.LogOptions{})
	if err != nil || len(all.Logs) == 0 || all.Total != len(all.Logs) {
		t.Fatalf("logs: %+v %v", all, err)
	}
	errs, err := e.c.Logs(ctx, id, client.LogOptions{Level: runbook.LogError})
	if err != nil || len(errs.Logs) == 0 {
		t.Fatalf("error logs: %+v %v", errs, err)
	}
	for _, l := range errs.Logs {
		if l.Level != runbook.LogError || l.ExecutionID != id {
			t.Fatalf("level filter let through %+v", l)
		}
	}
	fragile, err := e.c.Logs(ctx, id, client.LogOptions{StepID: "fragile", Limit: 1, Offset: 1})
	if err != nil || len(fragile.Logs) != 1 || fragile.Logs[0].StepID != "fragile" || fragile.Total < 2 {
		t.Fatalf("step filter with paging: %+v %v", fragile, err)
	}
	none, err := e.c.Logs(ctx, id, client.LogOptions{StartTime: x.EndTime.Add(1e9)})
	if err != nil || len(none.Logs) != 0 {
		t.Fatalf("startTime after the end: %+v %v", none, err)
	}
	status, _, body := e.call(ctx, "GET", "/api/v1/executions/"+id+"/logs?stepId=first&level=info", "", "")
	if status != http.StatusOK || body["executionId"] != id || body["count"] != float64(len(body["logs"].([]any))) {
		t.Fatalf("logs body: %d %v", status, body)
	}

	evidence, err := e.c.Evidence(ctx, id)
	if err != nil || evidence == nil || len(evidence) != 0 {
		t.Fatalf("evidence of a run that recorded none: %v %v", evidence, err)
	}

	history, err := e.c.History(ctx, id, 0, 0)
	if err != nil || int64(len(history.Events)) != x.Seq || history.NextAfterSeq != 0 {
		t.Fatalf("history: %d events (seq %d), next %d, %v", len(history.Events), x.Seq, history.NextAfterSeq, err)
	}
	if history.Events[0].Type != runbook.EventExecutionStarted || history.Events[len(history.Events)-1].Type != runbook.EventExecutionFailed {
		t.Fatalf("history from start to failure: %v ... %v", history.Events[0].Type, history.Events[len(history.Events)-1].Type)
	}
	var paged []runbook.Event
	var after int64
	for {
		page, err := e.c.History(ctx, id, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page.Events...)
		if page.NextAfterSeq == 0 {
			break
		}
		after = page.NextAfterSeq
	}
	if len(paged) != len(history.Events) || paged[len(paged)-1].Seq != x.Seq {
		t.Fatalf("paged history has %d events, want %d", len(paged), len(history.Events))
	}
	raw, _, _ := e.callRaw(ctx, "GET", "/api/v1/executions/"+id+"/history?limit=1", "", nil)
	if raw != http.StatusOK {
		t.Fatalf("history?limit=1: %d", raw)
	}

	bad := []string{
		"/logs?level=loud", "/logs?startTime=yesterday", "/logs?endTime=2026-13-01", "/logs?limit=0", "/logs?offset=-1",
		"/history?afterSeq=-1", "/history?afterSeq=x", "/history?limit=0", "/history?limit=5001",
	}
	for _, q := range bad {
		status, _, body := e.call(badRequest(ctx), "GET", "/api/v1/executions/"+id+q, "", "")
		wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
		if d, _ := body["details"].([]any); len(d) != 1 {
			t.Errorf("%s: details %v", q, body["details"])
		}
	}
	for _, path := range []string{"/logs", "/evidence", "/history"} {
		status, _, body := e.call(ctx, "GET", "/api/v1/executions/ghost"+path, "", "")
		wantError(t, status, body, http.StatusNotFound, runbook.ENOTFOUND)
	}
}

// TestEvidenceIsListed runs a step that records evidence.
func TestEvidenceIsListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(`
id: proof
version: "1"
steps:
  - id: fetch
    type: call-service
    config: {url: "SVC/ok", method: GET, evidence: {type: edr-report, confidence: 0.8}}
`)
	id := e.start("proof", nil)
	e.waitStatus(id, runbook.ExecutionCompleted)
	status, _, body := e.call(context.Background(), "GET", "/api/v1/executions/"+id+"/evidence", "", "")
	if status != http.StatusOK || body["count"] != float64(1) {
		t.Fatalf("evidence: %d %v", status, body)
	}
	item := body["evidence"].([]any)[0].(map[string]any)
	if item["type"] != "edr-report" || item["confidence"] != 0.8 || item["stepId"] != "fetch" || item["sha256"] == "" {
		t.Fatalf("evidence item %v", item)
	}
	b, _ := json.Marshal(item)
	if !regexp.MustCompile(`"timestamp":"[^"]+\.\d{3}Z"`).Match(b) {
		t.Fatalf("evidence timestamp: %s", b)
	}
}

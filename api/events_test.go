package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

const scanRunbook = `
id: scan
version: "1"
steps:
  - id: wait-scan
    type: wait-for-event
    config: {eventType: scan.finished, correlationId: "{input.host}", timeoutMs: 3600000}
  - {id: report, type: call-service, dependsOn: [wait-scan], config: {url: "SVC/ok", method: POST, body: {verdict: "{wait-scan.verdict}"}}}
`

func TestSendEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(scanRunbook)
	ctx := context.Background()
	res, err := e.c.StartExecution(ctx, client.StartRequest{RunbookID: "scan", Input: map[string]any{"host": "srv-9"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ExecutionID
	e.waitStatus(id, runbook.ExecutionAwaitingEvent)

	miss, err := e.c.SendEvent(ctx, client.EventRequest{Type: "scan.finished", CorrelationID: "srv-1", Payload: map[string]any{"verdict": "clean"}})
	if err != nil || miss.Matched != 0 || miss.EventID == "" {
		t.Fatalf("an event for another host: %+v %v", miss, err)
	}
	status, _, body := e.call(ctx, "POST", "/api/v1/events", "application/json",
		`{"id": "evt-1", "type": "scan.finished", "correlationId": "srv-9", "payload": {"verdict": "infected"}}`)
	if status != http.StatusAccepted || body["eventId"] != "evt-1" || body["matched"] != float64(1) || body["version"] != "v1" {
		t.Fatalf("matching event: %d %v", status, body)
	}
	x := e.waitStatus(id, runbook.ExecutionCompleted)
	if out := x.StepResults["wait-scan"].Output.(map[string]any); out["verdict"] != "infected" {
		t.Fatalf("the step's output is the payload: %v", out)
	}

	_, err = e.c.SendEvent(ctx, client.EventRequest{ID: "evt-1", Type: "scan.finished"})
	wantCode(t, err, runbook.ECONFLICT)
	cases := []struct {
		name string
		body string
	}{
		{"missing type", `{"correlationId": "x"}`},
		{"empty type", `{"type": ""}`},
		{"unknown field", `{"type": "x", "correlation": "y"}`},
		{"malformed", `{"type": "x",}`},
	}
	for _, c := range cases {
		status, _, body := e.call(badRequest(ctx), "POST", "/api/v1/events", "application/json", c.body)
		wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
	}
}

package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api"
)

// sseEvent is one event read from a raw stream.
type rawEvent struct {
	id, event, data string
}

// openStream opens the raw event stream of an execution.
func (e *env) openStream(ctx context.Context, path string, header ...string) (*http.Response, *bufio.Reader) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp, bufio.NewReader(resp.Body)
}

// next reads the next event (or comment, as event ":") of a raw stream.
func next(t *testing.T, r *bufio.Reader) (rawEvent, bool) {
	t.Helper()
	var ev rawEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return ev, false
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			return ev, true
		case strings.HasPrefix(line, ":"):
			ev.event = ":"
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		default:
			t.Fatalf("unexpected stream line %q", line)
		}
	}
}

func TestStreamSendsHistoryThenLiveEventsAndEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(heldRunbook)
	ctx := context.Background()
	id := e.start("held", nil)
	e.svc.waitHeld(t)

	resp, r := e.openStream(ctx, "/api/v1/executions/"+id+"/stream")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	v := newValidator(t, e.srv.URL, nil)
	var got []runbook.Event
	for {
		raw, ok := next(t, r)
		if !ok {
			break
		}
		if raw.event == ":" {
			continue
		}
		v.checkSchema("stream event", "Event", []byte(raw.data))
		var ev runbook.Event
		if err := json.Unmarshal([]byte(raw.data), &ev); err != nil {
			t.Fatalf("data is not an event: %v: %s", err, raw.data)
		}
		if raw.id != strconv.FormatInt(ev.Seq, 10) || raw.event != string(ev.Type) {
			t.Fatalf("id %q event %q for %+v", raw.id, raw.event, ev)
		}
		got = append(got, ev)
		if ev.Type == runbook.EventStepStarted && ev.StepID == "hold" {
			// History is sent; what follows is live.
			e.svc.release()
		}
	}
	if len(got) < 5 || got[0].Type != runbook.EventExecutionStarted || got[0].Seq != 1 || got[len(got)-1].Type != runbook.EventExecutionCompleted {
		t.Fatalf("stream events %v", types(got))
	}
	for i, ev := range got {
		if ev.Seq != int64(i+1) {
			t.Fatalf("seq %d at position %d: events are sent once, in order", ev.Seq, i)
		}
	}

	// A reconnecting client names the last event it saw.
	_, r = e.openStream(ctx, "/api/v1/executions/"+id+"/stream", "Last-Event-ID", strconv.FormatInt(got[len(got)-2].Seq, 10))
	raw, ok := next(t, r)
	if !ok || raw.event != string(runbook.EventExecutionCompleted) {
		t.Fatalf("resumed stream: %+v", raw)
	}
	if _, ok := next(t, r); ok {
		t.Fatal("the stream goes on after the execution ended")
	}

	// The client follows the same stream.
	events, err := e.c.Stream(ctx, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for ev := range events {
		seqs = append(seqs, ev.Seq)
	}
	if len(seqs) != len(got)-2 || seqs[0] != 3 {
		t.Fatalf("client stream after seq 2: %v", seqs)
	}
}

func types(events []runbook.Event) []runbook.EventType {
	out := make([]runbook.EventType, len(events))
	for i, ev := range events {
		out[i] = ev.Type
	}
	return out
}

func TestStreamErrorsAndHeartbeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.Heartbeat = 20 * time.Millisecond })
	e.put(heldRunbook)
	ctx := context.Background()

	status, _, body := e.call(ctx, "GET", "/api/v1/executions/ghost/stream", "", "")
	wantError(t, status, body, http.StatusNotFound, runbook.ENOTFOUND)
	_, err := e.c.Stream(ctx, "ghost", 0)
	wantCode(t, err, runbook.ENOTFOUND)

	id := e.start("held", nil)
	e.svc.waitHeld(t)
	status, _, body = e.call(badRequest(ctx), "GET", "/api/v1/executions/"+id+"/stream?afterSeq=-3", "", "")
	wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)
	status, _, body = e.call(ctx, "GET", "/api/v1/executions/"+id+"/stream", "", "", "Last-Event-ID", "x")
	wantError(t, status, body, http.StatusBadRequest, runbook.EINVALID)

	// An idle stream gets heartbeats; a client that leaves ends it.
	sctx, cancel := context.WithCancel(ctx)
	_, r := e.openStream(sctx, "/api/v1/executions/"+id+"/stream")
	beats := 0
	for beats < 2 {
		raw, ok := next(t, r)
		if !ok {
			t.Fatal("stream ended early")
		}
		if raw.event == ":" {
			beats++
		}
	}
	cancel()
	e.svc.release()
	e.waitStatus(id, runbook.ExecutionCompleted)
}

func TestCloseStreamsEndsOpenStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(heldRunbook)
	id := e.start("held", nil)
	e.svc.waitHeld(t)
	_, r := e.openStream(context.Background(), "/api/v1/executions/"+id+"/stream")
	if raw, ok := next(t, r); !ok || raw.event != string(runbook.EventExecutionStarted) {
		t.Fatalf("first event %+v", raw)
	}
	e.api.CloseStreams()
	for {
		if _, ok := next(t, r); !ok {
			break
		}
	}
	status, _, body := e.call(context.Background(), "GET", "/api/v1/executions/"+id+"/stream", "", "")
	wantError(t, status, body, http.StatusServiceUnavailable, runbook.EUNAVAILABLE)
}

package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/runbookhq/runbook"
)

// Stream follows an execution through its event stream: the channel
// receives the history events after afterSeq, then new ones as they happen.
// It closes after the event that ends the execution (ExecutionCompleted,
// ExecutionFailed or ExecutionCancelled), when ctx ends, or when the
// connection breaks; a caller that saw no ending event can call Stream
// again with the Seq of the last event it received. An unknown execution
// is a runbook.ENOTFOUND error, returned before any event.
func (c *Client) Stream(ctx context.Context, id string, afterSeq int64) (<-chan runbook.Event, error) {
	var q url.Values
	if afterSeq > 0 {
		q = url.Values{"afterSeq": {strconv.FormatInt(afterSeq, 10)}}
	}
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/api/v1/executions" + pathOf(id, "stream"), query: q,
		header: http.Header{"Accept": {"text/event-stream"}}})
	if err != nil {
		return nil, err
	}
	out := make(chan runbook.Event)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		_ = readSSE(resp.Body, func(e sseEvent) bool {
			var ev runbook.Event
			if err := json.Unmarshal([]byte(e.Data), &ev); err != nil {
				return false // not an event of ours: treat it as a broken stream
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return false
			}
			return !endsExecution(ev.Type)
		})
	}()
	return out, nil
}

func endsExecution(t runbook.EventType) bool {
	return t == runbook.EventExecutionCompleted || t == runbook.EventExecutionFailed || t == runbook.EventExecutionCancelled
}

package callservice_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/callservice"
)

// blockUntilGone is a handler that answers only after the client is gone. It
// reports each request it starts on started.
func blockUntilGone(started chan<- struct{}) func(http.ResponseWriter, *http.Request) {
	return func(_ http.ResponseWriter, r *http.Request) {
		if started != nil {
			started <- struct{}{}
		}
		<-r.Context().Done()
	}
}

func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		timeoutMs any
		reqTO     time.Duration
		want      string
	}{
		{"config timeoutMs", 50.0, time.Hour, "timed out after 50ms"},
		{"engine attempt timeout", nil, 40 * time.Millisecond, "timed out after 40ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, blockUntilGone(nil))
			cfg := map[string]any{"url": srv.URL + "/scan", "method": "POST"}
			if tt.timeoutMs != nil {
				cfg["timeoutMs"] = tt.timeoutMs
			}
			req := stepRequest(cfg)
			req.Timeout = tt.reqTO
			out := newExecutor(t, callservice.Options{}).Execute(context.Background(), req)
			want := "request to " + srv.URL + "/scan " + tt.want
			if out.Err == nil || out.Err.Message != want || !out.Err.Retryable || out.Err.Code != runbook.ETIMEOUT {
				t.Errorf("Err = %+v, want retryable %q", out.Err, want)
			}
		})
	}
}

func TestCallerDeadline(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, blockUntilGone(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	out := newExecutor(t, callservice.Options{}).Execute(ctx, stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
	if out.Err == nil || !out.Err.Retryable || !strings.Contains(out.Err.Message, "timed out after") {
		t.Errorf("Err = %+v, want a retryable timeout", out.Err)
	}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	srv, _ := server(t, blockUntilGone(started))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan *runbook.Outcome, 1)
	go func() {
		done <- newExecutor(t, callservice.Options{}).Execute(ctx, stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
	}()
	<-started
	cancel()
	out := <-done
	if out.Err == nil || out.Err.Message != "request cancelled" || out.Err.Retryable || out.Err.Code != runbook.ECANCELLED {
		t.Errorf("Err = %+v, want non-retryable cancelled", out.Err)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusOK, "", ""))
	target := srv.URL + "/enrich"
	srv.Close()
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(), stepRequest(map[string]any{"url": target, "method": "POST"}))
	if out.Err == nil || !out.Err.Retryable || !strings.HasPrefix(out.Err.Message, "request to "+target+" failed: ") {
		t.Fatalf("Err = %+v, want a retryable transport failure", out.Err)
	}
	if strings.Count(out.Err.Message, target) != 1 {
		t.Errorf("Message %q repeats the url", out.Err.Message)
	}
	if len(out.Logs) != 1 || out.Logs[0].Level != runbook.LogWarn {
		t.Errorf("Logs = %+v, want one warning", out.Logs)
	}
}

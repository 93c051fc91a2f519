package api_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api"
	"github.com/runbookhq/runbook/clock"
	"github.com/runbookhq/runbook/store/sqlite"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *api.Config) { c.Clock = clock.NewFake(fixed) })
	ctx := context.Background()
	cases := []struct {
		path string
		want map[string]any
	}{
		{"/health/live", map[string]any{"status": "alive", "version": "v1"}},
		{"/health/ready", map[string]any{"status": "ready", "version": "v1"}},
		{"/api/v1/health", map[string]any{"status": "ok", "version": "v1", "timestamp": "2026-03-01T09:00:00.000Z", "build": "test-build"}},
	}
	for _, c := range cases {
		status, h, body := e.call(ctx, "GET", c.path, "", "")
		if status != http.StatusOK || h.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", c.path, status, h.Get("Content-Type"))
		}
		for k, v := range c.want {
			if body[k] != v {
				t.Errorf("%s: %s = %v, want %v", c.path, k, body[k], v)
			}
		}
	}
	if err := e.c.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Live(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := e.c.Health(ctx); err != nil || h.Status != "ok" || !h.Timestamp.Equal(fixed) || h.Build != "test-build" {
		t.Fatalf("health: %+v %v", h, err)
	}
}

func TestReadyFailsWhenTheStoreDoesNotAnswer(t *testing.T) {
	t.Parallel()
	closed, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *api.Config) { c.Store = closed })
	status, _, body := e.call(context.Background(), "GET", "/health/ready", "", "")
	if status != http.StatusServiceUnavailable || body["status"] != "unavailable" || body["code"] != runbook.EUNAVAILABLE {
		t.Fatalf("ready on a closed store: %d %v", status, body)
	}
	wantCode(t, e.c.Ready(context.Background()), runbook.EUNAVAILABLE)
	// Liveness does not depend on the store.
	if err := e.c.Live(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/v1/nothing", http.StatusNotFound, runbook.ENOTFOUND, ""},
		{"GET", "/", http.StatusNotFound, runbook.ENOTFOUND, ""},
		{"GET", "/api/v2/executions", http.StatusNotFound, runbook.ENOTFOUND, ""},
		{"DELETE", "/api/v1/executions/x", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"PUT", "/api/v1/runbooks", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, POST"},
		{"GET", "/api/v1/executions/x/pause", http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
		{"POST", "/health/live", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
	}
	for _, c := range cases {
		status, h, body := e.call(ctx, c.method, c.path, "", "")
		if status != c.status || body["code"] != c.code || body["error"] != http.StatusText(c.status) || body["requestId"] == "" {
			t.Errorf("%s %s: %d %v", c.method, c.path, status, body)
		}
		if h.Get("Content-Type") != "application/json" || h.Get("Allow") != c.allow {
			t.Errorf("%s %s: Content-Type %q, Allow %q", c.method, c.path, h.Get("Content-Type"), h.Get("Allow"))
		}
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := `{"type": "x", "payload": "` + strings.Repeat("a", 10<<20) + `"}`
	ctx := context.Background()
	// With a Content-Length the request is refused before it is read...
	status, _, body := e.call(ctx, "POST", "/api/v1/events", "application/json", big)
	wantError(t, status, body, http.StatusRequestEntityTooLarge, runbook.ETOOLARGE)
	// ...and without one (chunked), when reading passes the limit.
	bigRunbook := `{"id": "big", "version": "1", "steps": [], "description": "` + strings.Repeat("a", 10<<20) + `"}`
	status, _, raw := e.callRaw(ctx, "POST", "/api/v1/runbooks", "application/json", io.MultiReader(strings.NewReader(bigRunbook)))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), `"code":"too_large"`) {
		t.Fatalf("chunked: %d %s", status, raw)
	}
	// A body just under the limit is read.
	small := api.DefaultMaxBodyBytes - 100
	ok := `{"type": "x", "payload": "` + strings.Repeat("a", small) + `"}`
	status, _, body = e.call(ctx, "POST", "/api/v1/events", "application/json", ok)
	if status != http.StatusAccepted {
		t.Fatalf("under the limit: %d %v", status, body)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	status, h, body := e.call(ctx, "GET", "/api/v1/executions/ghost", "", "", "X-Request-Id", "trace-123")
	if status != http.StatusNotFound || h.Get("X-Request-Id") != "trace-123" || body["requestId"] != "trace-123" {
		t.Fatalf("echo: %d %q %v", status, h.Get("X-Request-Id"), body)
	}
	for _, given := range []string{"", "has space", strings.Repeat("x", 200), "new\u00e9"} {
		_, h, _ := e.call(ctx, "GET", "/health/live", "", "", "X-Request-Id", given)
		got := h.Get("X-Request-Id")
		if got == "" || got == given || len(got) > 128 {
			t.Errorf("request id for %q: %q", given, got)
		}
	}
	// The request is logged with its id, method, route pattern and status.
	found := false
	for _, rec := range e.logs.records(t) {
		if rec["msg"] == "request" && rec["requestId"] == "trace-123" {
			found = true
			if rec["method"] != "GET" || rec["route"] != "/api/v1/executions/{id}" || rec["status"] != float64(404) ||
				rec["path"] != "/api/v1/executions/ghost" || rec["duration"] == nil || rec["level"] != "INFO" {
				t.Fatalf("log record %v", rec)
			}
		}
	}
	if !found {
		t.Fatal("the request was not logged")
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const origin = "https://console.example.com"

	status, h, _ := e.callRaw(ctx, "OPTIONS", "/api/v1/executions", "", nil, "Origin", origin,
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, x-user-id")
	if status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-User-Id") || h.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("preflight: %d %v", status, h)
	}
	status, h, body := e.call(ctx, "OPTIONS", "/api/v1/executions", "", "", "Origin", "https://evil.example",
		"Access-Control-Request-Method", "POST")
	if status != http.StatusForbidden || body["code"] != runbook.EFORBIDDEN || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", status, body)
	}

	_, h, _ = e.call(ctx, "GET", "/api/v1/runbooks", "", "", "Origin", origin)
	if h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-Request-Id") ||
		!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Fatalf("simple request: %v", h)
	}
	_, h, _ = e.call(ctx, "GET", "/api/v1/runbooks", "", "", "Origin", "https://evil.example")
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin got CORS headers: %v", h)
	}

	// Without configured origins the API sends no CORS headers at all.
	plain := newEnv(t, func(c *api.Config) { c.CORSOrigins = nil })
	_, h, _ = plain.call(ctx, "GET", "/api/v1/runbooks", "", "", "Origin", origin)
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS headers without origins: %v", h)
	}
	// "*" allows any origin.
	anyOrigin := newEnv(t, func(c *api.Config) { c.CORSOrigins = []string{"*"} })
	status, h, _ = anyOrigin.callRaw(ctx, "OPTIONS", "/api/v1/events", "", nil, "Origin", "https://a.example",
		"Access-Control-Request-Method", "POST")
	if status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://a.example" {
		t.Fatalf("wildcard preflight: %d %v", status, h)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(quickRunbook)
	id := e.start("quick", nil)
	e.waitStatus(id, runbook.ExecutionCompleted)
	ctx := context.Background()
	e.call(ctx, "GET", "/api/v1/executions/"+id, "", "")
	status, h, raw := e.callRaw(ctx, "GET", "/metrics", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", status, h.Get("Content-Type"))
	}
	text := string(raw)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`runbook_executions_started_total\{runbook_id="quick"\} 1`),
		regexp.MustCompile(`runbook_executions_finished_total\{runbook_id="quick",status="completed"\} 1`),
		regexp.MustCompile(`runbook_step_attempts_total\{outcome="completed",type="call-service"\} 2`),
		regexp.MustCompile(`runbook_http_requests_total\{code="200",method="GET",route="/api/v1/executions/\{id\}"\} 1`),
		regexp.MustCompile(`runbook_http_requests_total\{code="201",method="POST",route="/api/v1/executions"\} 1`),
		regexp.MustCompile(`runbook_store_operation_duration_seconds_count\{operation="commit"\} [1-9]`),
		regexp.MustCompile(`runbook_executions_waiting\{kind="approval"\} 0`),
		regexp.MustCompile(`go_goroutines `),
	} {
		if !want.MatchString(text) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api"
	"github.com/runbookhq/runbook/api/client"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/executor/builtin"
	"github.com/runbookhq/runbook/expr"
	"github.com/runbookhq/runbook/metrics"
	"github.com/runbookhq/runbook/spec"
	"github.com/runbookhq/runbook/store/sqlite"
)

// env is a real server: the API on a real engine on a SQLite file in a
// temporary folder, served by httptest, with a fake service for the steps
// to call. Every request of the test's HTTP client is checked against the
// OpenAPI document (see openapi_test.go).
type env struct {
	t       *testing.T
	srv     *httptest.Server
	api     *api.Server
	eng     *engine.Engine
	store   runbook.Store
	metrics *metrics.Metrics
	svc     *service
	logs    *syncBuffer
	http    *http.Client
	c       *client.Client
}

// epochContext is the context the tests start executions with: the
// approvers of the test runbooks are authorised.
func testContext() *runbook.ExecutionContext {
	return &runbook.ExecutionContext{TenantID: "acme", LegalBasis: runbook.LegalBasis{Authority: "IR-7",
		Classification: "TLP:AMBER", AuthorizedUsers: []string{"alice", "bob", "carol"}}}
}

func newEnv(t *testing.T, configure ...func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "runbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	m := metrics.New()
	store := metrics.InstrumentStore(st, m)
	if err := m.ObserveWaits(store); err != nil {
		t.Fatal(err)
	}
	ev, err := expr.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Executors: builtin.Registry(ev, builtin.Options{}), Evaluator: ev,
		ShutdownGrace: time.Second, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start()
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	logs := &syncBuffer{}
	cfg := api.Config{Engine: eng, Store: store, Metrics: m, Version: "test-build",
		Logger:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CORSOrigins: []string{"https://console.example.com"}}
	for _, c := range configure {
		c(&cfg)
	}
	a := api.New(cfg)
	srv := httptest.NewServer(a)
	tr := &http.Transport{}
	e := &env{t: t, srv: srv, api: a, eng: eng, store: store, metrics: m, svc: newService(t), logs: logs}
	e.http = &http.Client{Transport: newValidator(t, srv.URL, tr)}
	e.c = client.New(srv.URL, e.http)
	t.Cleanup(func() {
		a.CloseStreams()
		srv.Close()
		tr.CloseIdleConnections()
	})
	return e
}

// with returns the env for a subtest: its helpers fail t, not the parent.
func (e *env) with(t *testing.T) *env {
	cp := *e
	cp.t = t
	return &cp
}

// put stores a YAML runbook whose "SVC" stands for the fake service's URL.
func (e *env) put(yaml string) *runbook.Runbook {
	e.t.Helper()
	rb, err := spec.Parse([]byte(strings.ReplaceAll(yaml, "SVC", e.svc.srv.URL)), spec.FormatYAML)
	if err != nil {
		e.t.Fatalf("parse: %v %v", err, runbook.ErrorDetails(err))
	}
	if _, _, err := e.eng.PutRunbook(context.Background(), rb); err != nil {
		e.t.Fatal(err)
	}
	return rb
}

// start starts an execution through the API.
func (e *env) start(runbookID string, input any) string {
	e.t.Helper()
	res, err := e.c.StartExecution(context.Background(), client.StartRequest{RunbookID: runbookID, Input: input, Context: testContext()})
	if err != nil {
		e.t.Fatalf("start %s: %v", runbookID, err)
	}
	return res.ExecutionID
}

// waitFor follows the execution's events until cond holds. It never
// sleeps: every committed event triggers a check.
func (e *env) waitFor(id, what string, cond func(*runbook.Execution) bool) *runbook.Execution {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		x, err := e.eng.GetExecution(ctx, id)
		if err != nil {
			e.t.Fatalf("get %s: %v", id, err)
		}
		if cond(x) {
			return x
		}
		events, err := e.eng.Watch(ctx, id, x.Seq)
		if err != nil {
			e.t.Fatal(err)
		}
		select {
		case <-events:
		case <-ctx.Done():
			e.t.Fatalf("execution %s: %s did not happen; it is %s (%s)", id, what, x.Status, x.Error)
		}
	}
}

func (e *env) waitStatus(id string, status runbook.ExecutionStatus) *runbook.Execution {
	e.t.Helper()
	return e.waitFor(id, "status "+string(status), func(x *runbook.Execution) bool { return x.Status == status })
}

// call sends a request with the test's validating client and returns the
// status, the headers and the decoded JSON body.
func (e *env) call(ctx context.Context, method, path, contentType, body string, header ...string) (int, http.Header, map[string]any) {
	e.t.Helper()
	status, h, raw := e.callRaw(ctx, method, path, contentType, strings.NewReader(body), header...)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	return status, h, out
}

func (e *env) callRaw(ctx context.Context, method, path, contentType string, body io.Reader, header ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// wantError checks an error answer: status, code and the error body shape.
func wantError(t *testing.T, status int, body map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %v", status, wantStatus, body)
	}
	if body["code"] != wantCode || body["error"] != http.StatusText(wantStatus) || body["message"] == "" || body["requestId"] == "" {
		t.Fatalf("error body %v, want code %q", body, wantCode)
	}
}

// wantCode checks the code of an error the client returned.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if runbook.ErrorCode(err) != code {
		t.Fatalf("error %v (code %s), want code %s", err, runbook.ErrorCode(err), code)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log records written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		out = append(out, rec)
	}
	return out
}

// service fakes the services the test runbooks call:
//
//	/ok          200 {"ok":true,"riskScore":9}
//	/fail        500 until fix() is called, then 200 {"fixed":true}
//	/hold        blocks until release() (or the caller gives up), then 200
type service struct {
	srv     *httptest.Server
	mu      sync.Mutex
	fixed   bool
	arrived chan string
	gate    chan struct{}
	once    sync.Once
}

func newService(t *testing.T) *service {
	s := &service{arrived: make(chan string, 100), gate: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, http.StatusOK, `{"ok":true,"riskScore":9}`)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fixed := s.fixed
		s.mu.Unlock()
		if !fixed {
			writeBody(w, http.StatusInternalServerError, `{"error":"boom"}`)
			return
		}
		writeBody(w, http.StatusOK, `{"fixed":true}`)
	})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.arrived <- r.URL.Path:
		default:
		}
		select {
		case <-s.gate:
		case <-r.Context().Done():
			return
		}
		writeBody(w, http.StatusOK, `{"held":true}`)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.release()
		s.srv.Close()
	})
	return s
}

func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *service) fix() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fixed = true
}

func (s *service) release() { s.once.Do(func() { close(s.gate) }) }

// waitHeld waits until a step called /hold.
func (s *service) waitHeld(t *testing.T) {
	t.Helper()
	select {
	case <-s.arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("no step called /hold")
	}
}

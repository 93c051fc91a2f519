package main

import (
	"context"
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
	"github.com/runbookhq/runbook/store/sqlite"
)

// crashService counts calls per path and can hold /hold until released.
type crashService struct {
	mu    sync.Mutex
	calls map[string][]string // path -> idempotency keys
	// arrived has a path for every call; a test that makes more calls
	// than it holds without reading them blocks the service.
	arrived chan string
	release chan struct{}
	srv     *httptest.Server
}

func newCrashService(t *testing.T) *crashService {
	s := &crashService{calls: map[string][]string{}, arrived: make(chan string, 1024), release: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.URL.Path] = append(s.calls[r.URL.Path], r.Header.Get("Idempotency-Key"))
		s.mu.Unlock()
		s.arrived <- r.URL.Path
		if r.URL.Path == "/hold" {
			select {
			case <-s.release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
	})
	return s
}

// waitFor waits until a call to path arrives.
func (s *crashService) waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case p := <-s.arrived:
			if p == path {
				return
			}
		case <-deadline:
			t.Fatalf("no call to %s arrived", path)
		}
	}
}

func (s *crashService) keys(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls[path]...)
}

// inspect opens the store a stopped process left and returns the only
// execution in it with its history.
func inspect(t *testing.T, db string) (*runbook.Execution, []runbook.Event) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := newEngine(st, slog.New(slog.DiscardHandler), engineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := eng.ListExecutions(ctx, runbook.ExecutionFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("executions in the store: %v, %v", list, err)
	}
	x, err := eng.GetExecution(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	history, err := eng.History(ctx, x.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return x, history
}

// writeCrashyRunbook writes a runbook of three sequential steps calling s:
// /once and /last answer at once, /hold waits until the test releases it.
func writeCrashyRunbook(t *testing.T, s *crashService) string {
	t.Helper()
	return writeFile(t, "crashy.yaml", strings.ReplaceAll(`
id: crashy
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "STUB/once", method: POST}}
  - {id: held, type: call-service, dependsOn: [first], config: {url: "STUB/hold", method: POST}}
  - {id: last, type: call-service, dependsOn: [held], config: {url: "STUB/last", method: POST}}
`, "STUB", s.srv.URL))
}

func TestKillDuringAStepLosesNothing(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	file := writeCrashyRunbook(t, s)
	db := filepath.Join(t.TempDir(), "runbook.db")

	run := startProcess(t, "run", file, "--store", "sqlite:"+db)
	s.waitFor(t, "/once")
	s.waitFor(t, "/hold")
	run.kill()

	serve := startProcess(t, "serve", "--store", "sqlite:"+db, "--addr", "127.0.0.1:0")
	s.waitFor(t, "/hold")
	close(s.release)
	s.waitFor(t, "/last")
	serve.stop()

	x, history := inspect(t, db)
	if x.Status != runbook.ExecutionCompleted {
		t.Fatalf("after the restart the execution is %s: %s", x.Status, x.Error)
	}
	if keys := s.keys("/once"); len(keys) != 1 {
		t.Fatalf("a completed step ran again after the crash: %v", keys)
	}
	keys := s.keys("/hold")
	if len(keys) != 2 || keys[0] != keys[1] || keys[0] != x.ID+":held" {
		t.Fatalf("the interrupted attempt must be retried with the same idempotency key: %v", keys)
	}
	for _, ev := range history {
		if ev.Type == runbook.EventStepCompleted && ev.StepID == "held" && ev.Deliveries != 2 {
			t.Fatalf("the redelivery must be in the audit trail: deliveries %d", ev.Deliveries)
		}
	}
}

func TestKillWhileParkedKeepsTheApprovalDeadline(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	file := writeFile(t, "parked.yaml", strings.ReplaceAll(`
id: parked
version: "1"
steps:
  - {id: first, type: call-service, config: {url: "STUB/once", method: POST}}
  - id: ask
    type: human-approval
    dependsOn: [first]
    approvalConfig: {approvers: [soc-lead], minApprovals: 1, timeoutMs: 3000, timeoutAction: approve}
  - {id: last, type: call-service, dependsOn: [ask], config: {url: "STUB/last", method: POST}}
`, "STUB", s.srv.URL))
	ctxFile := writeFile(t, "context.json", `{"legalBasis": {"authority": "IR", "classification": "TLP:RED", "authorizedUsers": ["soc-lead"]}, "tenantId": "acme"}`)
	db := filepath.Join(t.TempDir(), "runbook.db")

	run := startProcess(t, "run", file, "--store", "sqlite:"+db, "--context", "@"+ctxFile)
	run.waitLine("awaits approval")
	run.kill()

	serve := startProcess(t, "serve", "--store", "sqlite:"+db, "--addr", "127.0.0.1:0")
	s.waitFor(t, "/last")
	serve.stop()

	x, _ := inspect(t, db)
	if x.Status != runbook.ExecutionCompleted {
		t.Fatalf("execution %s: %s", x.Status, x.Error)
	}
	if out := x.StepResults["ask"].Output.(map[string]any); out["autoApproved"] != true {
		t.Fatalf("approval output %v", out)
	}
	if keys := s.keys("/once"); len(keys) != 1 {
		t.Fatalf("first ran %d times", len(keys))
	}
}

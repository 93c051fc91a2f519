package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

// These tests run the real binary: `runbook serve` on a free port with a
// temporary SQLite file, driven by the CLI client commands (and by HTTP
// where a status code is the point).

var listenAddr = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// serveOn starts `runbook serve` on db and returns it with its base URL.
func serveOn(t *testing.T, db string) (*process, string) {
	t.Helper()
	p := startProcess(t, "serve", "--addr", "127.0.0.1:0", "--store", "sqlite:"+db)
	line := p.waitLine("listening on 127.0.0.1:")
	m := listenAddr.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no addr= in %q", line)
	}
	return p, "http://" + m[1]
}

// cli runs a client command against the server at url.
func cli(t *testing.T, url string, args ...string) result {
	t.Helper()
	return runCLI(t, "", append(args, "--server", url)...)
}

// mustCLI runs a client command that must succeed.
func mustCLI(t *testing.T, url string, args ...string) string {
	t.Helper()
	r := cli(t, url, args...)
	if r.code != 0 {
		t.Fatalf("runbook %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// startRun starts an execution through the CLI and returns its id.
func startRun(t *testing.T, url, runbookID string, extra ...string) string {
	t.Helper()
	out := mustCLI(t, url, append([]string{"executions", "start", runbookID, "--output", "json"}, extra...)...)
	var res client.StartResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.ExecutionID == "" || !res.Created {
		t.Fatalf("start: %v\n%s", err, out)
	}
	return res.ExecutionID
}

// awaitEvent follows the execution's stream until an event of type t.
func awaitEvent(t *testing.T, url, id string, want runbook.EventType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, err := client.New(url, nil).Stream(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if ev.Type == want {
			return
		}
	}
	t.Fatalf("execution %s ended or stalled before %s", id, want)
}

// oneLineError checks a failed client command: exit 1 and one line
// "runbook CMD: ..." on stderr.
func oneLineError(t *testing.T, r result, cmd, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "runbook "+cmd+": ") || !strings.Contains(lines[0], want) {
		t.Fatalf("want exit 1 and one line with %q, got exit %d:\n%s%s", want, r.code, r.stdout, r.stderr)
	}
}

func TestServeThreatInvestigationThroughTheCLI(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	file := s.example(t, "threat-investigation.json")
	_, url := serveOn(t, filepath.Join(t.TempDir(), "runbook.db"))
	ctxArg := "@" + abs(t, "inputs/context.json")

	if out := mustCLI(t, url, "runbooks", "push", file); !strings.Contains(out, "investigate-threat version 1.0.0 stored") {
		t.Fatalf("push: %s", out)
	}
	if out := mustCLI(t, url, "runbooks", "push", file); !strings.Contains(out, "unchanged") {
		t.Fatalf("push again: %s", out)
	}
	if out := mustCLI(t, url, "runbooks", "list"); !strings.Contains(out, "investigate-threat") || !strings.Contains(out, "Threat Investigation Workflow") {
		t.Fatalf("list: %s", out)
	}

	t.Run("high risk approved", func(t *testing.T) {
		id := startRun(t, url, "investigate-threat", "--context", ctxArg)
		awaitEvent(t, url, id, runbook.EventApprovalRequested)
		inbox := mustCLI(t, url, "approvals", "--approver", "soc-manager-1")
		if !strings.Contains(inbox, id) || !strings.Contains(inbox, "High-risk threat detected") {
			t.Fatalf("inbox: %s", inbox)
		}
		out := mustCLI(t, url, "approve", id, "require-approval", "--user", "soc-manager-1", "--comment", "contain it")
		if !strings.Contains(out, "approved") {
			t.Fatalf("approve: %s", out)
		}
		// A second decision by the same approver is refused (409).
		oneLineError(t, cli(t, url, "approve", id, "require-approval", "--user", "soc-manager-1"), "approve", "not awaiting approval")
		w := cli(t, url, "watch", id)
		if w.code != 0 || !strings.Contains(w.stdout, "execution completed") || !strings.Contains(w.stdout, "execute-containment") {
			t.Fatalf("watch: exit %d\n%s%s", w.code, w.stdout, w.stderr)
		}
		var x runbook.Execution
		if err := json.Unmarshal([]byte(mustCLI(t, url, "executions", "get", id, "--output", "json")), &x); err != nil {
			t.Fatal(err)
		}
		a := x.StepResults["require-approval"].Approvals
		if x.Status != runbook.ExecutionCompleted || len(a) != 1 || a[0].ApproverID != "soc-manager-1" || a[0].Comments != "contain it" ||
			x.StepResults["auto-respond"].Status != runbook.StepSkipped {
			t.Fatalf("execution %s: %+v", x.Status, x.StepResults)
		}
		if n := s.count("POST /containment-api/isolate"); n != 1 {
			t.Fatalf("containment called %d times", n)
		}
	})

	t.Run("high risk rejected", func(t *testing.T) {
		id := startRun(t, url, "investigate-threat", "--context", ctxArg)
		awaitEvent(t, url, id, runbook.EventApprovalRequested)
		mustCLI(t, url, "reject", id, "require-approval", "--user", "soc-manager-1", "--comment", "false positive")
		// The same approver deciding again is a conflict.
		oneLineError(t, cli(t, url, "reject", id, "require-approval", "--user", "soc-manager-1"), "reject", "already decided")
		// Someone who is not an approver is forbidden.
		oneLineError(t, cli(t, url, "approve", id, "require-approval", "--user", "ciso"), "approve", "not an approver")
		out := mustCLI(t, url, "reject", id, "require-approval", "--user", "soc-manager-2")
		if !strings.Contains(out, "rejected") {
			t.Fatalf("second rejection: %s", out)
		}
		w := cli(t, url, "watch", id)
		if w.code != 1 || !strings.Contains(w.stdout, "execution "+id+" failed") || !strings.Contains(w.stdout, "rejected") {
			t.Fatalf("a rejected run must watch to exit 1: exit %d\n%s%s", w.code, w.stdout, w.stderr)
		}
		if n := s.count("POST /containment-api/isolate"); n != 1 {
			t.Fatalf("containment called after a rejection (%d calls in all)", n)
		}
	})

	t.Run("low risk skips the approval", func(t *testing.T) {
		s.mu.Lock()
		s.riskScore = 3
		s.mu.Unlock()
		id := startRun(t, url, "investigate-threat", "--context", ctxArg)
		w := cli(t, url, "watch", id)
		if w.code != 0 || !strings.Contains(w.stdout, "branch not taken") {
			t.Fatalf("watch: exit %d\n%s%s", w.code, w.stdout, w.stderr)
		}
		var x runbook.Execution
		if err := json.Unmarshal([]byte(mustCLI(t, url, "executions", "get", id, "--output", "json")), &x); err != nil {
			t.Fatal(err)
		}
		if !x.StepResults["require-approval"].Skipped || !x.StepResults["execute-containment"].Skipped ||
			x.StepResults["auto-respond"].Status != runbook.StepCompleted {
			t.Fatalf("low risk: %+v", x.StepResults)
		}
		if n := s.count("POST /response-api/auto-respond"); n != 1 {
			t.Fatalf("auto-respond called %d times", n)
		}
		history := mustCLI(t, url, "executions", "history", id)
		if !strings.Contains(history, "ExecutionStarted") || !strings.Contains(history, "ExecutionCompleted") {
			t.Fatalf("history: %s", history)
		}
		logs := mustCLI(t, url, "executions", "logs", id, "--step", "assess-risk")
		if !strings.Contains(logs, "step assess-risk completed") {
			t.Fatalf("logs of one step: %s", logs)
		}
		list := mustCLI(t, url, "executions", "list", "--runbook", "investigate-threat", "--status", "completed")
		if !strings.Contains(list, id) {
			t.Fatalf("list: %s", list)
		}
	})
}

// httpCall sends one request to the real server and returns the status and
// the decoded error code.
func httpCall(t *testing.T, method, url, contentType string, body io.Reader, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Code    string `json:"code"`
		Version string `json:"version"`
	}
	data, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, url, data)
		}
	}
	if e.Code == "" {
		e.Code = e.Version // success bodies carry the API version
	}
	return resp.StatusCode, e.Code, resp.Header
}

func TestServeErrorStatuses(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	file := s.example(t, "threat-investigation.json")
	_, url := serveOn(t, filepath.Join(t.TempDir(), "runbook.db"))
	mustCLI(t, url, "runbooks", "push", file)
	ctxArg := "@" + abs(t, "inputs/context.json")

	// A completed run, and one waiting for approval.
	s.mu.Lock()
	s.riskScore = 1
	s.mu.Unlock()
	done := startRun(t, url, "investigate-threat", "--context", ctxArg)
	if w := cli(t, url, "watch", done); w.code != 0 {
		t.Fatalf("watch: %d %s", w.code, w.stderr)
	}
	s.mu.Lock()
	s.riskScore = 9
	s.mu.Unlock()
	waiting := startRun(t, url, "investigate-threat", "--context", ctxArg)
	awaitEvent(t, url, waiting, runbook.EventApprovalRequested)
	mustCLI(t, url, "approve", waiting, "require-approval", "--user", "soc-manager-2")

	definition, _, err := readDefinition(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(definition, []byte("human approval gates"), []byte("other words"), 1)
	api := url + "/api/v1"
	cases := []struct {
		name, method, path, contentType, body string
		header                                []string
		status                                int
		code                                  string
	}{
		{"malformed JSON", "POST", "/executions", "application/json", `{"runbookId": `, nil, 400, runbook.EINVALID},
		{"unknown field", "POST", "/executions", "application/json", `{"runbookId": "investigate-threat", "x": 1}`, nil, 400, runbook.EINVALID},
		{"invalid definition", "POST", "/runbooks", "application/yaml", "id: x\nversion: '1'\nsteps: [{id: a, type: teleport}]", nil, 400, runbook.EINVALID},
		{"unknown runbook", "GET", "/runbooks/ghost", "", "", nil, 404, runbook.ENOTFOUND},
		{"unknown execution", "GET", "/executions/ghost", "", "", nil, 404, runbook.ENOTFOUND},
		{"unknown step", "POST", "/executions/" + done + "/steps/ghost/retry", "", "", nil, 404, runbook.ENOTFOUND},
		{"pause a completed run", "POST", "/executions/" + done + "/pause", "application/json", `{}`, nil, 409, runbook.ECONFLICT},
		{"retry a step that did not fail", "POST", "/executions/" + done + "/steps/enrich-indicators/retry", "", "", nil, 409, runbook.ECONFLICT},
		{"second decision by the same approver", "POST", "/executions/" + waiting + "/steps/require-approval/approvals", "application/json",
			`{"decision": "approved"}`, []string{"X-User-Id", "soc-manager-2"}, 409, runbook.ECONFLICT},
		{"different content for a stored version", "POST", "/runbooks", "application/json", string(changed), nil, 409, runbook.ECONFLICT},
		{"body over 10 MB", "POST", "/events", "application/json", `{"type": "x", "payload": "` + strings.Repeat("x", 11<<20) + `"}`, nil, 413, runbook.ETOOLARGE},
		{"wrong content type", "POST", "/executions", "text/plain", `{"runbookId": "investigate-threat"}`, nil, 415, runbook.EUNSUPPORTED},
		{"wrong method", "DELETE", "/executions/" + done, "", "", nil, 405, "method_not_allowed"},
		{"unknown route", "GET", "/nothing", "", "", nil, 404, runbook.ENOTFOUND},
	}
	for _, c := range cases {
		status, code, _ := httpCall(t, c.method, api+c.path, c.contentType, strings.NewReader(c.body), c.header...)
		if status != c.status || code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, status, code, c.status, c.code)
		}
	}

	// The same refusals through the CLI: one line, exit 1; usage errors exit 2.
	oneLineError(t, cli(t, url, "executions", "get", "ghost"), "executions", "not found")
	oneLineError(t, cli(t, url, "executions", "pause", done), "executions", "only a running execution can be paused")
	oneLineError(t, cli(t, url, "executions", "retry", done, "enrich-indicators"), "executions", "only a failed step can be retried")
	oneLineError(t, cli(t, url, "executions", "start", "ghost"), "executions", "not found")
	bad := writeFile(t, "bad.yaml", "id: bad\nversion: '1'\nsteps: [{id: a, type: call-service, config: {method: GET}}]\n")
	r := cli(t, url, "runbooks", "push", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "steps[a].config.url") {
		t.Fatalf("push of an invalid file: exit %d\n%s", r.code, r.stderr)
	}
	if r := cli(t, url, "approve", waiting); r.code != 2 {
		t.Fatalf("approve without a step: exit %d", r.code)
	}
	if r := cli(t, url, "approve", waiting, "require-approval"); r.code != 2 || !strings.Contains(r.stderr, "--user") {
		t.Fatalf("approve without a user: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, url, "executions", "list", "--status", "finished"); r.code != 2 {
		t.Fatalf("a bad status: exit %d", r.code)
	}
	r = runCLI(t, "", "runbooks", "list", "--server", "http://127.0.0.1:1")
	oneLineError(t, r, "runbooks", "cannot reach the runbook server")

	// Health, readiness, metrics and the OpenAPI document are served.
	for _, path := range []string{"/health/live", "/health/ready", "/api/v1/health", "/api/v1/openapi.json", "/metrics"} {
		if status, _, _ := httpCall(t, "GET", url+path, "", nil); status != 200 {
			t.Errorf("%s: %d", path, status)
		}
	}
	status, _, h := httpCall(t, "GET", url+"/health/live", "", nil, "X-Request-Id", "e2e-1")
	if status != 200 || h.Get("X-Request-Id") != "e2e-1" {
		t.Fatalf("request id: %v", h)
	}
}

func TestServeKillDuringARunAndRestartFinishesIt(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	file := writeCrashyRunbook(t, s)
	db := filepath.Join(t.TempDir(), "runbook.db")

	first, url := serveOn(t, db)
	mustCLI(t, url, "runbooks", "push", file)
	id := startRun(t, url, "crashy")
	s.waitFor(t, "/once")
	s.waitFor(t, "/hold")
	first.kill()

	second, url := serveOn(t, db)
	s.waitFor(t, "/hold") // the interrupted attempt runs again
	close(s.release)
	w := cli(t, url, "watch", id)
	if w.code != 0 {
		t.Fatalf("watch after the restart: exit %d\n%s%s", w.code, w.stdout, w.stderr)
	}
	x, err := client.New(url, nil).GetExecution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != runbook.ExecutionCompleted || x.StepResults["held"].Status != runbook.StepCompleted {
		t.Fatalf("after the restart: %s %+v", x.Status, x.StepResults["held"])
	}
	if n := len(s.keys("/once")); n != 1 {
		t.Fatalf("the completed step ran %d times", n)
	}
	if keys := s.keys("/hold"); len(keys) != 2 || keys[0] != keys[1] {
		t.Fatalf("the held step must run again with the same idempotency key: %v", keys)
	}
	second.stop()
}

func TestServeShutdownEndsStreamsAndFinishesAttempts(t *testing.T) {
	t.Parallel()
	s := newCrashService(t)
	file := writeFile(t, "held.yaml", strings.ReplaceAll(`
id: held
version: "1"
steps:
  - {id: held, type: call-service, config: {url: "STUB/hold", method: POST}}
  - {id: last, type: call-service, dependsOn: [held], config: {url: "STUB/last", method: POST}}
`, "STUB", s.srv.URL))
	db := filepath.Join(t.TempDir(), "runbook.db")
	p, url := serveOn(t, db)
	mustCLI(t, url, "runbooks", "push", file)
	id := startRun(t, url, "held")
	s.waitFor(t, "/hold")
	events, err := client.New(url, nil).Stream(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-events; ev.Type != runbook.EventExecutionStarted {
		t.Fatalf("first event %s", ev.Type)
	}

	// SIGTERM: the HTTP server ends the open stream instead of waiting for
	// it, while the engine lets the running attempt finish.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-events:
		case <-deadline:
			t.Fatal("the event stream stayed open during the shutdown")
		}
	}
	close(s.release)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop:\n%s", p.output())
	}
	p.waitLine("shutting down")

	// The attempt that was running finished and was recorded; the next step
	// runs when the service starts again.
	_, url = serveOn(t, db)
	if w := cli(t, url, "watch", id); w.code != 0 {
		t.Fatalf("watch after the restart: exit %d\n%s%s", w.code, w.stdout, w.stderr)
	}
	if n := len(s.keys("/hold")); n != 1 {
		t.Fatalf("the attempt that finished during the shutdown ran %d times", n)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	taken := startProcess(t, "serve", "--addr", "127.0.0.1:0", "--store", "memory")
	addr := listenAddr.FindStringSubmatch(taken.waitLine("listening on"))[1]
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"address without a port", []string{"--addr", "localhost"}, 2, "is not host:port"},
		{"bad CORS origin", []string{"--cors-origins", "https://ok.example, console.example.com/app"}, 2, `CORS origin "console.example.com/app"`},
		{"address in use", []string{"--addr", addr}, 1, "listen on " + addr},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "", append([]string{"serve", "--store", "memory"}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stderr, "runbook serve: ") || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", r.code, c.code, c.want, r.stderr)
			}
		})
	}
}

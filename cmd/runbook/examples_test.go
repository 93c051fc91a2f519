package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/runbookhq/runbook"
)

// services fakes the SOC services the examples call. Each example URL
// https://NAME.example.com/PATH is rewritten to <server>/NAME/PATH.
type services struct {
	mu        sync.Mutex
	calls     map[string]int
	bodies    map[string][]any
	riskScore float64
	verdict   string
	srv       *httptest.Server
}

func newServices(t *testing.T) *services {
	s := &services{calls: map[string]int{}, bodies: map[string][]any{}, riskScore: 9, verdict: "malicious"}
	mux := http.NewServeMux()
	reply := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body any
			_ = json.NewDecoder(r.Body).Decode(&body)
			s.mu.Lock()
			s.calls[r.Pattern]++
			s.bodies[r.Pattern] = append(s.bodies[r.Pattern], body)
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			out := v
			if f, ok := v.(func(*http.Request) any); ok {
				out = f(r)
			}
			_ = json.NewEncoder(w).Encode(out)
		}
	}
	ok := map[string]any{"ok": true}
	mux.HandleFunc("POST /enrichment-api/enrich", reply(func(*http.Request) any {
		s.mu.Lock()
		defer s.mu.Unlock()
		return map[string]any{"riskScore": s.riskScore, "indicators": []any{"203.0.113.7"}}
	}))
	mux.HandleFunc("POST /response-api/auto-respond", reply(ok))
	mux.HandleFunc("POST /containment-api/isolate", reply(map[string]any{"isolated": true}))
	mux.HandleFunc("POST /mail-gateway/messages/{id}/analyze", reply(func(*http.Request) any {
		s.mu.Lock()
		defer s.mu.Unlock()
		return map[string]any{"verdict": s.verdict, "sender": "billing@evil.example", "urls": []any{"hxxp://evil.example/pay"}}
	}))
	mux.HandleFunc("GET /reputation/senders/{sender}", reply(map[string]any{"score": 35}))
	mux.HandleFunc("POST /mail-gateway/messages/{id}/quarantine", reply(ok))
	mux.HandleFunc("POST /mail-gateway/messages/{id}/release", reply(ok))
	mux.HandleFunc("POST /notify/messages", reply(ok))
	mux.HandleFunc("POST /tickets/tickets/{id}/close", reply(ok))
	mux.HandleFunc("GET /threat-intel/indicators/lookup", reply(func(r *http.Request) any {
		q := r.URL.Query()
		return map[string]any{"type": q.Get("type"), "value": q.Get("value"), "malicious": q.Get("type") == "ip"}
	}))
	mux.HandleFunc("PUT /cases/cases/{id}/enrichment", reply(ok))
	mux.HandleFunc("POST /cases/cases/{id}/notes", reply(ok))
	mux.HandleFunc("GET /idp/users/{id}", reply(func(r *http.Request) any {
		return map[string]any{"id": r.PathValue("id"), "status": "active"}
	}))
	mux.HandleFunc("POST /idp/users/{id}/disable", reply(ok))
	mux.HandleFunc("POST /idp/users/{id}/sessions/revoke", reply(ok))
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *services) count(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[pattern]
}

// body returns the i-th request body received for pattern.
func (s *services) body(t *testing.T, pattern string, i int) map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.bodies[pattern]) {
		t.Fatalf("no request %d to %s; calls: %v", i, pattern, s.calls)
	}
	b, _ := s.bodies[pattern][i].(map[string]any)
	return b
}

var exampleHost = regexp.MustCompile(`https://([a-z0-9-]+)\.example\.com`)

// example copies an example into a temp dir with its URLs pointing at the
// fake services.
func (s *services) example(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	out := exampleHost.ReplaceAllString(string(data), s.srv.URL+"/$1")
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// exampleFile returns the absolute path of a file in examples/.
func exampleFile(name string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", name))
	if err != nil {
		panic(err)
	}
	return p
}

func TestExampleThreatInvestigationHighRiskApproved(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	for _, file := range []string{"threat-investigation.json", "threat-investigation.yaml"} {
		r := runCLI(t, "", "run", s.example(t, file), "--context", "@"+abs(t, "inputs/context.json"),
			"--approve", "require-approval=soc-manager-1")
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", file, r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"require-approval", "completed", "auto-respond", "skipped", "branch not taken"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s: output lacks %q:\n%s", file, want, r.stdout)
			}
		}
	}
	if n := s.count("POST /containment-api/isolate"); n != 2 {
		t.Errorf("containment called %d times for two runs", n)
	}
	if n := s.count("POST /response-api/auto-respond"); n != 0 {
		t.Errorf("auto-respond called %d times on high risk", n)
	}
}

func TestExampleThreatInvestigationLowRiskSkipsApproval(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	s.mu.Lock()
	s.riskScore = 3
	s.mu.Unlock()
	r := runCLI(t, "", "run", s.example(t, "threat-investigation.yaml"), "--context", "@"+abs(t, "inputs/context.json"), "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var x runbook.Execution
	if err := json.Unmarshal([]byte(r.stdout), &x); err != nil {
		t.Fatalf("--output json is not an execution: %v\n%s", err, r.stdout)
	}
	if x.Status != runbook.ExecutionCompleted || !x.StepResults["require-approval"].Skipped || !x.StepResults["execute-containment"].Skipped {
		t.Fatalf("execution = %s", r.stdout)
	}
	if s.count("POST /response-api/auto-respond") != 1 || s.count("POST /containment-api/isolate") != 0 {
		t.Fatalf("calls: containment %d, auto-respond %d", s.count("POST /containment-api/isolate"), s.count("POST /response-api/auto-respond"))
	}
	body := s.body(t, "POST /response-api/auto-respond", 0)
	if body["riskScore"] != float64(3) || body["executionId"] != x.ID {
		t.Fatalf("auto-respond body = %v", body)
	}
}

func TestExampleThreatInvestigationRejected(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	r := runCLI(t, "", "run", s.example(t, "threat-investigation.json"), "--context", "@"+abs(t, "inputs/context.json"),
		"--reject", "require-approval=soc-manager-1", "--reject", "require-approval=soc-manager-2")
	if r.code != 1 {
		t.Fatalf("a rejected run must exit 1, got %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "rejected") || s.count("POST /containment-api/isolate") != 0 {
		t.Fatalf("output:\n%s", r.stdout)
	}
}

func TestExamplePhishingTriage(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	r := runCLI(t, "", "run", s.example(t, "phishing-triage.yaml"), "--input", "@"+abs(t, "inputs/phishing-triage.json"),
		"--context", "@"+abs(t, "inputs/context.json"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for pattern, want := range map[string]int{
		"POST /mail-gateway/messages/{id}/quarantine": 1, "POST /notify/messages": 1,
		"POST /mail-gateway/messages/{id}/release": 0, "POST /tickets/tickets/{id}/close": 1,
	} {
		if got := s.count(pattern); got != want {
			t.Errorf("%s called %d times, want %d", pattern, got, want)
		}
	}
	closing := s.body(t, "POST /tickets/tickets/{id}/close", 0)
	if closing["verdict"] != "malicious" || closing["senderScore"] != float64(35) {
		t.Errorf("close-ticket body = %v", closing)
	}
}

func TestExampleIOCEnrichmentFanOut(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	r := runCLI(t, "", "run", s.example(t, "ioc-enrichment.yaml"), "--input", "@"+abs(t, "inputs/ioc-enrichment.json"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := s.count("GET /threat-intel/indicators/lookup"); n != 5 {
		t.Fatalf("%d enrichment calls for 5 indicators", n)
	}
	attached := s.body(t, "PUT /cases/cases/{id}/enrichment", 0)
	results := attached["results"].([]any)
	if attached["count"] != float64(5) || len(results) != 5 || results[0].(map[string]any)["value"] != "203.0.113.7" {
		t.Fatalf("attached = %v", attached)
	}
}

func TestExampleAccountCompromiseTwoPersonApproval(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	file := s.example(t, "account-compromise.yaml")
	args := []string{"run", file, "--input", "@" + abs(t, "inputs/account-compromise.json"), "--context", "@" + abs(t, "inputs/context.json")}

	r := runCLI(t, "soc-lead\ny\nconfirmed with the user's manager\nciso\nyes\n\n", append(args, "--prompt")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if s.count("POST /idp/users/{id}/disable") != 1 || s.count("POST /idp/users/{id}/sessions/revoke") != 1 {
		t.Fatalf("calls: containment %d, auto-respond %d", s.count("POST /containment-api/isolate"), s.count("POST /response-api/auto-respond"))
	}
	approvedBy := s.body(t, "POST /idp/users/{id}/disable", 0)["approvedBy"].([]any)
	if len(approvedBy) != 2 {
		t.Fatalf("disable-account saw approvals %v", approvedBy)
	}

	r = runCLI(t, "", append(args, "--approve", "two-person-approval=soc-lead", "--reject", "two-person-approval=ciso")...)
	if r.code != 1 || s.count("POST /idp/users/{id}/disable") != 1 {
		t.Fatalf("one rejection of a two-person approval must stop the containment: exit %d\n%s", r.code, r.stdout)
	}
}

func abs(t *testing.T, name string) string {
	t.Helper()
	return exampleFile(name)
}

package callservice_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/callservice"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// now is the engine time of every test attempt.
var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// stepRequest returns an attempt of the step "enrich" with the given config.
func stepRequest(cfg map[string]any) *runbook.StepRequest {
	return &runbook.StepRequest{
		ExecutionID:    "exec-1",
		StepID:         "enrich",
		Attempt:        2,
		Config:         cfg,
		Context:        runbook.ExecutionContext{TenantID: "acme", InitiatedBy: "alice"},
		IdempotencyKey: "exec-1:enrich:0",
		Now:            now,
	}
}

// received is what a test server saw of a request.
type received struct {
	method string
	header http.Header
	body   []byte
}

// server starts a test server that records each request and answers with
// respond. The recorded requests arrive on the returned channel.
func server(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case got <- received{method: r.Method, header: r.Header.Clone(), body: body}:
		default:
		}
		respond(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// reply answers with a status, a content type and a body.
func reply(status int, contentType, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// newExecutor returns an executor whose client is closed with the test.
func newExecutor(t *testing.T, opts callservice.Options) *callservice.Executor {
	t.Helper()
	if opts.Client == nil {
		opts.Client = &http.Client{Transport: &http.Transport{}}
	}
	t.Cleanup(opts.Client.CloseIdleConnections)
	return callservice.New(opts)
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    callservice.Options
		cfg     map[string]any
		want    map[string]string
		missing []string
	}{
		{
			name: "derived",
			want: map[string]string{
				"Idempotency-Key":   "exec-1:enrich:0",
				"X-Tenant-Id":       "acme",
				"X-Initiated-By":    "alice",
				"X-Execution-Id":    "exec-1",
				"X-Runbook-Step-Id": "enrich",
				"X-Runbook-Attempt": "2",
				"User-Agent":        callservice.DefaultUserAgent,
				"Accept":            "application/json, */*;q=0.5",
			},
			missing: []string{"Content-Type"},
		},
		{
			name: "configured idempotency key wins",
			cfg:  map[string]any{"idempotencyKey": "exec-1-enrich"},
			want: map[string]string{"Idempotency-Key": "exec-1-enrich"},
		},
		{
			name: "config headers are sent",
			opts: callservice.Options{UserAgent: "soc-bot/2"},
			cfg: map[string]any{"headers": map[string]any{
				"Authorization": "Bearer t0ken",
				"x-api-version": "3",
				"Accept":        "text/csv",
			}},
			want: map[string]string{
				"Authorization": "Bearer t0ken",
				"X-Api-Version": "3",
				"Accept":        "text/csv",
				"User-Agent":    "soc-bot/2",
			},
		},
		{
			name: "rendered numbers and booleans become strings",
			cfg:  map[string]any{"headers": map[string]any{"X-Count": 3.0, "X-Dry-Run": true}},
			want: map[string]string{"X-Count": "3", "X-Dry-Run": "true"},
		},
		{
			name: "identity headers cannot be overridden",
			cfg: map[string]any{"headers": map[string]any{
				"X-Tenant-Id":       "other-tenant",
				"Idempotency-Key":   "reused",
				"X-Runbook-Attempt": "1",
			}},
			want: map[string]string{
				"X-Tenant-Id":       "acme",
				"Idempotency-Key":   "exec-1:enrich:0",
				"X-Runbook-Attempt": "2",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, got := server(t, reply(http.StatusNoContent, "", ""))
			cfg := map[string]any{"url": srv.URL + "/enrich", "method": "post"}
			for k, v := range tt.cfg {
				cfg[k] = v
			}
			out := newExecutor(t, tt.opts).Execute(context.Background(), stepRequest(cfg))
			if out.Err != nil {
				t.Fatalf("Execute failed: %v", out.Err)
			}
			r := <-got
			if r.method != http.MethodPost {
				t.Errorf("method = %q, want POST", r.method)
			}
			for k, v := range tt.want {
				if g := r.header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
			for _, k := range tt.missing {
				if g := r.header.Get(k); g != "" {
					t.Errorf("header %s = %q, want none", k, g)
				}
			}
		})
	}
}

func TestEmptyIdentityHeadersAreOmitted(t *testing.T) {
	t.Parallel()
	srv, got := server(t, reply(http.StatusOK, "", ""))
	req := stepRequest(map[string]any{
		"url": srv.URL, "method": "GET",
		"headers": map[string]any{"X-Tenant-Id": "spoofed"},
	})
	req.Context = runbook.ExecutionContext{}
	req.IdempotencyKey = ""
	if out := newExecutor(t, callservice.Options{}).Execute(context.Background(), req); out.Err != nil {
		t.Fatalf("Execute failed: %v", out.Err)
	}
	r := <-got
	for _, k := range []string{"X-Tenant-Id", "X-Initiated-By", "Idempotency-Key"} {
		if _, ok := r.header[k]; ok {
			t.Errorf("header %s = %q, want none", k, r.header.Get(k))
		}
	}
}

func TestRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        any
		headers     map[string]any
		wantBody    string
		wantJSON    any
		contentType string
	}{
		{name: "none", body: nil, wantBody: "", contentType: ""},
		{name: "string", body: "ip=10.0.0.1", wantBody: "ip=10.0.0.1", contentType: "text/plain; charset=utf-8"},
		{
			name:        "string with configured content type",
			body:        "<scan/>",
			headers:     map[string]any{"Content-Type": "application/xml"},
			wantBody:    "<scan/>",
			contentType: "application/xml",
		},
		{
			name:        "object",
			body:        map[string]any{"indicators": []any{"10.0.0.1", "evil.example"}, "depth": 2.0},
			wantJSON:    map[string]any{"indicators": []any{"10.0.0.1", "evil.example"}, "depth": 2.0},
			contentType: "application/json",
		},
		{name: "number", body: 42.0, wantJSON: 42.0, contentType: "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, got := server(t, reply(http.StatusOK, "", ""))
			cfg := map[string]any{"url": srv.URL, "method": "PUT", "body": tt.body}
			if tt.headers != nil {
				cfg["headers"] = tt.headers
			}
			if out := newExecutor(t, callservice.Options{}).Execute(context.Background(), stepRequest(cfg)); out.Err != nil {
				t.Fatalf("Execute failed: %v", out.Err)
			}
			r := <-got
			if g := r.header.Get("Content-Type"); g != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", g, tt.contentType)
			}
			if tt.wantJSON != nil {
				var v any
				if err := json.Unmarshal(r.body, &v); err != nil {
					t.Fatalf("body %q is not JSON: %v", r.body, err)
				}
				if !reflect.DeepEqual(v, tt.wantJSON) {
					t.Errorf("body = %#v, want %#v", v, tt.wantJSON)
				}
				return
			}
			if string(r.body) != tt.wantBody {
				t.Errorf("body = %q, want %q", r.body, tt.wantBody)
			}
		})
	}
}

func TestResponseOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		want        any
		wantWarn    bool
	}{
		{"json object", "application/json", `{"riskScore": 8.5, "tags": ["apt"]}`, map[string]any{"riskScore": 8.5, "tags": []any{"apt"}}, false},
		{"json with charset", "application/json; charset=utf-8", `[1, 2]`, []any{1.0, 2.0}, false},
		{"problem json", "application/problem+json", `{"title": "x"}`, map[string]any{"title": "x"}, false},
		{"text", "text/plain", "scan queued", "scan queued", false},
		{"text that parses as JSON", "text/plain", `{"ok": true}`, map[string]any{"ok": true}, false},
		{"no content type", "", `"quoted"`, "quoted", false},
		{"empty", "application/json", "", nil, false},
		{"invalid JSON declared as JSON", "application/json", "{oops", "{oops", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, reply(http.StatusOK, tt.contentType, tt.body))
			out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
				stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
			if out.Err != nil {
				t.Fatalf("Execute failed: %v", out.Err)
			}
			if !reflect.DeepEqual(out.Output, tt.want) {
				t.Errorf("Output = %#v, want %#v", out.Output, tt.want)
			}
			warned := false
			for _, l := range out.Logs {
				warned = warned || l.Level == runbook.LogWarn
			}
			if warned != tt.wantWarn {
				t.Errorf("warn logged = %v, want %v (logs %+v)", warned, tt.wantWarn, out.Logs)
			}
			if len(out.Evidence) != 0 {
				t.Errorf("Evidence = %+v, want none without an evidence config", out.Evidence)
			}
		})
	}
}

func TestResponseLog(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusOK, "application/json", `{"a":1}`))
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
		stepRequest(map[string]any{"url": srv.URL + "/enrich", "method": "POST"}))
	if out.Err != nil {
		t.Fatalf("Execute failed: %v", out.Err)
	}
	if len(out.Logs) != 1 {
		t.Fatalf("Logs = %+v, want one", out.Logs)
	}
	l := out.Logs[0]
	want := regexp.MustCompile(`^POST http://127\.0\.0\.1:\d+/enrich -> 200 OK in \d+ms$`)
	if !want.MatchString(l.Message) || l.Level != runbook.LogInfo || !l.Time.Equal(now) {
		t.Errorf("log = %+v, want info %q at %v", l, want, now)
	}
	if l.Metadata["method"] != "POST" || l.Metadata["url"] != srv.URL+"/enrich" ||
		l.Metadata["statusCode"] != 200 || l.Metadata["responseBytes"] != 7 {
		t.Errorf("metadata = %v", l.Metadata)
	}
	if _, ok := l.Metadata["durationMs"].(int64); !ok {
		t.Errorf("durationMs = %#v, want an int64", l.Metadata["durationMs"])
	}
}

func TestStatusClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		failed    bool
		retryable bool
	}{
		{200, false, false},
		{201, false, false},
		{204, false, false},
		{302, true, false}, // no Location: not followed
		{304, true, false},
		{400, true, false},
		{401, true, false},
		{403, true, false},
		{404, true, false},
		{409, true, false},
		{422, true, false},
		{408, true, true},
		{425, true, true},
		{429, true, true},
		{500, true, true},
		{501, true, true},
		{502, true, true},
		{503, true, true},
		{504, true, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, reply(tt.status, "text/plain", "  details of the problem\n"))
			out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
				stepRequest(map[string]any{"url": srv.URL + "/enrich", "method": "POST"}))
			if !tt.failed {
				if out.Err != nil {
					t.Fatalf("Execute failed: %v", out.Err)
				}
				return
			}
			if out.Err == nil {
				t.Fatalf("Execute completed with %#v, want a failure", out.Output)
			}
			if out.Err.Retryable != tt.retryable || out.Err.StatusCode != tt.status {
				t.Errorf("Err = %+v, want retryable %v, status %d", out.Err, tt.retryable, tt.status)
			}
			want := fmt.Sprintf("HTTP %d %s from POST %s/enrich", tt.status, http.StatusText(tt.status), srv.URL)
			if tt.status != http.StatusNotModified { // a 304 has no body
				want += ": details of the problem"
			}
			if out.Err.Message != want {
				t.Errorf("Message = %q, want %q", out.Err.Message, want)
			}
			if out.Output != nil || len(out.Evidence) != 0 {
				t.Errorf("failed outcome has output %#v, evidence %v", out.Output, out.Evidence)
			}
			if len(out.Logs) != 1 || out.Logs[0].Metadata["statusCode"] != tt.status {
				t.Errorf("Logs = %+v, want the status recorded", out.Logs)
			}
		})
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestErrorMessageQuotesAtMost200Bytes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 150) // 300 bytes
	srv, _ := server(t, reply(http.StatusInternalServerError, "text/plain", long))
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
		stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
	if out.Err == nil {
		t.Fatal("Execute succeeded, want a failure")
	}
	_, quoted, _ := strings.Cut(out.Err.Message, ": ")
	if quoted != strings.Repeat("é", 100) {
		t.Errorf("quoted body = %q (%d bytes), want the first 200 bytes", quoted, len(quoted))
	}
}

func TestErrorMessageWithoutBody(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusServiceUnavailable, "", ""))
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
		stepRequest(map[string]any{"url": srv.URL + "/x", "method": "DELETE"}))
	if out.Err == nil || out.Err.Message != "HTTP 503 Service Unavailable from DELETE "+srv.URL+"/x" {
		t.Errorf("Err = %+v", out.Err)
	}
}

func TestSecretsStayOutOfMessages(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusBadGateway, "", "upstream down"))
	target := strings.Replace(srv.URL, "http://", "http://svc:hunter2@", 1)
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(), stepRequest(map[string]any{
		"url": target, "method": "GET",
		"headers": map[string]any{"Authorization": "Bearer s3cr3t-t0ken"},
	}))
	if out.Err == nil {
		t.Fatal("Execute succeeded, want a failure")
	}
	texts := []string{out.Err.Message}
	for _, l := range out.Logs {
		texts = append(texts, l.Message, jsonString(l.Metadata))
	}
	for _, s := range texts {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "s3cr3t") {
			t.Errorf("%q leaks a secret", s)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       int64
	}{
		{"delta seconds", http.StatusTooManyRequests, "120", 120_000},
		{"http date relative to the attempt", http.StatusServiceUnavailable, now.Add(90 * time.Second).Format(http.TimeFormat), 90_000},
		{"date in the past", http.StatusServiceUnavailable, now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"garbage", http.StatusServiceUnavailable, "soon", 0},
		{"ignored on a final failure", http.StatusBadRequest, "30", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", tt.retryAfter)
				w.WriteHeader(tt.status)
			})
			out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
				stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
			if out.Err == nil {
				t.Fatal("Execute succeeded, want a failure")
			}
			if out.Err.RetryAfterMs != tt.want {
				t.Errorf("RetryAfterMs = %d, want %d", out.Err.RetryAfterMs, tt.want)
			}
		})
	}
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    int64
		cfg     any
		body    string
		wantErr string
	}{
		{"at the option's limit", 16, nil, strings.Repeat("a", 16), ""},
		{"over the option's limit", 16, nil, strings.Repeat("a", 17), "response body exceeds 16 bytes"},
		{"config overrides the option", 16, 32.0, strings.Repeat("a", 32), ""},
		{"over the config's limit", 1 << 20, 8.0, `{"big": true}`, "response body exceeds 8 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, reply(http.StatusOK, "text/plain", tt.body))
			cfg := map[string]any{"url": srv.URL, "method": "GET", "evidence": map[string]any{"type": "raw"}}
			if tt.cfg != nil {
				cfg["maxResponseBytes"] = tt.cfg
			}
			out := newExecutor(t, callservice.Options{MaxResponseBytes: tt.opts}).Execute(context.Background(), stepRequest(cfg))
			if tt.wantErr == "" {
				if out.Err != nil || out.Output != tt.body {
					t.Errorf("outcome = %+v, want output %q", out, tt.body)
				}
				return
			}
			if out.Err == nil || out.Err.Message != tt.wantErr || out.Err.Retryable || out.Err.StatusCode != http.StatusOK {
				t.Errorf("Err = %+v, want non-retryable %q with status 200", out.Err, tt.wantErr)
			}
			if out.Output != nil || len(out.Evidence) != 0 {
				t.Errorf("failed outcome has output %#v, evidence %v", out.Output, out.Evidence)
			}
		})
	}
}

func TestDefaultSizeLimit(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", callservice.DefaultMaxResponseBytes+1)
	srv, _ := server(t, reply(http.StatusOK, "text/plain", body))
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
		stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
	if out.Err == nil || out.Err.Message != "response body exceeds 10485760 bytes" {
		t.Errorf("Err = %+v, want the 10 MiB limit", out.Err)
	}
}

func TestEvidence(t *testing.T) {
	t.Parallel()
	const body = `{"verdict":"malicious"}`
	sum := sha256.Sum256([]byte(body))
	tests := []struct {
		name     string
		evidence map[string]any
		wantRef  string // "" means the URL
		wantConf float64
	}{
		{"defaults", map[string]any{"type": "threat-intel"}, "", 1},
		{"configured", map[string]any{"type": "threat-intel", "sourceRef": "vt:report/42", "confidence": 0.7}, "vt:report/42", 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := server(t, reply(http.StatusOK, "application/json", body))
			out := newExecutor(t, callservice.Options{}).Execute(context.Background(), stepRequest(map[string]any{
				"url": srv.URL + "/lookup", "method": "GET", "evidence": tt.evidence,
			}))
			if out.Err != nil {
				t.Fatalf("Execute failed: %v", out.Err)
			}
			if len(out.Evidence) != 1 {
				t.Fatalf("Evidence = %+v, want one item", out.Evidence)
			}
			ev := out.Evidence[0]
			wantRef := tt.wantRef
			if wantRef == "" {
				wantRef = srv.URL + "/lookup"
			}
			if ev.ID == "" || ev.Type != "threat-intel" || ev.SourceRef != wantRef ||
				!ev.Timestamp.Equal(now) || ev.Confidence != tt.wantConf ||
				ev.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("Evidence = %+v", ev)
			}
		})
	}
}

func TestEvidenceIDsAreUnique(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusOK, "", "x"))
	e := newExecutor(t, callservice.Options{})
	cfg := map[string]any{"url": srv.URL, "method": "GET", "evidence": map[string]any{"type": "raw"}}
	a := e.Execute(context.Background(), stepRequest(cfg))
	b := e.Execute(context.Background(), stepRequest(cfg))
	if len(a.Evidence) != 1 || len(b.Evidence) != 1 || a.Evidence[0].ID == b.Evidence[0].ID {
		t.Errorf("evidence ids %+v and %+v, want two distinct", a.Evidence, b.Evidence)
	}
}

func TestNoEvidenceOnFailure(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusInternalServerError, "", "boom"))
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(), stepRequest(map[string]any{
		"url": srv.URL, "method": "GET", "evidence": map[string]any{"type": "raw"},
	}))
	if out.Err == nil || len(out.Evidence) != 0 {
		t.Errorf("outcome = %+v, want a failure without evidence", out)
	}
}

func TestInvalidConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  map[string]any
		want string
		code string
	}{
		{"grpc", map[string]any{"protocol": "grpc", "url": "http://127.0.0.1:1/x", "method": "POST"}, `protocol "grpc" is not supported`, runbook.EUNSUPPORTED},
		{"no url", map[string]any{"method": "GET"}, "missing required config: url", runbook.EINVALID},
		{"no method", map[string]any{"url": "http://127.0.0.1:1/"}, "missing required config: method", runbook.EINVALID},
		{"ftp", map[string]any{"url": "ftp://127.0.0.1/x", "method": "GET"}, `invalid url "ftp://127.0.0.1/x": scheme must be http or https`, runbook.EINVALID},
		{"relative", map[string]any{"url": "/enrich", "method": "GET"}, `invalid url "/enrich": scheme must be http or https`, runbook.EINVALID},
		{"no host", map[string]any{"url": "http:///enrich", "method": "GET"}, `invalid url "http:///enrich": no host`, runbook.EINVALID},
		{"unparsable", map[string]any{"url": "http://[::1", "method": "GET"}, "invalid url: ", runbook.EINVALID},
		{"bad method", map[string]any{"url": "http://127.0.0.1:1/", "method": "GET NOW"}, "build request to http://127.0.0.1:1/: ", runbook.EINVALID},
		{"url not a string", map[string]any{"url": 3.0, "method": "GET"}, "invalid call-service config: ", runbook.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := newExecutor(t, callservice.Options{}).Execute(context.Background(), stepRequest(tt.cfg))
			if out.Err == nil {
				t.Fatalf("Execute succeeded, want %q", tt.want)
			}
			if !strings.HasPrefix(out.Err.Message, tt.want) || out.Err.Retryable || out.Err.Code != tt.code {
				t.Errorf("Err = %+v, want non-retryable %s %q", out.Err, tt.code, tt.want)
			}
		})
	}
}

func TestHTTPProtocolIsAccepted(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusOK, "", "ok"))
	out := newExecutor(t, callservice.Options{}).Execute(context.Background(),
		stepRequest(map[string]any{"protocol": "HTTP", "url": srv.URL, "method": "GET"}))
	if out.Err != nil || out.Output != "ok" {
		t.Errorf("outcome = %+v, want output ok", out)
	}
}

func TestDefaultClient(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, reply(http.StatusOK, "application/json", `{"ok":true}`))
	e := callservice.New(callservice.Options{})
	out := e.Execute(context.Background(), stepRequest(map[string]any{"url": srv.URL, "method": "GET"}))
	if out.Err != nil || !reflect.DeepEqual(out.Output, map[string]any{"ok": true}) {
		t.Errorf("outcome = %+v", out)
	}
}

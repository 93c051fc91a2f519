package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestStatusOfEveryCode(t *testing.T) {
	t.Parallel()
	cases := map[string]int{
		runbook.EINVALID: 400, runbook.EUNRESOLVED: 400, runbook.EUNAUTHORIZED: 401, runbook.EFORBIDDEN: 403,
		runbook.ENOTFOUND: 404, codeMethodNotAllowed: 405, runbook.ECONFLICT: 409, runbook.ESTALE: 409,
		runbook.ECANCELLED: 409, runbook.ETOOLARGE: 413, runbook.EUNSUPPORTED: 415, runbook.EUNAVAILABLE: 503,
		runbook.ETIMEOUT: 504, runbook.EINTERNAL: 500, "something new": 500, "": 500,
	}
	for code, want := range cases {
		if got := StatusOf(code); got != want {
			t.Errorf("StatusOf(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestInternalErrorsAndPanicsHideDetails(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.handle("GET /panic", func(w http.ResponseWriter, r *http.Request) error { panic("secret state 42") })
	s.handle("GET /fault", func(w http.ResponseWriter, r *http.Request) error {
		return errors.New("open /var/lib/runbook.db: permission denied")
	})
	s.handle("GET /abort", func(w http.ResponseWriter, r *http.Request) error { panic(http.ErrAbortHandler) })
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, path := range []string{"/panic", "/fault"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("X-Request-Id", "req-"+path[1:])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body errorBody
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 500 || body.Code != runbook.EINTERNAL || body.RequestID != "req-"+path[1:] {
			t.Fatalf("%s: %d %+v %v", path, resp.StatusCode, body, err)
		}
		if strings.Contains(body.Message, "secret") || strings.Contains(body.Message, "/var/lib") || !strings.Contains(body.Message, body.RequestID) {
			t.Fatalf("%s: the body must hide the cause and name the request id: %q", path, body.Message)
		}
	}
	// A handler that aborts the response gets no answer at all.
	if resp, err := http.Get(srv.URL + "/abort"); err == nil {
		resp.Body.Close()
		t.Fatalf("aborted response answered %d", resp.StatusCode)
	}
	srv.Close()
	out := logs.String()
	for _, want := range []string{"secret state 42", "requestId=req-panic", "stack=", "permission denied", "requestId=req-fault"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

func TestTimesHaveMilliseconds(t *testing.T) {
	t.Parallel()
	cases := map[time.Time]string{
		time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC):                           `"2026-03-01T09:00:00.000Z"`,
		time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC):                   `"2026-03-01T09:00:00.123Z"`,
		time.Date(2026, 3, 1, 10, 0, 0, 5e6, time.FixedZone("CET", 3600)):     `"2026-03-01T09:00:00.005Z"`,
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 0)): `"1999-12-31T23:59:59.999Z"`,
	}
	for in, want := range cases {
		got, err := json.Marshal(msTime(in))
		if err != nil || string(got) != want {
			t.Errorf("%v: %s, want %s", in, got, want)
		}
	}
	// Shadowed fields keep the domain's names and lose nothing else.
	end := time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC)
	d := int64(1000)
	x := &runbook.Execution{ID: "x", Status: runbook.ExecutionCompleted, StartTime: end.Add(-time.Second), EndTime: &end,
		DurationMs: &d, StepResults: map[string]*runbook.StepResult{"s": {StepID: "s", Status: runbook.StepCompleted,
			Approvals: []runbook.Approval{{ApproverID: "a", Decision: runbook.Approved, Timestamp: end}},
			Wait:      &runbook.WaitInfo{Kind: runbook.WaitApproval}}}}
	b, err := json.Marshal(viewExecution(x))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"x"`, `"startTime":"2026-03-01T09:00:00.000Z"`, `"endTime":"2026-03-01T09:00:01.000Z"`,
		`"durationMs":1000`, `"timestamp":"2026-03-01T09:00:01.000Z"`, `"wait":{"kind":"approval"}`, `"status":"completed"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("execution JSON lacks %s:\n%s", want, b)
		}
	}
	if strings.Count(string(b), `"startTime"`) != 1 {
		t.Errorf("a shadowed field appears twice:\n%s", b)
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body  string
		field string // the detail's field, if any
		msg   string
	}{
		{`{"runbookId": "a"}`, "", ""},
		{`{"runbookId": "a", "x": 1}`, "x", `unknown field "x"`},
		{`{"runbookId": 1}`, "runbookId", "runbookId: must be a string, not number"},
		{`{"context": {"legalBasis": {"retentionDays": "x"}}}`, "context.legalBasis.retentionDays", "must be a whole number"},
		{`{"runbookId": "a"`, "", "malformed JSON"},
		{`{"runbookId": "a"}}`, "", "malformed JSON"},
		{`{"runbookId": "a"} 1`, "", "unexpected data after the JSON object"},
		{`[]`, "", "must be a JSON object, not array"},
		{`"text"`, "", "must be a JSON object, not string"},
		{`{"runbookId": tru}`, "", "malformed JSON at offset"},
	}
	for _, c := range cases {
		var req startRequest
		err := decodeStrict([]byte(c.body), &req)
		if c.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", c.body, err)
			}
			continue
		}
		if runbook.ErrorCode(err) != runbook.EINVALID || !strings.Contains(runbook.ErrorMessage(err), c.msg) {
			t.Errorf("%s: %v, want an invalid error with %q", c.body, err, c.msg)
			continue
		}
		d := runbook.ErrorDetails(err)
		if c.field != "" && (len(d) != 1 || d[0].Field != c.field) {
			t.Errorf("%s: details %v, want field %s", c.body, d, c.field)
		}
	}
}

// FuzzDecodeStrict checks that any body decodes or is refused as invalid
// input, never with another kind of error or a panic.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{`{"runbookId": "a", "input": {"x": [1, 2.5, null]}}`, `{"context": {"timeRange": {"startTime": "2026-01-01T00:00:00Z"}}}`,
		`{"runbookId": "a", "x": 1}`, `[`, `{"runbookId": 1e999}`, "\xff", `{"input": "\ud800"}`, ``} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []any{&startRequest{}, &decisionRequest{}, &eventRequest{}, &replayRequest{}} {
			err := decodeStrict(body, dst)
			if err != nil && (runbook.ErrorCode(err) != runbook.EINVALID || runbook.ErrorMessage(err) == "") {
				t.Fatalf("%q: %v (code %s)", body, err, runbook.ErrorCode(err))
			}
		}
	})
}

func TestValidRequestID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"abc-123": true, "trace:01/xyz+=.": true, "": false, "a b": false, "é": false, "x\n": false,
		strings.Repeat("a", 128): true, strings.Repeat("a", 129): false,
	} {
		if got := validRequestID(id); got != want {
			t.Errorf("validRequestID(%q) = %v", id, got)
		}
	}
}

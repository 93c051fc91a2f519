package spec

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

func TestParseOldEngineExample(t *testing.T) {
	t.Parallel()
	// The old engine's documented example has exactly one real problem.
	got := problemsOf(t, FormatJSON, string(readFixture(t, "threat-investigation.json")))
	want := []runbook.FieldError{fe("steps[assess-risk].config.falseBranch", `falseBranch "auto-respond" names no step`)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems:\n%swant:\n%s", formatProblems(got), formatProblems(want))
	}
	if msg := messageOf(t, FormatJSON, string(readFixture(t, "threat-investigation.json"))); msg != `steps[assess-risk].config.falseBranch: falseBranch "auto-respond" names no step` {
		t.Errorf("message = %q, want the single problem's text", msg)
	}
}

func TestParseOldEngineExampleCompleted(t *testing.T) {
	t.Parallel()
	fromJSON, err := Parse(readFixture(t, "threat-investigation-complete.json"), FormatJSON)
	if err != nil {
		t.Fatalf("Parse JSON: %v\n%s", err, formatProblems(runbook.ErrorDetails(err)))
	}
	fromYAML, err := Parse(readFixture(t, "threat-investigation-complete.yaml"), FormatYAML)
	if err != nil {
		t.Fatalf("Parse YAML: %v\n%s", err, formatProblems(runbook.ErrorDetails(err)))
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Errorf("JSON and YAML (with anchors and merge keys) decode differently:\n%s\n%s", mustCanonical(t, fromJSON), mustCanonical(t, fromYAML))
	}
	if got := len(fromJSON.Steps); got != 5 {
		t.Fatalf("%d steps, want 5", got)
	}
	enrich := fromJSON.Step("enrich-indicators")
	if want := (&runbook.RetryPolicy{MaxAttempts: 3, InitialDelayMs: 1000, MaxDelayMs: 5000, BackoffMultiplier: 2}); !reflect.DeepEqual(enrich.RetryPolicy, want) {
		t.Errorf("enrich retry policy = %+v, want %+v", enrich.RetryPolicy, want)
	}
	if got := enrich.Config["idempotencyKey"]; got != "{executionId}-enrich" {
		t.Errorf("idempotencyKey = %v, placeholders must be kept as written", got)
	}
	approval := fromJSON.Step("require-approval").ApprovalConfig
	if approval.MinApprovals != 1 || len(approval.Approvers) != 2 || approval.TimeoutAction != runbook.TimeoutFail || approval.TimeoutMs != 1_800_000 {
		t.Errorf("approvalConfig = %+v", approval)
	}
	if fromJSON.GlobalTimeoutMs != 3_600_000 || fromJSON.DefaultRetryPolicy.MaxDelayMs != 10_000 {
		t.Errorf("runbook settings not decoded: %+v", fromJSON)
	}
}

func TestParseJSONAndYAMLDecodeEqual(t *testing.T) {
	t.Parallel()
	fromJSON, err := Parse(readFixture(t, "every-feature.json"), FormatJSON)
	if err != nil {
		t.Fatalf("Parse JSON: %v\n%s", err, formatProblems(runbook.ErrorDetails(err)))
	}
	fromYAML, err := Parse(readFixture(t, "every-feature.yaml"), FormatYAML)
	if err != nil {
		t.Fatalf("Parse YAML: %v\n%s", err, formatProblems(runbook.ErrorDetails(err)))
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Errorf("JSON and YAML decode differently:\n%s\n%s", mustCanonical(t, fromJSON), mustCanonical(t, fromYAML))
	}

	rb := fromYAML
	wantCreated := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	if rb.CreatedAt == nil || !rb.CreatedAt.Equal(wantCreated) || rb.CreatedBy != "alice" {
		t.Errorf("createdAt, createdBy = %v, %q", rb.CreatedAt, rb.CreatedBy)
	}
	lookup := rb.Step("lookup-host")
	if got := lookup.Config["maxResponseBytes"]; got != float64(1<<20) {
		t.Errorf("maxResponseBytes = %v (%T), want 1048576 (YAML hex)", got, got)
	}
	if lookup.TimeoutMs != 10_000 {
		t.Errorf("timeoutMs = %d, want 10000 (1e4 is a whole number)", lookup.TimeoutMs)
	}
	body := rb.Step("check-indicators").Config["body"].(map[string]any)
	if body["id"] != "check-indicators-body" {
		t.Errorf("inline body id = %v, want the default check-indicators-body", body["id"])
	}
	if got := rb.Step("poll-scan").LoopConfig; got.CurrentIteration == nil || *got.CurrentIteration != 0 || got.ContinueWhile.Value != "done" {
		t.Errorf("loopConfig = %+v", got)
	}
	if got := rb.Step("approve").Condition.Value; !reflect.DeepEqual(got, []any{true, "yes"}) {
		t.Errorf("condition value = %#v", got)
	}
	if got := rb.Metadata["owner"]; !reflect.DeepEqual(got, map[string]any{"name": "Alice", "Free-Form": true}) {
		t.Errorf("metadata.owner = %#v", got)
	}
}

func TestParseReportsUnknownFieldsAtEveryLevel(t *testing.T) {
	t.Parallel()
	// JSON is YAML too: the same text must give the same problems in both.
	src := `{
  "id": "rb", "version": "1", "nmae": "typo",
  "defaultRetryPolicy": {"maxAttempts": 1, "backoffMultiplier": 1, "delay": 1},
  "metadata": {"free": {"form": true}},
  "inputSchema": {"type": "object", "x-anything": 1},
  "steps": [
    {"id": "call", "type": "call-service", "retryPolicyy": {},
     "config": {"url": "https://h.example", "method": "GET", "bdy": 1, "body": {"free": 1},
                "evidence": {"type": "t", "score": 1}},
     "retryPolicy": {"maxAttempts": 1, "backoffMultiplier": 1, "retryOn": []},
     "condition": {"field": "input.x", "operator": "exists", "op": "eq"},
     "inputSchema": {"anything": true}, "outputSchema": {"anything": true}},
    {"id": "cond", "type": "conditional",
     "config": {"condition": {"expression": "true", "negate": true}, "trueBranch": "call"}},
    {"id": "loop", "type": "loop",
     "loopConfig": {"maxIterations": 1, "continueWhile": {"expression": "true", "invert": 1}, "parallel": 2},
     "config": {"body": {"type": "call-service", "timeout": 5,
                         "config": {"url": "https://h.example", "method": "GET", "header": {}},
                         "retryPolicy": {"maxAttempts": 1, "backoffMultiplier": 1, "maxAttempt": 2}}}},
    {"id": "ok", "type": "human-approval",
     "approvalConfig": {"approvers": ["a"], "minApprovals": 1, "message": "hi"}},
    {"id": "wait", "type": "wait-for-event", "config": {"eventType": "e", "timeOut": 1}},
    {"id": "sub", "type": "runbook", "config": {"runbookId": "x", "input": {"free": true}, "version": "1"}}
  ]
}`
	want := []runbook.FieldError{
		fe("defaultRetryPolicy.delay", `unknown field "delay"; expected one of maxAttempts, initialDelayMs, maxDelayMs, backoffMultiplier, jitter, retryableErrors`),
		fe("nmae", `unknown field "nmae"; did you mean "name"?`),
		fe("steps[call].retryPolicy.retryOn", `unknown field "retryOn"; expected one of maxAttempts, initialDelayMs, maxDelayMs, backoffMultiplier, jitter, retryableErrors`),
		fe("steps[call].condition.op", `unknown field "op"; expected one of field, operator, value, expression`),
		fe("steps[call].retryPolicyy", `unknown field "retryPolicyy"; did you mean "retryPolicy"?`),
		fe("steps[call].config.evidence.score", `unknown field "score"; expected one of type, sourceRef, confidence`),
		fe("steps[call].config.bdy", `unknown field "bdy"; did you mean "body"?`),
		fe("steps[cond].config.condition.negate", `unknown field "negate"; expected one of field, operator, value, expression`),
		fe("steps[loop].loopConfig.continueWhile.invert", `unknown field "invert"; expected one of field, operator, value, expression`),
		fe("steps[loop].loopConfig.parallel", `unknown field "parallel"; expected one of maxIterations, iterateOver, continueWhile, concurrency, currentIteration`),
		fe("steps[loop].config.body.retryPolicy.maxAttempt", `unknown field "maxAttempt"; did you mean "maxAttempts"?`),
		fe("steps[loop].config.body.timeout", `unknown field "timeout"; did you mean "timeoutMs"?`),
		fe("steps[loop].config.body.config.header", `unknown field "header"; did you mean "headers"?`),
		fe("steps[ok].approvalConfig.message", `unknown field "message"; expected one of approvers, minApprovals, timeoutMs, timeoutAction, prompt`),
		fe("steps[wait].config.timeOut", `unknown field "timeOut"; did you mean "timeoutMs"?`),
		fe("steps[sub].config.version", `unknown field "version"; expected one of runbookId, runbookVersion, input`),
	}
	for _, f := range []Format{FormatJSON, FormatYAML} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			got := problemsOf(t, f, src)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n%swant:\n%s", formatProblems(got), formatProblems(want))
			}
		})
	}
}

func TestParseTypeErrors(t *testing.T) {
	t.Parallel()
	runRules(t, []ruleCase{
		{name: "string for a number", src: rbYAML(call("a", `retryPolicy: {maxAttempts: "3", backoffMultiplier: 1}`)),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.maxAttempts", "must be a number, not a string")}},
		{name: "fraction for a whole number", src: rbYAML(call("a", "timeoutMs: 2.5")),
			want: []runbook.FieldError{fe("steps[a].timeoutMs", "must be a whole number, not 2.5")}},
		{name: "whole numbers in other notations", src: rbYAML(call("a", "timeoutMs: 3.0, retryPolicy: {maxAttempts: 1e1, backoffMultiplier: 1}"))},
		{name: "out of range", src: rbYAML(call("a", "timeoutMs: 1e30, retryPolicy: {maxAttempts: 9999999999, backoffMultiplier: 1}")),
			want: []runbook.FieldError{
				// Type problems are found while decoding, before the rules.
				fe("steps[a].timeoutMs", "1e+30 is out of range"),
				fe("steps[a].retryPolicy.maxAttempts", "maxAttempts 9999999999 is too high: the limit is 100"),
			}},
		{name: "string for an array", src: rbYAML(call("a", ""), call("b", "dependsOn: a")),
			want: []runbook.FieldError{fe("steps[b].dependsOn", "must be an array, not a string")}},
		{name: "number in a string array", src: rbYAML(call("a", ""), call("b", "dependsOn: [a, 7]")),
			want: []runbook.FieldError{fe("steps[b].dependsOn[1]", `must be a string, not a number; write "7" in quotes`)}},
		{name: "steps as an object", src: "id: rb\nversion: \"1\"\nsteps: {a: 1}\n",
			want: []runbook.FieldError{fe("steps", "must be an array, not an object")}},
		{name: "step that is not an object", src: rbYAML("5", call("b", "")),
			want: []runbook.FieldError{fe("steps[0]", "must be an object, not a number")}},
		{name: "null step", src: rbYAML("null", call("b", "")),
			want: []runbook.FieldError{fe("steps[0]", "a step must be an object, not null")}},
		{name: "id of the wrong type", src: rbYAML("{id: [x], type: call-service, config: {url: \"https://h.example\", method: GET}}"),
			want: []runbook.FieldError{fe("steps[0].id", "must be a string, not an array")}},
		{name: "boolean", src: rbYAML(call("a", "condition: {field: input.x, operator: exists}")) + "maxDepth: true\n",
			want: []runbook.FieldError{fe("maxDepth", "must be a number, not a boolean")}},
		{name: "bad timestamp", src: rbYAML(call("a", "")) + "createdAt: yesterday\n",
			want: []runbook.FieldError{fe("createdAt", `must be a time in RFC 3339 format such as "2024-05-01T12:00:00Z"`)}},
		{name: "nulls are absent fields", src: rbYAML(call("a", "retryPolicy: null, dependsOn: null, condition: ~")) + "metadata: null\ninputSchema: null\n"},
		{name: "config value of the wrong type", src: rbYAML("{id: a, type: call-service, config: {url: 5, method: GET}}"),
			want: []runbook.FieldError{fe("steps[a].config.url", `must be a string, not a number; write "5" in quotes`)}},
		{name: "evidence confidence as a string", src: rbYAML(`{id: a, type: call-service, config: {url: "https://h.example", method: GET, evidence: {type: t, confidence: high}}}`),
			want: []runbook.FieldError{fe("steps[a].config.evidence.confidence", "must be a number, not a string")}},
	})
}

func TestParseDocumentErrors(t *testing.T) {
	t.Parallel()
	deep := func(n int) string {
		return `{"id":"rb","version":"1","steps":[{"id":"a","type":"runbook","config":{"runbookId":"x","input":` +
			strings.Repeat("[", n) + strings.Repeat("]", n) + `}}]}`
	}
	deepYAML := func(n int) string {
		return "id: rb\nversion: '1'\nsteps: [{id: a, type: runbook, config: {runbookId: x, input: " +
			strings.Repeat("[", n) + strings.Repeat("]", n) + "}}]\n"
	}
	bomb := "id: rb\nversion: '1'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i < 9; i++ {
		bomb += fmt.Sprintf("a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	for _, tc := range []struct {
		name   string
		format Format
		src    string
		want   string // the message, or its prefix when it ends with "..."
	}{
		{"empty JSON", FormatJSON, "", "input is empty: expected a runbook definition"},
		{"blank YAML", FormatYAML, "  \n\t\n", "input is empty: expected a runbook definition"},
		{"byte order mark only", FormatJSON, "\ufeff", "input is empty: expected a runbook definition"},
		{"YAML comments only", FormatYAML, "# nothing\n", "input is empty: expected a runbook definition"},
		{"JSON array", FormatJSON, `[{"id": "rb"}]`, "a runbook definition must be an object with id, version and steps, not an array"},
		{"JSON string", FormatJSON, `"rb"`, "a runbook definition must be an object with id, version and steps, not a string"},
		{"JSON null", FormatJSON, `null`, "a runbook definition must be an object with id, version and steps, not null"},
		{"YAML list", FormatYAML, "- a\n- b\n", "a runbook definition must be an object with id, version and steps, not an array"},
		{"YAML scalar", FormatYAML, "hello\n", "a runbook definition must be an object with id, version and steps, not a string"},
		{"trailing garbage", FormatJSON, "{\"id\": \"rb\"}\n  xyz", "invalid JSON at line 2, column 3: unexpected data after the runbook object"},
		{"two JSON values", FormatJSON, `{} {}`, "invalid JSON at line 1, column 4: unexpected data after the runbook object"},
		{"JSON syntax error", FormatJSON, "{\n  \"id\": \"rb\",\n  \"version\" \"1\"\n}", "invalid JSON at line 3, column 13: invalid character '\"' after object key"},
		{"truncated JSON", FormatJSON, `{"id": "rb", "steps": [`, "invalid JSON at line 1, column 24: unexpected end of input"},
		{"duplicate JSON key", FormatJSON, `{"id": "rb", "steps": [{"id": "a", "type": "loop", "id": "b"}]}`, `invalid JSON at line 1, column 52: field "id" appears twice in the same object`},
		{"JSON nested too deep", FormatJSON, deep(100), "invalid JSON at line 1, column 192: nested deeper than 100 levels"},
		{"very deep JSON", FormatJSON, deep(1_000_000), "invalid JSON at line 1, column 192: nested deeper than 100 levels"},
		{"YAML syntax error", FormatYAML, "id: rb\nsteps: [a\n", "invalid YAML: line 1: did not find expected ',' or ']'"},
		{"several YAML documents", FormatYAML, "id: a\n---\nid: b\n", "invalid YAML at line 2: the input holds several documents; put one runbook per file"},
		{"YAML nested too deep", FormatYAML, deepYAML(100), "invalid YAML at line 3, column 158: nested deeper than 100 levels"},
		{"very deep YAML", FormatYAML, deepYAML(100_000), "invalid YAML: ..."},
		{"YAML alias bomb", FormatYAML, bomb, "invalid YAML at line 3, column 16: aliases expand to more than 100000 values"},
		{"recursive YAML alias", FormatYAML, "id: &a [*a]\n", "invalid YAML..."},
		{"YAML unknown alias", FormatYAML, "id: *a\n", "invalid YAML: ..."},
		{"YAML number key", FormatYAML, "id: rb\n1: x\n", `invalid YAML at line 2, column 1: mapping key "1" is not a string; quote it`},
		{"YAML null key", FormatYAML, "id: rb\n~: x\n", `invalid YAML at line 2, column 1: mapping key "~" is not a string; quote it`},
		{"YAML complex key", FormatYAML, "id: rb\n? [a, b]\n: x\n", "invalid YAML at line 2, column 3: mapping key of a list (complex keys are not supported) is not a string; quote it"},
		{"duplicate YAML key", FormatYAML, "id: rb\nid: rc\n", `invalid YAML at line 2, column 1: field "id" appears twice in the same mapping`},
		{"YAML infinity", FormatYAML, "id: rb\nglobalTimeoutMs: .inf\n", "invalid YAML at line 2, column 18: .inf is not a number JSON can hold"},
		{"YAML binary", FormatYAML, "id: !!binary aGk=\n", "invalid YAML at line 1, column 5: unsupported tag !!binary; use plain strings, numbers, booleans, lists and mappings"},
		{"YAML custom tag", FormatYAML, "id: !secret rb\n", "invalid YAML at line 1, column 5: unsupported tag !secret; use plain strings, numbers, booleans, lists and mappings"},
		{"merge of a scalar", FormatYAML, "id: rb\nx: &s 1\ndefaultRetryPolicy: {<<: *s}\n", "invalid YAML at line 3, column 26: a merge (<<) needs a mapping or a list of mappings"},
		{"too large", FormatJSON, `{"id": "` + strings.Repeat("a", MaxSize) + `"}`, "input is larger than the limit of 10 MiB (10485760 bytes); split the runbook or move data out of it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src), tc.format)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if code := runbook.ErrorCode(err); code != runbook.EINVALID {
				t.Errorf("code = %q, want %q", code, runbook.EINVALID)
			}
			msg := runbook.ErrorMessage(err)
			if prefix, ok := strings.CutSuffix(tc.want, "..."); ok {
				if !strings.HasPrefix(msg, prefix) {
					t.Errorf("message = %q, want prefix %q", msg, prefix)
				}
			} else if msg != tc.want {
				t.Errorf("message = %q, want %q", msg, tc.want)
			}
			if d := runbook.ErrorDetails(err); len(d) != 1 || d[0].Message != msg {
				t.Errorf("details = %v, want the message as the one detail", d)
			}
		})
	}
}

func TestParseAliasBombIsFast(t *testing.T) {
	t.Parallel()
	// Nine levels of ten aliases expand to a billion values: refusing it
	// must not expand it first.
	var b strings.Builder
	b.WriteString("id: rb\nversion: '1'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	if _, err := Parse([]byte(b.String()), FormatYAML); err == nil {
		t.Fatal("alias bomb accepted")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing an alias bomb took %v", d)
	}
}

func TestParseAliasesWithinBudget(t *testing.T) {
	t.Parallel()
	src := "id: rb\nversion: '1'\nsteps:\n" +
		"  - &step {id: a, type: call-service, config: {url: 'https://h.example', method: GET}}\n" +
		"  - {<<: *step, id: b, dependsOn: [a]}\n" +
		"  - {<<: [{id: c}, *step], dependsOn: [b]}\n"
	rb, err := Parse([]byte(src), FormatYAML)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, formatProblems(runbook.ErrorDetails(err)))
	}
	var ids []string
	for _, s := range rb.Steps {
		ids = append(ids, s.ID)
		if s.Config["url"] != "https://h.example" {
			t.Errorf("step %s config = %v, want the merged config", s.ID, s.Config)
		}
	}
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids = %v, want %v: explicit keys win over merged ones, earlier merges over later ones", ids, want)
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	t.Parallel()
	src := `{
  "version": "1",
  "maxDepth": 500,
  "steps": [
    {"id": "fetch", "type": "call-service", "config": {"url": "https://h.example"}, "retryPolicyy": {}},
    {"id": "decide", "type": "conditional", "dependsOn": ["fetch", "enrich"],
     "config": {"condition": {"field": "fetch.score", "operator": "gt", "value": 7}, "falseBranch": "auto-respond"}},
    {"id": "each", "type": "loop", "loopConfig": {"maxIterations": 2000, "iterateOver": "input.items"}, "config": {"bodyStepId": "fetch"}},
    {"id": "ask", "type": "human-approval", "approvalConfig": {"approvers": ["a", "b"], "minApprovals": 3}},
    {"id": "x", "type": "call-service", "dependsOn": ["y"], "config": {"url": "https://h.example", "method": "GET"}},
    {"id": "y", "type": "call-service", "dependsOn": ["x"], "config": {"url": "https://h.example", "method": "GET"}},
    {"id": "later", "type": "sleep"}
  ]
}`
	want := []runbook.FieldError{
		fe("id", `missing runbook id; give a name such as "enrich-indicators"`),
		fe("maxDepth", "maxDepth 500 is too high: the limit is 100"),
		fe("steps[fetch].retryPolicyy", `unknown field "retryPolicyy"; did you mean "retryPolicy"?`),
		fe("steps[fetch].config.method", "missing required config: method; one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
		fe("steps[decide].dependsOn[1]", `depends on "enrich" which is not a step of this runbook`),
		fe("steps[decide].config.falseBranch", `falseBranch "auto-respond" names no step`),
		fe("steps[each].loopConfig.maxIterations", "maxIterations 2000 is too high: the limit is 1000"),
		fe("steps[ask].approvalConfig.minApprovals", "minApprovals 3 exceeds the 2 approvers"),
		fe("steps[x].dependsOn[0]", "cycle: x -> y -> x"),
		fe("steps[later].type", `unknown step type "sleep"; expected one of call-service, conditional, loop, human-approval, wait-for-event, runbook`),
	}
	for _, f := range []Format{FormatJSON, FormatYAML} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			got := problemsOf(t, f, src)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n%swant:\n%s", formatProblems(got), formatProblems(want))
			}
			if msg := messageOf(t, f, src); msg != "invalid runbook: 10 problems" {
				t.Errorf("message = %q, want %q", msg, "invalid runbook: 10 problems")
			}
		})
	}
}

func TestParseCapsDetails(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"id": "rb", "version": "1", "steps": [{"id": "a", "type": "runbook", "config": {"runbookId": "x"}}]`)
	for i := range 500 {
		fmt.Fprintf(&b, `, "unknown%03d": 1`, i)
	}
	b.WriteString("}")
	_, err := Parse([]byte(b.String()), FormatJSON)
	if msg := runbook.ErrorMessage(err); msg != "invalid runbook: 500 problems" {
		t.Errorf("message = %q, want the full count", msg)
	}
	details := runbook.ErrorDetails(err)
	if len(details) != maxDetails+1 {
		t.Fatalf("%d details, want %d and a note", len(details), maxDetails)
	}
	if last := details[maxDetails]; last.Message != "and 300 more problems not listed; fix these first" {
		t.Errorf("last detail = %+v", last)
	}
}

func TestParseNumbersInFreeFormValues(t *testing.T) {
	t.Parallel()
	src := rbYAML(`{id: a, type: runbook, config: {runbookId: x, input: {big: 12345678901234567890, small: 0.5, hex: 0x10}}}`)
	rb, err := Parse([]byte(src), FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	input := rb.Steps[0].Config["input"].(map[string]any)
	want := map[string]any{"big": 12345678901234567890.0, "small": 0.5, "hex": 16.0}
	if !reflect.DeepEqual(input, want) {
		t.Errorf("input = %#v, want %#v (numbers decode as float64, like encoding/json)", input, want)
	}
}

func TestParseUnknownFormat(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{}`), Format(0))
	if code := runbook.ErrorCode(err); code != runbook.EUNSUPPORTED {
		t.Errorf("code = %q, want %q", code, runbook.EUNSUPPORTED)
	}
}

// mustCanonical returns the canonical JSON of rb for failure messages.
func mustCanonical(t *testing.T, rb *runbook.Runbook) string {
	t.Helper()
	data, err := Canonical(rb)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(data))
}

func TestParseHugeNumbersInFreeFormValues(t *testing.T) {
	t.Parallel()
	src := `{"id": "rb", "version": "1", "metadata": {"x": [1e400]}, "steps": [
  {"id": "a", "type": "runbook", "config": {"runbookId": "x", "input": {"y": -1e999}},
   "condition": {"field": "input.a", "operator": "eq", "value": 1e500}}]}`
	want := []runbook.FieldError{
		fe("metadata.x[0]", "1e400 is out of range"),
		fe("steps[a].config.input.y", "-1e999 is out of range"),
		fe("steps[a].condition.value", "1e500 is out of range"),
	}
	if got := problemsOf(t, FormatJSON, src); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%swant:\n%s", formatProblems(got), formatProblems(want))
	}
}

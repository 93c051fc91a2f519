package spec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

// ruleCase is one validation rule, valid or broken, as a YAML definition
// and the exact problems it must produce (nil: valid).
type ruleCase struct {
	name string
	src  string
	want []runbook.FieldError
}

// runRules parses each case and compares the problems exactly.
func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := problemsOf(t, FormatYAML, tc.src)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n%swant:\n%s", formatProblems(got), formatProblems(tc.want))
			}
		})
	}
}

func TestValidateRunbookFields(t *testing.T) {
	t.Parallel()
	minimal := rbYAML(call("a", ""))
	runRules(t, []ruleCase{
		{name: "minimal runbook without name is valid", src: minimal},
		{name: "id required", src: strings.Replace(minimal, "id: rb\n", "", 1),
			want: []runbook.FieldError{fe("id", `missing runbook id; give a name such as "enrich-indicators"`)}},
		{name: "id with space", src: strings.Replace(minimal, "id: rb", "id: my rb", 1),
			want: []runbook.FieldError{fe("id", `runbook id "my rb" contains whitespace; ids may not contain whitespace or any of . { } [ ] /`)}},
		{name: "id with dot", src: strings.Replace(minimal, "id: rb", "id: rb.v1", 1),
			want: []runbook.FieldError{fe("id", `runbook id "rb.v1" contains '.'; ids may not contain whitespace or any of . { } [ ] /`)}},
		{name: "id with slash", src: strings.Replace(minimal, "id: rb", "id: a/b", 1),
			want: []runbook.FieldError{fe("id", `runbook id "a/b" contains '/'; ids may not contain whitespace or any of . { } [ ] /`)}},
		{name: "id with braces", src: strings.Replace(minimal, "id: rb", `id: "{rb}"`, 1),
			want: []runbook.FieldError{fe("id", `runbook id "{rb}" contains '{'; ids may not contain whitespace or any of . { } [ ] /`)}},
		{name: "id with bracket", src: strings.Replace(minimal, "id: rb", `id: "rb[0]"`, 1),
			want: []runbook.FieldError{fe("id", `runbook id "rb[0]" contains '['; ids may not contain whitespace or any of . { } [ ] /`)}},
		{name: "version required", src: strings.Replace(minimal, "version: \"1\"\n", "", 1),
			want: []runbook.FieldError{fe("version", `missing version; give one such as "1.0.0"`)}},
		{name: "version with slash", src: strings.Replace(minimal, `version: "1"`, "version: 1/2", 1),
			want: []runbook.FieldError{fe("version", `version "1/2" may not contain whitespace or "/"`)}},
		{name: "version written as a YAML number", src: strings.Replace(minimal, `version: "1"`, "version: 1.0", 1),
			want: []runbook.FieldError{fe("version", `must be a string, not a number; write "1" in quotes`)}},
		{name: "steps required", src: "id: rb\nversion: \"1\"\n",
			want: []runbook.FieldError{fe("steps", "a runbook needs at least one step")}},
		{name: "steps empty", src: "id: rb\nversion: \"1\"\nsteps: []\n",
			want: []runbook.FieldError{fe("steps", "a runbook needs at least one step")}},
		{name: "negative limits", src: minimal + "globalTimeoutMs: -1\nmaxConcurrentSteps: -2\nmaxDepth: -3\n",
			want: []runbook.FieldError{
				fe("globalTimeoutMs", "must not be negative, got -1"),
				fe("maxConcurrentSteps", "must not be negative, got -2"),
				fe("maxDepth", "must not be negative, got -3"),
			}},
		{name: "zero limits are valid", src: minimal + "globalTimeoutMs: 0\nmaxConcurrentSteps: 0\nmaxDepth: 0\n"},
		{name: "maxDepth 100 is valid", src: minimal + "maxDepth: 100\n"},
		{name: "maxDepth over 100", src: minimal + "maxDepth: 101\n",
			want: []runbook.FieldError{fe("maxDepth", "maxDepth 101 is too high: the limit is 100")}},
		{name: "defaultRetryPolicy is checked", src: minimal + "defaultRetryPolicy: {maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2, backoffMultiplier: 0}\n",
			want: []runbook.FieldError{fe("defaultRetryPolicy.backoffMultiplier", "backoffMultiplier must be at least 1 (1 keeps the delay constant), got 0")}},
		{name: "valid inputSchema", src: minimal + "inputSchema: {type: object, properties: {host: {type: string, pattern: '^[a-z]+$'}}}\n"},
		{name: "boolean inputSchema", src: minimal + "inputSchema: true\n"},
	})
}

func TestValidateInputSchema(t *testing.T) {
	t.Parallel()
	minimal := rbYAML(call("a", ""))
	for _, tc := range []struct {
		name, schema, wantIn string
	}{
		{"wrong keyword type", "{type: 5}", "inputSchema"},
		{"bad regexp", "{type: string, pattern: '('}", "pattern"},
		{"file reference refused", `{$ref: "file:///etc/passwd"}`, "external references are not allowed"},
		{"http reference refused", `{$ref: "https://schemas.example/x.json"}`, "external references are not allowed"},
		{"relative reference refused", `{$ref: "other.json"}`, "external references are not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := problemsOf(t, FormatYAML, minimal+"inputSchema: "+tc.schema+"\n")
			if len(got) != 1 || got[0].Field != "inputSchema" || !strings.HasPrefix(got[0].Message, "not a valid JSON Schema: ") || !strings.Contains(got[0].Message, tc.wantIn) {
				t.Errorf("problems:\n%swant one inputSchema problem mentioning %q", formatProblems(got), tc.wantIn)
			}
		})
	}
}

func TestValidateStepFields(t *testing.T) {
	t.Parallel()
	runRules(t, []ruleCase{
		{name: "step id required", src: rbYAML("{type: call-service, config: {url: \"https://h.example\", method: GET}}"),
			want: []runbook.FieldError{fe("steps[0].id", `missing step id; give a name such as "enrich-indicators"`)}},
		{name: "step id characters", src: rbYAML(call(`"a b"`, ""), call("c.d", "")),
			want: []runbook.FieldError{
				fe("steps[0].id", `step id "a b" contains whitespace; ids may not contain whitespace or any of . { } [ ] /`),
				fe("steps[1].id", `step id "c.d" contains '.'; ids may not contain whitespace or any of . { } [ ] /`),
			}},
		{name: "step id with a control character", src: rbYAML(call(`"a\tb"`, ""), call(`"c\x01"`, "")),
			want: []runbook.FieldError{
				fe("steps[0].id", `step id "a\tb" contains whitespace; ids may not contain whitespace or any of . { } [ ] /`),
				fe("steps[1].id", `step id "c\x01" contains a control character; use letters, digits, '-' and '_'`),
			}},
		{name: "duplicate step ids are reported on each", src: rbYAML(call("a", ""), call("b", ""), call("a", "")),
			want: []runbook.FieldError{
				fe("steps[0].id", `duplicate step id "a": step ids must be unique`),
				fe("steps[2].id", `duplicate step id "a": step ids must be unique`),
			}},
		{name: "type required", src: rbYAML("{id: a}"),
			want: []runbook.FieldError{fe("steps[a].type", "missing step type; expected one of call-service, conditional, loop, human-approval, wait-for-event, runbook")}},
		{name: "old engine: unknown type rejected", src: rbYAML("{id: a, type: foo}"),
			want: []runbook.FieldError{fe("steps[a].type", `unknown step type "foo"; expected one of call-service, conditional, loop, human-approval, wait-for-event, runbook`)}},
		{name: "dependsOn valid", src: rbYAML(call("a", ""), call("b", "dependsOn: [a]"))},
		{name: "old engine: dependency on a missing step rejected", src: rbYAML(call("a", "dependsOn: [enrich]")),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", `depends on "enrich" which is not a step of this runbook`)}},
		{name: "self dependency", src: rbYAML(call("a", "dependsOn: [a]")),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", "a step cannot depend on itself")}},
		{name: "duplicate dependency", src: rbYAML(call("a", ""), call("b", "dependsOn: [a, a]")),
			want: []runbook.FieldError{fe("steps[b].dependsOn[1]", `"a" is listed twice; list each dependency once`)}},
		{name: "empty dependency", src: rbYAML(call("a", `dependsOn: [""]`)),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", "empty step id; name the step this one waits for")}},
		{name: "triggers all and any are valid", src: rbYAML(call("a", "trigger: all"), call("b", "trigger: any, dependsOn: [a]"))},
		{name: "unknown trigger", src: rbYAML(call("a", "trigger: some")),
			want: []runbook.FieldError{fe("steps[a].trigger", `unknown trigger "some"; use "all" (the default) or "any"`)}},
		{name: "negative step timeout", src: rbYAML(call("a", "timeoutMs: -5")),
			want: []runbook.FieldError{fe("steps[a].timeoutMs", "must not be negative, got -5")}},
		{name: "approvalConfig on another type", src: rbYAML(call("a", "approvalConfig: {approvers: [x], minApprovals: 1}")),
			want: []runbook.FieldError{fe("steps[a].approvalConfig", "approvalConfig is only read by human-approval steps; remove it or change the step type")}},
		{name: "loopConfig on another type", src: rbYAML(call("a", "loopConfig: {maxIterations: 1, iterateOver: input.x}")),
			want: []runbook.FieldError{fe("steps[a].loopConfig", "loopConfig is only read by loop steps; remove it or change the step type")}},
	})
}

func TestValidateRetryPolicy(t *testing.T) {
	t.Parallel()
	policy := func(fields string) string { return rbYAML(call("a", "retryPolicy: {"+fields+"}")) }
	runRules(t, []ruleCase{
		{name: "valid", src: policy("maxAttempts: 100, initialDelayMs: 10, maxDelayMs: 10, backoffMultiplier: 1, jitter: 1, retryableErrors: [timeout]")},
		{name: "all delays zero", src: policy("maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0, backoffMultiplier: 1")},
		{name: "maxAttempts zero", src: policy("maxAttempts: 0, backoffMultiplier: 1"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.maxAttempts", "maxAttempts must be at least 1 (it counts the first attempt), got 0")}},
		{name: "maxAttempts over 100", src: policy("maxAttempts: 101, backoffMultiplier: 1"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.maxAttempts", "maxAttempts 101 is too high: the limit is 100")}},
		{name: "negative delays", src: policy("maxAttempts: 1, initialDelayMs: -1, maxDelayMs: -2, backoffMultiplier: 1"),
			want: []runbook.FieldError{
				fe("steps[a].retryPolicy.initialDelayMs", "must not be negative, got -1"),
				fe("steps[a].retryPolicy.maxDelayMs", "must not be negative, got -2"),
			}},
		{name: "maxDelayMs below initialDelayMs", src: policy("maxAttempts: 2, initialDelayMs: 1000, maxDelayMs: 0, backoffMultiplier: 2"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.maxDelayMs", "maxDelayMs 0 is below initialDelayMs 1000; raise it")}},
		{name: "backoffMultiplier below 1", src: policy("maxAttempts: 2, backoffMultiplier: 0.5"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.backoffMultiplier", "backoffMultiplier must be at least 1 (1 keeps the delay constant), got 0.5")}},
		{name: "backoffMultiplier missing counts as 0", src: policy("maxAttempts: 2"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.backoffMultiplier", "backoffMultiplier must be at least 1 (1 keeps the delay constant), got 0")}},
		{name: "jitter out of range", src: policy("maxAttempts: 2, backoffMultiplier: 1, jitter: 1.5"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.jitter", "jitter must be between 0 and 1, got 1.5")}},
		{name: "negative jitter", src: policy("maxAttempts: 2, backoffMultiplier: 1, jitter: -0.1"),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.jitter", "jitter must be between 0 and 1, got -0.1")}},
		{name: "empty retryable error", src: policy(`maxAttempts: 2, backoffMultiplier: 1, retryableErrors: [timeout, ""]`),
			want: []runbook.FieldError{fe("steps[a].retryPolicy.retryableErrors[1]", "empty error name; remove it or name an error")}},
	})
}

func TestValidateCondition(t *testing.T) {
	t.Parallel()
	guard := func(cond string) string { return rbYAML(call("a", "condition: "+cond)) }
	const path = "steps[a].condition"
	runRules(t, []ruleCase{
		{name: "expression", src: guard(`{expression: "input.severity == 'high' && size(input.hosts) > 0"}`)},
		{name: "field comparison", src: guard("{field: input.alert.score, operator: gte, value: 7}")},
		{name: "nested path with index", src: guard(`{field: "enrich.hits[0].score", operator: lt, value: 3}`)},
		{name: "numeric string for gt", src: guard(`{field: input.score, operator: gt, value: "7.5"}`)},
		{name: "placeholder for gt", src: guard(`{field: input.score, operator: gt, value: "{input.threshold}"}`)},
		{name: "exists needs no value", src: guard("{field: input.host, operator: exists}")},
		{name: "in with an array", src: guard("{field: input.severity, operator: in, value: [high, critical]}")},
		{name: "in with a placeholder", src: guard(`{field: input.severity, operator: in, value: "{input.levels}"}`)},
		{name: "contains with a string", src: guard("{field: input.subject, operator: contains, value: invoice}")},
		{name: "expression and field", src: guard(`{expression: "true", field: input.x, operator: eq, value: 1}`),
			want: []runbook.FieldError{fe(path, "give either expression or field, operator and value, not both")}},
		{name: "neither field nor expression", src: guard("{operator: eq, value: 1}"),
			want: []runbook.FieldError{fe(path+".field", `missing field: name the value to test, such as "enrich.riskScore", or give an expression`)}},
		{name: "bad field path", src: guard("{field: input..x, operator: exists}"),
			want: []runbook.FieldError{fe(path+".field", `invalid field path: path "input..x": empty segment at offset 6`)}},
		{name: "field written as placeholder", src: guard(`{field: "{input.x}", operator: exists}`),
			want: []runbook.FieldError{fe(path+".field", `this is a field path, not a placeholder: write "input.x" without braces`)}},
		{name: "missing operator", src: guard("{field: input.x, value: 1}"),
			want: []runbook.FieldError{fe(path+".operator", "missing operator; expected one of eq, ne, gt, lt, gte, lte, in, contains, exists")}},
		{name: "unknown operator", src: guard("{field: input.x, operator: matches, value: 1}"),
			want: []runbook.FieldError{fe(path+".operator", `unknown operator "matches"; expected one of eq, ne, gt, lt, gte, lte, in, contains, exists`)}},
		{name: "missing value", src: guard("{field: input.x, operator: eq}"),
			want: []runbook.FieldError{fe(path+".value", `missing value: operator "eq" compares the field with a value`)}},
		{name: "in without an array", src: guard("{field: input.x, operator: in, value: high}"),
			want: []runbook.FieldError{fe(path+".value", `operator "in" needs an array value, such as ["high", "critical"], or a placeholder such as "{input.list}"`)}},
		{name: "gt with a word", src: guard("{field: input.x, operator: gt, value: high}"),
			want: []runbook.FieldError{fe(path+".value", `operator "gt" compares numbers; the value must be a number`)}},
	})
}

func TestValidateInvalidExpression(t *testing.T) {
	t.Parallel()
	got := problemsOf(t, FormatYAML, rbYAML(call("a", `condition: {expression: "input.x =="}`)))
	if len(got) != 1 || got[0].Field != "steps[a].condition.expression" || !strings.Contains(got[0].Message, "invalid expression") {
		t.Errorf("problems:\n%swant one invalid expression problem", formatProblems(got))
	}
}

func TestValidateCallService(t *testing.T) {
	t.Parallel()
	step := func(config string) string { return rbYAML("{id: a, type: call-service, config: " + config + "}") }
	const cfg = "steps[a].config"
	runRules(t, []ruleCase{
		{name: "full config", src: step(`{protocol: http, url: "https://h.example/{input.x}", method: post, headers: {X-Token: "{input.token}"}, body: {any: [thing]}, idempotencyKey: k, timeoutMs: 0, maxResponseBytes: 10, evidence: {type: intel, confidence: 1}}`)},
		{name: "url from a placeholder", src: step(`{url: "{input.baseUrl}/x", method: GET}`)},
		{name: "old engine: missing url and method", src: rbYAML("{id: a, type: call-service}"),
			want: []runbook.FieldError{
				fe(cfg+".url", "missing required config: url"),
				fe(cfg+".method", "missing required config: method; one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
			}},
		{name: "unknown method", src: step(`{url: "https://h.example", method: FETCH}`),
			want: []runbook.FieldError{fe(cfg+".method", `unknown method "FETCH"; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS`)}},
		{name: "grpc", src: step(`{protocol: grpc, url: "https://h.example", method: POST}`),
			want: []runbook.FieldError{fe(cfg+".protocol", `grpc is not supported yet; use "http"`)}},
		{name: "unknown protocol", src: step(`{protocol: smtp, url: "https://h.example", method: POST}`),
			want: []runbook.FieldError{fe(cfg+".protocol", `unknown protocol "smtp"; use "http"`)}},
		{name: "relative url", src: step(`{url: "/api/x", method: GET}`),
			want: []runbook.FieldError{fe(cfg+".url", "url must be absolute, starting with http:// or https://")}},
		{name: "ftp url", src: step(`{url: "ftp://h.example/x", method: GET}`),
			want: []runbook.FieldError{fe(cfg+".url", "url scheme ftp is not supported; use http or https")}},
		{name: "templated url with a bad scheme", src: step(`{url: "ftp://{input.host}/x", method: GET}`),
			want: []runbook.FieldError{fe(cfg+".url", "url scheme ftp is not supported; use http or https")}},
		{name: "templated url without a scheme", src: step(`{url: "h.example/{input.x}", method: GET}`),
			want: []runbook.FieldError{fe(cfg+".url", "url must start with http:// or https:// (or with a placeholder)")}},
		{name: "url without host", src: step(`{url: "https:///x", method: GET}`),
			want: []runbook.FieldError{fe(cfg+".url", "url has no host")}},
		{name: "negative limits", src: step(`{url: "https://h.example", method: GET, timeoutMs: -1, maxResponseBytes: -1}`),
			want: []runbook.FieldError{
				fe(cfg+".timeoutMs", "must not be negative, got -1"),
				fe(cfg+".maxResponseBytes", "must not be negative, got -1"),
			}},
		{name: "header values must be strings", src: step(`{url: "https://h.example", method: GET, headers: {X-Count: 3, X-List: [a]}}`),
			want: []runbook.FieldError{
				fe(cfg+".headers.X-Count", `must be a string, not a number; write "3" in quotes`),
				fe(cfg+".headers.X-List", "must be a string, not an array"),
			}},
		{name: "bad header name", src: step(`{url: "https://h.example", method: GET, headers: {"X Token": a}}`),
			want: []runbook.FieldError{fe(cfg+`.headers.X Token`, `"X Token" is not a valid HTTP header name`)}},
		{name: "evidence needs a type and a confidence in [0,1]", src: step(`{url: "https://h.example", method: GET, evidence: {confidence: 1.5}}`),
			want: []runbook.FieldError{
				fe(cfg+".evidence.type", `missing evidence type; say what the response is, such as "threat-intel"`),
				fe(cfg+".evidence.confidence", "confidence must be between 0 and 1, got 1.5"),
			}},
		{name: "unknown config key", src: step(`{uri: "https://h.example", method: GET}`),
			want: []runbook.FieldError{
				fe(cfg+".uri", `unknown field "uri"; did you mean "url"?`),
				fe(cfg+".url", "missing required config: url"),
			}},
		{name: "config must be an object", src: step("[a]"),
			want: []runbook.FieldError{fe(cfg, "must be an object, not an array")}},
	})
}

func TestValidateConditional(t *testing.T) {
	t.Parallel()
	cond := func(config string) string {
		return rbYAML(call("a", ""), "{id: c, type: conditional, dependsOn: [a], config: "+config+"}", call("yes", "dependsOn: [c]"), call("no", "dependsOn: [c]"))
	}
	const cfg = "steps[c].config"
	runRules(t, []ruleCase{
		{name: "condition with both branches", src: cond("{condition: {field: a.score, operator: gt, value: 7}, trueBranch: yes, falseBranch: no}")},
		{name: "expression with one branch", src: cond(`{expression: "steps.a.score > 7", trueBranch: yes}`)},
		{name: "neither condition nor expression", src: cond("{trueBranch: yes}"),
			want: []runbook.FieldError{fe(cfg, "missing required config: condition or expression")}},
		{name: "both condition and expression", src: cond(`{condition: {field: a.x, operator: exists}, expression: "true"}`),
			want: []runbook.FieldError{fe(cfg, "give either condition or expression, not both")}},
		{name: "condition is checked", src: cond("{condition: {field: a.x, operator: like, value: 1}}"),
			want: []runbook.FieldError{fe(cfg+".condition.operator", `unknown operator "like"; expected one of eq, ne, gt, lt, gte, lte, in, contains, exists`)}},
		{name: "branch names no step", src: cond("{condition: {field: a.x, operator: exists}, trueBranch: yes, falseBranch: auto-respond}"),
			want: []runbook.FieldError{fe(cfg+".falseBranch", `falseBranch "auto-respond" names no step`)}},
		{name: "branch names the conditional", src: cond("{condition: {field: a.x, operator: exists}, trueBranch: c}"),
			want: []runbook.FieldError{fe(cfg+".trueBranch", "trueBranch cannot name the conditional itself")}},
		{name: "branches must differ", src: cond("{condition: {field: a.x, operator: exists}, trueBranch: yes, falseBranch: yes}"),
			want: []runbook.FieldError{fe(cfg+".falseBranch", "falseBranch names the same step as trueBranch; the branches must differ")}},
		{name: "unknown config key", src: cond("{condition: {field: a.x, operator: exists}, elseBranch: no}"),
			want: []runbook.FieldError{fe(cfg+".elseBranch", `unknown field "elseBranch"; did you mean "falseBranch"?`)}},
		{name: "unknown config key without a near name", src: cond("{condition: {field: a.x, operator: exists}, otherwise: no}"),
			want: []runbook.FieldError{fe(cfg+".otherwise", `unknown field "otherwise"; expected one of condition, expression, trueBranch, falseBranch`)}},
	})
}

func TestValidateLoop(t *testing.T) {
	t.Parallel()
	loop := func(loopConfig, config string) string {
		return "{id: l, type: loop, loopConfig: " + loopConfig + ", config: " + config + "}"
	}
	const items = "{maxIterations: 10, iterateOver: input.items}"
	const inline = `{body: {type: call-service, config: {url: "https://h.example/{item}", method: GET}}}`
	runRules(t, []ruleCase{
		{name: "inline body", src: rbYAML(loop(items, inline))},
		{name: "body by reference", src: rbYAML(loop(items, "{bodyStepId: b}"), call("b", "dependsOn: [l]"))},
		{name: "body by reference without dependencies", src: rbYAML(loop(items, "{bodyStepId: b}"), call("b", ""))},
		{name: "continueWhile", src: rbYAML(loop("{maxIterations: 1000, continueWhile: {field: previous.done, operator: ne, value: true}}", inline))},
		{name: "missing loopConfig", src: rbYAML("{id: l, type: loop, config: " + inline + "}"),
			want: []runbook.FieldError{fe("steps[l].loopConfig", "missing loopConfig: a loop needs maxIterations and iterateOver or continueWhile")}},
		{name: "maxIterations zero", src: rbYAML(loop("{maxIterations: 0, iterateOver: input.items}", inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig.maxIterations", "maxIterations must be at least 1, got 0")}},
		{name: "old engine: maxIterations 2000 is too high", src: rbYAML(loop("{maxIterations: 2000, iterateOver: input.items}", inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig.maxIterations", "maxIterations 2000 is too high: the limit is 1000")}},
		{name: "neither iterateOver nor continueWhile", src: rbYAML(loop("{maxIterations: 5}", inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig", "give iterateOver (a field path to an array) or continueWhile (a condition)")}},
		{name: "both iterateOver and continueWhile", src: rbYAML(loop("{maxIterations: 5, iterateOver: input.items, continueWhile: {expression: 'true'}}", inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig", "give either iterateOver or continueWhile, not both")}},
		{name: "iterateOver written as placeholder", src: rbYAML(loop(`{maxIterations: 5, iterateOver: "{input.items}"}`, inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig.iterateOver", `this is a field path, not a placeholder: write "input.items" without braces`)}},
		{name: "continueWhile is checked", src: rbYAML(loop("{maxIterations: 5, continueWhile: {field: previous.done}}", inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig.continueWhile.operator", "missing operator; expected one of eq, ne, gt, lt, gte, lte, in, contains, exists")}},
		{name: "negative concurrency", src: rbYAML(loop("{maxIterations: 5, iterateOver: input.items, concurrency: -1}", inline)),
			want: []runbook.FieldError{fe("steps[l].loopConfig.concurrency", "must not be negative, got -1")}},
		{name: "no body", src: rbYAML(loop(items, "{}")),
			want: []runbook.FieldError{fe("steps[l].config", "missing required config: body (an inline step) or bodyStepId (the id of a step)")}},
		{name: "both bodies", src: rbYAML(loop(items, `{bodyStepId: b, body: {type: call-service, config: {url: "https://h.example", method: GET}}}`), call("b", "")),
			want: []runbook.FieldError{fe("steps[l].config", "give either body or bodyStepId, not both")}},
		{name: "inline body is validated like a step", src: rbYAML(loop(items, "{body: {type: call-service, config: {method: GET}, retryPolicyy: {}}}")),
			want: []runbook.FieldError{
				fe("steps[l].config.body.retryPolicyy", `unknown field "retryPolicyy"; did you mean "retryPolicy"?`),
				fe("steps[l].config.body.config.url", "missing required config: url"),
			}},
		{name: "inline body cannot be a loop", src: rbYAML(loop(items, "{body: {type: loop, loopConfig: {maxIterations: 1, iterateOver: item}, config: {bodyStepId: l}}}")),
			want: []runbook.FieldError{fe("steps[l].config.body.type", "a loop body cannot itself be a loop; make the inner loop a step of its own")}},
		{name: "inline body depends only on its loop", src: rbYAML(call("a", ""), loop(items, `{body: {dependsOn: [l, a], type: call-service, config: {url: "https://h.example", method: GET}}}`)),
			want: []runbook.FieldError{fe("steps[l].config.body.dependsOn[1]", `the body of loop "l" may depend only on the loop, not on "a"`)}},
		{name: "inline body id must be unique", src: rbYAML(loop(items, inline), call("l-body", "")),
			want: []runbook.FieldError{
				fe("steps[l].config.body.id", `duplicate step id "l-body": a step of the runbook has the same id; give the body of loop "l" another id`),
				fe("steps[l-body].id", `duplicate step id "l-body": the body of loop "l" has the same id`),
			}},
		{name: "inline body ids must differ", src: rbYAML(
			loop(items, `{body: {id: each, type: call-service, config: {url: "https://h.example", method: GET}}}`),
			"{id: l2, type: loop, loopConfig: "+items+`, config: {body: {id: each, type: call-service, config: {url: "https://h.example", method: GET}}}}`),
			want: []runbook.FieldError{
				fe("steps[l].config.body.id", `duplicate step id "each": another loop body has the same id`),
				fe("steps[l2].config.body.id", `duplicate step id "each": another loop body has the same id`),
			}},
		{name: "bodyStepId names no step", src: rbYAML(loop(items, "{bodyStepId: nothing}")),
			want: []runbook.FieldError{fe("steps[l].config.bodyStepId", `bodyStepId "nothing" names no step`)}},
		{name: "loop as its own body", src: rbYAML(loop(items, "{bodyStepId: l}")),
			want: []runbook.FieldError{fe("steps[l].config.bodyStepId", "a loop cannot be its own body")}},
		{name: "referenced body is a loop", src: rbYAML(loop(items, "{bodyStepId: m}"), "{id: m, type: loop, loopConfig: "+items+", config: "+inline+"}"),
			want: []runbook.FieldError{fe("steps[l].config.bodyStepId", `step "m" is a loop; a loop body cannot itself be a loop`)}},
		{name: "body of two loops", src: rbYAML(loop(items, "{bodyStepId: b}"), "{id: l2, type: loop, loopConfig: "+items+", config: {bodyStepId: b}}", call("b", "")),
			want: []runbook.FieldError{fe("steps[l2].config.bodyStepId", `step "b" is already the body of loop "l"; a step can be the body of one loop only`)}},
		{name: "inline body cannot have a condition", src: rbYAML(loop(items, `{body: {type: call-service, condition: {field: item, operator: exists}, config: {url: "https://h.example", method: GET}}}`)),
			want: []runbook.FieldError{fe("steps[l].config.body.condition", bodyConditionMessage)}},
		{name: "referenced body cannot have a condition", src: rbYAML(loop(items, "{bodyStepId: b}"), "{id: b, type: call-service, condition: {field: item, operator: exists}, config: {url: \"https://h.example\", method: GET}}"),
			want: []runbook.FieldError{fe("steps[b].condition", bodyConditionMessage)}},
		{name: "referenced body depends only on its loop", src: rbYAML(call("a", ""), loop(items, "{bodyStepId: b}"), call("b", "dependsOn: [a]")),
			want: []runbook.FieldError{fe("steps[b].dependsOn[0]", `step "b" is the body of loop "l", so it may depend only on that loop, not on "a"`)}},
	})
}

func TestValidateApproval(t *testing.T) {
	t.Parallel()
	approval := func(cfg string) string { return rbYAML("{id: ok, type: human-approval, approvalConfig: " + cfg + "}") }
	const path = "steps[ok].approvalConfig"
	runRules(t, []ruleCase{
		{name: "valid", src: approval(`{approvers: [a, b, c], minApprovals: 3, timeoutMs: 60000, timeoutAction: approve, prompt: "Go?"}`)},
		{name: "every timeout action", src: rbYAML(
			"{id: a1, type: human-approval, approvalConfig: {approvers: [a], minApprovals: 1, timeoutAction: fail}}",
			"{id: a2, type: human-approval, approvalConfig: {approvers: [a], minApprovals: 1, timeoutAction: reject}}")},
		{name: "missing approvalConfig", src: rbYAML("{id: ok, type: human-approval}"),
			want: []runbook.FieldError{fe(path, "missing approvalConfig: a human-approval step needs approvers and minApprovals")}},
		{name: "no approvers", src: approval("{approvers: [], minApprovals: 1}"),
			want: []runbook.FieldError{fe(path+".approvers", "list at least one approver")}},
		{name: "empty and duplicate approvers", src: approval(`{approvers: [a, "", a], minApprovals: 1}`),
			want: []runbook.FieldError{
				fe(path+".approvers[1]", "empty approver id; remove it or name an approver"),
				fe(path+".approvers[2]", `approver "a" is listed twice`),
			}},
		{name: "minApprovals zero", src: approval("{approvers: [a], minApprovals: 0}"),
			want: []runbook.FieldError{fe(path+".minApprovals", "minApprovals must be at least 1, got 0")}},
		{name: "old engine: minApprovals above approvers", src: approval("{approvers: [a, b], minApprovals: 3}"),
			want: []runbook.FieldError{fe(path+".minApprovals", "minApprovals 3 exceeds the 2 approvers")}},
		{name: "minApprovals above one approver", src: approval("{approvers: [a], minApprovals: 2}"),
			want: []runbook.FieldError{fe(path+".minApprovals", "minApprovals 2 exceeds the 1 approver")}},
		{name: "negative timeout and unknown action", src: approval("{approvers: [a], minApprovals: 1, timeoutMs: -1, timeoutAction: escalate}"),
			want: []runbook.FieldError{
				fe(path+".timeoutMs", "must not be negative, got -1"),
				fe(path+".timeoutAction", `unknown timeoutAction "escalate"; expected fail, approve or reject`),
			}},
		{name: "config is not read", src: rbYAML("{id: ok, type: human-approval, config: {approvers: [a]}, approvalConfig: {approvers: [a], minApprovals: 1}}"),
			want: []runbook.FieldError{fe("steps[ok].config.approvers", `unknown field "approvers": human-approval steps take no config; put approval settings in approvalConfig`)}},
	})
}

func TestValidateWaitForEvent(t *testing.T) {
	t.Parallel()
	wait := func(cfg string) string {
		return rbYAML("{id: w, type: wait-for-event, timeoutMs: 5, config: " + cfg + "}")
	}
	runRules(t, []ruleCase{
		{name: "valid", src: wait(`{eventType: scan.done, correlationId: "{input.scanId}", timeoutMs: 1000, pollIntervalMs: 100}`)},
		{name: "missing eventType", src: rbYAML("{id: w, type: wait-for-event}"),
			want: []runbook.FieldError{fe("steps[w].config.eventType", "missing required config: eventType")}},
		{name: "negative timeouts", src: wait("{eventType: x, timeoutMs: -1, pollIntervalMs: -1}"),
			want: []runbook.FieldError{
				fe("steps[w].config.timeoutMs", "must not be negative, got -1"),
				fe("steps[w].config.pollIntervalMs", "must not be negative, got -1"),
			}},
		{name: "unknown config key", src: wait("{eventType: x, correlationID: y}"),
			want: []runbook.FieldError{fe("steps[w].config.correlationID", `unknown field "correlationID"; did you mean "correlationId"?`)}},
	})
}

func TestValidateSubRunbook(t *testing.T) {
	t.Parallel()
	sub := func(cfg string) string { return rbYAML("{id: s, type: runbook, config: " + cfg + "}") }
	runRules(t, []ruleCase{
		{name: "valid", src: sub("{runbookId: isolate-host, runbookVersion: 1.0.0, input: {host: x, any: [1, {deep: true}]}}")},
		{name: "placeholder id", src: sub(`{runbookId: "{input.playbook}"}`)},
		{name: "missing runbookId", src: rbYAML("{id: s, type: runbook}"),
			want: []runbook.FieldError{fe("steps[s].config.runbookId", "missing required config: runbookId")}},
		{name: "invalid runbookId", src: sub(`{runbookId: "isolate host"}`),
			want: []runbook.FieldError{fe("steps[s].config.runbookId", `runbook id "isolate host" contains whitespace; ids may not contain whitespace or any of . { } [ ] /`)}},
	})
}

func TestValidateGoBuiltRunbook(t *testing.T) {
	t.Parallel()
	// A runbook built in Go holds Go values in config maps, not decoded
	// JSON; Validate must read them the same way.
	rb := &runbook.Runbook{
		ID:      "go-built",
		Version: "1",
		Steps: []*runbook.Step{
			{ID: "call", Type: runbook.StepCallService, Config: map[string]any{
				"url": "https://h.example", "method": "GET", "headers": map[string]string{"X-A": "b"}, "timeoutMs": 5000,
			}},
			{ID: "loop", Type: runbook.StepLoop, DependsOn: []string{"call"},
				LoopConfig: &runbook.LoopConfig{MaxIterations: 3, IterateOver: "call.items"},
				Config:     map[string]any{"body": &runbook.Step{Type: runbook.StepWaitForEvent, Config: map[string]any{"eventType": "x"}}}},
		},
	}
	if got := Validate(rb); got != nil {
		t.Fatalf("Validate of a valid runbook:\n%s", formatProblems(got))
	}
	rb.Steps[0].Config["timeoutMs"] = 2.5
	rb.Steps[0].Config["methd"] = "GET"
	rb.Steps = append(rb.Steps, nil)
	want := []runbook.FieldError{
		fe("steps[call].config.timeoutMs", "must be a whole number, not 2.5"),
		fe("steps[call].config.methd", `unknown field "methd"; did you mean "method"?`),
		fe("steps[2]", "a step must be an object, not null"),
	}
	if got := Validate(rb); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%swant:\n%s", formatProblems(got), formatProblems(want))
	}
	if got := Validate(nil); len(got) != 1 {
		t.Errorf("Validate(nil) = %v, want one problem", got)
	}
}

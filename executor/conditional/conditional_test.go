package conditional_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor/conditional"
	"github.com/runbookhq/runbook/expr"
)

var now = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// scope is a DataScope over a map from full path to value.
type scope map[string]any

func (s scope) Lookup(path string) (any, bool) {
	v, ok := s[path]
	return v, ok
}

// data is the execution's data in every test.
func data() scope {
	return scope{
		"enrich-indicators.riskScore": 8.5,
		"enrich-indicators.verdict":   "malicious",
		"input":                       map[string]any{"severity": "high", "hosts": []any{"a", "b"}},
	}
}

func newExecutor(t *testing.T) *conditional.Executor {
	t.Helper()
	ev, err := expr.NewEvaluator()
	if err != nil {
		t.Fatalf("NewEvaluator: %v", err)
	}
	return conditional.New(ev)
}

func stepRequest(cfg map[string]any) *runbook.StepRequest {
	return &runbook.StepRequest{
		ExecutionID: "exec-1",
		StepID:      "assess-risk",
		Step:        &runbook.Step{ID: "assess-risk", Type: runbook.StepConditional, Config: cfg},
		Config:      cfg,
		Data:        data(),
		Now:         now,
	}
}

func riskAbove(v float64) map[string]any {
	return map[string]any{"field": "enrich-indicators.riskScore", "operator": "gt", "value": v}
}

func TestBranches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cfg          map[string]any
		wantOutput   map[string]any
		wantNotTaken []string
		wantLog      string
	}{
		{
			name: "true takes trueBranch",
			cfg:  map[string]any{"condition": riskAbove(7), "trueBranch": "require-approval", "falseBranch": "auto-respond"},
			wantOutput: map[string]any{
				"result": true, "branch": "require-approval",
				"field": "enrich-indicators.riskScore", "operator": "gt", "left": 8.5, "right": 7.0,
			},
			wantNotTaken: []string{"auto-respond"},
			wantLog:      `condition enrich-indicators.riskScore gt 7: 8.5 -> true; taking branch "require-approval"`,
		},
		{
			name: "false takes falseBranch",
			cfg:  map[string]any{"condition": riskAbove(9), "trueBranch": "require-approval", "falseBranch": "auto-respond"},
			wantOutput: map[string]any{
				"result": false, "branch": "auto-respond",
				"field": "enrich-indicators.riskScore", "operator": "gt", "left": 8.5, "right": 9.0,
			},
			wantNotTaken: []string{"require-approval"},
			wantLog:      `condition enrich-indicators.riskScore gt 9: 8.5 -> false; taking branch "auto-respond"`,
		},
		{
			name: "false without falseBranch",
			cfg:  map[string]any{"condition": riskAbove(9), "trueBranch": "require-approval"},
			wantOutput: map[string]any{
				"result": false,
				"field":  "enrich-indicators.riskScore", "operator": "gt", "left": 8.5, "right": 9.0,
			},
			wantNotTaken: []string{"require-approval"},
			wantLog:      `condition enrich-indicators.riskScore gt 9: 8.5 -> false; no branch for false`,
		},
		{
			name: "true without falseBranch",
			cfg:  map[string]any{"condition": riskAbove(7), "trueBranch": "require-approval"},
			wantOutput: map[string]any{
				"result": true, "branch": "require-approval",
				"field": "enrich-indicators.riskScore", "operator": "gt", "left": 8.5, "right": 7.0,
			},
			wantLog: `condition enrich-indicators.riskScore gt 7: 8.5 -> true; taking branch "require-approval"`,
		},
		{
			name: "absent field",
			cfg: map[string]any{
				"condition":  map[string]any{"field": "enrich-indicators.asn", "operator": "eq", "value": "AS666"},
				"trueBranch": "block-asn", "falseBranch": "continue",
			},
			wantOutput:   map[string]any{"result": false, "branch": "continue", "field": "enrich-indicators.asn", "operator": "eq", "right": "AS666"},
			wantNotTaken: []string{"block-asn"},
			wantLog:      `condition enrich-indicators.asn eq "AS666": absent -> false; taking branch "continue"`,
		},
		{
			name: "exists",
			cfg: map[string]any{
				"condition":  map[string]any{"field": "enrich-indicators.verdict", "operator": "exists"},
				"trueBranch": "report",
			},
			wantOutput: map[string]any{"result": true, "branch": "report", "field": "enrich-indicators.verdict", "operator": "exists", "left": "malicious"},
			wantLog:    `condition enrich-indicators.verdict exists: "malicious" -> true; taking branch "report"`,
		},
		{
			name: "expression",
			cfg: map[string]any{
				"expression": `input.severity == "high" && size(input.hosts) > 1`,
				"trueBranch": "contain-all", "falseBranch": "contain-one",
			},
			wantOutput:   map[string]any{"result": true, "branch": "contain-all", "expression": `input.severity == "high" && size(input.hosts) > 1`},
			wantNotTaken: []string{"contain-one"},
			wantLog:      `condition "input.severity == \"high\" && size(input.hosts) > 1" -> true; taking branch "contain-all"`,
		},
		{
			name: "expression inside the condition",
			cfg: map[string]any{
				"condition":  map[string]any{"expression": `input.severity == "low"`},
				"trueBranch": "close", "falseBranch": "escalate",
			},
			wantOutput:   map[string]any{"result": false, "branch": "escalate", "expression": `input.severity == "low"`},
			wantNotTaken: []string{"close"},
			wantLog:      `condition "input.severity == \"low\"" -> false; taking branch "escalate"`,
		},
		{
			name:       "same step on both branches is never skipped",
			cfg:        map[string]any{"condition": riskAbove(7), "trueBranch": "notify", "falseBranch": "notify"},
			wantOutput: map[string]any{"result": true, "branch": "notify", "field": "enrich-indicators.riskScore", "operator": "gt", "left": 8.5, "right": 7.0},
			wantLog:    `condition enrich-indicators.riskScore gt 7: 8.5 -> true; taking branch "notify"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := newExecutor(t).Execute(context.Background(), stepRequest(tt.cfg))
			if out.Err != nil {
				t.Fatalf("Execute failed: %v", out.Err)
			}
			if !reflect.DeepEqual(out.Output, tt.wantOutput) {
				t.Errorf("Output = %#v, want %#v", out.Output, tt.wantOutput)
			}
			if !reflect.DeepEqual(out.NotTaken, tt.wantNotTaken) {
				t.Errorf("NotTaken = %v, want %v", out.NotTaken, tt.wantNotTaken)
			}
			if len(out.Logs) != 1 || out.Logs[0].Message != tt.wantLog || out.Logs[0].Level != runbook.LogInfo || !out.Logs[0].Time.Equal(now) {
				t.Errorf("Logs = %+v, want info %q", out.Logs, tt.wantLog)
			}
		})
	}
}

func TestLongValuesAreShortenedInTheLog(t *testing.T) {
	t.Parallel()
	cfg := map[string]any{
		"condition":  map[string]any{"field": "input.severity", "operator": "eq", "value": strings.Repeat("x", 500)},
		"trueBranch": "a",
	}
	out := newExecutor(t).Execute(context.Background(), stepRequest(cfg))
	if out.Err != nil {
		t.Fatalf("Execute failed: %v", out.Err)
	}
	if msg := out.Logs[0].Message; len(msg) > 250 || !strings.Contains(msg, "...") {
		t.Errorf("log %q (%d bytes), want the value shortened", msg, len(msg))
	}
	if out.Output.(map[string]any)["right"] != strings.Repeat("x", 500) {
		t.Error("the output's right value was shortened too")
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  map[string]any
		want string
		code string
	}{
		{"nothing to evaluate", map[string]any{"trueBranch": "a"}, `conditional step "assess-risk" has neither a condition nor an expression`, runbook.EINVALID},
		{"not a number", map[string]any{"condition": map[string]any{"field": "enrich-indicators.verdict", "operator": "gt", "value": 7}},
			"condition on enrich-indicators.verdict: operator gt needs a number", runbook.EINVALID},
		{"unknown operator", map[string]any{"condition": map[string]any{"field": "input.severity", "operator": "matches", "value": "h"}},
			"condition on input.severity: unknown operator", runbook.EINVALID},
		{"bad expression", map[string]any{"expression": "input.severity ==="}, "invalid expression", runbook.EINVALID},
		{"expression not a bool", map[string]any{"expression": "input.severity"}, `expression "input.severity" gives a value of type string, not a bool`, runbook.EINVALID},
		{"unresolved variable", map[string]any{"expression": "previous.hasMore"}, "evaluate expression", runbook.EUNRESOLVED},
		{"bad config", map[string]any{"condition": "risk > 7"}, "invalid conditional config: decode config: ", runbook.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := newExecutor(t).Execute(context.Background(), stepRequest(tt.cfg))
			if out.Err == nil {
				t.Fatalf("Execute = %+v, want a failure", out)
			}
			if !strings.HasPrefix(out.Err.Message, tt.want) || out.Err.Retryable || out.Err.Code != tt.code {
				t.Errorf("Err = %+v, want non-retryable %s starting %q", out.Err, tt.code, tt.want)
			}
			if out.Output != nil || out.NotTaken != nil {
				t.Errorf("failed outcome chose a branch: %+v", out)
			}
		})
	}
}

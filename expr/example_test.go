package expr_test

import (
	"fmt"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/expr"
)

func exampleScope() *expr.Scope {
	return &expr.Scope{
		ExecutionID: "exec-42",
		Input:       map[string]any{"host": "srv-1", "threshold": 7.0},
		Steps:       map[string]any{"enrich-indicators": map[string]any{"riskScore": 8.0}},
		StepIDs:     map[string]bool{"enrich-indicators": true, "assess-risk": true},
	}
}

func ExampleRender() {
	scope := exampleScope()
	key, _ := expr.Render("{executionId}-enrich", scope)
	score, _ := expr.Render("{enrich-indicators.riskScore}", scope)
	body, _ := expr.Render(`{"host": "{input.host}", "score": {enrich-indicators.riskScore}}`, scope)
	_, err := expr.Render("{assess-risk.result}", scope)
	fmt.Printf("%q\n%v (%T)\n%s\n%s: %v\n", key, score, score, body, runbook.ErrorCode(err), err)
	// Output:
	// "exec-42-enrich"
	// 8 (float64)
	// {"host": "srv-1", "score": 8}
	// unresolved: unresolved placeholder {assess-risk.result}: step "assess-risk" has no output
}

func ExampleEvaluator_Condition() {
	e, err := expr.NewEvaluator()
	if err != nil {
		panic(err)
	}
	scope := exampleScope()
	res, _ := e.Condition(&runbook.Condition{
		Field:    "enrich-indicators.riskScore",
		Operator: runbook.OpGt,
		Value:    "{input.threshold}",
	}, scope)
	fmt.Println(res.Result, res.Left, res.Right)
	res, _ = e.Condition(&runbook.Condition{
		Expression: "steps['enrich-indicators'].riskScore > input.threshold && input.host.startsWith('srv')",
	}, scope)
	fmt.Println(res.Result)
	// Output:
	// true 8 7
	// true
}

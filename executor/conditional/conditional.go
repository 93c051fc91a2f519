package conditional

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
	"github.com/runbookhq/runbook/expr"
)

// Executor runs conditional steps.
type Executor struct {
	ev *expr.Evaluator
}

var _ runbook.InlineExecutor = (*Executor)(nil)

// New returns an Executor that evaluates conditions with ev.
func New(ev *expr.Evaluator) *Executor { return &Executor{ev: ev} }

// Inline marks the executor as one the engine may run inside a state
// transition: evaluating a condition does no I/O.
func (*Executor) Inline() {}

// Execute evaluates the step's condition and chooses its branch.
func (e *Executor) Execute(_ context.Context, req *runbook.StepRequest) *runbook.Outcome {
	var cfg runbook.ConditionalConfig
	if err := executor.DecodeConfig(req.Config, &cfg); err != nil {
		return invalid("invalid conditional config: %v", err)
	}
	cond := cfg.Condition
	if cond == nil {
		if cfg.Expression == "" {
			return invalid("conditional step %q has neither a condition nor an expression", req.StepID)
		}
		cond = &runbook.Condition{Expression: cfg.Expression}
	}
	res, err := e.ev.Condition(cond, req.Data)
	if err != nil {
		se := &runbook.StepError{Message: err.Error()}
		var re *runbook.Error
		if errors.As(err, &re) {
			se.Code = re.Code
		}
		return &runbook.Outcome{Err: se}
	}

	branch, other := cfg.FalseBranch, cfg.TrueBranch
	if res.Result {
		branch, other = cfg.TrueBranch, cfg.FalseBranch
	}
	out := &runbook.Outcome{
		Output: output(res, branch),
		Logs: []runbook.StepLog{{
			Time:    req.Now,
			Level:   runbook.LogInfo,
			Message: logMessage(res, branch),
		}},
	}
	if other != "" && other != branch {
		out.NotTaken = []string{other}
	}
	return out
}

// output is the step's output: the result, the branch taken and what was
// compared, without the empty parts.
func output(res *expr.ConditionResult, branch string) map[string]any {
	out := map[string]any{"result": res.Result}
	for k, v := range map[string]string{
		"branch":     branch,
		"field":      res.Field,
		"operator":   string(res.Operator),
		"expression": res.Expression,
	} {
		if v != "" {
			out[k] = v
		}
	}
	if res.Found && res.Left != nil {
		out["left"] = res.Left
	}
	if res.Right != nil {
		out["right"] = res.Right
	}
	return out
}

// logMessage says what was compared and where it leads, such as
// `condition enrich-indicators.riskScore gt 7: 8.5 -> true; taking branch
// "require-approval"`.
func logMessage(res *expr.ConditionResult, branch string) string {
	var msg string
	if res.Expression != "" {
		msg = fmt.Sprintf("condition %q -> %t", res.Expression, res.Result)
	} else {
		left := "absent"
		if res.Found {
			left = show(res.Left)
		}
		msg = fmt.Sprintf("condition %s %s", res.Field, res.Operator)
		if res.Operator != runbook.OpExists {
			msg += " " + show(res.Right)
		}
		msg += fmt.Sprintf(": %s -> %t", left, res.Result)
	}
	if branch == "" {
		return msg + fmt.Sprintf("; no branch for %t", res.Result)
	}
	return msg + fmt.Sprintf("; taking branch %q", branch)
}

// maxShown bounds how much of a compared value a log line quotes.
const maxShown = 100

// show returns v as compact JSON, shortened when long.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(b)
	if len(s) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// invalid is the non-retryable failure of a step whose config cannot work.
func invalid(format string, args ...any) *runbook.Outcome {
	out := runbook.Failed(false, format, args...)
	out.Err.Code = runbook.EINVALID
	return out
}

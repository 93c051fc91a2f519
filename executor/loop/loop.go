package loop

import (
	"context"
	"fmt"
	"reflect"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
)

// Executor runs loop steps.
type Executor struct{}

var _ runbook.InlineExecutor = (*Executor)(nil)

// New returns an Executor.
func New() *Executor { return &Executor{} }

// Inline marks the executor as one the engine may run inside a state
// transition: it only plans, the engine runs the iterations.
func (*Executor) Inline() {}

// Execute plans the loop: the body to run, and the items to run it for or
// the condition to run it while.
func (*Executor) Execute(_ context.Context, req *runbook.StepRequest) *runbook.Outcome {
	var lc *runbook.LoopConfig
	if req.Step != nil {
		lc = req.Step.LoopConfig
	}
	if lc == nil {
		return invalid("loop step %q has no loopConfig", req.StepID)
	}
	body, fail := loopBody(req)
	if fail != nil {
		return fail
	}
	limit := lc.MaxIterations
	if limit <= 0 || limit > runbook.MaxLoopIterations {
		limit = runbook.MaxLoopIterations
	}
	if lc.IterateOver == "" {
		if lc.ContinueWhile == nil {
			return invalid("loop step %q needs iterateOver or continueWhile", req.StepID)
		}
		return &runbook.Outcome{Loop: &runbook.LoopPlan{
			WhileMode:     true,
			ContinueWhile: lc.ContinueWhile,
			MaxIterations: limit,
			Concurrency:   1,
			Body:          body,
		}}
	}

	items, fail := iterateOver(req.Data, lc.IterateOver)
	if fail != nil {
		return fail
	}
	out := &runbook.Outcome{}
	if len(items) > limit {
		out.Logs = append(out.Logs, runbook.StepLog{
			Time:  req.Now,
			Level: runbook.LogWarn,
			Message: fmt.Sprintf("iterateOver %q has %d items; running the first %d (maxIterations %d)",
				lc.IterateOver, len(items), limit, limit),
			Metadata: map[string]any{"items": len(items), "maxIterations": limit},
		})
		items = items[:limit]
	}
	concurrency := min(max(lc.Concurrency, 1), max(len(items), 1))
	out.Logs = append(out.Logs, runbook.StepLog{
		Time:    req.Now,
		Level:   runbook.LogInfo,
		Message: fmt.Sprintf("iterating over %d items of %q, %d at a time", len(items), lc.IterateOver, concurrency),
	})
	out.Loop = &runbook.LoopPlan{
		Items:         items,
		MaxIterations: limit,
		Concurrency:   concurrency,
		Body:          body,
		ContinueWhile: lc.ContinueWhile,
	}
	return out
}

// Result is a loop's output once its iterations ended: how many ran, the
// items iterated over (empty in while mode) and each iteration's output in
// order.
func Result(items []any, results []any) map[string]any {
	if items == nil {
		items = []any{}
	}
	if results == nil {
		results = []any{}
	}
	return map[string]any{"iterations": len(results), "items": items, "results": results}
}

// loopBody returns the step each iteration runs: the config's inline body
// (its id defaulting to "<loop id>-body"), or the runbook's step named by
// bodyStepId. It is a copy the engine may keep.
func loopBody(req *runbook.StepRequest) (*runbook.Step, *runbook.Outcome) {
	var cfg runbook.LoopStepConfig
	if err := executor.DecodeConfig(req.Config, &cfg); err != nil {
		return nil, invalid("invalid loop config: %v", err)
	}
	switch {
	case cfg.Body != nil:
		body := *cfg.Body
		if body.ID == "" {
			body.ID = req.StepID + "-body"
		}
		return &body, nil
	case cfg.BodyStepID != "":
		var s *runbook.Step
		if req.Runbook != nil {
			s = req.Runbook.Step(cfg.BodyStepID)
		}
		if s == nil {
			return nil, invalid("bodyStepId %q names no step of the runbook", cfg.BodyStepID)
		}
		body := *s
		return &body, nil
	}
	return nil, invalid("loop step %q has no body (config.body or config.bodyStepId)", req.StepID)
}

// explainer is implemented by data scopes that can say why a path names no
// value.
type explainer interface {
	Explain(path string) string
}

// iterateOver resolves path to the array to iterate over.
func iterateOver(data runbook.DataScope, path string) ([]any, *runbook.Outcome) {
	var (
		v  any
		ok bool
	)
	if data != nil {
		v, ok = data.Lookup(path)
	}
	if !ok {
		msg := fmt.Sprintf("iterateOver %q: no such field", path)
		if ex, isEx := data.(explainer); isEx {
			if why := ex.Explain(path); why != "" {
				msg += " (" + why + ")"
			}
		}
		out := runbook.Failed(false, "%s", msg)
		out.Err.Code = runbook.EUNRESOLVED
		return nil, out
	}
	items, isArray := toArray(v)
	if !isArray {
		return nil, invalid("iterateOver %q is %s, not an array", path, jsonType(v))
	}
	return items, nil
}

// toArray returns v as a new []any when it is a slice or an array (other
// than bytes).
func toArray(v any) ([]any, bool) {
	if a, ok := v.([]any); ok {
		return append(make([]any, 0, len(a)), a...), true
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// jsonType names the JSON type of v with an article, for messages.
func jsonType(v any) string {
	if v == nil {
		return "null"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// invalid is the non-retryable failure of a loop that cannot run.
func invalid(format string, args ...any) *runbook.Outcome {
	out := runbook.Failed(false, format, args...)
	out.Err.Code = runbook.EINVALID
	return out
}

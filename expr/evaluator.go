package expr

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"
	"github.com/runbookhq/runbook"
)

const (
	// maxCachedPrograms bounds the Evaluator's cache; when it is full the
	// cache starts over.
	maxCachedPrograms = 1024
	// celCostLimit bounds the work of one evaluation, so that a hostile
	// expression such as nested comprehensions over large lists ends with
	// an error instead of hanging a worker. It is far above what a
	// condition over an execution's data needs.
	celCostLimit = 10_000_000
)

// Evaluator evaluates conditions and CEL expressions over an execution's
// data. It keeps compiled CEL programs by source text. It is safe for
// concurrent use.
type Evaluator struct {
	env *cel.Env

	mu       sync.Mutex
	programs map[string]cel.Program
}

// NewEvaluator returns an Evaluator with an empty program cache.
func NewEvaluator() (*Evaluator, error) {
	env, err := newCELEnv()
	if err != nil {
		return nil, err
	}
	return &Evaluator{env: env, programs: make(map[string]cel.Program)}, nil
}

// Expression evaluates the CEL expression src over scope and returns its
// value as a JSON-like Go value: nil, bool, float64 (CEL ints and uints
// too), string, []any or map[string]any; bytes become base64 text,
// durations text such as "1.5s" and timestamps RFC 3339 text. The variables
// input, context, steps, executionId, item, index and previous are looked
// up in scope; using one it does not hold is an EUNRESOLVED error, as is a
// missing key. A syntax or type error is EINVALID.
func (e *Evaluator) Expression(src string, scope runbook.DataScope) (any, error) {
	val, err := e.eval(src, scope)
	if err != nil {
		return nil, err
	}
	out, err := celToJSON(val)
	if err != nil {
		return nil, runbook.Errorf(runbook.EINVALID, "expression %q: %v", src, err)
	}
	return out, nil
}

// eval compiles (or takes from the cache) and runs src.
func (e *Evaluator) eval(src string, scope runbook.DataScope) (ref.Val, error) {
	prg, err := e.program(src)
	if err != nil {
		return nil, err
	}
	val, _, err := prg.Eval(celActivation{scope: scope})
	if err != nil {
		return nil, evalError(src, err)
	}
	return val, nil
}

// program returns the compiled program of src.
func (e *Evaluator) program(src string) (cel.Program, error) {
	e.mu.Lock()
	prg, ok := e.programs[src]
	e.mu.Unlock()
	if ok {
		return prg, nil
	}
	if strings.TrimSpace(src) == "" {
		return nil, runbook.Errorf(runbook.EINVALID, "expression is empty")
	}
	ast, iss := e.env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, &runbook.Error{
			Code:    runbook.EINVALID,
			Message: fmt.Sprintf("invalid expression %q: %v", src, iss.Err()),
			Err:     iss.Err(),
		}
	}
	prg, err := e.env.Program(ast, cel.CostLimit(celCostLimit))
	if err != nil {
		return nil, runbook.Errorf(runbook.EINVALID, "invalid expression %q: %v", src, err)
	}
	e.mu.Lock()
	if len(e.programs) >= maxCachedPrograms {
		clear(e.programs)
	}
	e.programs[src] = prg
	e.mu.Unlock()
	return prg, nil
}

// evalError gives a failed evaluation its code: a missing variable or key
// is EUNRESOLVED, anything else (no matching overload, division by zero,
// cost limit) EINVALID.
func evalError(src string, err error) error {
	msg := err.Error()
	code := runbook.EINVALID
	switch {
	case strings.Contains(msg, "no such key"), strings.Contains(msg, "no such attribute"):
		code = runbook.EUNRESOLVED
	case strings.Contains(msg, "cost limit exceeded"):
		msg = fmt.Sprintf("cost limit of %d exceeded", celCostLimit)
	}
	return &runbook.Error{Code: code, Message: fmt.Sprintf("evaluate expression %q: %s", src, msg), Err: err}
}

// celActivation resolves the CEL variables through a DataScope.
type celActivation struct {
	scope runbook.DataScope
}

// ResolveName returns the value of a declared variable.
func (a celActivation) ResolveName(name string) (any, bool) {
	if a.scope == nil {
		return nil, false
	}
	switch name {
	case "input", "context", "steps", "executionId", "item", "index", "previous":
		return a.scope.Lookup(name)
	}
	return nil, false
}

// Parent returns nil: there is no enclosing activation.
func (a celActivation) Parent() interpreter.Activation { return nil }

// celToJSON converts a CEL value to a JSON-like Go value.
func celToJSON(v ref.Val) (any, error) {
	switch v := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(v), nil
	case types.Int:
		return float64(v), nil
	case types.Uint:
		return float64(v), nil
	case types.Double:
		return float64(v), nil
	case types.String:
		return string(v), nil
	case types.Bytes:
		return base64.StdEncoding.EncodeToString(v), nil
	case types.Duration:
		return strconv.FormatFloat(v.Seconds(), 'f', -1, 64) + "s", nil
	case types.Timestamp:
		return v.UTC().Format(time.RFC3339Nano), nil
	case traits.Mapper:
		return celMapToJSON(v)
	case traits.Lister:
		n, ok := v.Size().(types.Int)
		if !ok {
			return nil, errors.New("list without a size")
		}
		out := make([]any, int(n))
		for i := range out {
			e, err := celToJSON(v.Get(types.Int(i)))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	if types.IsError(v) {
		return nil, fmt.Errorf("%v", v)
	}
	return nil, fmt.Errorf("result of type %s has no JSON form", v.Type().TypeName())
}

// celMapToJSON converts a CEL map; its keys must be strings.
func celMapToJSON(m traits.Mapper) (map[string]any, error) {
	out := make(map[string]any)
	it := m.Iterator()
	for it.HasNext() == types.True {
		k := it.Next()
		ks, ok := k.(types.String)
		if !ok {
			return nil, fmt.Errorf("map key %v of type %s is not a string", k, k.Type().TypeName())
		}
		e, err := celToJSON(m.Get(k))
		if err != nil {
			return nil, err
		}
		out[string(ks)] = e
	}
	return out, nil
}

package expr

import (
	"fmt"

	"github.com/runbookhq/runbook"
)

// Scope is the data of an execution that field paths resolve against.
type Scope struct {
	ExecutionID string
	Input       any
	// Context is the execution's ExecutionContext as a JSON-like map.
	Context any
	// Steps holds the output of each completed step, by step id.
	Steps map[string]any
	// Output, when set and Steps is nil, returns the output of a completed
	// step: the engine looks outputs up in its state instead of copying
	// them into a map for every attempt. The map of all outputs is then
	// built only when a path asks for "steps" as a whole.
	Output func(stepID string) (any, bool)
	// StepIDs holds every step id of the runbook, completed or not.
	StepIDs map[string]bool
	// Locals holds loop variables ("item", "index", "previous"); may be nil.
	Locals map[string]any
}

var _ runbook.DataScope = (*Scope)(nil)

// Explainer is implemented by data scopes that can say why a path does not
// resolve; Render uses it to word its EUNRESOLVED errors.
type Explainer interface {
	// Explain returns why path names no value, or "" when it does.
	Explain(path string) string
}

var _ Explainer = (*Scope)(nil)

// Lookup returns the value at path. The first segment decides where the
// path goes: a loop variable of Locals; "input", "context", "executionId"
// or "steps.<id>"; a step id (short form "enrich.riskScore"); anything else
// is a field of the input ("status" means "input.status"). A step that has
// not completed has no value.
func (s *Scope) Lookup(path string) (any, bool) {
	v, problem := s.lookup(path)
	return v, problem == ""
}

// Explain returns why path names no value in s, such as `step "enrich" has
// no output` or `input has no field "host"`, or "" when it names one.
func (s *Scope) Explain(path string) string {
	_, problem := s.lookup(path)
	return problem
}

// lookup resolves path; problem is non-empty when it names no value.
func (s *Scope) lookup(path string) (v any, problem string) {
	if s == nil {
		return nil, "there is no data to look it up in"
	}
	segs, err := ParsePath(path)
	if err != nil {
		return nil, err.Error()
	}
	first, rest := segs[0], segs[1:]
	if local, ok := s.Locals[first]; ok {
		return resolveExplained(local, first, first, rest)
	}
	switch first {
	case "input":
		return resolveExplained(s.Input, "input", "input", rest)
	case "context":
		return resolveExplained(s.Context, "context", "context", rest)
	case "executionId":
		return resolveExplained(s.ExecutionID, "executionId", "executionId", rest)
	case "steps":
		if len(rest) == 0 {
			return s.allOutputs(), ""
		}
		return s.stepOutput(rest[0], "steps."+rest[0], rest[1:])
	}
	if s.isStep(first) {
		return s.stepOutput(first, first, rest)
	}
	v, problem = resolveExplained(s.Input, "input", "input", segs)
	if problem != "" && len(s.StepIDs) > 0 {
		if _, missing := step(s.Input, first); missing != "" {
			problem += fmt.Sprintf(", and no step has id %q", first)
		}
	}
	return v, problem
}

// isStep reports whether id names a step of the runbook.
func (s *Scope) isStep(id string) bool {
	if s.StepIDs[id] {
		return true
	}
	_, ok := s.output(id)
	return ok
}

// output returns the output of a completed step.
func (s *Scope) output(id string) (any, bool) {
	if s.Steps == nil && s.Output != nil {
		return s.Output(id)
	}
	out, ok := s.Steps[id]
	return out, ok
}

// allOutputs returns the outputs of every completed step, by id.
func (s *Scope) allOutputs() map[string]any {
	if s.Steps == nil && s.Output != nil {
		m := make(map[string]any, len(s.StepIDs))
		for id := range s.StepIDs {
			if out, ok := s.Output(id); ok {
				m[id] = out
			}
		}
		s.Steps = m
	}
	if s.Steps == nil {
		return map[string]any{}
	}
	return s.Steps
}

// stepOutput resolves rest into the output of step id; name is how the
// path wrote the step ("enrich" or "steps.enrich").
func (s *Scope) stepOutput(id, name string, rest []string) (any, string) {
	out, ok := s.output(id)
	if !ok {
		if s.StepIDs[id] {
			return nil, fmt.Sprintf("step %q has no output", id)
		}
		return nil, fmt.Sprintf("there is no step %q", id)
	}
	return resolveExplained(out, fmt.Sprintf("output of step %q", id), name, rest)
}

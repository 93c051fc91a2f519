package spec

import (
	"strings"
	"unicode"

	"github.com/runbookhq/runbook"
)

// Bounds of runbook-level settings.
const (
	// maxMaxDepth bounds maxDepth, the nesting of sub-runbooks.
	maxMaxDepth = 100
)

// Validate checks a decoded runbook and returns every problem found, in a
// stable order (the runbook's own fields, then each step in order), or nil
// when the runbook is valid. Step config maps are checked against the typed
// config of their step type, so a runbook built in Go gets the same checks
// as one that Parse decoded.
func Validate(rb *runbook.Runbook) []runbook.FieldError {
	p := &problems{}
	labels := validate(rb, p)
	sortByStep(p.list, labels)
	return p.list
}

// validate records the problems of rb in p and returns the step labels the
// problems were reported under.
func validate(rb *runbook.Runbook, p *problems) []string {
	if rb == nil {
		p.add("", "runbook is missing")
		return nil
	}
	v := newValidator(rb, p)
	v.runbook()
	for i, s := range rb.Steps {
		v.step(s, stepPath(v.labels[i]), i, "")
	}
	v.bodyIDs()
	v.cycles()
	return v.labels
}

// validator holds what checking one runbook needs across steps.
type validator struct {
	p      *problems
	rb     *runbook.Runbook
	labels []string
	// first maps a step id to the index of the first step with it.
	first map[string]int
	// idCount counts the top-level steps with each id.
	idCount map[string]int
	// bodyOwner maps a referenced body step id to the loop that claimed it.
	bodyOwner map[string]string
	// bodies are the inline loop bodies, for the id uniqueness check.
	bodies []inlineBody
	// edges are the execution-order edges between top-level steps: from
	// each dependency to its dependent and from each conditional to its
	// branch targets.
	edges []edge
}

// inlineBody is a loop body given inline, as config.body.
type inlineBody struct {
	id, path, loopID string
}

// edge is an execution-order edge: step to waits for step from. field is
// where the definition creates the edge.
type edge struct {
	from, to int
	field    string
}

// newValidator indexes rb's steps.
func newValidator(rb *runbook.Runbook, p *problems) *validator {
	ids := make([]string, len(rb.Steps))
	v := &validator{
		p:         p,
		rb:        rb,
		first:     make(map[string]int, len(rb.Steps)),
		idCount:   make(map[string]int, len(rb.Steps)),
		bodyOwner: make(map[string]string),
	}
	for i, s := range rb.Steps {
		if s == nil || s.ID == "" {
			continue
		}
		ids[i] = s.ID
		v.idCount[s.ID]++
		if _, seen := v.first[s.ID]; !seen {
			v.first[s.ID] = i
		}
	}
	v.labels = stepLabels(ids)
	return v
}

// runbook checks the runbook's own fields.
func (v *validator) runbook() {
	rb := v.rb
	checkID(v.p, "id", "runbook id", rb.ID)
	switch {
	case rb.Version == "":
		v.p.add("version", "missing version; give one such as \"1.0.0\"")
	case strings.ContainsFunc(rb.Version, isSpaceOrControl) || strings.Contains(rb.Version, "/"):
		v.p.add("version", "version %q may not contain whitespace or \"/\"", rb.Version)
	}
	if len(rb.Steps) == 0 {
		v.p.add("steps", "a runbook needs at least one step")
	}
	nonNegative(v.p, "globalTimeoutMs", rb.GlobalTimeoutMs)
	nonNegative(v.p, "maxConcurrentSteps", int64(rb.MaxConcurrentSteps))
	nonNegative(v.p, "maxDepth", int64(rb.MaxDepth))
	if rb.MaxDepth > maxMaxDepth {
		v.p.add("maxDepth", "maxDepth %d is too high: the limit is %d", rb.MaxDepth, maxMaxDepth)
	}
	checkRetryPolicy(v.p, "defaultRetryPolicy", rb.DefaultRetryPolicy)
	if len(rb.InputSchema) > 0 {
		if err := checkJSONSchema(rb.InputSchema); err != nil {
			v.p.add("inputSchema", "not a valid JSON Schema: %v", err)
		}
	}
}

// step checks one step at path. index is its position in the runbook, or
// -1 for an inline loop body, whose loop is loopID.
func (v *validator) step(s *runbook.Step, path string, index int, loopID string) {
	if s == nil {
		v.p.add(path, "a step must be an object, not null")
		return
	}
	isBody := index < 0
	if !isBody || s.ID != "" {
		checkID(v.p, field(path, "id"), "step id", s.ID)
	}
	if !isBody && s.ID != "" && v.idCount[s.ID] > 1 {
		v.p.add(field(path, "id"), "duplicate step id %q: step ids must be unique", s.ID)
	}
	known := checkStepType(v.p, field(path, "type"), s.Type)
	if isBody {
		v.bodyDependsOn(s, path, loopID)
	} else {
		v.dependsOn(s, path, index)
	}
	switch s.Trigger {
	case "", runbook.TriggerAll, runbook.TriggerAny:
	default:
		v.p.add(field(path, "trigger"), "unknown trigger %q; use \"all\" (the default) or \"any\"", s.Trigger)
	}
	nonNegative(v.p, field(path, "timeoutMs"), s.TimeoutMs)
	checkRetryPolicy(v.p, field(path, "retryPolicy"), s.RetryPolicy)
	checkCondition(v.p, field(path, "condition"), s.Condition)
	if s.ApprovalConfig != nil && s.Type != runbook.StepApproval {
		v.p.add(field(path, "approvalConfig"), "approvalConfig is only read by human-approval steps; remove it or change the step type")
	}
	if s.LoopConfig != nil && s.Type != runbook.StepLoop {
		v.p.add(field(path, "loopConfig"), "loopConfig is only read by loop steps; remove it or change the step type")
	}
	if !known {
		return
	}
	switch s.Type {
	case runbook.StepCallService:
		var cfg runbook.CallServiceConfig
		v.decodeConfig(path, s.Config, &cfg)
		checkCallService(v.p, field(path, "config"), &cfg)
	case runbook.StepConditional:
		var cfg runbook.ConditionalConfig
		v.decodeConfig(path, s.Config, &cfg)
		v.conditional(s, path, index, &cfg)
	case runbook.StepLoop:
		var cfg runbook.LoopStepConfig
		if isBody {
			v.p.add(field(path, "type"), "a loop body cannot itself be a loop; make the inner loop a step of its own")
			return
		}
		v.decodeConfig(path, s.Config, &cfg)
		v.loop(s, path, &cfg)
	case runbook.StepApproval:
		checkApproval(v.p, path, s)
	case runbook.StepWaitForEvent:
		var cfg runbook.WaitForEventConfig
		v.decodeConfig(path, s.Config, &cfg)
		checkWaitForEvent(v.p, field(path, "config"), &cfg)
	case runbook.StepSubRunbook:
		var cfg runbook.SubRunbookConfig
		v.decodeConfig(path, s.Config, &cfg)
		checkSubRunbook(v.p, field(path, "config"), &cfg)
	}
}

// checkStepType reports a missing or unknown step type and says whether
// the type is known.
func checkStepType(p *problems, path string, t runbook.StepType) bool {
	for _, known := range runbook.StepTypes() {
		if t == known {
			return true
		}
	}
	names := make([]string, 0, len(runbook.StepTypes()))
	for _, known := range runbook.StepTypes() {
		names = append(names, string(known))
	}
	if t == "" {
		p.add(path, "missing step type; expected one of %s", strings.Join(names, ", "))
	} else {
		p.add(path, "unknown step type %q; expected one of %s", t, strings.Join(names, ", "))
	}
	return false
}

// dependsOn checks the dependencies of top-level step index and records
// them as edges.
func (v *validator) dependsOn(s *runbook.Step, path string, index int) {
	seen := make(map[string]bool, len(s.DependsOn))
	for k, dep := range s.DependsOn {
		p := item(field(path, "dependsOn"), k)
		switch i, exists := v.first[dep]; {
		case dep == "":
			v.p.add(p, "empty step id; name the step this one waits for")
		case seen[dep]:
			v.p.add(p, "%q is listed twice; list each dependency once", dep)
		case dep == s.ID:
			v.p.add(p, "a step cannot depend on itself")
		case !exists:
			v.p.add(p, "depends on %q which is not a step of this runbook", dep)
		default:
			v.edges = append(v.edges, edge{from: i, to: index, field: p})
		}
		seen[dep] = true
	}
}

// bodyDependsOn checks that an inline loop body waits for nothing but its
// loop: the loop runs it, not the DAG.
func (v *validator) bodyDependsOn(s *runbook.Step, path, loopID string) {
	for k, dep := range s.DependsOn {
		if dep != loopID {
			v.p.add(item(field(path, "dependsOn"), k), "the body of loop %q may depend only on the loop, not on %q", loopID, dep)
		}
	}
}

// bodyIDs reports inline loop bodies whose id is taken by a step or
// another body: body ids name step results like step ids do.
func (v *validator) bodyIDs() {
	count := make(map[string]int, len(v.bodies))
	for _, b := range v.bodies {
		count[b.id]++
	}
	for _, b := range v.bodies {
		switch {
		case v.idCount[b.id] > 0:
			v.p.add(field(b.path, "id"), "duplicate step id %q: a step of the runbook has the same id; give the body of loop %q another id", b.id, b.loopID)
			i := v.first[b.id]
			v.p.add(field(stepPath(v.labels[i]), "id"), "duplicate step id %q: the body of loop %q has the same id", b.id, b.loopID)
		case count[b.id] > 1:
			v.p.add(field(b.path, "id"), "duplicate step id %q: another loop body has the same id", b.id)
		}
	}
}

// nonNegative reports a negative value at path.
func nonNegative(p *problems, path string, n int64) {
	if n < 0 {
		p.add(path, "must not be negative, got %d", n)
	}
}

// isSpaceOrControl reports whitespace and control characters.
func isSpaceOrControl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

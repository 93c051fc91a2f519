package engine

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/expr"
)

// plan is a runbook prepared for scheduling: dependencies resolved
// (including the implicit edge from a conditional to its branch targets and
// the mapping of loop body steps to their loop), computed once per
// definition.
type plan struct {
	rb *runbook.Runbook
	// order lists the schedulable steps (not loop bodies) in definition order.
	order []*runbook.Step
	deps  map[string][]dep
	// bodyOf maps a step used as a loop body (bodyStepId) to its loop.
	bodyOf map[string]string
	// body maps a loop step to the step its iterations run.
	body map[string]*runbook.Step
	// dependents maps a step to the steps that depend on it (for replay).
	dependents map[string][]string
	// stepIDs is the set of step ids, for short-form paths (read-only).
	stepIDs map[string]bool
	// staticConfig holds the steps (loop bodies included) whose config
	// has no placeholder: their attempts get the config itself instead of
	// a copy rendered for each.
	staticConfig map[*runbook.Step]bool

	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
}

// dep is one dependency of a step. branch is set when the dependency is a
// conditional that names the step as a branch target: the dependency then
// counts only if the conditional chose the step.
type dep struct {
	id     string
	branch bool
}

func newPlan(rb *runbook.Runbook) (*plan, error) {
	p := &plan{
		rb:         rb,
		deps:       map[string][]dep{},
		bodyOf:     map[string]string{},
		body:       map[string]*runbook.Step{},
		dependents: map[string][]string{},
		stepIDs:    map[string]bool{},

		staticConfig: map[*runbook.Step]bool{},
	}
	for _, s := range rb.Steps {
		p.stepIDs[s.ID] = true
	}
	for _, s := range rb.Steps {
		if s.Type != runbook.StepLoop {
			continue
		}
		var cfg runbook.LoopStepConfig
		if err := decodeConfig(s.Config, &cfg); err != nil {
			return nil, fmt.Errorf("loop %s: %w", s.ID, err)
		}
		switch {
		case cfg.Body != nil:
			b := *cfg.Body
			if b.ID == "" {
				b.ID = s.ID + "-body"
			}
			p.body[s.ID] = &b
		case cfg.BodyStepID != "":
			b := rb.Step(cfg.BodyStepID)
			if b == nil {
				return nil, fmt.Errorf("loop %s: body step %q not found", s.ID, cfg.BodyStepID)
			}
			p.body[s.ID] = b
			p.bodyOf[b.ID] = s.ID
		default:
			return nil, fmt.Errorf("loop %s has no body", s.ID)
		}
	}
	add := func(step string, d dep) {
		for i, have := range p.deps[step] {
			if have.id == d.id {
				p.deps[step][i].branch = have.branch || d.branch
				return
			}
		}
		p.deps[step] = append(p.deps[step], d)
		p.dependents[d.id] = append(p.dependents[d.id], step)
	}
	for _, s := range rb.Steps {
		if _, isBody := p.bodyOf[s.ID]; isBody {
			continue
		}
		p.order = append(p.order, s)
		for _, d := range s.DependsOn {
			if loop, ok := p.bodyOf[d]; ok {
				d = loop
			}
			if d == s.ID {
				continue
			}
			add(s.ID, dep{id: d})
		}
		if s.Type == runbook.StepConditional {
			var cfg runbook.ConditionalConfig
			if err := decodeConfig(s.Config, &cfg); err != nil {
				return nil, fmt.Errorf("conditional %s: %w", s.ID, err)
			}
			for _, target := range []string{cfg.TrueBranch, cfg.FalseBranch} {
				if target == "" || target == s.ID {
					continue
				}
				if loop, ok := p.bodyOf[target]; ok {
					target = loop
				}
				add(target, dep{id: s.ID, branch: true})
			}
		}
	}
	for _, s := range rb.Steps {
		p.staticConfig[s] = expr.IsStatic(s.Config)
	}
	for _, b := range p.body {
		p.staticConfig[b] = expr.IsStatic(b.Config)
	}
	return p, nil
}

// stepDef returns the definition run by an instance: the step itself, or
// the loop's body for an iteration.
func (p *plan) stepDef(k stepKey) *runbook.Step {
	if k.iter > 0 {
		return p.body[k.step]
	}
	return p.rb.Step(k.step)
}

// downstream returns id and every step that depends on it, directly or not.
func (p *plan) downstream(id string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(s string) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, d := range p.dependents[s] {
			walk(d)
		}
	}
	walk(id)
	return seen
}

// decodeConfig decodes a step's config map into a typed config struct.
func decodeConfig(m map[string]any, v any) error {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode config: %w", err)
	}
	return nil
}

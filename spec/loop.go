package spec

import "github.com/runbookhq/runbook"

// loop checks a loop step: its loopConfig and its body, inline or by
// reference.
func (v *validator) loop(s *runbook.Step, path string, cfg *runbook.LoopStepConfig) {
	v.loopConfig(field(path, "loopConfig"), s.LoopConfig)
	cpath := field(path, "config")
	switch {
	case cfg.Body == nil && cfg.BodyStepID == "":
		v.p.add(cpath, "missing required config: body (an inline step) or bodyStepId (the id of a step)")
	case cfg.Body != nil && cfg.BodyStepID != "":
		v.p.add(cpath, "give either body or bodyStepId, not both")
	case cfg.Body != nil:
		bpath := field(cpath, "body")
		id := cfg.Body.ID
		if id == "" {
			id = defaultBodyID(s.ID)
		}
		v.bodies = append(v.bodies, inlineBody{id: id, path: bpath, loopID: s.ID})
		v.step(cfg.Body, bpath, -1, s.ID)
		if cfg.Body.Condition != nil {
			v.p.add(field(bpath, "condition"), bodyConditionMessage)
		}
	default:
		v.bodyStep(s, field(cpath, "bodyStepId"), cfg.BodyStepID)
	}
}

// bodyConditionMessage explains why a loop body cannot have a guard: every
// iteration runs; choosing items belongs to the data or to a conditional.
const bodyConditionMessage = "a loop body cannot have a condition: every iteration runs; filter the items before the loop or decide inside the body's target"

// loopConfig checks the iteration settings of a loop.
func (v *validator) loopConfig(path string, lc *runbook.LoopConfig) {
	if lc == nil {
		v.p.add(path, "missing loopConfig: a loop needs maxIterations and iterateOver or continueWhile")
		return
	}
	switch {
	case lc.MaxIterations < 1:
		v.p.add(field(path, "maxIterations"), "maxIterations must be at least 1, got %d", lc.MaxIterations)
	case lc.MaxIterations > runbook.MaxLoopIterations:
		v.p.add(field(path, "maxIterations"), "maxIterations %d is too high: the limit is %d", lc.MaxIterations, runbook.MaxLoopIterations)
	}
	switch {
	case lc.IterateOver == "" && lc.ContinueWhile == nil:
		v.p.add(path, "give iterateOver (a field path to an array) or continueWhile (a condition)")
	case lc.IterateOver != "" && lc.ContinueWhile != nil:
		v.p.add(path, "give either iterateOver or continueWhile, not both")
	case lc.IterateOver != "":
		checkPath(v.p, field(path, "iterateOver"), lc.IterateOver)
	default:
		checkCondition(v.p, field(path, "continueWhile"), lc.ContinueWhile)
	}
	nonNegative(v.p, field(path, "concurrency"), int64(lc.Concurrency))
	if lc.CurrentIteration != nil {
		nonNegative(v.p, field(path, "currentIteration"), int64(*lc.CurrentIteration))
	}
}

// bodyStep checks a body given by reference: an existing step, not the
// loop, not a loop, not claimed by another loop, and waiting for nothing
// but the loop that runs it.
func (v *validator) bodyStep(loop *runbook.Step, path, id string) {
	i, exists := v.first[id]
	switch {
	case id == loop.ID:
		v.p.add(path, "a loop cannot be its own body")
		return
	case !exists:
		v.p.add(path, "bodyStepId %q names no step", id)
		return
	}
	body := v.rb.Steps[i]
	if body.Condition != nil {
		v.p.add(field(stepPath(v.labels[i]), "condition"), bodyConditionMessage)
	}
	if body.Type == runbook.StepLoop {
		v.p.add(path, "step %q is a loop; a loop body cannot itself be a loop", id)
	}
	if owner, claimed := v.bodyOwner[id]; claimed {
		v.p.add(path, "step %q is already the body of loop %q; a step can be the body of one loop only", id, owner)
		return
	}
	v.bodyOwner[id] = loop.ID
	for k, dep := range body.DependsOn {
		if dep != loop.ID {
			v.p.add(item(field(stepPath(v.labels[i]), "dependsOn"), k),
				"step %q is the body of loop %q, so it may depend only on that loop, not on %q", id, loop.ID, dep)
		}
	}
}

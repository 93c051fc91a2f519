package spec

import "github.com/runbookhq/runbook"

// conditional checks a conditional step and records its branches as
// execution-order edges: a branch target runs after the conditional.
func (v *validator) conditional(s *runbook.Step, path string, index int, cfg *runbook.ConditionalConfig) {
	cpath := field(path, "config")
	switch {
	case cfg.Condition == nil && cfg.Expression == "":
		v.p.add(cpath, "missing required config: condition or expression")
	case cfg.Condition != nil && cfg.Expression != "":
		v.p.add(cpath, "give either condition or expression, not both")
	case cfg.Condition != nil:
		checkCondition(v.p, field(cpath, "condition"), cfg.Condition)
	default:
		checkExpression(v.p, field(cpath, "expression"), cfg.Expression)
	}
	v.branch(s, cpath, index, "trueBranch", cfg.TrueBranch)
	v.branch(s, cpath, index, "falseBranch", cfg.FalseBranch)
	if cfg.TrueBranch != "" && cfg.TrueBranch == cfg.FalseBranch {
		v.p.add(field(cpath, "falseBranch"), "falseBranch names the same step as trueBranch; the branches must differ")
	}
}

// branch checks one branch target of a conditional.
func (v *validator) branch(s *runbook.Step, cpath string, index int, name, target string) {
	if target == "" {
		return
	}
	bpath := field(cpath, name)
	i, exists := v.first[target]
	switch {
	case target == s.ID:
		v.p.add(bpath, "%s cannot name the conditional itself", name)
	case !exists:
		v.p.add(bpath, "%s %q names no step", name, target)
	case index >= 0:
		v.edges = append(v.edges, edge{from: index, to: i, field: bpath})
	}
}

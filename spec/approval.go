package spec

import (
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/expr"
)

// checkApproval checks a human-approval step: its approvalConfig, and that
// it has no config (its settings live in approvalConfig).
func checkApproval(p *problems, path string, s *runbook.Step) {
	for _, key := range sortedKeys(s.Config) {
		p.add(field(field(path, "config"), key), "unknown field %q: human-approval steps take no config; put approval settings in approvalConfig", key)
	}
	apath := field(path, "approvalConfig")
	ac := s.ApprovalConfig
	if ac == nil {
		p.add(apath, "missing approvalConfig: a human-approval step needs approvers and minApprovals")
		return
	}
	if len(ac.Approvers) == 0 {
		p.add(field(apath, "approvers"), "list at least one approver")
	}
	seen := make(map[string]bool, len(ac.Approvers))
	for i, a := range ac.Approvers {
		switch {
		case a == "":
			p.add(item(field(apath, "approvers"), i), "empty approver id; remove it or name an approver")
		case seen[a]:
			p.add(item(field(apath, "approvers"), i), "approver %q is listed twice", a)
		}
		seen[a] = true
	}
	// An approver given as a whole placeholder ("{input.approvers}") may
	// stand for a list: the count is known only at run time.
	dynamic := false
	for _, a := range ac.Approvers {
		if ph := expr.Placeholders(a); len(ph) == 1 && strings.TrimSpace(a) == "{"+ph[0]+"}" {
			dynamic = true
		}
	}
	switch n := len(ac.Approvers); {
	case ac.MinApprovals < 1:
		p.add(field(apath, "minApprovals"), "minApprovals must be at least 1, got %d", ac.MinApprovals)
	case n > 0 && ac.MinApprovals > n && !dynamic:
		p.add(field(apath, "minApprovals"), "minApprovals %d exceeds the %d %s", ac.MinApprovals, n, plural(n, "approver", "approvers"))
	}
	nonNegative(p, field(apath, "timeoutMs"), ac.TimeoutMs)
	switch ac.TimeoutAction {
	case "", runbook.TimeoutFail, runbook.TimeoutApprove, runbook.TimeoutReject:
	default:
		p.add(field(apath, "timeoutAction"), "unknown timeoutAction %q; expected fail, approve or reject", ac.TimeoutAction)
	}
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

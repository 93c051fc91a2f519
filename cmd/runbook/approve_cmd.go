package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

// DecideCommand records an approval decision: "runbook approve" and
// "runbook reject".
type DecideCommand struct {
	stdio    Stdio
	decision runbook.Decision
	opts     clientOptions
}

// Run decides on the step STEP of EXECUTION as --user.
func (c *DecideCommand) Run(ctx context.Context, args []string) error {
	verb := "approve"
	if c.decision == runbook.Rejected {
		verb = "reject"
	}
	fs := newFlagSet(verb, verb+" EXECUTION STEP [--comment C] [--iteration N] --user U [--server URL] [--output table|json]", c.stdio.Err)
	c.opts.register(fs)
	comment := fs.String("comment", "", "why, for the audit trail")
	iteration := fs.Int("iteration", 0, "the loop iteration (1-based) when the step runs in a loop")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest, "the EXECUTION id", "the STEP id"); err != nil {
		return err
	}
	if c.opts.user == "" {
		return usageError{msg: "name the approver with --user or RUNBOOK_USER"}
	}
	if *iteration < 0 {
		return usageError{msg: "--iteration must not be negative"}
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	res, err := cl.Decide(ctx, rest[0], rest[1], client.DecisionRequest{Decision: c.decision, Comments: *comment,
		ApproverID: c.opts.user, Iteration: *iteration})
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, res)
	}
	outcome := "the step still awaits approval"
	if res.Approved != nil && *res.Approved {
		outcome = "the step is approved"
	} else if res.Approved != nil {
		outcome = "the step is rejected"
	}
	fmt.Fprintf(c.stdio.Out, "%s %s step %s of execution %s: %s (%d decisions)\n", c.opts.user, c.decision, res.StepID,
		res.ExecutionID, outcome, len(res.Approvals))
	return nil
}

// ApprovalsCommand lists the approval inbox.
type ApprovalsCommand struct {
	stdio Stdio
	opts  clientOptions
}

// Run prints the steps waiting for approval decisions.
func (c *ApprovalsCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("approvals", "approvals [--approver A] [--tenant T] [--limit N] [--server URL] [--output table|json]", c.stdio.Err)
	c.opts.register(fs)
	var opts client.ApprovalOptions
	fs.StringVar(&opts.Approver, "approver", "", "only steps this user may decide and has not decided")
	fs.StringVar(&opts.TenantID, "tenant", "", "only steps of executions of this tenant")
	fs.IntVar(&opts.Limit, "limit", 100, "entries to show, 1 to 1000")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest); err != nil {
		return err
	}
	if opts.Limit < 1 || opts.Limit > 1000 {
		return usageError{msg: "--limit must be between 1 and 1000"}
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	list, err := cl.PendingApprovals(ctx, opts)
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdio.Out, "no approval is pending")
		return nil
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "EXECUTION\tSTEP\tRUNBOOK\tAPPROVERS\tDECIDED\tREQUESTED\tDEADLINE\tPROMPT")
	for _, p := range list {
		step := p.StepID
		if p.Iteration > 0 {
			step = fmt.Sprintf("%s[%d]", p.StepID, p.Iteration-1)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%d needed)\t%d\t%s\t%s\t%s\n", p.ExecutionID, step, p.RunbookID,
			strings.Join(p.Approvers, ", "), p.MinApprovals, len(p.Decisions), stamp(p.RequestedAt), stampPtr(p.Deadline), truncate(dash(p.Prompt), 60))
	}
	return tw.Flush()
}

package main

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
	"github.com/runbookhq/runbook/engine"
)

// ExecutionsCommand starts, inspects and steers executions on a server.
type ExecutionsCommand struct {
	stdio Stdio
	opts  clientOptions
}

// Run runs "runbook executions start|list|get|logs|history|evidence|pause|
// resume|cancel|retry|replay".
func (c *ExecutionsCommand) Run(ctx context.Context, args []string) error {
	return dispatch("executions", c.stdio.Err, args, []subcommand{
		{"start", "start RUNBOOK [--version V] [--input JSON|@file] [--context JSON|@file] [--idempotency-key K] [--watch]",
			func(a []string) error { return c.start(ctx, a) }},
		{"list", "list [--runbook ID] [--status S] [--limit N] [--cursor C]", func(a []string) error { return c.list(ctx, a) }},
		{"get", "get ID", func(a []string) error { return c.get(ctx, a) }},
		{"logs", "logs ID [--step S] [--level L] [--limit N] [--offset N]", func(a []string) error { return c.logs(ctx, a) }},
		{"history", "history ID [--after-seq N] [--limit N]", func(a []string) error { return c.history(ctx, a) }},
		{"evidence", "evidence ID", func(a []string) error { return c.evidence(ctx, a) }},
		{"pause", "pause ID [--reason R]", func(a []string) error { return c.lifecycle(ctx, "pause", a) }},
		{"resume", "resume ID [--reason R]", func(a []string) error { return c.lifecycle(ctx, "resume", a) }},
		{"cancel", "cancel ID [--reason R]", func(a []string) error { return c.lifecycle(ctx, "cancel", a) }},
		{"retry", "retry ID STEP [--reason R]", func(a []string) error { return c.retry(ctx, a) }},
		{"replay", "replay ID [--from-step S] [--context JSON|@file] [--watch]", func(a []string) error { return c.replay(ctx, a) }},
	})
}

func (c *ExecutionsCommand) flags(name, synopsis string) *flag.FlagSet {
	fs := newFlagSet("executions "+name, "executions "+synopsis+" [--server URL] [--output table|json] [--user U]", c.stdio.Err)
	c.opts.register(fs)
	return fs
}

func (c *ExecutionsCommand) start(ctx context.Context, args []string) error {
	fs := c.flags("start", "start RUNBOOK [--version V] [--input JSON|@file] [--context JSON|@file] [--idempotency-key K] [--watch]")
	version := fs.String("version", "", "runbook version (default: the latest)")
	inputArg := fs.String("input", "", "execution input: JSON text, or @file to read it from a file")
	contextFlag := fs.String("context", "", "execution context (legalBasis, tenantId, initiatedBy...): JSON text or @file")
	key := fs.String("idempotency-key", "", "start at most one execution for this key (per tenant)")
	watch := fs.Bool("watch", false, "follow the execution until it ends; exit 0 only if it completed")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest, "the RUNBOOK id"); err != nil {
		return err
	}
	input, err := jsonArg("--input", *inputArg)
	if err != nil {
		return err
	}
	ec, err := contextArg(*contextFlag)
	if err != nil {
		return err
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	res, err := cl.StartExecution(ctx, client.StartRequest{RunbookID: rest[0], RunbookVersion: *version, Input: input,
		Context: ec, IdempotencyKey: *key})
	if err != nil {
		printDetails(c.stdio.Err, "", err)
		return err
	}
	switch {
	case *watch:
		if !c.opts.json() {
			fmt.Fprintf(c.stdio.Out, "execution %s %s\n", res.ExecutionID, res.Status)
		}
		return follow(ctx, cl, res.ExecutionID, c.stdio, c.opts.json())
	case c.opts.json():
		return printJSON(c.stdio.Out, res)
	case res.Created:
		fmt.Fprintf(c.stdio.Out, "execution %s started\n", res.ExecutionID)
	default:
		fmt.Fprintf(c.stdio.Out, "execution %s already started with this idempotency key; it is %s\n", res.ExecutionID, res.Status)
	}
	return nil
}

func (c *ExecutionsCommand) list(ctx context.Context, args []string) error {
	fs := c.flags("list", "list [--runbook ID] [--status S] [--tenant T] [--limit N] [--cursor C]")
	var opts client.ListOptions
	fs.StringVar(&opts.RunbookID, "runbook", "", "only executions of this runbook")
	status := fs.String("status", "", "only executions with this status (running, completed, failed, ...)")
	fs.StringVar(&opts.TenantID, "tenant", "", "only executions of this tenant")
	fs.IntVar(&opts.Limit, "limit", 50, "executions per page, 1 to 1000")
	fs.StringVar(&opts.Cursor, "cursor", "", "the page after this cursor (printed under the previous page)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest); err != nil {
		return err
	}
	opts.Status = runbook.ExecutionStatus(*status)
	if opts.Status != "" && !opts.Status.Valid() {
		return usageError{msg: fmt.Sprintf("unknown status %q: use pending, running, paused, awaiting_approval, awaiting_event, completed, failed or cancelled", *status)}
	}
	if opts.Limit < 1 || opts.Limit > 1000 {
		return usageError{msg: "--limit must be between 1 and 1000"}
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	page, err := cl.ListExecutions(ctx, opts)
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, page)
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "ID\tRUNBOOK\tVERSION\tSTATUS\tSTARTED\tUPDATED")
	for _, x := range page.Executions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.RunbookID, x.RunbookVersion, x.Status, stamp(x.StartTime), stamp(x.UpdatedAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextCursor != "" {
		fmt.Fprintf(c.stdio.Out, "\nmore: runbook executions list --cursor %s\n", page.NextCursor)
	}
	return nil
}

func (c *ExecutionsCommand) get(ctx context.Context, args []string) error {
	fs := c.flags("get", "get ID")
	rest, cl, err := c.opts.parse(fs, args, "the execution ID")
	if err != nil {
		return err
	}
	x, err := cl.GetExecution(ctx, rest[0])
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, x)
	}
	w := c.stdio.Out
	fmt.Fprintf(w, "execution  %s\n", x.ID)
	fmt.Fprintf(w, "runbook    %s version %s\n", x.RunbookID, x.RunbookVersion)
	fmt.Fprintf(w, "status     %s\n", x.Status)
	fmt.Fprintf(w, "started    %s by %s (tenant %s)\n", stamp(x.StartTime), x.Context.InitiatedBy, x.Context.TenantID)
	if x.EndTime != nil {
		fmt.Fprintf(w, "ended      %s\n", stampPtr(x.EndTime))
	}
	if x.IsReplay {
		fmt.Fprintf(w, "replay of  %s\n", x.OriginalExecutionID)
	}
	if x.CancelledBy != "" {
		fmt.Fprintf(w, "cancelled  by %s: %s\n", x.CancelledBy, dash(x.CancellationReason))
	}
	printSummary(w, stepOrder(ctx, cl, x), x)
	return nil
}

// stepOrder returns the execution's runbook for printSummary's step order;
// when it cannot be read, the steps are shown by id.
func stepOrder(ctx context.Context, cl *client.Client, x *runbook.Execution) *runbook.Runbook {
	if rb, err := cl.GetRunbook(ctx, x.RunbookID, x.RunbookVersion); err == nil {
		return rb
	}
	rb := &runbook.Runbook{ID: x.RunbookID, Version: x.RunbookVersion}
	ids := make([]string, 0, len(x.StepResults))
	for id := range x.StepResults {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rb.Steps = append(rb.Steps, &runbook.Step{ID: id})
	}
	return rb
}

func (c *ExecutionsCommand) logs(ctx context.Context, args []string) error {
	fs := c.flags("logs", "logs ID [--step S] [--level L] [--limit N] [--offset N]")
	var opts client.LogOptions
	fs.StringVar(&opts.StepID, "step", "", "only entries of this step")
	level := fs.String("level", "", "the minimum level: debug, info, warn or error")
	fs.IntVar(&opts.Limit, "limit", 1000, "entries to show, 1 to 10000")
	fs.IntVar(&opts.Offset, "offset", 0, "entries to skip")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest, "the execution ID"); err != nil {
		return err
	}
	opts.Level = runbook.LogLevel(*level)
	switch opts.Level {
	case "", runbook.LogDebug, runbook.LogInfo, runbook.LogWarn, runbook.LogError:
	default:
		return usageError{msg: fmt.Sprintf("unknown level %q: use debug, info, warn or error", *level)}
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	page, err := cl.Logs(ctx, rest[0], opts)
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, page)
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "TIME\tLEVEL\tSTEP\tMESSAGE")
	for _, l := range page.Logs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Timestamp.UTC().Format("2006-01-02 15:04:05.000Z"), l.Level, dash(l.StepID), truncate(l.Message, 160))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if shown := opts.Offset + len(page.Logs); shown < page.Total {
		fmt.Fprintf(c.stdio.Out, "\n%d of %d entries; more with --offset %d\n", len(page.Logs), page.Total, shown)
	}
	return nil
}

func (c *ExecutionsCommand) history(ctx context.Context, args []string) error {
	fs := c.flags("history", "history ID [--after-seq N] [--limit N]")
	after := fs.Int64("after-seq", 0, "only events after this sequence number")
	limit := fs.Int("limit", 0, "events to show, 1 to 5000 (default: all)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest, "the execution ID"); err != nil {
		return err
	}
	if *after < 0 || *limit < 0 || *limit > 5000 {
		return usageError{msg: "--after-seq must not be negative and --limit must be between 1 and 5000"}
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	var events []runbook.Event
	for seq := *after; ; {
		page, err := cl.History(ctx, rest[0], seq, *limit)
		if err != nil {
			return err
		}
		events = append(events, page.Events...)
		if *limit > 0 || page.NextAfterSeq == 0 {
			break
		}
		seq = page.NextAfterSeq
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, events)
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "SEQ\tTIME\tEVENT\tACTOR\tDESCRIPTION")
	for i := range events {
		ev := &events[i]
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", ev.Seq, ev.Time.UTC().Format("2006-01-02 15:04:05.000Z"), ev.Type, dash(ev.Actor),
			truncate(engine.DescribeEvent(ev), 160))
	}
	return tw.Flush()
}

func (c *ExecutionsCommand) evidence(ctx context.Context, args []string) error {
	fs := c.flags("evidence", "evidence ID")
	rest, cl, err := c.opts.parse(fs, args, "the execution ID")
	if err != nil {
		return err
	}
	items, err := cl.Evidence(ctx, rest[0])
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, items)
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "ID\tTYPE\tSTEP\tCONFIDENCE\tTIME\tSOURCE")
	for _, e := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%s\n", e.ID, e.Type, dash(e.StepID), e.Confidence, stamp(e.Timestamp), truncate(e.SourceRef, 80))
	}
	return tw.Flush()
}

// lifecycle runs pause, resume or cancel.
func (c *ExecutionsCommand) lifecycle(ctx context.Context, op string, args []string) error {
	fs := c.flags(op, op+" ID [--reason R]")
	reason := fs.String("reason", "", "why, for the audit trail")
	rest, cl, err := c.opts.parse(fs, args, "the execution ID")
	if err != nil {
		return err
	}
	call := map[string]func(context.Context, string, client.OperationRequest) (*client.OperationResult, error){
		"pause": cl.Pause, "resume": cl.Resume, "cancel": cl.Cancel,
	}[op]
	res, err := call(ctx, rest[0], client.OperationRequest{Reason: *reason})
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, res)
	}
	fmt.Fprintf(c.stdio.Out, "execution %s %s\n", res.ExecutionID, res.Status)
	return nil
}

func (c *ExecutionsCommand) retry(ctx context.Context, args []string) error {
	fs := c.flags("retry", "retry ID STEP [--reason R]")
	reason := fs.String("reason", "", "why, for the audit trail")
	rest, cl, err := c.opts.parse(fs, args, "the execution ID", "the STEP id")
	if err != nil {
		return err
	}
	res, err := cl.RetryStep(ctx, rest[0], rest[1], client.OperationRequest{Reason: *reason})
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, res)
	}
	fmt.Fprintf(c.stdio.Out, "step %s of execution %s retried\n", res.StepID, res.ExecutionID)
	return nil
}

func (c *ExecutionsCommand) replay(ctx context.Context, args []string) error {
	fs := c.flags("replay", "replay ID [--from-step S] [--context JSON|@file] [--watch]")
	from := fs.String("from-step", "", "reuse the outputs of the steps that do not depend on this one and run it and what follows")
	contextFlag := fs.String("context", "", "a new execution context (JSON text or @file) instead of the original's")
	watch := fs.Bool("watch", false, "follow the new execution until it ends; exit 0 only if it completed")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest, "the execution ID"); err != nil {
		return err
	}
	ec, err := contextArg(*contextFlag)
	if err != nil {
		return err
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	res, err := cl.Replay(ctx, rest[0], client.ReplayRequest{FromStepID: *from, Context: ec})
	if err != nil {
		return err
	}
	switch {
	case *watch:
		if !c.opts.json() {
			fmt.Fprintf(c.stdio.Out, "execution %s replays %s\n", res.ExecutionID, res.OriginalExecutionID)
		}
		return follow(ctx, cl, res.ExecutionID, c.stdio, c.opts.json())
	case c.opts.json():
		return printJSON(c.stdio.Out, res)
	}
	fmt.Fprintf(c.stdio.Out, "execution %s replays %s\n", res.ExecutionID, res.OriginalExecutionID)
	return nil
}

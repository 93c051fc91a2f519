package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/engine"
	"github.com/runbookhq/runbook/spec"
)

// RunCommand runs one runbook in-process, shows its steps as they progress
// and prints the result. Approvals are answered at the terminal, from
// standard input (--prompt), or in advance (--approve/--reject STEP=USER).
type RunCommand struct {
	stdio Stdio

	input     string
	context   string
	store     string
	output    string
	approve   multiFlag
	reject    multiFlag
	prompt    bool
	logLevel  string
	maxSteps  int
	answers   map[string][]decisionAnswer
	stdinScan *bufio.Scanner
}

type decisionAnswer struct {
	user     string
	decision runbook.Decision
}

// Run parses the flags, runs the runbook and returns exit status 1 unless
// the execution completed.
func (c *RunCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("run", "run FILE [--input JSON|@file] [--context JSON|@file] [--store memory|sqlite:PATH|postgres://...] [--approve STEP=USER]...", c.stdio.Err)
	fs.StringVar(&c.input, "input", "", "execution input: JSON text, or @file to read it from a file")
	fs.StringVar(&c.context, "context", "", "execution context (legalBasis, tenantId, initiatedBy...): JSON text or @file")
	fs.StringVar(&c.store, "store", "memory", "where state is kept: memory, or sqlite:PATH or a postgres:// URL to keep the execution after the command ends")
	fs.StringVar(&c.output, "output", "text", "result format: text or json")
	fs.Var(&c.approve, "approve", "pre-answer an approval: STEP=USER approves step STEP as USER (repeatable)")
	fs.Var(&c.reject, "reject", "pre-answer an approval: STEP=USER rejects step STEP as USER (repeatable)")
	fs.BoolVar(&c.prompt, "prompt", false, "ask for approvals on standard input even when it is not a terminal")
	fs.StringVar(&c.logLevel, "log-level", "warn", "engine log level: debug, info, warn or error")
	fs.IntVar(&c.maxSteps, "max-concurrent-steps", 0, "steps run at once per execution (default 5, or the runbook's maxConcurrentSteps)")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usageError{msg: "name exactly one runbook file"}
	}
	if c.output != "text" && c.output != "json" {
		return usageError{msg: fmt.Sprintf("--output must be text or json, not %q", c.output)}
	}
	if err := c.parseAnswers(); err != nil {
		return err
	}
	input, err := jsonArg("--input", c.input)
	if err != nil {
		return err
	}
	ecRaw, err := jsonArg("--context", c.context)
	if err != nil {
		return err
	}
	var ec *runbook.ExecutionContext
	if ecRaw != nil {
		ec = &runbook.ExecutionContext{}
		b, _ := json.Marshal(ecRaw)
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(ec); err != nil {
			return usageError{msg: fmt.Sprintf("--context is not an execution context: %v", err)}
		}
	}
	level, err := parseLevel(c.logLevel)
	if err != nil {
		return usageError{msg: err.Error()}
	}

	rb, err := spec.ParseFile(files[0])
	if err != nil {
		for _, d := range runbook.ErrorDetails(err) {
			fmt.Fprintf(c.stdio.Err, "%s: %s: %s\n", files[0], d.Field, d.Message)
		}
		return fmt.Errorf("%s: %s", files[0], oneLine(err))
	}
	store, exclusive, err := openStore(ctx, c.store)
	if err != nil {
		return err
	}
	defer store.Close()
	logger := slog.New(slog.NewTextHandler(c.stdio.Err, &slog.HandlerOptions{Level: level}))
	eng, err := newEngine(store, logger, engineOptions{maxConcurrentSteps: c.maxSteps, shutdownGrace: 2 * time.Second, exclusiveStore: exclusive})
	if err != nil {
		return err
	}
	eng.Start()
	defer eng.Close()
	if _, _, err := eng.PutRunbook(ctx, rb); err != nil {
		return err
	}
	id, _, err := eng.StartExecution(ctx, engine.StartRequest{RunbookID: rb.ID, RunbookVersion: rb.Version, Input: input, Context: ec, Actor: currentUser()})
	if err != nil {
		return err
	}
	live := c.stdio.Out
	if c.output == "json" {
		live = c.stdio.Err
	}
	fmt.Fprintf(live, "runbook %s version %s: execution %s\n", rb.ID, rb.Version, id)
	x, err := c.follow(ctx, eng, id, live)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(c.stdio.Err, "interrupted: execution %s is left %s", id, x.Status)
			if c.store != "memory" {
				fmt.Fprintf(c.stdio.Err, " in %s; 'runbook serve --store %s' continues it", c.store, c.store)
			}
			fmt.Fprintln(c.stdio.Err)
			return exitError{code: 130}
		}
		return err
	}
	if c.output == "json" {
		enc := json.NewEncoder(c.stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(x); err != nil {
			return err
		}
	} else {
		printSummary(c.stdio.Out, rb, x)
	}
	if x.Status != runbook.ExecutionCompleted {
		return exitError{code: 1}
	}
	return nil
}

// follow prints the execution's events until it ends and answers its
// approvals; it returns the final execution.
func (c *RunCommand) follow(ctx context.Context, eng *engine.Engine, id string, w io.Writer) (*runbook.Execution, error) {
	var last int64
	start := time.Now()
	for {
		events, err := eng.Watch(ctx, id, last)
		if err != nil {
			return c.final(eng, id), err
		}
		for ev := range events {
			last = ev.Seq
			printEvent(w, &ev, time.Since(start))
			if ev.Type == runbook.EventApprovalRequested {
				if err := c.answer(ctx, eng, id, &ev, w); err != nil {
					return c.final(eng, id), err
				}
			}
		}
		if ctx.Err() != nil {
			return c.final(eng, id), ctx.Err()
		}
		x, err := eng.GetExecution(context.WithoutCancel(ctx), id)
		if err != nil {
			return nil, err
		}
		if x.Status.Terminal() && x.Seq <= last {
			return x, nil
		}
	}
}

func (c *RunCommand) final(eng *engine.Engine, id string) *runbook.Execution {
	x, err := eng.GetExecution(context.Background(), id)
	if err != nil {
		return &runbook.Execution{ID: id, Status: runbook.ExecutionPending}
	}
	return x
}

// answer decides an approval step from the pre-answers, or asks.
func (c *RunCommand) answer(ctx context.Context, eng *engine.Engine, id string, ev *runbook.Event, w io.Writer) error {
	step := ev.StepID
	if answers, ok := c.answers[step]; ok {
		for _, a := range answers {
			r, err := eng.Decide(ctx, id, step, engine.DecisionRequest{ApproverID: a.user, Decision: a.decision,
				Comments: "answered on the command line", Iteration: ev.Iteration})
			if err != nil {
				fmt.Fprintf(w, "  ! %s by %s refused: %s\n", a.decision, a.user, oneLine(err))
				continue
			}
			if r.Status != runbook.StepAwaitingApproval {
				return nil
			}
		}
		return nil
	}
	if !c.prompt && !isTerminal(c.stdio.In) {
		fmt.Fprintf(w, "  ? step %s waits for approval; answer with --approve %s=USER or --reject %s=USER, or use --prompt\n", step, step, step)
		return nil
	}
	if c.stdinScan == nil {
		c.stdinScan = bufio.NewScanner(c.stdio.In)
	}
	ask := func(q string) (string, bool) {
		fmt.Fprint(c.stdio.Err, q)
		if !c.stdinScan.Scan() {
			return "", false
		}
		return strings.TrimSpace(c.stdinScan.Text()), true
	}
	wait := ev.Wait
	fmt.Fprintf(c.stdio.Err, "\nApproval needed for step %q: %s\nApprovers: %s (%d needed)\n", step, wait.Prompt,
		strings.Join(wait.Approvers, ", "), wait.MinApprovals)
	for {
		user, ok := ask("Approver id (empty to stop asking): ")
		if !ok || user == "" {
			return nil
		}
		yn, ok := ask("Approve? [y/N]: ")
		if !ok {
			return nil
		}
		decision := runbook.Rejected
		if strings.HasPrefix(strings.ToLower(yn), "y") {
			decision = runbook.Approved
		}
		comment, _ := ask("Comment: ")
		r, err := eng.Decide(ctx, id, step, engine.DecisionRequest{ApproverID: user, Decision: decision, Comments: comment, Iteration: ev.Iteration})
		if err != nil {
			fmt.Fprintf(c.stdio.Err, "refused: %s\n", oneLine(err))
			continue
		}
		if r.Status != runbook.StepAwaitingApproval {
			return nil
		}
	}
}

func (c *RunCommand) parseAnswers() error {
	c.answers = map[string][]decisionAnswer{}
	add := func(list []string, d runbook.Decision, flagName string) error {
		for _, v := range list {
			step, user, ok := strings.Cut(v, "=")
			if !ok || step == "" || user == "" {
				return usageError{msg: fmt.Sprintf("%s %q: expected STEP=USER", flagName, v)}
			}
			c.answers[step] = append(c.answers[step], decisionAnswer{user: user, decision: d})
		}
		return nil
	}
	if err := add(c.approve, runbook.Approved, "--approve"); err != nil {
		return err
	}
	return add(c.reject, runbook.Rejected, "--reject")
}

// jsonArg decodes a flag value that is JSON text or @file.
func jsonArg(name, v string) (any, error) {
	if v == "" {
		return nil, nil
	}
	data := []byte(v)
	if strings.HasPrefix(v, "@") {
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		data = b
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, usageError{msg: fmt.Sprintf("%s is not valid JSON: %v", name, err)}
	}
	return out, nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("unknown log level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

// WatchCommand follows an execution on a server with a live step view
// until it ends.
type WatchCommand struct {
	stdio Stdio
	opts  clientOptions
}

// Run follows the execution named in args. It exits 0 when the execution
// completed and 1 when it failed or was cancelled.
func (c *WatchCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("watch", "watch EXECUTION [--server URL] [--output table|json]", c.stdio.Err)
	c.opts.register(fs)
	rest, cl, err := c.opts.parse(fs, args, "the EXECUTION id")
	if err != nil {
		return err
	}
	return follow(ctx, cl, rest[0], c.stdio, c.opts.json())
}

// Reconnection of a broken event stream.
const (
	reconnectDelay    = time.Second
	reconnectAttempts = 10
)

// follow prints an execution's events as they happen (a live step view, or
// one JSON event per line) until it ends, then the step table. The stream
// is reopened after the last event seen when the connection breaks (a
// server restart). It returns exit status 1 unless the execution
// completed, and 130 when interrupted.
func follow(ctx context.Context, cl *client.Client, id string, stdio Stdio, asJSON bool) error {
	x, err := cl.GetExecution(ctx, id)
	if err != nil {
		return err
	}
	start := x.StartTime
	var last int64
	failures := 0
	for {
		events, err := cl.Stream(ctx, id, last)
		got := false
		if err == nil {
			for ev := range events {
				failures, got = 0, true
				last = ev.Seq
				if asJSON {
					b, _ := json.Marshal(ev)
					fmt.Fprintf(stdio.Out, "%s\n", b)
				} else {
					printEvent(stdio.Out, &ev, ev.Time.Sub(start))
				}
			}
			x, err = cl.GetExecution(ctx, id)
		}
		if ctx.Err() != nil {
			fmt.Fprintf(stdio.Err, "interrupted: execution %s goes on on the server\n", id)
			return exitError{code: 130}
		}
		if err == nil && x.Status.Terminal() && x.Seq <= last {
			break // ended, and nothing happened after the end
		}
		if err != nil && runbook.ErrorCode(err) != runbook.EUNAVAILABLE {
			return err
		}
		if failures++; failures > reconnectAttempts {
			if err == nil {
				err = fmt.Errorf("execution %s is %s", id, x.Status)
			}
			return fmt.Errorf("lost the event stream: %w", err)
		}
		// The server is away (restarting), or its stream ended without news:
		// wait a moment. A stream that broke after events, or an execution
		// that went on after an end (a retry revived it), is followed again
		// at once.
		if (err != nil || !got) && !sleep(ctx, reconnectDelay) {
			return exitError{code: 130}
		}
	}
	if !asJSON {
		printSummary(stdio.Out, stepOrder(ctx, cl, x), x)
	}
	if x.Status != runbook.ExecutionCompleted {
		return exitError{code: 1}
	}
	return nil
}

// sleep waits for d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

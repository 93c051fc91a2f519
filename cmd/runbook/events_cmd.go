package main

import (
	"context"
	"fmt"

	"github.com/runbookhq/runbook/api/client"
)

// EventsCommand sends external events to a server.
type EventsCommand struct {
	stdio Stdio
	opts  clientOptions
}

// Run runs "runbook events send".
func (c *EventsCommand) Run(ctx context.Context, args []string) error {
	return dispatch("events", c.stdio.Err, args, []subcommand{
		{"send", "send TYPE [--correlation-id C] [--payload JSON|@file] [--tenant T] [--id ID]", func(a []string) error { return c.send(ctx, a) }},
	})
}

func (c *EventsCommand) send(ctx context.Context, args []string) error {
	fs := newFlagSet("events send", "events send TYPE [--correlation-id C] [--payload JSON|@file] [--tenant T] [--id ID] [--server URL] [--output table|json]", c.stdio.Err)
	c.opts.register(fs)
	var req client.EventRequest
	fs.StringVar(&req.CorrelationID, "correlation-id", "", "the correlation id the waiting steps expect")
	payload := fs.String("payload", "", "the event's data: JSON text, or @file to read it from a file")
	fs.StringVar(&req.TenantID, "tenant", "", "the tenant of the waiting executions (default: default)")
	fs.StringVar(&req.ID, "id", "", "an id that makes sending the event again harmless (it is refused)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := exactArgs(rest, "the event TYPE"); err != nil {
		return err
	}
	req.Type = rest[0]
	if req.Payload, err = jsonArg("--payload", *payload); err != nil {
		return err
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	res, err := cl.SendEvent(ctx, req)
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, res)
	}
	fmt.Fprintf(c.stdio.Out, "event %s delivered: %d waiting steps received it\n", res.EventID, res.Matched)
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/runbookhq/runbook/api/client"
)

// RunbooksCommand lists, shows and stores runbook definitions on a server.
type RunbooksCommand struct {
	stdio Stdio
	opts  clientOptions
}

// Run runs "runbook runbooks list|get|versions|push".
func (c *RunbooksCommand) Run(ctx context.Context, args []string) error {
	return dispatch("runbooks", c.stdio.Err, args, []subcommand{
		{"list", "list [flags]                      the latest version of every runbook", func(a []string) error { return c.list(ctx, a) }},
		{"get", "get ID [--version V] [flags]       one definition (the latest version by default)", func(a []string) error { return c.get(ctx, a) }},
		{"versions", "versions ID [flags]               every stored version of a runbook", func(a []string) error { return c.versions(ctx, a) }},
		{"push", "push FILE... [flags]              store definitions (JSON or YAML)", func(a []string) error { return c.push(ctx, a) }},
	})
}

func (c *RunbooksCommand) flags(name, synopsis string) *flag.FlagSet {
	fs := newFlagSet("runbooks "+name, "runbooks "+synopsis, c.stdio.Err)
	c.opts.register(fs)
	return fs
}

func (c *RunbooksCommand) list(ctx context.Context, args []string) error {
	fs := c.flags("list", "list [--server URL] [--output table|json]")
	_, cl, err := c.opts.parse(fs, args)
	if err != nil {
		return err
	}
	list, err := cl.ListRunbooks(ctx)
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, list)
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "ID\tVERSION\tSTEPS\tNAME")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.ID, r.Version, r.StepCount, dash(r.Name))
	}
	return tw.Flush()
}

func (c *RunbooksCommand) get(ctx context.Context, args []string) error {
	fs := c.flags("get", "get ID [--version V] [--server URL] [--output table|json]")
	version := fs.String("version", "", "the version to show (default: the latest)")
	rest, cl, err := c.opts.parse(fs, args, "the runbook ID")
	if err != nil {
		return err
	}
	rb, err := cl.GetRunbook(ctx, rest[0], *version)
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, rb)
	}
	w := c.stdio.Out
	fmt.Fprintf(w, "%s version %s", rb.ID, rb.Version)
	if rb.Name != "" {
		fmt.Fprintf(w, ": %s", rb.Name)
	}
	fmt.Fprintln(w)
	if rb.Description != "" {
		fmt.Fprintln(w, rb.Description)
	}
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "STEP\tTYPE\tDEPENDS ON\tNAME")
	for _, s := range rb.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.Type, dash(strings.Join(s.DependsOn, ", ")), dash(s.Name))
	}
	return tw.Flush()
}

func (c *RunbooksCommand) versions(ctx context.Context, args []string) error {
	fs := c.flags("versions", "versions ID [--server URL] [--output table|json]")
	rest, cl, err := c.opts.parse(fs, args, "the runbook ID")
	if err != nil {
		return err
	}
	list, err := cl.ListRunbookVersions(ctx, rest[0])
	if err != nil {
		return err
	}
	if c.opts.json() {
		return printJSON(c.stdio.Out, list)
	}
	tw := table(c.stdio.Out)
	fmt.Fprintln(tw, "VERSION\tSTORED\tSTEPS\tHASH")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Version, stamp(r.CreatedAt), r.StepCount, r.Hash[:min(12, len(r.Hash))])
	}
	return tw.Flush()
}

// pushResult is what push reports for one file.
type pushResult struct {
	File    string `json:"file"`
	ID      string `json:"id,omitempty"`
	Version string `json:"version,omitempty"`
	Created bool   `json:"created"`
	Hash    string `json:"hash,omitempty"`
	Error   string `json:"error,omitempty"`
}

func (c *RunbooksCommand) push(ctx context.Context, args []string) error {
	fs := c.flags("push", "push FILE... [--server URL] [--output table|json]")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{msg: "name at least one runbook file (JSON or YAML)"}
	}
	cl, err := c.opts.client()
	if err != nil {
		return err
	}
	var results []pushResult
	failed := 0
	for _, f := range files {
		res, err := pushFile(ctx, cl, f)
		if err != nil {
			if isUnreachable(err) {
				return err // no point trying the other files
			}
			failed++
			res.Error = oneLine(err)
			if !c.opts.json() {
				printDetails(c.stdio.Err, f+": ", err)
				fmt.Fprintf(c.stdio.Err, "%s: %s\n", f, res.Error)
			}
		} else if !c.opts.json() {
			state := "stored"
			if !res.Created {
				state = "unchanged (already stored)"
			}
			fmt.Fprintf(c.stdio.Out, "%s: %s version %s %s\n", f, res.ID, res.Version, state)
		}
		results = append(results, res)
	}
	if c.opts.json() {
		if err := printJSON(c.stdio.Out, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were refused", failed, len(files))
	}
	return nil
}

func pushFile(ctx context.Context, cl *client.Client, file string) (pushResult, error) {
	res := pushResult{File: file}
	data, contentType, err := readDefinition(file)
	if err != nil {
		return res, err
	}
	out, err := cl.PutRunbook(ctx, data, contentType)
	if err != nil {
		return res, err
	}
	res.ID, res.Version, res.Created, res.Hash = out.Runbook.ID, out.Runbook.Version, out.Created, out.Hash
	return res, nil
}

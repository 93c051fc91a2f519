package main

import (
	"context"
	"fmt"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/spec"
)

// ValidateCommand checks runbook definitions and prints every problem with
// its file, step and field.
type ValidateCommand struct {
	stdio Stdio
}

// Run validates each file named in args.
func (c *ValidateCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("validate", "validate FILE...", c.stdio.Err)
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{msg: "name at least one runbook file (JSON or YAML)"}
	}
	bad := 0
	for _, f := range files {
		rb, err := spec.ParseFile(f)
		if err == nil {
			fmt.Fprintf(c.stdio.Out, "%s: ok (%s version %s, %d steps)\n", f, rb.ID, rb.Version, len(rb.Steps))
			continue
		}
		bad++
		details := runbook.ErrorDetails(err)
		if len(details) == 0 {
			fmt.Fprintf(c.stdio.Out, "%s: %s\n", f, oneLine(err))
			continue
		}
		for _, d := range details {
			fmt.Fprintf(c.stdio.Out, "%s: %s: %s\n", f, d.Field, d.Message)
		}
	}
	if bad > 0 {
		fmt.Fprintf(c.stdio.Err, "%d of %d files are invalid\n", bad, len(files))
		return exitError{code: 1}
	}
	return nil
}

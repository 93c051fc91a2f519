// Command runbook is the runbook engine: it runs runbooks in-process
// (run), checks definitions (validate), serves the engine and its REST API
// (serve), and talks to a server as its command-line client (runbooks,
// executions, approve, reject, approvals, events, watch).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/runbookhq/runbook"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}

// Stdio are the streams a command reads and writes.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// command is one subcommand.
type command interface {
	Run(ctx context.Context, args []string) error
}

// exitError carries an exit code; its message (if any) was already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in the command line: exit 2 with a hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `runbook: durable runbook orchestration for incident response

Usage:
  runbook serve     [flags]                 run the engine and its REST API on a store (see --help)
  runbook run       FILE [flags]            run a runbook in-process and print the result
  runbook validate  FILE...                 check definitions and report every problem
  runbook bench     WORKLOAD [flags]        measure the engine: w10, fanout, park, raw or all
  runbook version                           print the version

Client of a server (--server URL or RUNBOOK_SERVER, default http://127.0.0.1:3000;
--output table|json; --user or RUNBOOK_USER is who acts):
  runbook runbooks   list|get ID|versions ID|push FILE...
  runbook executions start RUNBOOK|list|get ID|logs ID|history ID|evidence ID
                     |pause ID|resume ID|cancel ID|retry ID STEP|replay ID
  runbook approve    EXECUTION STEP [--comment C]   approve a step as --user
  runbook reject     EXECUTION STEP [--comment C]   reject a step as --user
  runbook approvals  [--approver A]                 the steps waiting for a decision
  runbook events     send TYPE [--correlation-id C] [--payload JSON|@file]
  runbook watch      EXECUTION                      follow an execution until it ends

Run 'runbook COMMAND --help' for the flags of a command.
`

// Run runs the command line args and returns the exit code.
func Run(ctx context.Context, args []string, io Stdio) int {
	if len(args) == 0 {
		fmt.Fprint(io.Err, usage)
		return 2
	}
	var cmd command
	switch args[0] {
	case "serve":
		cmd = &ServeCommand{stdio: io}
	case "run":
		cmd = &RunCommand{stdio: io}
	case "bench":
		cmd = &BenchCommand{stdio: io}
	case "validate":
		cmd = &ValidateCommand{stdio: io}
	case "runbooks":
		cmd = &RunbooksCommand{stdio: io}
	case "executions":
		cmd = &ExecutionsCommand{stdio: io}
	case "approve":
		cmd = &DecideCommand{stdio: io, decision: runbook.Approved}
	case "reject":
		cmd = &DecideCommand{stdio: io, decision: runbook.Rejected}
	case "approvals":
		cmd = &ApprovalsCommand{stdio: io}
	case "events":
		cmd = &EventsCommand{stdio: io}
	case "watch":
		cmd = &WatchCommand{stdio: io}
	case "version", "--version", "-v":
		fmt.Fprintln(io.Out, "runbook", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(io.Out, usage)
		return 0
	default:
		fmt.Fprintf(io.Err, "runbook: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd.Run(ctx, args[1:])
	return exitCode(io.Err, args[0], err)
}

// exitCode prints err as one line and maps it to an exit code.
func exitCode(w io.Writer, name string, err error) int {
	var exit exitError
	var use usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &use):
		fmt.Fprintf(w, "runbook %s: %s\nRun 'runbook %s --help' for usage.\n", name, use.msg, name)
		return 2
	case errors.Is(err, errHelp):
		return 0
	}
	fmt.Fprintf(w, "runbook %s: %s\n", name, oneLine(err))
	return 1
}

// oneLine is the user-facing text of an error: the domain message when there
// is one, never a stack trace.
func oneLine(err error) string {
	var e *runbook.Error
	if errors.As(err, &e) && e.Code != runbook.EINTERNAL {
		return e.Message
	}
	return err.Error()
}

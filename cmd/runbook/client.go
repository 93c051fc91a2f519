package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/api/client"
)

// defaultServer is where the client commands look for a server.
const defaultServer = "http://127.0.0.1:3000"

// clientOptions are the flags of every command that talks to a server.
type clientOptions struct {
	server string
	output string
	user   string
}

// register adds --server, --output and --user to fs.
func (o *clientOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.server, "server", env("RUNBOOK_SERVER", defaultServer), "URL of the runbook server (RUNBOOK_SERVER)")
	fs.StringVar(&o.output, "output", "table", "output format: table or json")
	fs.StringVar(&o.user, "user", env("RUNBOOK_USER", ""), "who acts, sent as the X-User-Id header (RUNBOOK_USER)")
}

// client checks the flags and returns a client of the server.
func (o *clientOptions) client() (*client.Client, error) {
	if o.output != "table" && o.output != "json" {
		return nil, usageError{msg: fmt.Sprintf("--output must be table or json, not %q", o.output)}
	}
	u, err := url.Parse(o.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{msg: fmt.Sprintf("--server %q is not a URL such as %s", o.server, defaultServer)}
	}
	// No overall timeout: watch follows a stream for as long as the
	// execution runs. Commands end with their context (Ctrl-C).
	c := client.New(o.server, &http.Client{})
	if o.user != "" {
		c = c.WithUser(o.user)
	}
	return c, nil
}

func (o *clientOptions) json() bool { return o.output == "json" }

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table returns a tab writer for aligned columns; Flush it.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// stamp formats a time for a table: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func stampPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return stamp(*t)
}

// dash shows an empty cell as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printDetails prints a validation error's problems, one per line.
func printDetails(w io.Writer, prefix string, err error) {
	for _, d := range runbook.ErrorDetails(err) {
		fmt.Fprintf(w, "%s%s: %s\n", prefix, d.Field, d.Message)
	}
}

// contextArg decodes --context (JSON text or @file) strictly into an
// execution context.
func contextArg(v string) (*runbook.ExecutionContext, error) {
	raw, err := jsonArg("--context", v)
	if err != nil || raw == nil {
		return nil, err
	}
	b, _ := json.Marshal(raw)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	ec := &runbook.ExecutionContext{}
	if err := dec.Decode(ec); err != nil {
		return nil, usageError{msg: fmt.Sprintf("--context is not an execution context: %v", err)}
	}
	return ec, nil
}

// subcommand is one verb of a command group such as "executions".
type subcommand struct {
	name     string
	synopsis string
	run      func(args []string) error
}

// dispatch runs the subcommand args[0] names.
func dispatch(group string, w io.Writer, args []string, subs []subcommand) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(w, "Usage:\n")
		for _, s := range subs {
			fmt.Fprintf(w, "  runbook %s %s\n", group, s.synopsis)
		}
		fmt.Fprintf(w, "\nRun 'runbook %s COMMAND --help' for the flags of a command.\n", group)
		if len(args) == 0 {
			return usageError{msg: "name a command: " + names(subs)}
		}
		return errHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(args[1:])
		}
	}
	return usageError{msg: fmt.Sprintf("unknown command %q; use one of %s", args[0], names(subs))}
}

func names(subs []subcommand) string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.name
	}
	return strings.Join(out, ", ")
}

// parse parses a client subcommand's flags, checks its positional
// arguments (one per name in what) and connects the client.
func (o *clientOptions) parse(fs *flag.FlagSet, args []string, what ...string) ([]string, *client.Client, error) {
	rest, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if err := exactArgs(rest, what...); err != nil {
		return nil, nil, err
	}
	cl, err := o.client()
	if err != nil {
		return nil, nil, err
	}
	return rest, cl, nil
}

// exactArgs checks the number of positional arguments.
func exactArgs(args []string, what ...string) error {
	if len(args) == len(what) {
		return nil
	}
	if len(args) < len(what) {
		return usageError{msg: "missing " + strings.Join(what[len(args):], " and ")}
	}
	return usageError{msg: fmt.Sprintf("unexpected argument %q", args[len(what)])}
}

// readDefinition reads a runbook file and returns it with its media type.
func readDefinition(path string) ([]byte, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		return data, "application/json", nil
	}
	if ext := strings.ToLower(path); strings.HasSuffix(ext, ".yaml") || strings.HasSuffix(ext, ".yml") {
		return data, "application/yaml", nil
	}
	if trimmed := strings.TrimLeft(string(data), " \t\r\n\ufeff"); strings.HasPrefix(trimmed, "{") {
		return data, "application/json", nil
	}
	return data, "application/yaml", nil
}

// isUnreachable reports an error of a server that did not answer at all.
func isUnreachable(err error) bool {
	return runbook.ErrorCode(err) == runbook.EUNAVAILABLE && client.StatusCode(err) == 0
}

package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

// problemsOf parses src and returns the details of the error, or nil when
// src is valid. It checks the contract every caller relies on: the error is
// a *runbook.Error with code EINVALID whose message is the summary of the
// details.
func problemsOf(t *testing.T, f Format, src string) []runbook.FieldError {
	t.Helper()
	rb, err := Parse([]byte(src), f)
	if err == nil {
		if rb == nil {
			t.Fatal("Parse returned neither a runbook nor an error")
		}
		return nil
	}
	if rb != nil {
		t.Errorf("Parse returned a runbook along with error %v", err)
	}
	var e *runbook.Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse error %T %v is not a *runbook.Error", err, err)
	}
	if e.Code != runbook.EINVALID {
		t.Errorf("error code = %q, want %q", e.Code, runbook.EINVALID)
	}
	if len(e.Details) == 0 {
		t.Fatalf("error %q has no details", e.Message)
	}
	return e.Details
}

// messageOf parses src and returns the message of its error ("" when
// valid).
func messageOf(t *testing.T, f Format, src string) string {
	t.Helper()
	_, err := Parse([]byte(src), f)
	if err == nil {
		return ""
	}
	return runbook.ErrorMessage(err)
}

// rbYAML builds a YAML runbook "rb" version "1" with the given steps, each
// a YAML flow mapping such as `{id: a, type: call-service, ...}`.
func rbYAML(steps ...string) string {
	var b strings.Builder
	b.WriteString("id: rb\nversion: \"1\"\nsteps:\n")
	for _, s := range steps {
		b.WriteString("  - " + s + "\n")
	}
	return b.String()
}

// call is a valid call-service step with the given id and extra fields
// (YAML flow mapping entries, may be empty).
func call(id, extra string) string {
	s := "{id: " + id + ", type: call-service, config: {url: \"https://h.example/x\", method: GET}"
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

// readFixture returns the content of a file under testdata.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fe is shorthand for a FieldError in expectations.
func fe(field, message string) runbook.FieldError {
	return runbook.FieldError{Field: field, Message: message}
}

// formatProblems prints problems one per line for failure messages.
func formatProblems(list []runbook.FieldError) string {
	if len(list) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for _, p := range list {
		b.WriteString("  " + problemText(p) + "\n")
	}
	return b.String()
}

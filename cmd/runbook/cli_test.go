package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateReportsEveryProblemWithFileStepAndField(t *testing.T) {
	t.Parallel()
	bad := writeFile(t, "bad.yaml", `
id: broken
version: "1"
steps:
  - {id: call, type: call-service, config: {method: GET}}
  - {id: loop, type: loop, loopConfig: {maxIterations: 2000, iterateOver: input.x}, config: {bodyStepId: call}}
  - {id: ask, type: human-approval, approvalConfig: {approvers: [a, b], minApprovals: 3}}
  - {id: a, type: call-service, dependsOn: [b], retryPolicyy: {}, config: {url: "http://x", method: GET}}
  - {id: b, type: call-service, dependsOn: [a, ghost], config: {url: "http://x", method: GET}}
  - {id: c, type: teleport}
`)
	good := exampleFile("threat-investigation.json")
	r := runCLI(t, "", "validate", good, bad)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		good + ": ok",
		bad + ": steps[call].config.url: missing required config: url",
		"too high",
		"minApprovals 3",
		`unknown field "retryPolicyy"`,
		"ghost",
		"cycle",
		`unknown step type "teleport"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := runCLI(t, "", "validate", good, exampleFile("phishing-triage.yaml")); r.code != 0 {
		t.Fatalf("valid files: exit %d\n%s", r.code, r.stdout)
	}
}

func TestUserMistakesGetOneLineAndNoStackTrace(t *testing.T) {
	t.Parallel()
	garbage := writeFile(t, "garbage.db", strings.Repeat("not a database ", 1000))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "Usage"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"missing file", []string{"run", "/nonexistent/rb.yaml"}, 1, "no such file"},
		{"bad flag", []string{"run", "--nope", "x.yaml"}, 2, "flag provided but not defined"},
		{"bad input json", []string{"run", exampleFile("threat-investigation.json"), "--input", "{oops"}, 2, "--input is not valid JSON"},
		{"bad approve", []string{"run", exampleFile("threat-investigation.json"), "--approve", "nouser"}, 2, "expected STEP=USER"},
		{"bad store", []string{"run", exampleFile("ioc-enrichment.yaml"), "--store", "sqlite:" + garbage}, 1, "not a database"},
		{"validate nothing", []string{"validate"}, 2, "name at least one runbook file"},
		{"serve bad log format", []string{"serve", "--log-format", "xml"}, 2, "text or json"},
		{"serve bad node id", []string{"serve", "--node-id", "node 1/a"}, 2, "--node-id \"node 1/a\": use 1 to 128 letters"},
		{"serve poll too short", []string{"serve", "--poll-interval", "1ms"}, 2, "--poll-interval 1ms is too short: use at least 10ms"},
		{"serve zero grace", []string{"serve", "--shutdown-grace", "0s"}, 2, "--shutdown-grace 0s: use a positive duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "", c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, c.code, r.stdout, r.stderr)
			}
			all := r.stdout + r.stderr
			if !strings.Contains(all, c.want) {
				t.Fatalf("output lacks %q:\n%s", c.want, all)
			}
			if strings.Contains(all, "goroutine ") || strings.Contains(all, "panic") {
				t.Fatalf("stack trace shown:\n%s", all)
			}
		})
	}
}

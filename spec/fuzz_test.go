package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/runbookhq/runbook"
)

// maxFuzzInput bounds the work of one fuzz input.
const maxFuzzInput = 64 << 10

// addSeeds adds the fixtures with the given extensions and a few small
// documents to the corpus.
func addSeeds(f *testing.F, exts ...string) {
	for _, ext := range exts {
		paths, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"id": "a", "id": "b"}`,
		`{"id":"rb","version":"1","steps":[{"id":"a","type":"loop","loopConfig":{"maxIterations":3,"iterateOver":"input.x"},"config":{"body":{"type":"call-service","config":{"url":"https://h/{item}","method":"GET"}}}}]}`,
		`{"id":"rb","version":"1","steps":[{"id":"a","type":"conditional","dependsOn":["b"],"config":{"expression":"input.x > 1","trueBranch":"b"}},{"id":"b","type":"runbook","config":{"runbookId":"x"}}]}`,
		"id: rb\nversion: '1'\nsteps:\n  - &s {id: a, type: wait-for-event, config: {eventType: e}}\n  - {<<: *s, id: b}\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
	} {
		f.Add([]byte(s))
	}
}

// checkParse asserts what every input must satisfy: Parse neither panics
// nor hangs; it fails with an EINVALID *runbook.Error that has details, or
// returns a runbook that Validate accepts and whose canonical form parses
// back to the same canonical form.
func checkParse(t *testing.T, data []byte, f Format) {
	if len(data) > maxFuzzInput {
		return
	}
	rb, err := Parse(data, f)
	if err != nil {
		var e *runbook.Error
		if !errors.As(err, &e) || e.Code != runbook.EINVALID || e.Message == "" || len(e.Details) == 0 {
			t.Fatalf("Parse error is not an EINVALID *runbook.Error with details: %#v", err)
		}
		if rb != nil {
			t.Fatal("Parse returned a runbook with an error")
		}
		return
	}
	if problems := Validate(rb); problems != nil {
		t.Fatalf("Parse accepted a runbook that Validate rejects:\n%s", formatProblems(problems))
	}
	canon, err := Canonical(rb)
	if err != nil {
		t.Fatalf("Canonical: %v", err)
	}
	again, err := Parse(canon, FormatJSON)
	if err != nil {
		t.Fatalf("canonical form does not parse: %v\n%s\n%s", err, formatProblems(runbook.ErrorDetails(err)), canon)
	}
	canon2, err := Canonical(again)
	if err != nil {
		t.Fatalf("Canonical: %v", err)
	}
	if !bytes.Equal(canon, canon2) {
		t.Fatalf("canonical form is not stable:\n%s\n%s", canon, canon2)
	}
}

func FuzzParseJSON(f *testing.F) {
	addSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, FormatJSON)
	})
}

func FuzzParseYAML(f *testing.F) {
	addSeeds(f, ".yaml", ".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, FormatYAML)
	})
}

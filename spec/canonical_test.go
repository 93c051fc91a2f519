package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

func TestCanonicalGolden(t *testing.T) {
	t.Parallel()
	// The canonical bytes are stored and hashed: a change here changes
	// every stored definition's hash and must be deliberate.
	want := bytes.TrimSpace(readFixture(t, "threat-investigation-complete.canonical.json"))
	for _, name := range []string{"threat-investigation-complete.json", "threat-investigation-complete.yaml"} {
		f, _ := FormatOf(name, "")
		rb, err := Parse(readFixture(t, name), f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Canonical(rb)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Canonical(%s) =\n%s\nwant\n%s", name, got, want)
		}
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"every-feature.json", "every-feature.yaml", "threat-investigation-complete.yaml"} {
		f, _ := FormatOf(name, "")
		rb, err := Parse(readFixture(t, name), f)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Canonical(rb)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(first, FormatJSON)
		if err != nil {
			t.Fatalf("%s: canonical form does not parse: %v", name, err)
		}
		if !reflect.DeepEqual(again, rb) {
			t.Errorf("%s: parsing the canonical form gives another runbook", name)
		}
		second, err := Canonical(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: canonical form is not stable:\n%s\n%s", name, first, second)
		}
	}
}

func TestCanonicalNormalizesSchemas(t *testing.T) {
	t.Parallel()
	build := func(schema string) *runbook.Runbook {
		return &runbook.Runbook{
			ID: "rb", Version: "1", InputSchema: json.RawMessage(schema),
			Steps: []*runbook.Step{{ID: "a", Type: runbook.StepCallService, OutputSchema: json.RawMessage(schema),
				Config: map[string]any{"url": "https://h.example/?a=1&b=<2>", "method": "GET"}}},
		}
	}
	a, err := Canonical(build(`{"type": "object", "required": ["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Canonical(build("{\n  \"required\": [\"x\"],\n  \"type\": \"object\"\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("key order or spacing of a schema changes the canonical form:\n%s\n%s", a, b)
	}
	if !bytes.Contains(a, []byte(`"url":"https://h.example/?a=1&b=<2>"`)) {
		t.Errorf("canonical form escapes HTML characters: %s", a)
	}
	if bytes.HasSuffix(a, []byte("\n")) {
		t.Error("canonical form ends with a newline")
	}
	if !strings.HasPrefix(string(a), `{"id":"rb","name":"","version":"1","steps":[`) {
		t.Errorf("canonical form does not follow the struct's field order: %s", a)
	}
}

func TestCanonicalErrors(t *testing.T) {
	t.Parallel()
	if _, err := Canonical(nil); err == nil {
		t.Error("Canonical(nil) succeeded")
	}
	rb := &runbook.Runbook{ID: "rb", Version: "1", InputSchema: json.RawMessage(`{"unterminated`)}
	if _, err := Canonical(rb); err == nil {
		t.Error("Canonical with a malformed schema succeeded")
	}
}

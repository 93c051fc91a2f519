package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

func TestFormatOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		filename, contentType string
		want                  Format
		ok                    bool
	}{
		{"rb.json", "", FormatJSON, true},
		{"dir/rb.JSON", "", FormatJSON, true},
		{"rb.yaml", "", FormatYAML, true},
		{"rb.yml", "", FormatYAML, true},
		{"rb.txt", "", 0, false},
		{"rb", "", 0, false},
		{"", "application/json", FormatJSON, true},
		{"", "application/json; charset=utf-8", FormatJSON, true},
		{"", "application/vnd.runbook+json", FormatJSON, true},
		{"", "application/yaml", FormatYAML, true},
		{"", "application/x-yaml", FormatYAML, true},
		{"", "text/yaml", FormatYAML, true},
		{"", "Text/YAML; charset=utf-8", FormatYAML, true},
		{"", "text/plain", 0, false},
		{"", "not a media type;;", 0, false},
		// The content type says what the bytes are; a name is a hint.
		{"rb.json", "application/yaml", FormatYAML, true},
		{"rb.yaml", "text/plain", FormatYAML, true},
	} {
		got, ok := FormatOf(tc.filename, tc.contentType)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FormatOf(%q, %q) = %v, %v; want %v, %v", tc.filename, tc.contentType, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatString(t *testing.T) {
	t.Parallel()
	for f, want := range map[Format]string{FormatJSON: "json", FormatYAML: "yaml", 0: "unknown format"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), got, want)
		}
	}
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	jsonData := readFixture(t, "threat-investigation-complete.json")
	yamlData := readFixture(t, "threat-investigation-complete.yaml")
	for _, path := range []string{
		write("a.json", jsonData),
		write("a.yml", yamlData),
		write("a.yaml", yamlData),
		write("sniffed-json", append([]byte("\ufeff \n"), jsonData...)),
		write("sniffed-yaml.txt", yamlData),
	} {
		rb, err := ParseFile(path)
		if err != nil {
			t.Errorf("ParseFile(%s): %v", filepath.Base(path), err)
			continue
		}
		if rb.ID != "investigate-threat" || len(rb.Steps) != 5 {
			t.Errorf("ParseFile(%s) = %s with %d steps", filepath.Base(path), rb.ID, len(rb.Steps))
		}
	}

	// The extension wins over sniffing: YAML text named .json is JSON.
	bad := write("yaml-named.json", yamlData)
	_, err := ParseFile(bad)
	if code := runbook.ErrorCode(err); code != runbook.EINVALID {
		t.Errorf("YAML in a .json file: code %q, want %q", code, runbook.EINVALID)
	}
	if msg := runbook.ErrorMessage(err); !strings.HasPrefix(msg, bad+": invalid JSON at line 1") {
		t.Errorf("message %q does not name the file and the JSON error", msg)
	}

	_, err = ParseFile(filepath.Join(dir, "missing.json"))
	if code := runbook.ErrorCode(err); code != runbook.ENOTFOUND {
		t.Errorf("missing file: code %q, want %q", code, runbook.ENOTFOUND)
	}
	if msg := runbook.ErrorMessage(err); !strings.Contains(msg, "missing.json") {
		t.Errorf("missing file: message %q does not name the file", msg)
	}

	_, err = ParseFile(dir)
	if code := runbook.ErrorCode(err); code != runbook.EINVALID {
		t.Errorf("directory: code %q, want %q", code, runbook.EINVALID)
	}

	big := write("big.json", []byte(`{"id": "`+strings.Repeat("x", MaxSize)+`"}`))
	_, err = ParseFile(big)
	if msg := runbook.ErrorMessage(err); !strings.Contains(msg, "larger than the limit of 10 MiB") {
		t.Errorf("big file: message %q", msg)
	}
}

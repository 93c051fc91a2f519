package spec

import (
	"bytes"
	"mime"
	"path/filepath"
	"strings"
)

// Format is the syntax of a runbook definition.
type Format int

// Formats.
const (
	FormatJSON Format = iota + 1
	FormatYAML
)

// String returns "json" or "yaml".
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatYAML:
		return "yaml"
	}
	return "unknown format"
}

// FormatOf returns the format named by a media type (application/json,
// application/yaml, application/x-yaml, text/yaml, text/x-yaml, or any
// "+json" or "+yaml" type; parameters such as charset are ignored) or, when
// contentType names none, by the extension of filename (.json, .yaml,
// .yml). It reports false when neither says.
func FormatOf(filename string, contentType string) (Format, bool) {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err == nil {
			switch {
			case mt == "application/json", strings.HasSuffix(mt, "+json"):
				return FormatJSON, true
			case mt == "application/yaml", mt == "application/x-yaml", mt == "text/yaml",
				mt == "text/x-yaml", strings.HasSuffix(mt, "+yaml"):
				return FormatYAML, true
			}
		}
	}
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".json":
		return FormatJSON, true
	case ".yaml", ".yml":
		return FormatYAML, true
	}
	return 0, false
}

// sniff guesses the format of data: JSON when the first character that is
// not whitespace is '{', else YAML.
func sniff(data []byte) Format {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte(utf8BOM)), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return FormatJSON
	}
	return FormatYAML
}

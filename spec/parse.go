package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"

	"github.com/runbookhq/runbook"
)

// Limits on the input.
const (
	// MaxSize is the largest definition Parse accepts, in bytes.
	MaxSize = 10 << 20
	// maxDepth bounds the nesting of objects and arrays.
	maxDepth = 100
)

// utf8BOM is the byte order mark some editors put at the start of a file.
const utf8BOM = "\xef\xbb\xbf"

// Parse decodes a definition in format f and validates it. Decoding is
// strict: an unknown field at any level, a value of the wrong type and a
// fraction where a whole number belongs are problems, reported with the
// problems Validate finds, all at once. The error is a *runbook.Error with
// code runbook.EINVALID whose Details list the problems (the first 200,
// then a note of how many more), and whose Message is "invalid runbook: N
// problems" or, for one problem, that problem's "field: message". An
// unknown f is runbook.EUNSUPPORTED.
//
// Inline loop bodies without an id get the id "<loopId>-body". Numbers in
// free-form values (config, metadata, condition values) decode as float64,
// as encoding/json does.
func Parse(data []byte, f Format) (*runbook.Runbook, error) {
	if len(data) > MaxSize {
		return nil, documentError("input is larger than the limit of 10 MiB (%d bytes); split the runbook or move data out of it", MaxSize)
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, documentError("input is empty: expected a runbook definition")
	}
	var tree any
	var derr *runbook.Error
	switch f {
	case FormatJSON:
		tree, derr = decodeJSON(data)
	case FormatYAML:
		tree, derr = decodeYAML(data)
	default:
		return nil, runbook.Errorf(runbook.EUNSUPPORTED, "unknown definition format %d; use JSON or YAML", int(f))
	}
	if derr != nil {
		return nil, derr
	}
	obj, isObject := tree.(map[string]any)
	if !isObject {
		return nil, documentError("a runbook definition must be an object with id, version and steps, not %s", describe(tree))
	}
	defaultBodyIDs(obj)

	p := &problems{}
	c := shapeChecker{p: p, stepLabels: stepLabels(treeStepIDs(obj))}
	clean, _ := c.checkStruct("", obj, reflect.TypeFor[runbook.Runbook]())
	rb, err := decodeInto[runbook.Runbook](clean)
	if err != nil {
		// The cleaned tree matches the types by construction.
		return nil, &runbook.Error{Code: runbook.EINTERNAL, Message: "decode runbook: internal error", Err: err}
	}
	labels := validate(rb, p)
	if len(p.list) > 0 {
		sortByStep(p.list, labels)
		return nil, invalidError(p.list)
	}
	return rb, nil
}

// ParseFile reads and parses the definition at path. The format comes from
// the file's extension, else from its first character ('{' means JSON,
// anything else YAML).
func ParseFile(path string) (*runbook.Runbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fileError(path, err)
	}
	format, ok := FormatOf(path, "")
	if !ok {
		format = sniff(data)
	}
	rb, err := Parse(data, format)
	if err != nil {
		var e *runbook.Error
		if errors.As(err, &e) {
			e.Message = path + ": " + e.Message
		}
		return nil, err
	}
	return rb, nil
}

// fileError reports a file that cannot be read, with a code the CLI can
// show: not found, or invalid for anything else (a directory, permissions).
func fileError(path string, err error) *runbook.Error {
	code := runbook.EINVALID
	if errors.Is(err, fs.ErrNotExist) {
		code = runbook.ENOTFOUND
	}
	return &runbook.Error{Code: code, Message: fmt.Sprintf("read runbook file: %v", err), Err: err}
}

// decodeInto decodes a cleaned generic tree into T through JSON.
func decodeInto[T any](tree any) (*T, error) {
	data, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("encode tree: %w", err)
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode tree: %w", err)
	}
	return v, nil
}

// treeStepIDs returns the id of each step of a generic runbook tree, "" for
// a step without a string id.
func treeStepIDs(obj map[string]any) []string {
	steps, _ := obj["steps"].([]any)
	ids := make([]string, len(steps))
	for i, s := range steps {
		if m, ok := s.(map[string]any); ok {
			ids[i], _ = m["id"].(string)
		}
	}
	return ids
}

// defaultBodyIDs gives each inline loop body without an id the id
// "<loopId>-body".
func defaultBodyIDs(obj map[string]any) {
	steps, _ := obj["steps"].([]any)
	for _, s := range steps {
		step, _ := s.(map[string]any)
		loopID, _ := step["id"].(string)
		config, _ := step["config"].(map[string]any)
		body, _ := config["body"].(map[string]any)
		if step["type"] != string(runbook.StepLoop) || loopID == "" || body == nil {
			continue
		}
		if id, present := body["id"]; !present || id == nil || id == "" {
			body["id"] = defaultBodyID(loopID)
		}
	}
}

// defaultBodyID is the id of an inline loop body that names none.
func defaultBodyID(loopID string) string {
	return loopID + "-body"
}

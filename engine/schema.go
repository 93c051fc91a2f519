package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/runbookhq/runbook"
)

// noLoader refuses external schema references: a stored definition must
// not make the engine read files or the network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema %q is not allowed; inline it", url)
}

// compileInputSchema compiles a runbook's inputSchema; nil when it has none.
func compileInputSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decode inputSchema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource("inputSchema.json", doc); err != nil {
		return nil, fmt.Errorf("load inputSchema: %w", err)
	}
	sch, err := c.Compile("inputSchema.json")
	if err != nil {
		return nil, fmt.Errorf("compile inputSchema: %w", err)
	}
	return sch, nil
}

// validateInput checks an execution's input against the runbook's
// inputSchema, reporting every violation with its location.
func (p *plan) validateInput(input any) error {
	p.schemaOnce.Do(func() { p.schema, p.schemaErr = compileInputSchema(p.rb.InputSchema) })
	if p.schemaErr != nil {
		return &runbook.Error{Code: runbook.EINVALID, Message: "runbook has an invalid inputSchema: " + p.schemaErr.Error(), Err: p.schemaErr}
	}
	if p.schema == nil {
		return nil
	}
	b, err := json.Marshal(input)
	if err != nil {
		return runbook.Errorf(runbook.EINVALID, "input is not JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return runbook.Errorf(runbook.EINVALID, "input is not JSON: %v", err)
	}
	err = p.schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate input: %w", err)
	}
	var details []runbook.FieldError
	var walk func(u *jsonschema.OutputUnit)
	walk = func(u *jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			details = append(details, runbook.FieldError{Field: inputField(u.InstanceLocation), Message: u.Error.String()})
		}
		for i := range u.Errors {
			walk(&u.Errors[i])
		}
	}
	walk(ve.BasicOutput())
	if len(details) == 0 {
		details = []runbook.FieldError{{Field: "input", Message: ve.Error()}}
	}
	msg := "input does not match the runbook's inputSchema"
	if len(details) == 1 {
		msg += ": " + details[0].Field + ": " + details[0].Message
	}
	return &runbook.Error{Code: runbook.EINVALID, Message: msg, Details: details}
}

// inputField turns a JSON pointer into a field path under "input".
func inputField(ptr string) string {
	ptr = strings.TrimPrefix(ptr, "/")
	if ptr == "" {
		return "input"
	}
	parts := strings.Split(ptr, "/")
	for i, p := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	return "input." + strings.Join(parts, ".")
}

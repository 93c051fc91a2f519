package spec

import (
	"bytes"
	"errors"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL is where a runbook's input schema is compiled from; relative
// references resolve under it and are refused like any other.
const schemaURL = "mem:///runbook/inputSchema.json"

// noLoader refuses to load external schemas: a definition must not make
// the server read local files or fetch URLs ("$ref": "file:///etc/passwd").
// The draft meta-schemas are built into the library and need no loader.
type noLoader struct{}

// Load refuses every URL.
func (noLoader) Load(url string) (any, error) {
	return nil, errors.New("external references are not allowed; put every definition in the schema itself")
}

// checkJSONSchema compiles raw as a JSON Schema (draft 2020-12 unless its
// $schema names another draft).
func checkJSONSchema(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return err
	}
	if _, err := c.Compile(schemaURL); err != nil {
		return errors.New(strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; "))
	}
	return nil
}

package spec_test

import (
	"fmt"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/spec"
)

func ExampleParse() {
	definition := `
id: contain-host
version: "1"
steps:
  - id: isolate
    type: call-service
    config: {url: "https://edr.example/isolate/{input.host}", method: POST}
    retryPolicy: {maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 8000, backoffMultiplier: 2}
  - id: notify
    type: call-service
    dependsOn: [isolate]
    config: {url: "https://chat.example/post", method: POST}
`
	rb, err := spec.Parse([]byte(definition), spec.FormatYAML)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rb.ID, len(rb.Steps), rb.Step("notify").DependsOn)
	// Output: contain-host 2 [isolate]
}

func ExampleParse_problems() {
	definition := `{
  "id": "contain-host",
  "version": "1",
  "steps": [
    {"id": "isolate", "type": "call-service", "config": {"url": "https://edr.example/isolate"},
     "retryPolicyy": {"maxAttempts": 3}},
    {"id": "notify", "type": "call-service", "dependsOn": ["isolat"],
     "config": {"url": "https://chat.example/post", "method": "POST"}}
  ]
}`
	_, err := spec.Parse([]byte(definition), spec.FormatJSON)
	fmt.Println(err)
	for _, d := range runbook.ErrorDetails(err) {
		fmt.Printf("%s: %s\n", d.Field, d.Message)
	}
	// Output:
	// invalid runbook: 3 problems
	// steps[isolate].retryPolicyy: unknown field "retryPolicyy"; did you mean "retryPolicy"?
	// steps[isolate].config.method: missing required config: method; one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS
	// steps[notify].dependsOn[0]: depends on "isolat" which is not a step of this runbook
}

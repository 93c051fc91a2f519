package expr

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
)

// celVariables are the names a CEL expression can use; each is dynamic.
func celVariables() []string {
	return []string{"input", "context", "steps", "executionId", "item", "index", "previous"}
}

// newCELEnv returns the CEL environment every expression is compiled in.
func newCELEnv() (*cel.Env, error) {
	opts := make([]cel.EnvOption, 0, len(celVariables()))
	for _, name := range celVariables() {
		opts = append(opts, cel.Variable(name, cel.DynType))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("create CEL environment: %w", err)
	}
	return env, nil
}

// CheckExpression reports whether src is a valid CEL expression over the
// execution's data, with a message naming the problem.
func CheckExpression(src string) error {
	if strings.TrimSpace(src) == "" {
		return fmt.Errorf("expression is empty")
	}
	env, err := newCELEnv()
	if err != nil {
		return err
	}
	if _, iss := env.Compile(src); iss != nil && iss.Err() != nil {
		return fmt.Errorf("invalid expression: %w", iss.Err())
	}
	return nil
}

// CheckPath reports whether path is a syntactically valid field path such
// as "input.alert.severity", "steps.enrich.score" or "items[0].id".
func CheckPath(path string) error {
	_, err := ParsePath(path)
	return err
}

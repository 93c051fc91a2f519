package spec

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/expr"
)

// checkCondition checks a condition at path; nil is fine (callers that
// need one say so). A condition is either a CEL expression or a field,
// an operator and (except for exists) a value.
func checkCondition(p *problems, path string, c *runbook.Condition) {
	if c == nil {
		return
	}
	if c.Expression != "" {
		if c.Field != "" || c.Operator != "" || c.Value != nil {
			p.add(path, "give either expression or field, operator and value, not both")
		}
		checkExpression(p, field(path, "expression"), c.Expression)
		return
	}
	if c.Field == "" {
		p.add(field(path, "field"), "missing field: name the value to test, such as \"enrich.riskScore\", or give an expression")
	} else {
		checkPath(p, field(path, "field"), c.Field)
	}
	if c.Operator == "" {
		p.add(field(path, "operator"), "missing operator; expected one of %s", operatorNames())
		return
	}
	if !knownOperator(c.Operator) {
		p.add(field(path, "operator"), "unknown operator %q; expected one of %s", c.Operator, operatorNames())
		return
	}
	vpath := field(path, "value")
	switch {
	case c.Operator == runbook.OpExists:
	case c.Value == nil:
		p.add(vpath, "missing value: operator %q compares the field with a value", c.Operator)
	case c.Operator == runbook.OpIn:
		if !isArray(c.Value) && !isTemplate(c.Value) {
			p.add(vpath, "operator \"in\" needs an array value, such as [\"high\", \"critical\"], or a placeholder such as \"{input.list}\"")
		}
	case c.Operator == runbook.OpGt || c.Operator == runbook.OpLt || c.Operator == runbook.OpGte || c.Operator == runbook.OpLte:
		if !isNumeric(c.Value) && !isTemplate(c.Value) {
			p.add(vpath, "operator %q compares numbers; the value must be a number", c.Operator)
		}
	}
}

// checkExpression reports a CEL expression that does not compile.
func checkExpression(p *problems, path, src string) {
	if err := expr.CheckExpression(src); err != nil {
		p.add(path, "%v", err)
	}
}

// checkPath reports a malformed field path, with a hint when it is written
// as a placeholder.
func checkPath(p *problems, path, value string) {
	err := expr.CheckPath(value)
	if err == nil {
		return
	}
	if inner, ok := strings.CutPrefix(value, "{"); ok && strings.HasSuffix(inner, "}") {
		p.add(path, "this is a field path, not a placeholder: write %q without braces", strings.TrimSpace(strings.TrimSuffix(inner, "}")))
		return
	}
	p.add(path, "invalid field path: %v", err)
}

// knownOperator reports whether op is a condition operator.
func knownOperator(op runbook.Operator) bool {
	for _, known := range runbook.Operators() {
		if op == known {
			return true
		}
	}
	return false
}

// operatorNames lists the operators for messages.
func operatorNames() string {
	names := make([]string, 0, len(runbook.Operators()))
	for _, op := range runbook.Operators() {
		names = append(names, string(op))
	}
	return strings.Join(names, ", ")
}

// isArray reports whether v is a slice or array.
func isArray(v any) bool {
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

// isNumeric reports whether v is a number or a string holding one (the
// comparison operators accept both).
func isNumeric(v any) bool {
	switch x := v.(type) {
	case string:
		_, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return err == nil
	case json.Number:
		return true
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// isTemplate reports whether v is a string with a placeholder in it, whose
// value is only known when the step runs.
func isTemplate(v any) bool {
	s, ok := v.(string)
	return ok && hasPlaceholder(s)
}

// hasPlaceholder reports whether s may hold a "{path}" placeholder.
func hasPlaceholder(s string) bool {
	open := strings.IndexByte(s, '{')
	return open >= 0 && strings.IndexByte(s[open:], '}') > 0
}

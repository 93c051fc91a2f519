package expr

import (
	"strings"
	"unicode/utf8"

	"cel.dev/cel-go/common/types"
	"github.com/runbookhq/runbook"
)

// ConditionResult is the outcome of a condition, with what it compared, for
// step outputs and the audit trail.
type ConditionResult struct {
	Result   bool             `json:"result"`
	Field    string           `json:"field,omitempty"`
	Operator runbook.Operator `json:"operator,omitempty"`
	// Left is the value found at Field (nil if absent).
	Left any `json:"left"`
	// Right is the compared value, placeholders rendered.
	Right any `json:"right,omitempty"`
	// Found reports whether Field named a value.
	Found      bool   `json:"found"`
	Expression string `json:"expression,omitempty"`
}

// Condition evaluates c over scope. With an Expression, c is a CEL
// expression that must give a bool. Otherwise the value at c.Field is
// compared with c.Value by c.Operator; a string placeholder in c.Value
// ("{input.threshold}") is rendered first.
//
// eq and ne compare JSON values strictly (the string "7" is not the number
// 7); gt, lt, gte and lte compare numbers, numeric strings such as "8.5"
// included; in is true when the array c.Value holds the field's value;
// contains is true when the field is a string holding the string c.Value or
// an array holding c.Value; exists is true when the field is present and
// not null. An absent field makes every operator false but ne. A null field
// is false for the ordering operators, contains and exists. A present field
// that the operator cannot compare (gt on a word) is an EINVALID error, as
// is an unknown operator.
func (e *Evaluator) Condition(c *runbook.Condition, scope runbook.DataScope) (*ConditionResult, error) {
	if c == nil {
		return nil, runbook.Errorf(runbook.EINVALID, "condition is missing")
	}
	if c.Expression != "" {
		val, err := e.eval(c.Expression, scope)
		if err != nil {
			return nil, err
		}
		b, ok := val.(types.Bool)
		if !ok {
			return nil, runbook.Errorf(runbook.EINVALID, "expression %q gives a value of type %s, not a bool",
				c.Expression, val.Type().TypeName())
		}
		return &ConditionResult{Result: bool(b), Expression: c.Expression}, nil
	}
	if c.Field == "" {
		return nil, runbook.Errorf(runbook.EINVALID, "condition has neither a field nor an expression")
	}
	if _, err := ParsePath(c.Field); err != nil {
		return nil, runbook.Errorf(runbook.EINVALID, "condition field: %v", err)
	}
	res := &ConditionResult{Field: c.Field, Operator: c.Operator}
	if c.Operator != runbook.OpExists {
		right, err := RenderValue(c.Value, scope)
		if err != nil {
			return nil, err
		}
		res.Right = right
	}
	if scope != nil {
		left, found := scope.Lookup(c.Field)
		if found {
			res.Left, res.Found = copyValue(left), true
		}
	}
	ok, err := compare(c.Field, c.Operator, res.Left, res.Found, res.Right)
	if err != nil {
		return nil, err
	}
	res.Result = ok
	return res, nil
}

// compare applies op to the field's value left (found tells whether it is
// present) and the condition's value right.
func compare(field string, op runbook.Operator, left any, found bool, right any) (bool, error) {
	present := found && kindOf(left) != kindNull
	switch op {
	case runbook.OpEq:
		return found && equal(left, right), nil
	case runbook.OpNe:
		return !found || !equal(left, right), nil
	case runbook.OpGt, runbook.OpLt, runbook.OpGte, runbook.OpLte:
		r, ok := numericValue(right)
		if !ok {
			return false, runbook.Errorf(runbook.EINVALID, "condition on %s: operator %s needs a number, the value is %s",
				field, op, show(right))
		}
		if !present {
			return false, nil
		}
		l, ok := numericValue(left)
		if !ok {
			return false, runbook.Errorf(runbook.EINVALID, "condition on %s: operator %s needs a number, the field is %s",
				field, op, show(left))
		}
		c, ok := compareNumbers(l, r)
		if !ok {
			return false, nil // NaN
		}
		switch op {
		case runbook.OpGt:
			return c > 0, nil
		case runbook.OpLt:
			return c < 0, nil
		case runbook.OpGte:
			return c >= 0, nil
		}
		return c <= 0, nil
	case runbook.OpIn:
		if kindOf(right) != kindArray {
			return false, runbook.Errorf(runbook.EINVALID, "condition on %s: operator in needs an array value, the value is %s",
				field, show(right))
		}
		return found && arrayContains(right, left), nil
	case runbook.OpContains:
		if !present {
			return false, nil
		}
		switch kindOf(left) {
		case kindString:
			if kindOf(right) != kindString {
				return false, runbook.Errorf(runbook.EINVALID, "condition on %s: operator contains on a string needs a string value, the value is %s",
					field, show(right))
			}
			l, _ := Format(left)
			r, _ := Format(right)
			return strings.Contains(l, r), nil
		case kindArray:
			return arrayContains(left, right), nil
		}
		return false, runbook.Errorf(runbook.EINVALID, "condition on %s: operator contains needs a string or an array, the field is %s",
			field, show(left))
	case runbook.OpExists:
		return present, nil
	case "":
		return false, runbook.Errorf(runbook.EINVALID, "condition on %s has no operator", field)
	}
	return false, runbook.Errorf(runbook.EINVALID, "condition on %s: unknown operator %q (want one of %s)",
		field, op, operatorList())
}

// operatorList returns the operators as "eq, ne, ...".
func operatorList() string {
	ops := runbook.Operators()
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return strings.Join(names, ", ")
}

// maxShown bounds how much of a value an error message quotes.
const maxShown = 100

// show returns v as JSON for error messages, shortened if long.
func show(v any) string {
	text, err := compactJSON(v)
	if err != nil {
		text = describeKind(v)
	}
	if len(text) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	return text
}

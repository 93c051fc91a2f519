package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/runbookhq/runbook"
)

// maxDetails caps the details of the error Parse returns, so that a hostile
// definition with a million typos does not produce a million-line answer.
const maxDetails = 200

// problems collects the field errors of one definition. A field whose value
// had the wrong JSON type is recorded in shapeErrs: it was dropped before
// the typed decode, so later checks that find it zero or missing, at that
// field or below it, would only repeat the same problem and are suppressed.
type problems struct {
	list      []runbook.FieldError
	shapeErrs map[string]bool
}

// add records a problem at field unless a type error already covers it.
func (p *problems) add(field, format string, args ...any) {
	if p.covered(field) {
		return
	}
	p.list = append(p.list, runbook.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// shape records a type problem at field and suppresses later problems at
// or below it.
func (p *problems) shape(field, format string, args ...any) {
	p.add(field, format, args...)
	if p.shapeErrs == nil {
		p.shapeErrs = make(map[string]bool)
	}
	p.shapeErrs[field] = true
}

// covered reports whether field, or an object or array that holds it, had a
// type error.
func (p *problems) covered(field string) bool {
	if len(p.shapeErrs) == 0 {
		return false
	}
	if p.shapeErrs[field] {
		return true
	}
	for i := len(field) - 1; i > 0; i-- {
		if (field[i] == '.' || field[i] == '[') && p.shapeErrs[field[:i]] {
			return true
		}
	}
	return false
}

// sortByStep orders the problems stably: the runbook's own fields first,
// then each step's problems in the order of the steps, each group in the
// order the problems were found.
func sortByStep(list []runbook.FieldError, labels []string) {
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	group := func(field string) int {
		rest, ok := strings.CutPrefix(field, "steps[")
		if !ok {
			return -1
		}
		label, _, ok := strings.Cut(rest, "]")
		if !ok {
			return -1
		}
		if i, ok := index[label]; ok {
			return i
		}
		return len(labels)
	}
	sort.SliceStable(list, func(i, j int) bool { return group(list[i].Field) < group(list[j].Field) })
}

// invalidError turns the problems into the error Parse returns.
func invalidError(list []runbook.FieldError) *runbook.Error {
	e := &runbook.Error{Code: runbook.EINVALID}
	if len(list) == 1 {
		e.Message = problemText(list[0])
	} else {
		e.Message = "invalid runbook: " + strconv.Itoa(len(list)) + " problems"
	}
	if len(list) > maxDetails {
		more := len(list) - maxDetails
		list = append(list[:maxDetails:maxDetails], runbook.FieldError{
			Message: fmt.Sprintf("and %d more problems not listed; fix these first", more),
		})
	}
	e.Details = list
	return e
}

// problemText is one problem as a line of text: "field: message".
func problemText(fe runbook.FieldError) string {
	if fe.Field == "" {
		return fe.Message
	}
	return fe.Field + ": " + fe.Message
}

// documentError is an error that stops decoding before any field can be
// checked: empty or oversized input, a syntax error, a hostile structure.
func documentError(format string, args ...any) *runbook.Error {
	msg := fmt.Sprintf(format, args...)
	return &runbook.Error{
		Code:    runbook.EINVALID,
		Message: msg,
		Details: []runbook.FieldError{{Message: msg}},
	}
}

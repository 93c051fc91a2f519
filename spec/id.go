package spec

import (
	"fmt"
	"strings"
	"unicode"
)

// forbiddenIDChars are the characters an id may not hold: they separate
// path segments ("enrich.score"), delimit placeholders ("{enrich}"),
// index arrays and separate URL path segments.
const forbiddenIDChars = ".{}[]/"

// idProblem says what is wrong with a non-empty runbook or step id, or
// returns "".
func idProblem(id string) string {
	for _, r := range id {
		switch {
		case unicode.IsSpace(r):
			return fmt.Sprintf("%q contains whitespace; ids may not contain whitespace or any of %s", id, spaced(forbiddenIDChars))
		case unicode.IsControl(r):
			return fmt.Sprintf("%q contains a control character; use letters, digits, '-' and '_'", id)
		case strings.ContainsRune(forbiddenIDChars, r):
			return fmt.Sprintf("%q contains %q; ids may not contain whitespace or any of %s", id, r, spaced(forbiddenIDChars))
		}
	}
	return ""
}

// spaced separates the characters of s with spaces: ". { } [ ] /".
func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

// checkID reports a missing or malformed id at path; what names the id in
// the message ("runbook id", "step id").
func checkID(p *problems, path, what, id string) {
	if id == "" {
		p.add(path, "missing %s; give a name such as \"enrich-indicators\"", what)
		return
	}
	if msg := idProblem(id); msg != "" {
		p.add(path, "%s %s", what, msg)
	}
}

package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/runbookhq/runbook"
)

// storable reports whether PostgreSQL can store s in a text column: it
// must be valid UTF-8 without NUL characters. SQLite stores any string;
// checking here refuses one operation instead of failing a whole batch.
func storable(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// checkText returns an EINVALID error naming the first string that
// PostgreSQL cannot store, or nil.
func checkText(what string, ss ...string) error {
	for _, s := range ss {
		if !storable(s) {
			return runbook.Errorf(runbook.EINVALID, "%s: %q is not valid UTF-8 text without NUL characters", what, s)
		}
	}
	return nil
}

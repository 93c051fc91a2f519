package spec

import (
	"fmt"
	"strings"
)

// unknownFieldMessage reports an unknown field and, when one of the known
// names is close to it, suggests that name: typos are the usual cause.
func unknownFieldMessage(name string, known []string) string {
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("unknown field %q; did you mean %q?", name, s)
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown field %q; this object takes no fields", name)
	}
	return fmt.Sprintf("unknown field %q; expected one of %s", name, strings.Join(known, ", "))
}

// suggest returns the known name closest to name when it is close enough
// to be a typo (same letters ignoring case, or at most two edits), else "".
func suggest(name string, known []string) string {
	if len(name) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist && d < len(k)/2+1 {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

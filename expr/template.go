package expr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/runbookhq/runbook"
)

// segment is a piece of a template: literal text, or a placeholder when
// path is set.
type segment struct {
	text string
	path string
}

// parseTemplate splits s into literal text and placeholders. "{path}" with
// optional spaces or tabs around a valid path is a placeholder; braces
// around anything else are literal text, so that JSON in a string is left
// alone. "{{" is a literal '{' and a "}}" that closes such an escaped '{' is
// a literal '}'; any other '}' is literal as is, so that nested JSON
// objects ("}}") are left alone too.
func parseTemplate(s string) []segment {
	var (
		out     []segment
		lit     strings.Builder
		escaped int // "{{" escapes not yet closed by "}}"
		closing = -1
	)
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, segment{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			escaped++
			i += 2
			continue
		case c == '}' && escaped > 0 && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			escaped--
			i += 2
			continue
		case c == '{':
			if closing < i && closing != len(s) {
				// Find the next '}' once per run of '{' before it, so
				// that a long run of '{' stays linear.
				closing = len(s)
				if j := strings.IndexByte(s[i+1:], '}'); j >= 0 {
					closing = i + 1 + j
				}
			}
			if closing < len(s) {
				inner := strings.Trim(s[i+1:closing], " \t")
				if looksLikePath(inner) {
					if _, err := ParsePath(inner); err == nil {
						flush()
						out = append(out, segment{path: inner})
						i = closing + 1
						continue
					}
				}
			}
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return out
}

// looksLikePath reports whether s has only characters a path can have; it
// stops at the first other one, which keeps template parsing linear.
func looksLikePath(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '.' && r != '[' && r != ']' && !isSegmentRune(r) {
			return false
		}
	}
	return true
}

// Placeholders returns the paths of the placeholders in s, in order of
// first appearance and without repeats; nil when there is none.
func Placeholders(s string) []string {
	if !strings.ContainsRune(s, '{') {
		return nil
	}
	var paths []string
	for _, seg := range parseTemplate(s) {
		if seg.path != "" && !slices.Contains(paths, seg.path) {
			paths = append(paths, seg.path)
		}
	}
	return paths
}

// Render substitutes the placeholders of s with the values their paths
// name in scope. When s is exactly one placeholder the value is returned
// as is, with its JSON type (number, object, array, bool, nil); objects and
// arrays are copies. Otherwise the result is a string in which values are
// formatted (see Format). A placeholder that names no value gives an
// *runbook.Error with code EUNRESOLVED that says what is missing.
func Render(s string, scope runbook.DataScope) (any, error) {
	if !strings.ContainsAny(s, "{}") {
		return s, nil
	}
	segs := parseTemplate(s)
	if len(segs) == 1 && segs[0].path != "" {
		v, err := lookupPlaceholder(segs[0].path, scope)
		if err != nil {
			return nil, err
		}
		return copyValue(v), nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, seg := range segs {
		if seg.path == "" {
			b.WriteString(seg.text)
			continue
		}
		v, err := lookupPlaceholder(seg.path, scope)
		if err != nil {
			return nil, err
		}
		text, err := Format(v)
		if err != nil {
			return nil, runbook.Errorf(runbook.EINVALID, "placeholder {%s}: %v", seg.path, err)
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// renderString renders s and formats the result as a string, for places
// that only hold strings (map keys, string headers).
func renderString(s string, scope runbook.DataScope) (string, error) {
	v, err := Render(s, scope)
	if err != nil {
		return "", err
	}
	if str, ok := v.(string); ok {
		return str, nil
	}
	text, err := Format(v)
	if err != nil {
		return "", runbook.Errorf(runbook.EINVALID, "template %q: %v", s, err)
	}
	return text, nil
}

// lookupPlaceholder returns the value of a placeholder's path.
func lookupPlaceholder(path string, scope runbook.DataScope) (any, error) {
	if scope == nil {
		return nil, runbook.Errorf(runbook.EUNRESOLVED, "unresolved placeholder {%s}: there is no data to look it up in", path)
	}
	if v, ok := scope.Lookup(path); ok {
		return v, nil
	}
	why := fmt.Sprintf("no value at %q", path)
	if ex, ok := scope.(Explainer); ok {
		if w := ex.Explain(path); w != "" {
			why = w
		}
	}
	return nil, runbook.Errorf(runbook.EUNRESOLVED, "unresolved placeholder {%s}: %s", path, why)
}

// RenderValue applies Render to every string in v, map keys included,
// through nested maps and slices, and returns a new value; v is not
// changed. Values of map[string]string and []string stay of that type, their
// rendered values formatted as strings. Other values are returned as they
// are.
func RenderValue(v any, scope runbook.DataScope) (any, error) {
	switch v := v.(type) {
	case string:
		return Render(v, scope)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := RenderValue(e, scope)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		from := make(map[string]string, len(v))
		for _, k := range sortedKeys(v) {
			nk, err := renderKey(k, from, scope)
			if err != nil {
				return nil, err
			}
			r, err := RenderValue(v[k], scope)
			if err != nil {
				return nil, err
			}
			out[nk] = r
		}
		return out, nil
	case []string:
		out := make([]string, len(v))
		for i, e := range v {
			r, err := renderString(e, scope)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]string:
		out := make(map[string]string, len(v))
		from := make(map[string]string, len(v))
		for _, k := range sortedKeys(v) {
			nk, err := renderKey(k, from, scope)
			if err != nil {
				return nil, err
			}
			r, err := renderString(v[k], scope)
			if err != nil {
				return nil, err
			}
			out[nk] = r
		}
		return out, nil
	}
	return v, nil
}

// IsStatic reports whether RenderValue would return v unchanged for any
// scope: no string in it, map keys included, has a placeholder (or a
// brace). A caller may then use v itself instead of rendering a copy of it
// for every use.
func IsStatic(v any) bool {
	switch v := v.(type) {
	case string:
		return !strings.ContainsAny(v, "{}")
	case []any:
		for _, e := range v {
			if !IsStatic(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsAny(k, "{}") || !IsStatic(e) {
				return false
			}
		}
	case []string:
		for _, e := range v {
			if strings.ContainsAny(e, "{}") {
				return false
			}
		}
	case map[string]string:
		for k, e := range v {
			if strings.ContainsAny(k, "{}") || strings.ContainsAny(e, "{}") {
				return false
			}
		}
	}
	return true
}

// renderKey renders the map key k; from records which key each rendered
// key came from, so that two keys rendering to the same one are an error
// rather than one silently replacing the other.
func renderKey(k string, from map[string]string, scope runbook.DataScope) (string, error) {
	nk, err := renderString(k, scope)
	if err != nil {
		return "", err
	}
	if prev, dup := from[nk]; dup {
		return "", runbook.Errorf(runbook.EINVALID, "keys %q and %q both render to %q", prev, k, nk)
	}
	from[nk] = k
	return nk, nil
}

// sortedKeys returns the keys of m in order, for deterministic errors.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// copyValue returns a deep copy of the maps and slices of a JSON-like
// value, so that what Render returns never aliases the scope's data.
func copyValue(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = copyValue(e)
		}
		return out
	}
	return v
}

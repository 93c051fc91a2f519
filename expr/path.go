package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParsePath splits a field path into its segments: "input.items[0].id" and
// "input.items.0.id" both give ["input", "items", "0", "id"]. A segment is
// made of letters, digits, '_' and '-' (step ids are kebab-case); an index
// in brackets is a non-negative decimal integer. The path must start with a
// segment, not with a bracket.
func ParsePath(path string) ([]string, error) {
	if path == "" {
		return nil, fmt.Errorf("path is empty")
	}
	segs := make([]string, 0, strings.Count(path, ".")+strings.Count(path, "[")+1)
	i := 0
	// expectName is true where a dotted segment must come next: at the
	// start and after a '.'.
	expectName := true
	for i < len(path) {
		if expectName {
			j := i
			for j < len(path) {
				r, size := utf8.DecodeRuneInString(path[j:])
				if !isSegmentRune(r) {
					break
				}
				j += size
			}
			if j == i {
				return nil, segmentError(path, i)
			}
			segs = append(segs, path[i:j])
			i = j
			expectName = false
			continue
		}
		switch path[i] {
		case '.':
			i++
			expectName = true
		case '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unbalanced '[' at offset %d", path, i)
			}
			idx := path[i+1 : i+end]
			if idx == "" || strings.Trim(idx, "0123456789") != "" {
				return nil, fmt.Errorf("path %q: index [%s] is not a non-negative integer", path, idx)
			}
			n, err := strconv.Atoi(idx)
			if err != nil {
				return nil, fmt.Errorf("path %q: index [%s] is too large", path, idx)
			}
			segs = append(segs, strconv.Itoa(n))
			i += end + 1
		case ']':
			return nil, fmt.Errorf("path %q: unbalanced ']' at offset %d", path, i)
		default:
			r, _ := utf8.DecodeRuneInString(path[i:])
			return nil, fmt.Errorf("path %q: unexpected %q at offset %d", path, r, i)
		}
	}
	if expectName {
		return nil, fmt.Errorf("path %q: ends with '.'", path)
	}
	return segs, nil
}

// segmentError explains why no segment starts at offset i of path.
func segmentError(path string, i int) error {
	if i == len(path) {
		return fmt.Errorf("path %q: ends with '.'", path)
	}
	r, _ := utf8.DecodeRuneInString(path[i:])
	switch {
	case r == '.' && i == 0:
		return fmt.Errorf("path %q: starts with '.'", path)
	case r == '.':
		return fmt.Errorf("path %q: empty segment at offset %d", path, i)
	case r == '[' && i == 0:
		return fmt.Errorf("path %q: must start with a field name, not an index", path)
	case r == '[':
		return fmt.Errorf("path %q: '.' followed by '[' at offset %d", path, i)
	case r == ']':
		return fmt.Errorf("path %q: unbalanced ']' at offset %d", path, i)
	}
	return fmt.Errorf("path %q: unexpected %q at offset %d", path, r, i)
}

// isSegmentRune reports whether r may appear in a dotted path segment.
func isSegmentRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Resolve follows segments into v: a segment is a key of an object or a
// decimal index into an array. It reports false when a key is missing, an
// index is out of range or not a number, or a segment goes into a value
// that is neither an object nor an array. No segments return v itself.
func Resolve(v any, segments []string) (any, bool) {
	for _, seg := range segments {
		next, problem := step(v, seg)
		if problem != "" {
			return nil, false
		}
		v = next
	}
	return v, true
}

// resolveExplained is Resolve that says, when it fails, what is missing.
// desc names the root value in messages (`input`, `output of step
// "enrich"`) and name is how the path wrote it ("input", "enrich"), used
// for values below the root ("enrich.details").
func resolveExplained(v any, desc, name string, segments []string) (any, string) {
	for i, seg := range segments {
		next, problem := step(v, seg)
		if problem != "" {
			at := desc
			if i > 0 {
				at = name + "." + strings.Join(segments[:i], ".")
			}
			return nil, at + " " + problem
		}
		v = next
	}
	return v, ""
}

// step follows one segment into v; problem is non-empty when it cannot,
// and completes a sentence whose subject is v.
func step(v any, seg string) (next any, problem string) {
	switch kindOf(v) {
	case kindObject:
		f, ok := objectField(v, seg)
		if !ok {
			return nil, fmt.Sprintf("has no field %q", seg)
		}
		return f, ""
	case kindArray:
		n := arrayLen(v)
		i, ok := arrayIndexOf(seg)
		if !ok {
			return nil, fmt.Sprintf("is an array, %q is not an index", seg)
		}
		if i >= n {
			return nil, fmt.Sprintf("has no index %d (length %d)", i, n)
		}
		return arrayIndex(v, i), ""
	}
	return nil, fmt.Sprintf("is %s, it has no field %q", describeKind(v), seg)
}

// arrayIndexOf parses a canonical non-negative decimal index ("0", "12";
// not "01" or "+1").
func arrayIndexOf(seg string) (int, bool) {
	if seg == "" || (len(seg) > 1 && seg[0] == '0') || strings.Trim(seg, "0123456789") != "" {
		return 0, false
	}
	i, err := strconv.Atoi(seg)
	if err != nil {
		return 0, false
	}
	return i, true
}

// describeKind names the JSON type of v with an article, for messages.
func describeKind(v any) string {
	switch kindOf(v) {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

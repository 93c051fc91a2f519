// Package expr resolves field paths, renders {placeholder} templates and
// evaluates conditions against the data of an execution. The engine, the
// spec validator and the step executors share it, so that a path means the
// same thing everywhere.
//
// # Values
//
// Values are JSON-like Go values: nil, bool, float64, string, []any and
// map[string]any. Any Go numeric type and json.Number are accepted wherever
// a number is expected and compare numerically with each other.
//
// # Paths
//
// A path is segments separated by dots; an array index is a segment
// ("items.0.id") or a number in brackets ("items[0].id"). Segments are
// made of letters, digits, '_' and '-', so kebab-case step ids work. A
// Scope resolves a path by its first segment:
//
//   - a loop variable (item, index, previous) when a loop set it;
//   - input, context, executionId, or steps followed by a step id;
//   - a step id, short for steps.<id> ("enrich.riskScore"); a step that has
//     not completed has no value;
//   - anything else is a field of the input ("status" is "input.status"),
//     as in the engine this project replaces.
//
// # Templates
//
// Render replaces each "{path}" (spaces allowed inside the braces) with the
// value the path names. A string that is only one placeholder gives the
// value with its JSON type; inside longer text values are formatted by
// Format. Braces around anything that is not a path are text, so JSON in a
// string is left alone. "{{" writes a '{', and the "}}" that closes it a
// '}': "{{input.host}}" renders as the text "{input.host}". Other '}' are
// text as they are, so nested JSON objects keep their "}}". A placeholder
// that names no value is an EUNRESOLVED *runbook.Error that says what is
// missing.
//
// # Conditions
//
// An Evaluator evaluates runbook.Condition values: the previous engine's
// operators (eq, ne, gt, lt, gte, lte, in, contains, exists) over a field,
// or a CEL expression (https://cel.dev) over the variables input, context,
// steps, executionId, item, index and previous. CEL sees JSON numbers as
// doubles: compare them with ints freely (input.score > 7), but write
// arithmetic with doubles (input.count + 1.0). Compiled programs are
// cached, and each evaluation has a cost limit so that no expression can
// hang a worker.
package expr

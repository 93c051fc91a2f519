package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/runbookhq/runbook"
	"go.yaml.in/yaml/v3"
)

// maxAliasExpansion bounds how many values YAML aliases may expand to in
// one document: a "billion laughs" document of a few hundred bytes would
// otherwise expand to billions of values.
const maxAliasExpansion = 100_000

// decodeYAML decodes a single YAML document into the same generic tree as
// decodeJSON: string keys only, numbers as json.Number, timestamps as their
// text, and no value JSON cannot represent. Aliases and merge keys ("<<")
// are expanded within the maxAliasExpansion budget and nesting is bounded
// at maxDepth.
func decodeYAML(data []byte) (v any, rerr *runbook.Error) {
	// The YAML parser is a port of a C library; treat a panic on hostile
	// input as the syntax error it is rather than crashing the server.
	defer func() {
		if r := recover(); r != nil {
			v, rerr = nil, documentError("invalid YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, documentError("input is empty: expected a runbook definition")
		}
		return nil, yamlSyntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlSyntaxError(err)
	default:
		return nil, documentError("invalid YAML at line %d: the input holds several documents; put one runbook per file", next.Line)
	}
	c := yamlConverter{}
	return c.convert(&doc, 0)
}

// yamlSyntaxError turns a parser error into a document error.
func yamlSyntaxError(err error) *runbook.Error {
	return documentError("invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// yamlConverter converts a node tree, counting what aliases expand to.
type yamlConverter struct {
	aliasDepth int // > 0 while converting the target of an alias
	expanded   int // values produced under an alias
}

// convert converts n, which sits at nesting level depth.
func (c *yamlConverter) convert(n *yaml.Node, depth int) (any, *runbook.Error) {
	if c.aliasDepth > 0 {
		c.expanded++
		if c.expanded > maxAliasExpansion {
			return nil, yamlError(n, "aliases expand to more than %d values", maxAliasExpansion)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, yamlError(n, "unknown alias *%s", n.Value)
		}
		c.aliasDepth++
		v, err := c.convert(n.Alias, depth)
		c.aliasDepth--
		return v, err
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.SequenceNode:
		if depth >= maxDepth {
			return nil, yamlError(n, "nested deeper than %d levels", maxDepth)
		}
		arr := make([]any, 0, len(n.Content))
		for _, child := range n.Content {
			v, err := c.convert(child, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	case yaml.MappingNode:
		if depth >= maxDepth {
			return nil, yamlError(n, "nested deeper than %d levels", maxDepth)
		}
		return c.mapping(n, depth)
	}
	return nil, yamlError(n, "unexpected YAML node")
}

// mapping converts a mapping. Explicit keys win over merged ones ("<<"),
// and earlier merges over later ones, as the YAML merge-key spec says.
func (c *yamlConverter) mapping(n *yaml.Node, depth int) (any, *runbook.Error) {
	obj := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return nil, yamlError(n.Content[i], "mapping key %s is not a string; quote it", keyText(k))
		}
		if _, dup := obj[k.Value]; dup {
			return nil, yamlError(n.Content[i], "field %q appears twice in the same mapping", k.Value)
		}
		v, err := c.convert(val, depth+1)
		if err != nil {
			return nil, err
		}
		obj[k.Value] = v
	}
	for _, m := range merges {
		sources := []*yaml.Node{m}
		if resolveAlias(m).Kind == yaml.SequenceNode {
			sources = resolveAlias(m).Content
		}
		for _, src := range sources {
			if resolveAlias(src).Kind != yaml.MappingNode {
				return nil, yamlError(src, "a merge (<<) needs a mapping or a list of mappings")
			}
			// Count the merged values under the alias budget and at the
			// depth they end up at.
			v, err := c.convert(src, depth)
			if err != nil {
				return nil, err
			}
			for key, mv := range v.(map[string]any) {
				if _, set := obj[key]; !set {
					obj[key] = mv
				}
			}
		}
	}
	return obj, nil
}

// resolveAlias follows an alias node to its target.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// keyText shows a non-string key in a message.
func keyText(k *yaml.Node) string {
	if k.Kind == yaml.ScalarNode {
		if k.Value == "" {
			return "null"
		}
		return strconv.Quote(k.Value)
	}
	return "of a " + map[yaml.Kind]string{yaml.SequenceNode: "list", yaml.MappingNode: "mapping"}[k.Kind] + " (complex keys are not supported)"
}

// scalar converts a scalar by its resolved tag.
func scalar(n *yaml.Node) (any, *runbook.Error) {
	switch tag := n.ShortTag(); tag {
	case "!!str", "!!timestamp":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, yamlError(n, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		switch x := v.(type) {
		case bool:
			return x, nil
		case int:
			return jsonNumberInt(int64(x)), nil
		case int64:
			return jsonNumberInt(x), nil
		case uint64:
			return jsonNumberUint(x), nil
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, yamlError(n, "%s is not a number JSON can hold", n.Value)
			}
			return jsonNumberFloat(x), nil
		}
		return nil, yamlError(n, "unexpected %s value %q", tag, n.Value)
	default:
		return nil, yamlError(n, "unsupported tag %s; use plain strings, numbers, booleans, lists and mappings", tag)
	}
}

// yamlError is a document error at the position of n.
func yamlError(n *yaml.Node, format string, args ...any) *runbook.Error {
	return documentError("invalid YAML at line %d, column %d: %s", n.Line, n.Column, fmt.Sprintf(format, args...))
}

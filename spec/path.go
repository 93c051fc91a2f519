package spec

import (
	"strconv"
	"strings"
)

// field joins a parent path and a field name: "steps[a]" + "config" gives
// "steps[a].config".
func field(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// item is the path of element i of the array at parent.
func item(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// stepPath is the path of the step with the given label.
func stepPath(label string) string {
	return "steps[" + label + "]"
}

// stepLabels returns, for each step, the name its problems are reported
// under: the step id when it is set, unique and usable in a path, else the
// step's index.
func stepLabels(ids []string) []string {
	count := make(map[string]int, len(ids))
	for _, id := range ids {
		count[id]++
	}
	labels := make([]string, len(ids))
	for i, id := range ids {
		if id != "" && count[id] == 1 && idProblem(id) == "" && !strings.ContainsAny(id, "]") {
			labels[i] = id
		} else {
			labels[i] = strconv.Itoa(i)
		}
	}
	return labels
}

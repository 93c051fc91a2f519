package spec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
)

func TestValidateCycles(t *testing.T) {
	t.Parallel()
	cond := func(id, deps, branch string) string {
		return "{id: " + id + ", type: conditional, dependsOn: [" + deps + "], config: {expression: 'true', trueBranch: " + branch + "}}"
	}
	runRules(t, []ruleCase{
		{name: "diamond is not a cycle", src: rbYAML(call("a", ""), call("b", "dependsOn: [a]"), call("c", "dependsOn: [a]"), call("d", "dependsOn: [b, c]"))},
		{name: "branch target that waits for its conditional", src: rbYAML(cond("c", "", "t"), call("t", "dependsOn: [c]"))},
		{name: "old engine: two-step cycle", src: rbYAML(call("a", "dependsOn: [b]"), call("b", "dependsOn: [a]")),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", "cycle: a -> b -> a")}},
		{name: "three-step cycle", src: rbYAML(call("a", "dependsOn: [c]"), call("b", "dependsOn: [a]"), call("c", "dependsOn: [b]")),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", "cycle: a -> b -> c -> a")}},
		{name: "each cycle once", src: rbYAML(
			call("a", "dependsOn: [b]"), call("b", "dependsOn: [a]"),
			call("x", "dependsOn: [y]"), call("y", "dependsOn: [z]"), call("z", "dependsOn: [x]"),
			call("free", "dependsOn: [a, x]")),
			want: []runbook.FieldError{
				fe("steps[a].dependsOn[0]", "cycle: a -> b -> a"),
				fe("steps[x].dependsOn[0]", "cycle: x -> z -> y -> x"),
			}},
		{name: "tangled cycles are reported by their shortest loop", src: rbYAML(
			call("a", "dependsOn: [c]"), call("b", "dependsOn: [a, c]"), call("c", "dependsOn: [b]")),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", "cycle: a -> b -> c -> a")}},
		{name: "cycle through a conditional branch", src: rbYAML(call("t", ""), cond("c", "t", "t")),
			want: []runbook.FieldError{fe("steps[c].config.trueBranch", "cycle: t -> c -> t")}},
		{name: "a loop body stands for its loop", src: rbYAML(
			"{id: l, type: loop, loopConfig: {maxIterations: 2, iterateOver: input.x}, config: {bodyStepId: b}}",
			call("b", "dependsOn: [l]"), cond("c", "l", "b")),
			want: []runbook.FieldError{fe("steps[c].config.trueBranch", "cycle: l -> c -> l")}},
		{name: "waiting for a loop body waits for the loop", src: rbYAML(
			"{id: l, type: loop, loopConfig: {maxIterations: 2, iterateOver: input.x}, config: {bodyStepId: b}}",
			call("b", "dependsOn: [l]"), call("after", "dependsOn: [b]"))},
		{name: "self dependency is not a cycle report", src: rbYAML(call("a", "dependsOn: [a]")),
			want: []runbook.FieldError{fe("steps[a].dependsOn[0]", "a step cannot depend on itself")}},
	})
}

func TestValidateLongChains(t *testing.T) {
	t.Parallel()
	// A long chain must neither overflow the stack nor take quadratic time;
	// closed into a ring it is one cycle, reported once.
	const n = 20_000
	steps := make([]*runbook.Step, n)
	for i := range steps {
		steps[i] = &runbook.Step{ID: fmt.Sprintf("s%d", i), Type: runbook.StepSubRunbook, Config: map[string]any{"runbookId": "x"}}
		if i > 0 {
			steps[i].DependsOn = []string{steps[i-1].ID}
		}
	}
	rb := &runbook.Runbook{ID: "chain", Version: "1", Steps: steps}
	if got := Validate(rb); got != nil {
		t.Fatalf("chain: %d problems, first %v", len(got), got[0])
	}
	steps[0].DependsOn = []string{steps[n-1].ID}
	got := Validate(rb)
	if len(got) != 1 || got[0].Field != "steps[s0].dependsOn[0]" || !strings.HasPrefix(got[0].Message, "cycle: s0 -> s1 -> s2 -> ") || !strings.HasSuffix(got[0].Message, " -> s19999 -> s0") {
		t.Errorf("ring: %d problems, first %.200v", len(got), got)
	}
}

func TestStronglyConnected(t *testing.T) {
	t.Parallel()
	edges := func(adj map[int][]int, n int) [][]edge {
		e := make([][]edge, n)
		for from, tos := range adj {
			for _, to := range tos {
				e[from] = append(e[from], edge{from: from, to: to})
			}
		}
		return e
	}
	got := stronglyConnected(edges(map[int][]int{0: {1}, 1: {2}, 2: {0, 3}, 3: {4}, 4: {3}, 5: {5}}, 6))
	sizes := map[int]int{}
	for _, c := range got {
		sizes[len(c)]++
	}
	if want := map[int]int{3: 1, 2: 1, 1: 1}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("component sizes = %v, want %v (components %v)", sizes, want, got)
	}
}

package spec

import (
	"slices"
	"strings"
)

// cycles reports each cycle of the execution-order graph once: dependsOn
// edges plus the implicit edges from a conditional to its branch targets.
// A step that is the body of a loop (bodyStepId) runs inside its loop, so,
// as the engine does, an edge to or from it is an edge to or from the
// loop. A strongly connected component of several steps holds at least one
// cycle; the shortest cycle through its first step (in definition order)
// is reported, at the field that closes it.
func (v *validator) cycles() {
	adj := make([][]edge, len(v.rb.Steps))
	node := func(i int) int {
		if loop, isBody := v.bodyOwner[v.rb.Steps[i].ID]; isBody {
			return v.first[loop]
		}
		return i
	}
	for _, e := range v.edges {
		e.from, e.to = node(e.from), node(e.to)
		if e.from != e.to {
			adj[e.from] = append(adj[e.from], e)
		}
	}
	for _, scc := range stronglyConnected(adj) {
		if len(scc) < 2 {
			continue
		}
		start := slices.Min(scc)
		path, closing := shortestCycle(adj, scc, start)
		names := make([]string, 0, len(path)+1)
		for _, i := range path {
			names = append(names, v.rb.Steps[i].ID)
		}
		names = append(names, v.rb.Steps[start].ID)
		v.p.add(closing, "cycle: %s", strings.Join(names, " -> "))
	}
}

// stronglyConnected returns the strongly connected components of the graph
// with Tarjan's algorithm, iteratively so that a long chain of steps does
// not grow the stack.
func stronglyConnected(edges [][]edge) [][]int {
	n := len(edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var comps [][]int
	next := 0
	type frame struct{ node, edge int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		work := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(work) > 0 {
			f := &work[len(work)-1]
			if f.edge < len(edges[f.node]) {
				w := edges[f.node][f.edge].to
				f.edge++
				switch {
				case index[w] < 0:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					work = append(work, frame{w, 0})
				case onStack[w]:
					low[f.node] = min(low[f.node], index[w])
				}
				continue
			}
			node := f.node
			work = work[:len(work)-1]
			if len(work) > 0 {
				parent := work[len(work)-1].node
				low[parent] = min(low[parent], low[node])
			}
			if low[node] == index[node] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == node {
						break
					}
				}
				comps = append(comps, comp)
			}
		}
	}
	return comps
}

// shortestCycle finds, by breadth-first search inside one component, the
// shortest cycle through start. It returns the steps of the cycle from
// start and the field of the edge that leads back to start.
func shortestCycle(edges [][]edge, scc []int, start int) ([]int, string) {
	in := make(map[int]bool, len(scc))
	for _, i := range scc {
		in[i] = true
	}
	prev := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, e := range edges[u] {
			if e.to == start {
				var path []int
				for x := u; x != -1; x = prev[x] {
					path = append(path, x)
				}
				slices.Reverse(path)
				return path, e.field
			}
			if _, seen := prev[e.to]; !seen && in[e.to] {
				prev[e.to] = u
				queue = append(queue, e.to)
			}
		}
	}
	// Unreachable: every node of a component reaches every other.
	return []int{start}, ""
}

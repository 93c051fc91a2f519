package memory

import "container/heap"

// taskHeap is a binary min-heap of task entries that records each entry's
// position (through pos) so that entries can be removed or re-sorted in
// O(log n). It implements heap.Interface.
type taskHeap struct {
	items []*taskEntry
	less  func(a, b *taskEntry) bool
	pos   func(e *taskEntry) *int
}

func (h *taskHeap) Len() int           { return len(h.items) }
func (h *taskHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }

func (h *taskHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.pos(h.items[i]) = i
	*h.pos(h.items[j]) = j
}

func (h *taskHeap) Push(x any) {
	e := x.(*taskEntry)
	*h.pos(e) = len(h.items)
	h.items = append(h.items, e)
}

func (h *taskHeap) Pop() any {
	n := len(h.items) - 1
	e := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	*h.pos(e) = -1
	return e
}

func (h *taskHeap) add(e *taskEntry)    { heap.Push(h, e) }
func (h *taskHeap) remove(e *taskEntry) { heap.Remove(h, *h.pos(e)) }
func (h *taskHeap) fix(e *taskEntry)    { heap.Fix(h, *h.pos(e)) }

// top returns the smallest entry, or nil.
func (h *taskHeap) top() *taskEntry {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// ascend calls fn with the heap's entries in ascending order, without
// changing the heap, until fn returns false. Visiting k entries costs
// O(k log k): it walks the heap's tree keeping the frontier of unvisited
// children in a small heap of its own.
func (h *taskHeap) ascend(fn func(e *taskEntry) bool) {
	if len(h.items) == 0 {
		return
	}
	f := &frontier{h: h, idx: []int{0}}
	for f.Len() > 0 {
		i := heap.Pop(f).(int)
		if !fn(h.items[i]) {
			return
		}
		for _, c := range [2]int{2*i + 1, 2*i + 2} {
			if c < len(h.items) {
				heap.Push(f, c)
			}
		}
	}
}

// frontier is a min-heap of positions in a taskHeap, ordered like the
// entries at those positions.
type frontier struct {
	h   *taskHeap
	idx []int
}

func (f *frontier) Len() int           { return len(f.idx) }
func (f *frontier) Less(i, j int) bool { return f.h.less(f.h.items[f.idx[i]], f.h.items[f.idx[j]]) }
func (f *frontier) Swap(i, j int)      { f.idx[i], f.idx[j] = f.idx[j], f.idx[i] }
func (f *frontier) Push(x any)         { f.idx = append(f.idx, x.(int)) }
func (f *frontier) Pop() any {
	n := len(f.idx) - 1
	x := f.idx[n]
	f.idx = f.idx[:n]
	return x
}

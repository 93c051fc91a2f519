package sqlite

import (
	"os"
	"runtime"
	"time"
)

// flushPolicy chooses how each flush of the write-ahead log is made.
//
// A blocking system call that lasts more than a few tens of microseconds
// loses its goroutine's processor (P): the runtime's monitor hands the P to
// another thread, and when the call returns, the goroutine has no P and
// waits in the global run queue until one picks it up. On a busy machine
// with few cores that wait is often longer than the flush itself, and it
// sits on the path of every acknowledgment: the goroutine that flushes is
// the one that then wakes the batch's waiters. Made as a raw system call,
// the flush keeps the P, and the goroutine goes on the moment the disk
// answers; the other processors meanwhile steal the P's queued work.
//
// A raw call blocks its P for as long as the disk takes, and the garbage
// collector's stop-the-world pauses wait for it. So the store flushes raw
// only while flushes are fast (a moving average below rawFlushLimit) and
// there is more than one P; on a slow disk, or with a single P that the
// rest of the process needs while the disk works, flushes are ordinary
// blocking calls. Only one flush runs at a time (walSyncer), so the policy
// needs no lock.
type flushPolicy struct {
	avg   time.Duration // moving average of recent flush durations
	procs func() int    // the current GOMAXPROCS (the runtime may change it)
}

// rawFlushLimit is the average flush duration above which flushes stop
// holding their P. A flush on local SSD-backed storage takes 0.1-0.5 ms; a
// disk slower than the limit would keep a P from the process too long.
const rawFlushLimit = time.Millisecond

func newFlushPolicy() *flushPolicy {
	return &flushPolicy{procs: func() int { return runtime.GOMAXPROCS(0) }}
}

// raw reports whether the next flush should hold its P.
func (p *flushPolicy) raw() bool {
	return p.avg < rawFlushLimit && p.procs() > 1
}

// observe records how long a flush took.
func (p *flushPolicy) observe(d time.Duration) {
	p.avg += (d - p.avg) / 8
}

// flush flushes f as the policy says and records the duration.
func (p *flushPolicy) flush(f *os.File) error {
	sync := fdatasync
	if p.raw() {
		sync = fdatasyncHoldingP
	}
	began := time.Now()
	err := sync(f)
	p.observe(time.Since(began))
	return err
}

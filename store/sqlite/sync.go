package sqlite

import (
	"fmt"
	"os"
	"sync"
)

// walSyncer makes committed writes durable by flushing the write-ahead log
// to disk, one flush for every write committed since the previous one
// (group sync).
//
// The write connection runs with synchronous=NORMAL: SQLite writes a
// transaction's frames to the WAL at COMMIT but does not flush them, and
// flushes the WAL itself before every checkpoint. The store flushes the
// WAL after COMMIT and before it returns, outside the write connection:
// while one batch waits for the disk, the next one is being written, and
// the flush that follows covers both. A write is acknowledged only once a
// flush that began after its COMMIT has finished, which is exactly the
// guarantee of synchronous=FULL.
type walSyncer struct {
	f     *os.File
	flush func(*os.File) error // fdatasync; tests count the calls

	mu      sync.Mutex
	flushed *sync.Cond
	written uint64 // number of writes committed
	synced  uint64 // every write up to this number is on disk
	syncing bool
	err     error // the last flush failed: nothing is durable any more
}

func newWALSyncer(walPath string) (*walSyncer, error) {
	f, err := os.OpenFile(walPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	s := &walSyncer{f: f, flush: fdatasync}
	s.flushed = sync.NewCond(&s.mu)
	return s, nil
}

// committed records a write committed to the WAL and returns its number,
// to be passed to wait. It must be called after COMMIT returned and before
// the write connection is used again.
func (s *walSyncer) committed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written++
	return s.written
}

// wait returns once write n is on disk. The first waiter flushes for
// everyone committed so far; the others wait for it, then flush again if
// their write came after the flush began.
func (s *walSyncer) wait(n uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.synced < n {
		if s.err != nil {
			return s.err
		}
		if s.syncing {
			s.flushed.Wait()
			continue
		}
		s.syncing = true
		target := s.written
		s.mu.Unlock()
		err := s.flush(s.f)
		s.mu.Lock()
		s.syncing = false
		if err != nil {
			// After a failed flush the kernel may have dropped the dirty
			// pages: no later flush can vouch for them.
			s.err = fmt.Errorf("flush write-ahead log: %w", err)
		} else {
			s.synced = target
		}
		s.flushed.Broadcast()
	}
	return nil
}

func (s *walSyncer) close() error {
	return s.f.Close()
}

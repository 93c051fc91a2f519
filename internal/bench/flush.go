package bench

import (
	"fmt"
	"os"
	"time"
)

// flushWrites is how many synchronous writes measureFlush times.
const flushWrites = 200

// measureFlush times synchronous 4 KiB writes to a file of its own in dir,
// each written over a block the file already has and then flushed to
// disk, as the SQLite store's log is: the disk's share of the machine's
// speed, which the raw HTTP baseline does not see. The file is removed.
func measureFlush(dir string, writes int) (*Percentiles, error) {
	f, err := os.CreateTemp(dir, "flush-baseline-")
	if err != nil {
		return nil, fmt.Errorf("flush baseline: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, 4096)
	// Allocated and flushed first, so that the timed writes change no
	// file size, as a log's writes into its reused space do not.
	if _, err := f.Write(make([]byte, writes*len(block))); err != nil {
		return nil, fmt.Errorf("flush baseline: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("flush baseline: %w", err)
	}
	took := make([]time.Duration, writes)
	for i := range writes {
		block[0] = byte(i)
		start := time.Now()
		if _, err := f.WriteAt(block, int64(i*len(block))); err != nil {
			return nil, fmt.Errorf("flush baseline: %w", err)
		}
		if err := datasync(f); err != nil {
			return nil, fmt.Errorf("flush baseline: %w", err)
		}
		took[i] = time.Since(start)
	}
	p := percentiles(took)
	return &p, nil
}

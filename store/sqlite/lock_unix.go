//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDatabase opens (creating it if needed) and exclusively locks
// "<path>.lock" with flock, or returns an EUNAVAILABLE error when another
// open file holds the lock. Closing the file releases the lock, also when
// the process dies.
func lockDatabase(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse(path)
		}
		return nil, fmt.Errorf("lock %s.lock: %w", path, err)
	}
	return f, nil
}

// unlockDatabase releases the lock taken by lockDatabase.
func unlockDatabase(f *os.File) error {
	return f.Close()
}

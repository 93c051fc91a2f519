//go:build !unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// lockDatabase creates "<path>.lock" exclusively, or returns an
// EUNAVAILABLE error when it exists. Without flock, a lock file left by a
// crashed process must be removed by hand.
func lockDatabase(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, errInUse(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return f, nil
}

// unlockDatabase releases the lock taken by lockDatabase.
func unlockDatabase(f *os.File) error {
	name := f.Name()
	err := f.Close()
	if rmErr := os.Remove(name); err == nil {
		err = rmErr
	}
	return err
}

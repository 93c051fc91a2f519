//go:build !linux

package sqlite

import "os"

// fdatasync flushes f to disk.
func fdatasync(f *os.File) error {
	return f.Sync()
}

// fdatasyncHoldingP is fdatasync: other systems have no raw variant here.
func fdatasyncHoldingP(f *os.File) error {
	return fdatasync(f)
}

// startWriteback does nothing here: the flush writes the pages.
func startWriteback(*os.File) {}

package bench

import (
	"os"
	"syscall"
)

// datasync flushes f's data as the SQLite store does (fdatasync).
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

package sqlite

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdatasync flushes f's data and the metadata needed to read it back.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

// fdatasyncHoldingP is fdatasync made as a raw system call: the calling
// goroutine keeps its processor (P) while the disk works, instead of
// having the runtime hand the P to another thread and then queue for one
// when the call returns (see flushPolicy).
func fdatasyncHoldingP(f *os.File) error {
	for {
		_, _, errno := syscall.RawSyscall(syscall.SYS_FDATASYNC, f.Fd(), 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		}
		return errno
	}
}

// startWriteback starts writing f's dirty pages to disk and returns
// without waiting for them; errors are left to the flush that follows.
func startWriteback(f *os.File) {
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}

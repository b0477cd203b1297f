//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris

package report

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openLockFile opens or creates the lock file: a regular file, not a link.
func openLockFile(path string) (f *os.File, retry bool, err error) {
	f, err = openRegular(path, os.O_RDWR|os.O_CREATE, fileMode)
	return f, false, err
}

// lockFile takes flock(LOCK_EX|LOCK_NB) on f: a lock of the open file, which a
// second open in the same process does not share, and which the kernel drops when
// the process dies.
func lockFile(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLocked
		}
		return err
	}
}

// unlockFile drops the lock; closing the file would as well.
func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// processRuns reports whether a process pid runs on this host.
func processRuns(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

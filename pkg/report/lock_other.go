//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris || windows)

package report

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// openLockFile opens or creates the lock file: a regular file, not a link.
func openLockFile(path string) (*os.File, bool, error) {
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE, fileMode)
	return f, false, err
}

// lockFile fails: this system has neither flock nor LockFileEx, and a lock that does
// not exclude would be worse than none. The error is errors.ErrUnsupported.
func lockFile(*os.File) error {
	return fmt.Errorf("locking files on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func unlockFile(*os.File) {}

// processRuns reports whether a process pid runs on this host; here it cannot tell,
// and says yes.
func processRuns(int) bool { return true }

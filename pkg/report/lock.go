package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// lockAttempts is how often Lock tries to lock a lock file that keeps being replaced
// under it (another run removing it on release, someone deleting it by hand).
const lockAttempts = 5

// errLocked is what the platform's lockFile returns when another holder has the lock.
var errLocked = errors.New("locked by another holder")

// OutputLock is an exclusive hold on a result file, and through it on the result
// file's rollback file and manifest, for the whole of a run. Take it with Lock before
// the result file is opened; Release it when the run ends. See the package overview.
type OutputLock struct {
	f      *os.File
	path   string // the lock file
	output string
}

// LockedError is the error of Lock when another run holds the lock: it names the
// result file, the lock file and, when the lock file says, the process holding it.
type LockedError struct {
	Output string    // the result file
	Path   string    // its lock file
	PID    int       // the holder's process ID; 0 when the lock file does not say
	Host   string    // the host the holder runs on
	Since  time.Time // when it took the lock; zero when unknown
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
		if e.Host != "" {
			who += " on host " + e.Host
		}
		if !e.Since.IsZero() {
			who += " since " + clockText(e.Since, time.Now())
		}
	}
	return fmt.Sprintf("result file %s is in use by %s (it holds %s); wait for it to finish or stop it",
		e.Output, who, e.Path)
}

// clockText is t's local time of day, with its date when that is not now's.
func clockText(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// lockHolder is what a lock file holds: who has the lock. It is JSON.
type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// LockPath is the lock file of the result file output: output + ".lock".
func LockPath(output string) string { return output + ".lock" }

// testHookAfterOpen, when set by a test, runs between opening the lock file and
// locking it: where another run's release can replace the file.
var testHookAfterOpen func(attempt int)

// Lock takes the exclusive lock of the result file output, without waiting: the
// lock file LockPath(output) is created or opened and locked (flock LOCK_EX|LOCK_NB;
// LockFileEx on Windows), Lock checks that the path still names the file it locked
// (another run may have removed and recreated it meanwhile; it tries again a few
// times), then writes the holder's process ID, host name and start time into it.
// When another run holds the lock, the error is a *LockedError naming it. A lock left
// by a process that was killed does not block: the system drops a dead process's
// locks, and Lock takes the file over. The lock file must be a regular file, not a
// symbolic link.
func Lock(output string) (*OutputLock, error) {
	path := LockPath(output)
	var last error
	for attempt := range lockAttempts {
		l, retry, err := tryLock(output, path, attempt)
		if !retry {
			return l, err
		}
		last = err
	}
	if last == nil {
		last = errors.New("it was replaced every time it was locked")
	}
	return nil, fmt.Errorf("lock result file %s: lock file %s: %w (%d attempts)", output, path, last, lockAttempts)
}

// tryLock makes one attempt; retry says the lock file changed under it.
func tryLock(output, path string, attempt int) (*OutputLock, bool, error) {
	f, retry, err := openLockFile(path)
	if err != nil {
		if retry {
			return nil, true, err
		}
		return nil, false, fmt.Errorf("lock result file %s: open lock file %s: %w", output, path, err)
	}
	if testHookAfterOpen != nil {
		testHookAfterOpen(attempt)
	}
	if err := lockFile(f); err != nil {
		defer f.Close()
		if errors.Is(err, errLocked) {
			return nil, false, lockedError(f, output, path)
		}
		return nil, false, fmt.Errorf("lock result file %s: lock %s: %w", output, path, err)
	}
	fst, ferr := f.Stat()
	pst, perr := os.Lstat(path)
	if ferr != nil || perr != nil || !os.SameFile(fst, pst) {
		unlockFile(f)
		f.Close()
		return nil, true, nil
	}
	if err := writeHolder(f); err != nil {
		unlockFile(f)
		f.Close()
		return nil, false, fmt.Errorf("lock result file %s: write lock file %s: %w", output, path, err)
	}
	return &OutputLock{f: f, path: path, output: output}, false, nil
}

// writeHolder replaces the lock file's content with this process's lockHolder.
func writeHolder(f *os.File) error {
	host, _ := os.Hostname()
	b, err := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return unwrapPath(err)
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return unwrapPath(err)
	}
	return nil
}

// holderReads and holderGap bound how long lockedError waits for the holder to write
// itself into the lock file: it takes the lock first and writes just after, so a run
// that loses a race may at first read nothing, or a dead run's holder.
const (
	holderReads = 20
	holderGap   = 10 * time.Millisecond
)

// lockedError reads who holds the lock from the lock file f, as far as it says: a
// holder on this host that is no longer running is read again, a little later.
func lockedError(f *os.File, output, path string) *LockedError {
	e := &LockedError{Output: output, Path: path}
	host, _ := os.Hostname()
	buf := make([]byte, 4096)
	for i := range holderReads {
		if i > 0 {
			time.Sleep(holderGap)
		}
		n, _ := f.ReadAt(buf, 0)
		var h lockHolder
		if json.Unmarshal(buf[:n], &h) != nil || h.PID <= 0 {
			continue
		}
		e.PID, e.Host, e.Since = h.PID, h.Host, h.Started
		if h.Host != host || processRuns(h.PID) {
			break
		}
	}
	return e
}

// Path returns the lock file's path.
func (l *OutputLock) Path() string { return l.path }

// Release removes the lock file, while it still holds the lock (so that no other run
// takes over a file about to go), and then unlocks it. It removes the file only when
// the path still names the file it locked. Releasing a released lock does nothing.
func (l *OutputLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	var rerr error
	if fst, err := f.Stat(); err == nil {
		if pst, err := os.Lstat(l.path); err == nil && os.SameFile(fst, pst) {
			rerr = os.Remove(l.path)
		}
	}
	unlockFile(f)
	cerr := f.Close()
	if rerr != nil {
		return fmt.Errorf("release lock of result file %s: remove %s: %w", l.output, l.path, unwrapPath(rerr))
	}
	if cerr != nil {
		return fmt.Errorf("release lock of result file %s: close %s: %w", l.output, l.path, unwrapPath(cerr))
	}
	return nil
}

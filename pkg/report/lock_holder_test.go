//go:build linux

package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

// deadPID is above Linux's largest pid_max (2^22): no process has it.
const deadPID = 1<<22 + 1

// TestLockedErrorWaitsForTheWinnerToWriteItself: a run that loses the race for the
// lock may read the lock file before the winner has written itself into it, when it
// still names the killed run before them. The loser reads again and names the winner.
func TestLockedErrorWaitsForTheWinnerToWriteItself(t *testing.T) {
	host, _ := os.Hostname()
	for _, stale := range []string{"", mustJSON(t, lockHolder{PID: deadPID, Host: host})} {
		synctest.Test(t, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.csv.lock")
			if err := os.WriteFile(path, []byte(stale), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			go func() {
				time.Sleep(3 * holderGap)
				w, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Error(err)
					return
				}
				defer w.Close()
				if err := writeHolder(w); err != nil {
					t.Error(err)
				}
			}()
			e := lockedError(f, "out.csv", path)
			if e.PID != os.Getpid() {
				t.Errorf("stale content %q: the error names PID %d, want the winner's %d", stale, e.PID, os.Getpid())
			}
		})
	}
}

// TestLockedErrorGivesUpOnADeadHolder: a holder that never writes itself leaves the
// dead run's PID, read for a bounded time.
func TestLockedErrorGivesUpOnADeadHolder(t *testing.T) {
	host, _ := os.Hostname()
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "out.csv.lock")
		if err := os.WriteFile(path, []byte(mustJSON(t, lockHolder{PID: deadPID, Host: host})), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		start := time.Now()
		e := lockedError(f, "out.csv", path)
		if e.PID != deadPID {
			t.Errorf("PID %d, want the one the file names", e.PID)
		}
		if waited := time.Since(start); waited > holderReads*holderGap {
			t.Errorf("waited %s", waited)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

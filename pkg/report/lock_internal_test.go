package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockNoticesAReplacedFile plays the race Lock guards against: between its open
// and its lock, the holder releases (removing the file). The open file is then
// locked but unlinked; Lock must notice and lock the file the path names.
func TestLockNoticesAReplacedFile(t *testing.T) {
	output := filepath.Join(t.TempDir(), "out.csv")
	first, err := Lock(output)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	testHookAfterOpen = func(int) {
		calls++
		if calls == 1 {
			if err := first.Release(); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { testHookAfterOpen = nil }()
	l, err := Lock(output)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if calls != 2 {
		t.Fatalf("%d attempts, want 2 (the first locked a removed file)", calls)
	}
	fst, _ := l.f.Stat()
	pst, err := os.Lstat(l.path)
	if err != nil || !os.SameFile(fst, pst) {
		t.Fatalf("the lock holds a file the path does not name (%v)", err)
	}
	// A third run sees the lock.
	if _, err := Lock(output); err == nil {
		t.Fatal("two runs hold the lock")
	}
}

func TestLockGivesUpOnAFileThatKeepsBeingReplaced(t *testing.T) {
	output := filepath.Join(t.TempDir(), "out.csv")
	testHookAfterOpen = func(int) { os.Remove(LockPath(output)) }
	defer func() { testHookAfterOpen = nil }()
	_, err := Lock(output)
	if err == nil || !strings.Contains(err.Error(), "5 attempts") || !strings.Contains(err.Error(), output) {
		t.Fatalf("got %v", err)
	}
}

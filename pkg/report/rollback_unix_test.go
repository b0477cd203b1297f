//go:build unix

package report

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRollbackRefusesAFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no FIFO here:", err)
	}
	_, err := OpenRollback(path)
	if !errors.Is(err, errNotRegular) {
		t.Fatalf("got %v, want a refusal of a file that is not regular", err)
	}
}

//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal: the terminal side for the command, the other side
// to read what it wrote.
func openPTY(t *testing.T) (tty, master *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	var n, unlock uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Skipf("unlock pseudo-terminal: %v", errno)
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Skipf("pseudo-terminal number: %v", errno)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return tty, master
}

// TestConsoleLogOnATerminal: on a terminal the log is in console format, coloured
// unless TERM is dumb or NO_COLOR is set.
func TestConsoleLogOnATerminal(t *testing.T) {
	for _, c := range []struct {
		name   string
		vars   map[string]string
		colour bool
	}{
		{"TERM=xterm", map[string]string{"TERM": "xterm-256color"}, true},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, false},
		{"NO_COLOR", map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tty, master := openPTY(t)
			defer master.Close()
			var got bytes.Buffer
			read := make(chan struct{})
			go func() {
				io.Copy(&got, master) // ends with EIO once the terminal side is closed
				close(read)
			}()
			e := newEnv(t)
			for k, v := range c.vars {
				e.vars[k] = v
			}
			m := e.main(nil)
			m.Stderr = tty
			err := m.Run(t.Context(), []string{"plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--read-rate", "5000"})
			tty.Close()
			<-read
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			out := got.String()
			if strings.Contains(out, `"level":`) || !strings.Contains(out, "planning") {
				t.Fatalf("not the console format on a terminal:\n%q", out)
			}
			if colour := strings.Contains(out, "\x1b[") && strings.Contains(out, "m"); colour != c.colour {
				t.Fatalf("colour escapes: %v, want %v:\n%q", colour, c.colour, out)
			}
		})
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// fakeProc is a pcfake child process seen from the bench.
type fakeProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	URL string
}

// startFake starts this program again with -serve: pcfake as cfg says, served on
// loopback. It returns once the fake listens.
func startFake(cfg fakeConfig) (*fakeProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	cmd := exec.Command(self, "-serve", string(js))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	f := &fakeProc{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := f.out.ReadString('\n')
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("start fake: read its address: %w", err)
	}
	f.URL = strings.TrimSpace(line)
	return f, nil
}

// command sends one command and returns its answer.
func (f *fakeProc) command(c string) (string, error) {
	if _, err := fmt.Fprintln(f.in, c); err != nil {
		return "", fmt.Errorf("fake %s: %w", c, err)
	}
	line, err := f.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("fake %s: %w", c, err)
	}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "error ") {
		return "", fmt.Errorf("fake %s: %s", c, line)
	}
	return line, nil
}

// SetLimit changes one of the fake's rate limits while it serves: budget is all,
// read or write.
func (f *fakeProc) SetLimit(budget string, rps float64, burst int) error {
	_, err := f.command(fmt.Sprintf("limit %s %g %d", budget, rps, burst))
	return err
}

// Stats returns the counters of a Partner Center fake.
func (f *fakeProc) Stats() (pcfake.Stats, error) {
	var s pcfake.Stats
	return s, f.stats(&s)
}

// GraphStats returns the counters of a Graph fake.
func (f *fakeProc) GraphStats() (graphfake.Stats, error) {
	var s graphfake.Stats
	return s, f.stats(&s)
}

// stats decodes the fake's counters into v.
func (f *fakeProc) stats(v any) error {
	line, err := f.command("stats")
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(line), v); err != nil {
		return fmt.Errorf("fake stats: %w", err)
	}
	return nil
}

// Conns returns how many TCP connections the fake has accepted.
func (f *fakeProc) Conns() (int, error) {
	line, err := f.command("conns")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(line)
}

// CPU returns the CPU time the fake has used so far (user and system): the
// difference over a measure is what serving it cost, without the fake's setup.
func (f *fakeProc) CPU() (time.Duration, error) {
	line, err := f.command("cpu")
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseInt(line, 10, 64)
	return time.Duration(ns), err
}

// Close ends the child process and waits for it.
func (f *fakeProc) Close() {
	f.in.Close()
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// cpu is the CPU time of the child process once it has exited.
func (f *fakeProc) cpu() time.Duration {
	if f.cmd.ProcessState == nil {
		return 0
	}
	return f.cmd.ProcessState.UserTime() + f.cmd.ProcessState.SystemTime()
}

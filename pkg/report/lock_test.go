package report_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// lockHelperEnv names the result file a re-executed test binary locks (see TestMain).
const lockHelperEnv = "BULKASSIGN_REPORT_LOCK_HELPER"

func TestMain(m *testing.M) {
	if output := os.Getenv(lockHelperEnv); output != "" {
		lockAndWait(output)
		return
	}
	os.Exit(m.Run())
}

// lockAndWait is the helper process: it locks output, says so on stdout and waits
// for its stdin to close, or to be killed.
func lockAndWait(output string) {
	l, err := report.Lock(output)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = l.Release()
	os.Exit(0)
}

// holder reads the lock file's JSON.
func holder(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("lock file %q: %v", b, err)
	}
	return h
}

func TestLockTwiceInOneProcess(t *testing.T) {
	output := filepath.Join(t.TempDir(), "out.csv")
	l, err := report.Lock(output)
	if err != nil {
		t.Fatal(err)
	}
	if l.Path() != output+".lock" || report.LockPath(output) != output+".lock" {
		t.Fatalf("lock file %s", l.Path())
	}
	host, _ := os.Hostname()
	h := holder(t, l.Path())
	if h["pid"] != float64(os.Getpid()) || h["host"] != host {
		t.Fatalf("lock file holds %v, want pid %d on %s", h, os.Getpid(), host)
	}
	if since, err := time.Parse(time.RFC3339, h["started"].(string)); err != nil || time.Since(since) > time.Hour {
		t.Fatalf("started %v: %v", h["started"], err)
	}

	_, err = report.Lock(output)
	var le *report.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: %v, want a *LockedError", err)
	}
	if le.PID != os.Getpid() || le.Host != host || le.Output != output || le.Path != l.Path() {
		t.Fatalf("LockedError %+v", le)
	}
	msg := regexp.MustCompile(`^result file .*out\.csv is in use by process \d+ on host .* since (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(it holds .*out\.csv\.lock\); wait for it to finish or stop it$`)
	if !msg.MatchString(err.Error()) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("message %q", err)
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(l.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file left after Release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	l2, err := report.Lock(output)
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	l2.Release()
}

// TestLockOfAKilledProcessIsTakenOver locks in a child process, kills it with
// SIGKILL (it cannot clean up), and takes the lock it left.
func TestLockOfAKilledProcessIsTakenOver(t *testing.T) {
	output := filepath.Join(t.TempDir(), "out.csv")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+output)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}

	_, err = report.Lock(output)
	var le *report.LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("Lock while the helper holds it: %v, want a *LockedError naming process %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(output + ".lock"); err != nil {
		t.Fatalf("the killed helper's lock file is gone (%v): the test proves nothing", err)
	}

	l, err := report.Lock(output)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer l.Release()
	if h := holder(t, l.Path()); h["pid"] != float64(os.Getpid()) {
		t.Fatalf("lock file still names %v", h["pid"])
	}
}

func TestLockedErrorWithoutHolder(t *testing.T) {
	e := &report.LockedError{Output: "out.csv", Path: "out.csv.lock"}
	if got := e.Error(); got != "result file out.csv is in use by another process (it holds out.csv.lock); wait for it to finish or stop it" {
		t.Fatalf("%q", got)
	}
	e = &report.LockedError{Output: "o", Path: "o.lock", PID: 4242, Host: "x", Since: time.Date(2001, 2, 3, 10, 2, 3, 0, time.Local)}
	if got := e.Error(); !strings.Contains(got, "in use by process 4242 on host x since 2001-02-03 10:02:03 ") {
		t.Fatalf("%q", got)
	}
}

func TestLockRefusesALink(t *testing.T) {
	dir := t.TempDir()
	output := filepath.Join(dir, "out.csv")
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, output+".lock"); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := report.Lock(output); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("got %v, want a refusal of the link", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("the link's target was written: %q", b)
	}
}

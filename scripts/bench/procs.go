package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// procResult is how a child process went.
type procResult struct {
	wall           time.Duration // from start to exit
	cpu            time.Duration // user + system
	maxRSS         uint64        // peak resident set size, bytes
	stdout, stderr string
}

// runProc runs a command to its end with env added to the bench's environment (less
// any PARTNER_CENTER_ setting, so that only the bench's count). A failure carries the
// end of its output.
func runProc(ctx context.Context, env []string, name string, args ...string) (procResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := procResult{wall: time.Since(start), stdout: stdout.String(), stderr: stderr.String()}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = uint64(ru.Maxrss) * 1024 // Linux reports KiB
		}
	}
	if err != nil {
		if p := lineWith(r.stderr, "panic: "); p != "" {
			err = fmt.Errorf("%w (%s)", err, p)
		}
		return r, fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(name), strings.Join(args, " "), err, tail(r.stdout, 2000), tail(r.stderr, 2000))
	}
	return r, nil
}

// cleanEnv is the environment without Partner Center or Graph settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARTNER_CENTER_") && !strings.HasPrefix(kv, "GRAPH_") {
			env = append(env, kv)
		}
	}
	return env
}

// tokenEnv is the environment that signs `bulkassign` in to the fake.
var tokenEnv = []string{"PARTNER_CENTER_ACCESS_TOKEN=" + benchToken}

// buildTool builds ./cmd/bulkassign into the scratch directory, once per bench.
func buildTool(ctx context.Context, o *options) (string, error) {
	bin := filepath.Join(o.dir, "bulkassign")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	logf("   go build -o %s ./cmd/bulkassign", bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bulkassign")
	cmd.Dir = o.moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build bulkassign: %w\n%s", err, out)
	}
	return bin, nil
}

// median is the middle value (the upper of the two middle ones for an even count).
func median[T int64 | uint64 | float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// lineWith is the first line of s that starts with prefix (spaces trimmed).
func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// Command bulkassign assigns Microsoft licenses to a Partner Center customer's users in
// bulk: it plans a CSV of user/SKU rows against the customer's subscribed SKUs, checks
// capacity before anything is sent, then posts the license updates through a
// rate-limited worker pool and writes one result row per input row.
//
// Usage:
//
//	bulkassign plan        --customer ID --input FILE [--out FILE] [--shortfall abort|partial]
//	bulkassign run         --customer ID --input FILE --output FILE [--rate N] [--burst N] [--concurrency N] [--resume] [--simulate]
//	bulkassign fake-server --addr 127.0.0.1:8080 [--catalogue FILE] [--rate N] [--latency D] ...
//
// See README.md for every flag, environment variable and exit code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of bulkassign.
const (
	ExitOK          = 0   // every row succeeded (or the plan can run in full)
	ExitRowsFailed  = 1   // some rows failed or were skipped
	ExitUsage       = 2   // usage or input error: nothing was sent
	ExitShortfall   = 3   // capacity shortfall under --shortfall abort: nothing was sent
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

func main() {
	ctx, abort, stop := signalContext()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Abort: abort}
	err := m.Run(ctx, os.Args[1:])
	stop()
	if err != nil && err.Error() != "" && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "bulkassign:", err)
	}
	os.Exit(ExitCode(err))
}

// signalContext returns a context cancelled by the first SIGINT or SIGTERM (no new
// requests start) and a channel closed by the second (in-flight requests are abandoned).
func signalContext() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	abort := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				n++
				if n == 1 {
					cancel()
				} else {
					close(abort)
					// A third signal gets Go's default: the process ends at once.
					signal.Stop(sigs)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, abort, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// Main holds what a command needs from the process, so that tests can run the whole
// command in-process: its output streams, its environment and the abort signal.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment; tests pass a map's lookup.
	Getenv func(string) string
	// Abort is closed on a second interrupt: in-flight requests are abandoned.
	Abort <-chan struct{}
	// Transport, when set, carries every HTTP request (Partner Center and the token
	// endpoint): tests route them to in-process fakes.
	Transport http.RoundTripper
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		m.usage()
		return &ExitError{Code: ExitUsage, Err: errors.New("no command given")}
	}
	switch args[0] {
	case "plan":
		return (&PlanCommand{main: m}).Run(ctx, args[1:])
	case "run":
		return (&RunCommand{main: m}).Run(ctx, args[1:])
	case "fake-server":
		return (&FakeServerCommand{main: m}).Run(ctx, args[1:])
	case "version":
		fmt.Fprintln(m.Stdout, "bulkassign", version)
		return nil
	case "help", "-h", "-help", "--help":
		m.usage()
		return nil
	default:
		m.usage()
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("unknown command %q", args[0])}
	}
}

func (m *Main) usage() {
	fmt.Fprint(m.Stderr, `bulkassign assigns licenses to Partner Center customers' users in bulk.

Commands:
  plan         read a CSV, resolve SKUs, check capacity; sends nothing
  run          plan, then assign the licenses and write a result CSV
  fake-server  serve a local Partner Center for tests and demos
  version      print the version

Run 'bulkassign COMMAND -h' for a command's flags.
`)
}

// ExitError carries the exit code a command's error maps to.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode maps a command's error to the process exit code.
func ExitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitRowsFailed
}

// parseFlags parses a subcommand's flags: -h is flag.ErrHelp (exit 0, usage
// printed), any other mistake a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("parse flags: %w", err)}
	}
	return nil
}

func usageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

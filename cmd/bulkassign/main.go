// Command bulkassign assigns Microsoft licenses to a partner's customers' users in
// bulk: it plans a CSV of user/SKU rows against each customer's SKUs and what its users
// already hold, checks capacity before anything is sent, then sends only what changes
// through a rate-limited worker pool and writes one result row per input row.
//
// Usage:
//
//	bulkassign plan        --customer ID --input FILE [--out FILE] [--shortfall abort|partial]
//	bulkassign run         --customer ID --input FILE --output FILE [--rate N] [--resume] [--simulate]
//	bulkassign skus        --customer ID [--plans] [-o json]
//	bulkassign report      RESULT.csv [--failed OUT.csv]
//	bulkassign login       [--api partnercenter|graph] --refresh-token-file FILE
//	bulkassign fake-server --addr 127.0.0.1:8080 [--api partnercenter|graph] ...
//
// `bulkassign help COMMAND` prints a command's flags; README.md has every exit code.
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

func main() {
	ctx, abort, stop := signalContext()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Abort: abort}
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
// command in-process: its streams, its environment and the abort signal.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment; tests pass a map's lookup.
	Getenv func(string) string
	// Abort is closed on a second interrupt: in-flight requests are abandoned.
	Abort <-chan struct{}
	// Transport, when set, carries every HTTP request (the API and the token
	// endpoint): tests route them to in-process fakes.
	Transport http.RoundTripper

	// flagSet is the last flag set a command made (for completion).
	flagSet *flag.FlagSet
}

// command is one subcommand: its help and its run.
type command struct {
	name    string
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"plan", "read a CSV, resolve SKUs, read what users hold, check capacity; sends nothing", (*Main).plan},
		{"run", "plan, then send only what changes and write a result CSV and a rollback file", (*Main).runCmd},
		{"skus", "list a customer's SKUs with their seats (and service plans)", (*Main).skus},
		{"report", "read a result CSV: each line's final outcome, failures by reason, rows to retry", (*Main).report},
		{"login", "sign an admin in (device code) and save the refresh token", (*Main).login},
		{"fake-server", "serve a local Partner Center or Graph for tests and demos", (*Main).fakeServer},
		{"completion", "print a shell completion script: bash, zsh or fish", (*Main).completion},
		{"version", "print the version, commit and Go version", (*Main).version},
	}
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	if m.Stdin == nil {
		m.Stdin = os.Stdin
	}
	if len(args) == 0 {
		m.usage(m.Stderr)
		return &ExitError{Code: ExitUsage, Err: errors.New("no command given")}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return m.Run(ctx, []string{args[1], "--help"})
		}
		m.usage(m.Stdout)
		return nil
	case "--version", "-version":
		return m.version(ctx, nil)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(m, ctx, args[1:])
		}
	}
	m.usage(m.Stderr)
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("unknown command %q", args[0])}
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, "bulkassign assigns Microsoft licenses to customers' users in bulk, from a CSV.\n\nUsage:\n  bulkassign COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  bulkassign run --simulate --input samples/migration.csv --output result.csv
  bulkassign plan --customer 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 --input new-hires.csv
  bulkassign report result.csv --failed retry.csv

Run 'bulkassign help COMMAND' for a command's flags.
`)
}

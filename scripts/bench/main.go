// Command bench measures bulkassign as users run it, on loopback, and prints one
// markdown table of every measure with its value, its target and whether it was met
// (issues 13 and 16), with the machine and the command line under it:
//
//	go run ./scripts/bench                        # every measure at full size (about 10 minutes)
//	go run ./scripts/bench -quick                 # every measure at a small size, to exercise it
//	go run ./scripts/bench -only pacing,ceiling   # a subset
//	go run ./scripts/bench -only settle -v        # with per-second timelines on stderr
//
// The table goes to standard output, progress and details to standard error. Other
// work on the machine disturbs the figures: the load average before and after each
// measure is printed under the table. Run it from the module root.
//
// The tool is wired through pkg/job exactly as `bulkassign run` wires it: job.Connect
// with the fake's base URL, a static access token and the pacing `--rate` sets, then
// Session.Run with the run's defaults (users read in the plan, rollback on,
// --concurrency 8). The Partner Center it talks to is pcfake served by net/http on
// 127.0.0.1 in a child process (this program started again with -serve), seeded with
// the users of the job's input, so that the tool's memory, allocations and CPU time are
// its own. The planning measures run the built binary (`bulkassign plan`) as its own
// process; the listing and encoding/csv baselines run in child processes too (-probe).
//
// The measures (see the notes printed under the table for the exact definitions):
//
//   - pacing: the default run (3,000 rows, --rate 100, 50 ms answers): updates/s over
//     --rate, and its plan's reads/s over the read budget; the same job as a
//     sequential loop.
//   - ceiling: the fake limits writes to 20/s (burst 5), the tool runs at --rate 200:
//     goodput over the limit, whole run and after 10 s, and the share of 429s.
//   - settle: the same with the limit lowered to 10/s mid-run: time to settle.
//   - overhead: no pace, no latency: updates/s the tool drives, CPU, allocations and
//     bytes per update, and BenchmarkRequestPath (go test -bench in pkg/runner).
//   - planning: `bulkassign plan --read-users=false` of 1,000,000 rows: wall time and
//     peak RSS, and the ratio over reading the file with encoding/csv alone (A/B).
//   - listing: a listing of 1,000,000 users decoded through the Partner Center
//     backend's ListUsers: time and peak RSS.
//   - lookups: a 50-row file in a directory of 300,000 users: the plan's reads.
//   - directory: 100,000 rows against 1,000,000 users: plan time, memory and reads.
//   - scale: 1,000, 10,000 and 100,000 rows at --rate 2000: time against rows/rate,
//     and the live heap while rows are sent.
//   - graph-ceiling: Microsoft Graph (graphfake in the child process) limits writes to
//     10/s per tenant, below the 20/s Graph publishes and the tool paces at: writes/s
//     over that limit and the share of 429s.
//   - graph-tenants: a run over 10 customer tenants against 10 sequential runs of one
//     customer each.
//
// A failed measure (the tool panicked, a row did not succeed) is a row saying so; the
// other measures still run and the bench exits 1.
//
// The go test benchmarks beside it, for where the time goes:
//
//	go test -run '^$' -bench '^BenchmarkRequestPath$' -benchmem -benchtime 20000x ./pkg/runner
//	go test -run '^$' -bench . -benchmem ./pkg/planner/                      # the planner's phases
//	go test -run '^$' -bench BenchmarkUsersPage -benchmem ./pkg/client/partnercenter/  # the users-page decoder
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"time"
)

func main() {
	serve := flag.String("serve", "", "internal: serve pcfake as this JSON configuration says (the bench's child process)")
	probe := flag.String("probe", "", "internal: run a probe in a child process: csv FILE, or listing URL CUSTOMER")
	var o options
	only := o.flags(flag.CommandLine)
	flag.Parse()

	switch {
	case *serve != "":
		if err := serveFake(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve:", err)
			os.Exit(1)
		}
		return
	case *probe != "":
		if err := runProbe(*probe, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "bench -probe:", err)
			os.Exit(1)
		}
		return
	}
	selected, err := selectMeasures(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	o.applySizes()
	o.command = "go run ./scripts/bench"
	if len(os.Args) > 1 {
		o.command += " " + strings.Join(os.Args[1:], " ")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, selected, &o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// measureFuncs are the measures by name.
var measureFuncs = map[string]func(context.Context, *options) (*measured, error){
	"pacing":    measurePacing,
	"ceiling":   measureCeiling,
	"settle":    measureSettle,
	"overhead":  measureOverhead,
	"planning":  measurePlanning,
	"listing":   measureListing,
	"lookups":   measureLookups,
	"directory": measureDirectory,
	"scale":     measureScale,

	"graph-ceiling": measureGraphCeiling,
	"graph-tenants": measureGraphTenants,
}

// run runs the selected measures in order and prints the table.
func run(ctx context.Context, selected []string, o *options, out io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	o.moduleRoot = root
	if o.dir, err = os.MkdirTemp("", "bulkassign-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.dir)

	start := time.Now()
	var all []*measured
	failed := 0
	for _, name := range selected {
		before := loadavg()
		logf("== %s (load average %s)", name, before)
		t0 := time.Now()
		m, err := measureFuncs[name](ctx, o)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			logf("   %s failed: %v", name, err)
			m, failed = failedMeasure(name, err), failed+1
		}
		m.name, m.before, m.after, m.took = name, before, loadavg(), time.Since(t0)
		logf("   %s took %s; load average after: %s", name, m.took.Round(time.Second), m.after)
		all = append(all, m)
	}
	t := table{measures: all, machine: describeMachine(), command: o.command, took: time.Since(start), quick: o.quick}
	if err := t.write(out); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d measures failed (see the table)", failed, len(selected))
	}
	return nil
}

// failedMeasure is the row of a measure that could not be made: the table still
// shows every measure, and the bench exits non-zero.
func failedMeasure(name string, err error) *measured {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return &measured{rows: []row{{Measure: name, Value: "**failed**: " + msg, Target: noTarget, Result: "**failed**"}}}
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the bench from the bulkassign module (go run ./scripts/bench)")
	}
	return strings.TrimSuffix(gomod, "/go.mod"), nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

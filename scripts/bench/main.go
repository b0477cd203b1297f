// Command bench measures, in one run on loopback, whether bulkassign keeps a bulk run
// at the API's throttle without tripping it and without being the bottleneck itself,
// and prints one markdown table of every measure, its goal and whether it was met
// (issue 7):
//
//	go run ./scripts/bench                      # every measure, about 5 minutes
//	go run ./scripts/bench -only pacing,ceiling # a subset
//	go run ./scripts/bench -only settle -v      # with per-second timelines on stderr
//
// The table goes to standard output, progress and details to standard error. Other
// work on the machine disturbs the figures: the load average before and after each
// measure is printed under the table.
//
// The measures:
//
//   - pacing: 3,000 requests at --rate 100 against 50 ms answers; the rate achieved over
//     the rate configured; and the same job as a sequential loop (UpdateLicenses one
//     request at a time, as a hand-written script does it).
//   - ceiling: the fake throttles at 20 requests/s (burst 5) and the tool is started at
//     --rate 200: goodput over the fake's limit and the share of answers that were 429.
//   - settle: the same, with the fake's limit lowered from 20 to 10 requests/s mid-run:
//     how long the tool takes to settle to the new ceiling.
//   - overhead: rate unlimited, no latency: the requests per second the tool drives on
//     this machine, its CPU time and allocations per request, and BenchmarkRequestPath
//     (go test -bench in pkg/runner) for the request path alone.
//   - planning: `bulkassign plan` (the built binary, its own process) of 100,000 and
//     1,000,000 generated rows against the fake, with and without --check-users: wall
//     time and peak resident set size.
//   - scale: 1,000, 10,000 and 100,000 rows at --rate 2000: elapsed time against rows
//     over rate, and the tool's live heap during the run.
//
// The tool is wired exactly as cmd/bulkassign/run.go wires it (runner.NewPacer given to
// client.New with WithLimiter and WithObserver, planner.Build through that client,
// runner.Run writing the result CSV with report.Create). The Partner Center it talks to
// is pcfake served by net/http on 127.0.0.1:0 in a child process (this program started
// again with -serve), so that the tool's memory, allocations and CPU time are its own.
//
// Run it from the module root: the planning and overhead measures build
// ./cmd/bulkassign and run go test in ./pkg/runner.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"
)

// measures in the order they run and print.
var measureNames = []string{"pacing", "ceiling", "settle", "overhead", "planning", "scale"}

type options struct {
	seqRequests   int
	pacingConc    int
	ceilingReqs   int
	settleReqs    int
	settleAfter   time.Duration
	overheadReqs  int
	overheadConc  int
	benchtime     string
	planRows      []int
	planRuns      int
	scaleRows     []int
	scaleRate     float64
	verbose       bool
	dir           string
	moduleRoot    string
	commandString string
}

func main() {
	serve := flag.Bool("serve", false, "internal: serve pcfake on 127.0.0.1:0 (the bench's child process)")
	serveLatency := flag.Duration("serve-latency", 0, "internal: with -serve, the answer latency")
	serveRate := flag.Float64("serve-rate", 0, "internal: with -serve, the rate limit (0: none)")
	serveBurst := flag.Int("serve-burst", 5, "internal: with -serve, the rate limit's burst")
	serveUsers := flag.String("serve-users", "", "internal: with -serve, give the customer a user for every user of this input file")

	only := flag.String("only", "", "measures to run, comma-separated: "+strings.Join(measureNames, ",")+" (default: all)")
	var o options
	flag.IntVar(&o.seqRequests, "seq-requests", 400, "pacing: requests the sequential loop sends (its time for 3,000 is projected from its rate; 3000 sends them all, about 155 s)")
	flag.IntVar(&o.pacingConc, "pacing-concurrency", 8, "pacing: --concurrency of the tool")
	flag.IntVar(&o.ceilingReqs, "ceiling-requests", 3000, "ceiling: requests of the run (as many as the pacing job)")
	flag.IntVar(&o.settleReqs, "settle-requests", 600, "settle: requests of the run")
	flag.DurationVar(&o.settleAfter, "settle-change", 15*time.Second, "settle: when the fake's limit is lowered")
	flag.IntVar(&o.overheadReqs, "overhead-requests", 60000, "overhead: requests of the run")
	flag.IntVar(&o.overheadConc, "overhead-concurrency", 8, "overhead: --concurrency of the tool")
	flag.StringVar(&o.benchtime, "benchtime", "20000x", "overhead: -benchtime of BenchmarkRequestPath")
	flag.IntVar(&o.planRuns, "plan-runs", 3, "planning: runs per size (the median is reported)")
	flag.Float64Var(&o.scaleRate, "scale-rate", 2000, "scale: --rate of the runs")
	flag.BoolVar(&o.verbose, "v", false, "print timelines (requests and 429s per second)")
	flag.Parse()
	o.planRows = []int{100_000, 1_000_000}
	o.scaleRows = []int{1_000, 10_000, 100_000}

	if *serve {
		if err := serveFake(*serveLatency, *serveRate, *serveBurst, *serveUsers); err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve:", err)
			os.Exit(1)
		}
		return
	}

	selected := measureNames
	if *only != "" {
		selected = nil
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(measureNames, n) {
				fmt.Fprintf(os.Stderr, "bench: -only %q: unknown measure %q (known: %s)\n", *only, n, strings.Join(measureNames, ", "))
				os.Exit(2)
			}
			selected = append(selected, n)
		}
	}
	o.commandString = "go run ./scripts/bench"
	if len(os.Args) > 1 {
		o.commandString += " " + strings.Join(os.Args[1:], " ")
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, selected, &o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// row is one line of the table.
type row struct {
	Measure, Value, Goal, Result string
}

// measured is what one measure adds to the output: rows of the table, notes under it,
// and the load average before and after it ran.
type measured struct {
	name   string
	rows   []row
	notes  []string
	before string
	after  string
	took   time.Duration
}

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

	funcs := map[string]func(context.Context, *options) (*measured, error){
		"pacing":   measurePacing,
		"ceiling":  measureCeiling,
		"settle":   measureSettle,
		"overhead": measureOverhead,
		"planning": measurePlanning,
		"scale":    measureScale,
	}
	start := time.Now()
	var all []*measured
	for _, name := range measureNames {
		if !slices.Contains(selected, name) {
			continue
		}
		logf("== %s (load average %s)", name, loadavg())
		before := loadavg()
		t0 := time.Now()
		m, err := funcs[name](ctx, o)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		m.name, m.before, m.after, m.took = name, before, loadavg(), time.Since(t0)
		logf("   %s took %s; load average after: %s", name, m.took.Round(time.Second), m.after)
		all = append(all, m)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	printTable(out, all, o, time.Since(start))
	return nil
}

func printTable(w io.Writer, all []*measured, o *options, took time.Duration) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Measure | Value | Goal | Result |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, m := range all {
		for _, r := range m.rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Measure, r.Value, r.Goal, r.Result)
		}
	}
	fmt.Fprintln(w)
	for _, m := range all {
		for _, n := range m.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Machine: %s\n", machine())
	fmt.Fprintf(w, "Command: `%s` (from the module root; %s in all)\n", o.commandString, took.Round(time.Second))
	var loads []string
	for _, m := range all {
		loads = append(loads, fmt.Sprintf("%s %s → %s", m.name, m.before, m.after))
	}
	fmt.Fprintf(w, "Load average (1, 5, 15 min) before → after each measure: %s\n", strings.Join(loads, "; "))
}

// machine is "N cores (nproc), model name, Go version, OS/arch".
func machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%d cores (nproc), %s, %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
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

// atLeast says whether value met a goal of at least goal, and by how much.
func atLeast(value, goal float64) string {
	d := (value - goal) / goal * 100
	if value >= goal {
		return fmt.Sprintf("met (+%.1f%% above the goal)", d)
	}
	return fmt.Sprintf("**missed** (%.1f%% below the goal)", -d)
}

// atMost says whether value met a goal of at most goal, and by how much.
func atMost(value, goal float64) string {
	d := (goal - value) / goal * 100
	if value <= goal {
		return fmt.Sprintf("met (%.1f%% under the limit)", d)
	}
	return fmt.Sprintf("**missed** (%.1f%% over the limit)", -d)
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// RunCommand is `bulkassign run`: it plans exactly as `bulkassign plan`, then assigns
// the licenses through a rate-limited worker pool and writes one result row per input
// row to --output.
type RunCommand struct {
	main *Main
}

// Run parses the flags, plans and runs.
func (c *RunCommand) Run(ctx context.Context, args []string) (err error) {
	m := c.main
	fs := flag.NewFlagSet("bulkassign run", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var f commonFlags
	f.register(fs, false)
	output := fs.String("output", "", "result CSV to write, one row per input row (required; an existing file is refused unless --resume)")
	rate := fs.Float64("rate", 10, "requests per second at most, retries included")
	burst := fs.Int("burst", 1, "requests that may go out at once above --rate")
	concurrency := fs.Int("concurrency", 8, "requests in flight at most")
	resume := fs.Bool("resume", false, "continue an earlier run: keep --output's rows and send only the input rows not yet succeeded")
	drain := fs.Duration("drain-timeout", 30*time.Second, "on interrupt, how long in-flight requests may take to finish")
	rollback := fs.Bool("rollback", true, "write <output>.rollback.csv, an input that undoes the updates that succeeded (reads each affected user's licenses once before sending)")
	summaryJSON := fs.String("summary-json", "", "also write the run's summary as JSON to this file (for schedulers and alerts), whatever the exit code")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: bulkassign run --customer ID --input FILE --output FILE [--rate N] [--burst N] [--concurrency N] [--shortfall abort|partial] [--resume] [--base-url URL] [--simulate]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	summary := &report.Summary{Output: *output}
	if *summaryJSON != "" {
		// The summary JSON is written on every exit, usage errors included; a path that
		// would overwrite the input or the results is refused first.
		if err := checkSummaryPath(*summaryJSON, f.input, *output); err != nil {
			return err
		}
		defer func() {
			if werr := writeSummaryJSON(*summaryJSON, summary, err); werr != nil && err == nil {
				err = &ExitError{Code: ExitRowsFailed, Err: werr}
			}
		}()
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if err := f.validate(); err != nil {
		return err
	}
	switch {
	case *output == "":
		return usageError("--output is required: the result CSV to write")
	case !(*rate > 0) || *rate > 10000:
		return usageError("--rate %v: must be a number of requests per second above 0 (at most 10000)", *rate)
	case *burst < 1 || *burst > 1000:
		return usageError("--burst %d: must be between 1 and 1000", *burst)
	case *concurrency < 1 || *concurrency > 256:
		return usageError("--concurrency %d: must be between 1 and 256", *concurrency)
	case *drain <= 0:
		return usageError("--drain-timeout %v: must be above 0", *drain)
	}
	log := newLogger(m.Stderr, f.logLevel)

	// The output is checked (and, on resume, read back) before anything is sent.
	var (
		file  *report.File
		prior []report.Result
	)
	rollbackPath := *output + ".rollback.csv"
	if *resume && exists(*output) {
		if file, prior, err = report.Resume(*output); err != nil {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		defer file.Close()
	} else if err := refuseExisting(*output); err != nil {
		return err
	}
	if *rollback {
		// A fresh run must not append to an earlier run's rollback file; a resumed one
		// appends to its own, which must be a rollback file.
		if !*resume {
			if err := refuseExisting(rollbackPath); err != nil {
				return err
			}
		} else if exists(rollbackPath) {
			rf, err := report.OpenRollback(rollbackPath)
			if err != nil {
				return &ExitError{Code: ExitUsage, Err: err}
			}
			rf.Close()
		}
	}

	pacer := runner.NewPacer(*rate, *burst)
	s, err := m.connect(&f, log, client.WithLimiter(pacer), client.WithObserver(pacer.Observe))
	if err != nil {
		return err
	}
	log.Info().Str("customer", displayCustomer(s.customer)).Str("endpoint", s.endpoint).
		Str("credentials", s.credKind).Str("correlation_id", s.client.CorrelationID()).
		Str("output", *output).Msg("starting run")

	var done func(c, u, sku, rm string) bool
	if *resume {
		succeeded := report.Succeeded(prior)
		log.Info().Int("rows_in_output", len(prior)).Int("succeeded", len(succeeded)).Msg("resuming")
		done = func(c, u, sku, rm string) bool { return succeeded[report.ResumeKey(c, u, sku, rm)] }
	}
	summary.CorrelationID = s.client.CorrelationID()
	plan, err := m.buildPlan(ctx, &f, s, log, done)
	if plan != nil {
		summary.Capacity = capacityRows(plan.Capacity)
		summary.SkuNames = map[string]string{}
		for _, c := range plan.Capacity {
			summary.SkuNames[strings.ToLower(c.SkuID)] = c.SkuName
		}
	}
	if err != nil {
		return err
	}
	if s.fake != nil {
		seedSimulatedHolders(s, plan)
	}
	// The rollback file is written ahead of each update from what its user held
	// before (see runner.Prior).
	var (
		before       *runner.Prior
		rollbackFile *report.RollbackFile
		post         runner.Poster = s.client
	)
	if *rollback {
		before = runner.NewPrior(s.client, func() (runner.RollbackWriter, error) {
			rf, err := report.OpenRollback(rollbackPath)
			if err != nil {
				return nil, err
			}
			rollbackFile = rf
			return rf, nil
		})
		post = before.Poster(s.client)
	}
	if file == nil {
		if file, err = report.Create(*output); err != nil {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		defer file.Close()
	}

	if plan.NumRows() == 0 {
		if err := file.Close(); err != nil {
			return fmt.Errorf("close output: %w", err)
		}
		if plan.Resumed > 0 {
			fmt.Fprintf(m.Stdout, "Nothing to do: all %d rows already succeeded in %s.\n", plan.Resumed, *output)
		} else {
			fmt.Fprintf(m.Stdout, "Nothing to do: the input has no rows. Wrote the header to %s.\n", *output)
		}
		return nil
	}

	prog := newProgress(m.Stderr, log, plan.NumRows())
	sink := &tallySink{file: file, summary: summary}
	stats, runErr := runner.Run(ctx, plan, post, pacer, sink, runner.Config{
		Concurrency:   *concurrency,
		DrainTimeout:  *drain,
		CorrelationID: s.client.CorrelationID(),
		Abort:         m.Abort,
		OnProgress:    prog.update,
		Logger:        log,
	})
	prog.finish()
	closeErr := file.Close()
	if rollbackFile != nil {
		if err := rollbackFile.Close(); err != nil && closeErr == nil {
			closeErr = err
		}
	}

	summary.Elapsed = stats.Elapsed
	summary.Requests = stats.Requests
	summary.RequestsPerSecond = stats.RequestsPerSecond
	summary.Throttled = stats.Throttled
	summary.Retries = stats.Retries
	summary.Interrupted = stats.Interrupted
	if before != nil {
		summary.Rollback = rollbackPath
		summary.RollbackRows = before.Written()
		summary.RollbackOmitted = before.Omitted()
	}

	code := ExitOK
	var final error
	switch {
	case errors.Is(runErr, runner.ErrInterrupted):
		code, final = ExitInterrupted, errors.New("interrupted")
	case runErr != nil:
		code, final = ExitRowsFailed, fmt.Errorf("run stopped early: %w", runErr)
	case closeErr != nil:
		code, final = ExitRowsFailed, fmt.Errorf("close output: %w", closeErr)
	case summary.Counts[report.StatusFailed]+summary.Counts[report.StatusSkipped] > 0:
		code = ExitRowsFailed
		final = fmt.Errorf("%d row(s) failed, %d skipped; see %s",
			summary.Counts[report.StatusFailed], summary.Counts[report.StatusSkipped], *output)
	}
	if runErr != nil {
		summary.StopReason = runErr.Error()
	}
	if code != ExitOK {
		summary.ResumeCommand = resumeCommand(args)
	}
	summary.ExitCode = code
	fmt.Fprintln(m.Stdout)
	// The capacity table was printed with the plan; the text summary leaves it out.
	text := *summary
	text.Capacity = nil
	if err := text.WriteText(m.Stdout); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if sink.unwritten > 0 {
		fmt.Fprintf(m.Stdout, "\n%d row(s) could not be written to %s (%v). Resuming sends them; up to --concurrency of them may already be applied, which resending does not repeat.\n",
			sink.unwritten, *output, sink.err)
	}
	if before != nil && before.Written() > 0 {
		where := ""
		switch {
		case f.simulate:
			where = " --simulate" // the simulated tenant lives only in this process: shown for form
		case f.baseURL != "":
			where = " --base-url " + shellQuote(f.baseURL)
		}
		fmt.Fprintf(m.Stdout, "\nRollback: %d row(s) in %s undo this run's updates (written ahead of each):\n  bulkassign run%s --customer %s --input %s --output %s\n",
			before.Written(), rollbackPath, where, shellQuote(s.customer), shellQuote(rollbackPath), shellQuote(*output+".rolled-back.csv"))
	}
	if before != nil && before.Omitted() > 0 {
		fmt.Fprintf(m.Stdout, "%d update(s) are not in the rollback file: their users' licenses could not be read first (%d user(s)).\n",
			before.Omitted(), before.Unknown())
	}
	if final != nil {
		return &ExitError{Code: code, Err: final}
	}
	return nil
}

// exists reports whether path names something on disk.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// checkSummaryPath refuses a --summary-json path that is the input or the output (the
// summary would replace them), or whose directory does not exist.
func checkSummaryPath(path, input, output string) error {
	for _, other := range []string{input, output, output + ".rollback.csv"} {
		if other != "" && samePath(path, other) {
			return usageError("--summary-json %s: it is also the input, the output or the rollback file", path)
		}
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return usageError("--summary-json %s: its directory does not exist", path)
	}
	return nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// writeSummaryJSON writes the run's summary as JSON, atomically, with the exit code
// runErr maps to; a run that stopped before its end says why.
func writeSummaryJSON(path string, s *report.Summary, runErr error) error {
	s.ExitCode = ExitCode(runErr)
	if runErr != nil && s.StopReason == "" && s.ExitCode != ExitRowsFailed {
		s.StopReason = runErr.Error()
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary JSON: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// writeFileAtomic replaces path with data through a temporary file and a rename, so
// that a reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// seedSimulatedHolders makes the simulated tenant look like a real one before a run:
// every user the input removes a SKU from holds it, so that a migration plays out as
// it would on a real tenant.
func seedSimulatedHolders(s *session, plan *planner.Plan) {
	for i := 0; i < plan.NumRows(); i++ {
		r := plan.Row(i)
		if r.RemoveSkuID != "" && r.Status == planner.StatusPlanned {
			_ = s.fake.AddHolder(r.Customer, r.User, r.RemoveSkuID)
		}
	}
}

// resumeCommand is the command line that resumes this run.
func resumeCommand(args []string) string {
	parts := []string{"bulkassign", "run"}
	hasResume := false
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "resume", "resume=true":
			hasResume = true
		case "resume=false":
			continue
		}
		parts = append(parts, shellQuote(a))
	}
	if !hasResume {
		parts = append(parts, "--resume")
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tallySink writes each result to the output file and counts it for the summary,
// also when the file refuses it, so that the summary accounts for every row.
type tallySink struct {
	file      *report.File
	summary   *report.Summary
	unwritten int
	err       error
}

func (t *tallySink) Write(r report.Result) error {
	t.summary.Add(r)
	if err := t.file.Write(r); err != nil {
		t.unwritten++
		if t.err == nil {
			t.err = err
		}
		return err
	}
	return nil
}

// progress shows how a run goes: a bar redrawn in place on a terminal, a log line
// every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	log   zerolog.Logger
	total int
	last  time.Time
	p     runner.Progress
	drawn bool
}

func newProgress(w io.Writer, log zerolog.Logger, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), log: log, total: total}
}

func (p *progress) update(pr runner.Progress) {
	p.p = pr
	now := time.Now()
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every && pr.Done < pr.Total {
		return
	}
	p.last = now
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
		p.drawn = true
		return
	}
	p.log.Info().Int("done", pr.Done).Int("total", pr.Total).Int("failed", pr.Failed).
		Int("skipped", pr.Skipped).Float64("requests_per_second", round1(pr.RequestsPerSecond)).
		Int("throttled", pr.Throttled).Str("time_left", eta(pr).String()).Msg("progress")
}

func (p *progress) line() string {
	pr := p.p
	const width = 30
	filled := 0
	if pr.Total > 0 {
		filled = width * pr.Done / pr.Total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	return fmt.Sprintf("[%s] %d/%d rows  %.1f req/s  %d failed  %d skipped  %s left",
		bar, pr.Done, pr.Total, pr.RequestsPerSecond, pr.Failed, pr.Skipped, eta(pr))
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r\033[K%s\n", p.line())
	}
}

func eta(pr runner.Progress) time.Duration {
	if pr.Done == 0 || pr.Done >= pr.Total {
		return 0
	}
	per := pr.Elapsed / time.Duration(pr.Done)
	return (per * time.Duration(pr.Total-pr.Done)).Round(time.Second)
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

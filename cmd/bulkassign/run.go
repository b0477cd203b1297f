package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

var runHelp = &help{
	usage: "bulkassign run --input FILE --output FILE [--customer ID] [--rate N] [--resume] [flags]",
	about: "Plans as `bulkassign plan` does, then sends only what changes, paced under --rate, and writes one result row\n" +
		"per input row to --output and, ahead of each change, the rows that undo it to <output>.rollback.csv.\n" +
		"Exit 0: every row succeeded or was unchanged; 1: rows failed or were skipped, or the run stopped early;\n" +
		"2: input or settings errors or refused credentials; 3: not enough seats; 130: interrupted.",
	groups: []flagGroup{
		{"Output", []string{"output", "resume", "rollback", "summary-json"}},
		planGroup,
		{"Pace", []string{"rate", "burst", "concurrency", "read-rate", "drain-timeout"}},
		connGroup,
	},
	examples: []string{
		"bulkassign run --simulate --input samples/migration.csv --output result.csv",
		"bulkassign run --customer 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 --input new-hires.csv --output out/$(date +%F).csv --summary-json out/summary.json",
		"bulkassign run --customer 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 --input new-hires.csv --output result.csv --resume   # the same command, after an interruption",
	},
	env: envHelp,
}

// graphConcurrency is --concurrency with --api graph when not given: enough updates in
// flight for several customers at Graph's 20 writes a second each.
const graphConcurrency = 64

// runFlags are run's flags beyond the plan's.
type runFlags struct {
	planFlags
	output      string
	rate        float64
	burst       int
	concurrency int
	resume      bool
	drain       time.Duration
	rollback    bool
}

func (f *runFlags) check() error {
	switch {
	case f.output == "":
		return usageError("--output is required: the result CSV to write")
	case !(f.rate > 0) || f.rate > 10000:
		return usageError("--rate %v: must be a number of updates per second above 0 (at most 10000)", f.rate)
	case f.burst < 1 || f.burst > 1000:
		return usageError("--burst %d: must be between 1 and 1000", f.burst)
	case f.concurrency < 1 || f.concurrency > 256:
		return usageError("--concurrency %d: must be between 1 and 256", f.concurrency)
	case f.drain <= 0:
		return usageError("--drain-timeout %v: must be above 0", f.drain)
	}
	return nil
}

// runCmd is `bulkassign run`.
func (m *Main) runCmd(ctx context.Context, args []string) (err error) {
	var f runFlags
	fs := m.newFlagSet("run", runHelp)
	f.planFlags.register(fs)
	fs.StringVar(&f.output, "output", "", "the result `CSV` to write, one row per input row (required; an existing file is refused unless --resume)")
	fs.Float64Var(&f.rate, "rate", 10, "updates per second at most, retries included (20 per customer tenant with --api graph); reads are paced by --read-rate")
	fs.IntVar(&f.burst, "burst", 1, "updates that may go out at once above --rate")
	fs.IntVar(&f.concurrency, "concurrency", 8, "updates in flight at most (64 with --api graph)")
	fs.BoolVar(&f.resume, "resume", false, "continue the run whose result CSV --output is: send only the rows not yet done")
	fs.DurationVar(&f.drain, "drain-timeout", 30*time.Second, "on interrupt, how long updates in flight may take to finish")
	fs.BoolVar(&f.rollback, "rollback", true, "write <output>.rollback.csv, an input that undoes the run, ahead of each update")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sum := &report.Summary{Output: f.output}
	if f.summaryJSON != "" {
		if err := checkSummaryPath(f.summaryJSON, f.input, f.output); err != nil {
			return err
		}
		defer func() {
			if _, serr := os.Stat(sum.Output); serr != nil {
				sum.Output = "" // the run stopped before it wrote one: name no file
			}
			err = writeSummary(f.summaryJSON, sum, err)
		}()
	}
	if err := f.planFlags.check(fs); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	out := m.newPrinter(&f.connFlags, false)
	in, err := job.ReadInput(f.input, m.Stdin)
	if err != nil {
		return usageError("%w", err)
	}
	pacing := job.DefaultPacing(f.api)
	if set(fs, "rate") || set(fs, "burst") || f.api == job.APIPartnerCenter {
		pacing.Write = client.Budget{Rate: f.rate, Burst: f.burst}
	}
	if f.api == job.APIGraph && !set(fs, "concurrency") {
		f.concurrency = graphConcurrency // customers in parallel, up to 20 writes of each in a $batch
	}
	sess, err := m.connect(ctx, &f.connFlags, pacing, out.log)
	if err != nil {
		return err
	}
	out.log.Info().Str("customer", displayCustomer(f.customer)).Str("endpoint", sess.Endpoint).
		Str("credentials", sess.CredentialsFrom).Str("output", f.output).Msg("starting run")
	var prog *progress
	s, runErr := sess.Run(ctx, job.RunConfig{
		PlanConfig:   m.planConfig(&f.planFlags, in, out),
		Output:       f.output,
		Resume:       f.resume,
		Rollback:     f.rollback,
		Concurrency:  f.concurrency,
		DrainTimeout: f.drain,
		Abort:        m.Abort,
		Logger:       out.log,
		Warn:         func(msg string) { out.log.Warn().Msg(msg) },
		OnPlan: func(p *planner.Plan) {
			out.plan(p)
			switch {
			case p.NumRows() == 0 && p.Resumed > 0:
				fmt.Fprintf(m.Stdout, "Nothing to do: every line of the input is done in %s.\n", f.output)
			case p.NumRows() == 0:
				fmt.Fprintln(m.Stdout, "Nothing to do: the input has no rows.")
			}
			prog = newProgress(m.Stderr, out.log, p.NumRows())
		},
		OnProgress: func(p runner.Progress) { prog.update(p) },
	})
	*sum = *s
	if prog != nil {
		prog.finish()
	}
	return m.runOutcome(ctx, &f, args, sum, runErr, out)
}

// runOutcome prints the summary of a run and maps its outcome to the exit code.
func (m *Main) runOutcome(ctx context.Context, f *runFlags, args []string, sum *report.Summary, runErr error, out *printer) error {
	if runErr != nil && sum.Elapsed == 0 {
		return m.beforeSend(ctx, f, runErr, out) // nothing was sent
	}
	code := ExitOK
	var final error
	switch {
	case runErr != nil:
		code = exitCodeOf(runErr)
		final = fmt.Errorf("run stopped early: %w", runErr)
		if code == ExitInterrupted {
			final = errors.New("interrupted")
		}
	case sum.Counts[report.StatusFailed]+sum.Counts[report.StatusSkipped] > 0:
		code = ExitRowsFailed
		final = fmt.Errorf("%d line(s) failed, %d skipped; see %s", sum.Counts[report.StatusFailed], sum.Counts[report.StatusSkipped], f.output)
	}
	if code != ExitOK {
		sum.ResumeCommand = resumeCommand(args)
	}
	sum.ExitCode = code
	fmt.Fprintln(m.Stdout)
	text := *sum
	text.Capacity = nil // printed with the plan
	if err := text.WriteText(m.Stdout); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	m.rollbackHint(f, sum)
	if final != nil {
		return &ExitError{Code: code, Err: final}
	}
	return nil
}

// beforeSend reports a run that stopped before anything was sent.
func (m *Main) beforeSend(ctx context.Context, f *runFlags, err error, out *printer) error {
	var inputErr *planner.InputError
	var short *planner.ShortfallError
	switch {
	case errors.As(err, &inputErr), errors.As(err, &short):
		return m.planError(ctx, "run", f.input, err, out)
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted while planning; nothing was sent")}
	}
	return &ExitError{Code: exitCodeOf(err), Err: fmt.Errorf("run %s (nothing was sent): %w", f.input, settingsError(err))}
}

// rollbackHint prints the command that undoes the run.
func (m *Main) rollbackHint(f *runFlags, sum *report.Summary) {
	if sum.Rollback == "" || sum.RollbackRows == 0 {
		return
	}
	where := ""
	switch {
	case f.simulate:
		where = " --simulate" // a new simulated tenant: see the README
	case f.baseURL != "":
		where = " --base-url " + shellQuote(f.baseURL)
	}
	if f.api != job.APIPartnerCenter {
		where += " --api " + f.api
	}
	fmt.Fprintf(m.Stdout, "\nRollback: %d row(s) in %s undo this run's updates (written ahead of each):\n  bulkassign run%s --input %s --output %s\n",
		sum.RollbackRows, sum.Rollback, where, shellQuote(sum.Rollback), shellQuote(f.output+".rolled-back.csv"))
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

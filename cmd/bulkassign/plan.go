package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// planFlags are the flags of the plan both plan and run make.
type planFlags struct {
	connFlags
	input           string
	shortfall       string
	readUsers       bool
	checkUsers      bool // the earlier name of --read-users
	usageLocation   string
	readConcurrency int
	summaryJSON     string
}

var planGroup = flagGroup{"Input and plan", []string{"input", "shortfall", "read-users", "usage-location", "read-concurrency", "check-users"}}

func (f *planFlags) register(fs *flag.FlagSet) {
	f.connFlags.register(fs)
	fs.StringVar(&f.input, "input", "", "the input CSV `file` of user/SKU rows (required; - for standard input)")
	fs.StringVar(&f.shortfall, "shortfall", "abort", "on a capacity shortfall: abort (send nothing) or partial (grant rows in file order while seats last)")
	fs.BoolVar(&f.readUsers, "read-users", true, "read the file's users and what they hold: send only what changes, count seats exactly, write a rollback file")
	fs.BoolVar(&f.checkUsers, "check-users", true, "the earlier name of --read-users")
	fs.StringVar(&f.usageLocation, "usage-location", "", "two-letter `country` to set on users without a usage location, before their assignment")
	fs.IntVar(&f.readConcurrency, "read-concurrency", 8, "reads in flight at most per customer, and customers read at once")
	fs.StringVar(&f.summaryJSON, "summary-json", "", "also write the summary as JSON to this `FILE`, whatever the exit code")
}

// check refuses flag values that cannot work.
func (f *planFlags) check(fs *flag.FlagSet) error {
	if err := f.connFlags.check(); err != nil {
		return err
	}
	if f.input == "" {
		return usageError("--input is required: the CSV of user/SKU rows")
	}
	switch planner.Shortfall(f.shortfall) {
	case planner.ShortfallAbort, planner.ShortfallPartial:
	default:
		return usageError("--shortfall %q: must be abort or partial", f.shortfall)
	}
	if set(fs, "check-users") && !set(fs, "read-users") {
		f.readUsers = f.checkUsers
	}
	if f.readConcurrency < 1 || f.readConcurrency > 64 {
		return usageError("--read-concurrency %d: must be between 1 and 64", f.readConcurrency)
	}
	return nil
}

// set reports whether the flag was given on the command line.
func set(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// planConfig is the job's plan settings from the flags.
func (m *Main) planConfig(f *planFlags, in *job.Input, out *printer) job.PlanConfig {
	return job.PlanConfig{
		Input:           in,
		Customer:        f.customer,
		Shortfall:       planner.Shortfall(f.shortfall),
		ReadUsers:       f.readUsers,
		UsageLocation:   f.usageLocation,
		ReadConcurrency: f.readConcurrency,
		OnReads:         out.reads,
		OnReadProgress:  out.readProgress,
	}
}

var planHelp = &help{
	usage: "bulkassign plan --input FILE [--customer ID] [--out FILE] [-o text|json] [flags]",
	about: "The dry run: reads each customer's SKUs once and, by default, the users of the file and what they hold,\n" +
		"then prints what a run would do and whether the seats suffice. It never changes anything.\n" +
		"Exit 0: the plan can run in full; 1: rows would be skipped; 2: input or settings errors; 3: not enough seats.",
	groups: []flagGroup{planGroup, {"Pace", []string{"read-rate"}}, {"Output", []string{"out", "o", "summary-json"}}, connGroup},
	examples: []string{
		"bulkassign plan --simulate --input samples/onboarding.csv",
		"bulkassign plan --customer 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 --input new-hires.csv -o json",
		"bulkassign plan --input roster.csv --read-users=false   # a quick capacity look: counts are upper bounds",
	},
	env: envHelp,
}

// plan is `bulkassign plan`.
func (m *Main) plan(ctx context.Context, args []string) (err error) {
	var f planFlags
	fs := m.newFlagSet("plan", planHelp)
	f.register(fs)
	outPath := fs.String("out", "", "write the planned rows to this result `FILE` (- for standard output)")
	format := fs.String("o", "text", "output `format` of the plan: text or json (the capacity table as JSON)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sum := &report.Summary{}
	if f.summaryJSON != "" {
		if err := checkSummaryPath(f.summaryJSON, f.input, *outPath); err != nil {
			return err
		}
		defer func() { err = writeSummary(f.summaryJSON, sum, err) }()
	}
	if err := f.check(fs); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError("-o %q: must be text or json", *format)
	}
	if *outPath != "" && *outPath != "-" {
		if err := refuseExisting(*outPath); err != nil {
			return err
		}
		if f.input != "-" && job.SamePath(f.input, *outPath) {
			return usageError("--out %s is the input file", *outPath)
		}
		if err := job.CheckWritableDir(*outPath); err != nil {
			return usageError("--out %s: %w", *outPath, err)
		}
	}
	out := m.newPrinter(&f.connFlags, *format == "json")
	if *outPath == "-" {
		out.out = m.Stderr // standard output carries the CSV alone
	}
	in, err := job.ReadInput(f.input, m.Stdin)
	if err != nil {
		return usageError("%w", err)
	}
	in.Unhashed = true // a dry run writes no result file for a fingerprint to go in
	sess, err := m.connect(ctx, &f.connFlags, job.DefaultPacing(f.api), out.log)
	if err != nil {
		return err
	}
	out.log.Info().Str("customer", displayCustomer(f.customer)).Str("endpoint", sess.Endpoint).
		Str("credentials", sess.CredentialsFrom).Msg("planning")
	plan, err := sess.Plan(ctx, m.planConfig(&f, in, out))
	if plan != nil {
		sum.CorrelationID = sess.Backend.CorrelationID()
		if f.summaryJSON != "" {
			fillPlanSummary(sum, plan) // a line at a time: only when asked for
		}
		out.plan(plan)
	}
	if err != nil {
		return m.planError(ctx, "plan", f.input, err, out)
	}
	if *outPath != "" {
		if err := writePlanned(m, *outPath, plan, sum.CorrelationID); err != nil {
			return err
		}
	}
	return out.planVerdict(plan, *outPath)
}

// planError prints what went wrong while planning and maps it to its exit code.
func (m *Main) planError(ctx context.Context, verb, input string, err error, out *printer) error {
	var inputErr *planner.InputError
	var short *planner.ShortfallError
	switch {
	case errors.As(err, &inputErr):
		out.problems(input, inputErr)
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s %s: %d input problem(s)", verb, input, len(inputErr.Problems))}
	case errors.As(err, &short):
		out.shortfall(short)
		return &ExitError{Code: ExitShortfall, Err: errors.New("capacity shortfall")}
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted while planning; nothing was sent")}
	}
	return &ExitError{Code: exitCodeOf(err), Err: fmt.Errorf("%s %s (nothing was sent): %w", verb, input, settingsError(err))}
}

// fillPlanSummary puts a plan's counts into a summary.
func fillPlanSummary(sum *report.Summary, plan *planner.Plan) {
	sum.Capacity = job.CapacityRows(plan.Capacity)
	sum.UpperBound = !plan.UsersRead
	sum.Reads = plan.Reads.Reads
	for i := range plan.NumRows() {
		sum.Add(plan.Row(i).Outcome())
	}
}

// writePlanned writes the plan's rows in the result format (planned, unchanged, or
// skipped with the reason).
func writePlanned(m *Main, path string, plan *planner.Plan, correlationID string) error {
	var f *report.File
	var w *report.Writer
	var err error
	if path == "-" {
		w, err = report.NewWriter(m.Stdout)
	} else if f, err = report.Create(path); err == nil {
		w = f.Writer
		defer f.Close()
	}
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	for i := range plan.NumRows() {
		r := plan.Row(i).Result()
		r.CorrelationID = correlationID
		if err := w.Write(r); err != nil {
			return fmt.Errorf("write plan output: %w", err)
		}
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

func displayCustomer(c string) string {
	if c == "" {
		return "(from the input's customer column)"
	}
	return c
}

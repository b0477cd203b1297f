package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// PlanCommand is `bulkassign plan`: the dry run. It makes one subscribedskus GET per
// customer, prints the capacity table and the requests per license group, and with
// --out writes the planned rows in the result-CSV format. It never sends a POST.
type PlanCommand struct {
	main *Main
}

// Run parses the flags and plans.
func (c *PlanCommand) Run(ctx context.Context, args []string) error {
	m := c.main
	fs := flag.NewFlagSet("bulkassign plan", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var f commonFlags
	f.register(fs, true)
	out := fs.String("out", "", "write the planned rows to this result CSV (status planned, or skipped with the reason)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: bulkassign plan --customer ID --input FILE [--out FILE] [--shortfall abort|partial]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if err := f.validate(); err != nil {
		return err
	}
	log := newLogger(m.Stderr, f.logLevel)
	if *out != "" {
		// Refuse an existing path before any call is made (sign-in included).
		if err := refuseExisting(*out); err != nil {
			return err
		}
	}
	s, err := m.connect(&f, log)
	if err != nil {
		return err
	}
	log.Info().Str("customer", displayCustomer(s.customer)).Str("endpoint", s.endpoint).
		Str("credentials", s.credKind).Str("correlation_id", s.client.CorrelationID()).Msg("planning")

	plan, err := m.buildPlan(ctx, &f, s, log, nil)
	if err != nil {
		return err // input problems (exit 2) or a shortfall under abort (exit 3)
	}
	// The output is created only once the plan is known, so that an input error
	// leaves no file behind.
	var outFile *report.File
	if *out != "" {
		var cerr error
		if outFile, cerr = report.Create(*out); cerr != nil {
			return &ExitError{Code: ExitUsage, Err: cerr}
		}
		defer outFile.Close()
	}
	skipped := 0
	for i := 0; i < plan.NumRows(); i++ {
		row := plan.Row(i)
		if row.Status == planner.StatusSkipped {
			skipped++
		}
		if outFile != nil {
			if werr := outFile.Write(plannedResult(row, s.client.CorrelationID())); werr != nil {
				return fmt.Errorf("write plan output: %w", werr)
			}
		}
	}
	if outFile != nil {
		if cerr := outFile.Close(); cerr != nil {
			return fmt.Errorf("close plan output: %w", cerr)
		}
	}
	fmt.Fprintf(m.Stdout, "\nPlan: %d rows, %d requests, %d rows skipped.", plan.NumRows(), plan.NumUpdates(), skipped)
	if *out != "" {
		fmt.Fprintf(m.Stdout, " Planned rows written to %s.", *out)
	}
	fmt.Fprintln(m.Stdout)
	if skipped > 0 {
		return &ExitError{Code: ExitRowsFailed, Err: fmt.Errorf("%d of %d rows would be skipped", skipped, plan.NumRows())}
	}
	if plan.NumRows() == 0 {
		fmt.Fprintln(m.Stdout, "Nothing to do: the input has no rows.")
	} else {
		fmt.Fprintln(m.Stdout, "The plan can run in full.")
	}
	return nil
}

func displayCustomer(c string) string {
	if c == "" {
		return "(from the input's customer column)"
	}
	return c
}

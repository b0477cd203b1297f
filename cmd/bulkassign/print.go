package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// printer says what a command does: the plan and its tables on standard output (or,
// with json, the capacity as JSON), problems and progress on standard error.
type printer struct {
	out, err io.Writer
	log      zerolog.Logger
	json     bool
	readRate float64
	lastRead time.Time
	// graphNames says the plan is of Graph without a product names table: SKUs go by
	// part number or ID only.
	graphNames bool
}

func (m *Main) newPrinter(f *connFlags, json bool) *printer {
	rate := f.readRate
	if rate == 0 {
		rate = 50
	}
	return &printer{out: m.Stdout, err: m.Stderr, log: newLogger(m.Stderr, f.logLevel, f.logFormat, m.Getenv), json: json, readRate: rate,
		graphNames: f.api == job.APIGraph && f.productNames == ""}
}

// newLogger logs to w: console format on a terminal (without colour when TERM is
// dumb), JSON otherwise, unless format says which.
func newLogger(w io.Writer, level, format string, getenv func(string) string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "console"
		}
	}
	var out = w
	if format == "console" {
		noColor := getenv("TERM") == "dumb" || getenv("NO_COLOR") != "" || !isTerminal(w)
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: noColor}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger()
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// reads says what the reads of a customer will be, before they start.
func (p *printer) reads(e planner.ReadEstimate) {
	how := "looked up"
	if !e.Lookup {
		how = "found in a listing of the directory (stopped once looking the rest up is cheaper)"
	}
	eta := time.Duration(float64(e.Reads) / p.readRate * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(p.err, "Reading %d user(s) of customer %s, %s: at most %d reads, about %s at %.0f reads/s.\n",
		e.Users, e.Customer, how, e.Reads, max(eta, time.Second), p.readRate)
}

// readProgress logs how far long reads have got, every few seconds.
func (p *printer) readProgress(r planner.ReadProgress) {
	if now := time.Now(); now.Sub(p.lastRead) >= 5*time.Second {
		p.lastRead = now
		p.log.Info().Str("customer", r.Customer).Int("users", r.Users).Int("found", r.Found).
			Int("reads", r.Reads).Int("reads_at_most", r.ReadsTotal).Msg("reading users")
	}
}

// plan prints the plan: warnings, the capacity table and the requests per license
// group, and the rows it skips grouped by reason with their lines.
func (p *printer) plan(plan *planner.Plan) {
	for _, w := range plan.Warnings {
		if w.Line > 0 {
			p.log.Warn().Int("line", w.Line).Msg(w.Message)
		} else {
			p.log.Warn().Msg(w.Message)
		}
	}
	rows := job.CapacityRows(plan.Capacity)
	if p.json {
		_ = report.WriteCapacityJSON(p.out, rows, !plan.UsersRead)
		return
	}
	if len(rows) > 0 {
		fmt.Fprintln(p.out)
		_ = report.WriteCapacityTable(p.out, rows, !plan.UsersRead)
		if groups := plan.ChangesPerGroup(); len(groups) > 1 || groups[""] == 0 {
			fmt.Fprintln(p.out)
			_ = report.WriteRequestCounts(p.out, groups) // license groups: Partner Center's
		}
	}
	p.skipped(plan)
}

// skipped prints the rows the plan skips, grouped by reason, with their lines.
func (p *printer) skipped(plan *planner.Plan) {
	var finals []report.Result
	for i := range plan.NumRows() {
		if plan.Status(i) == planner.StatusSkipped {
			finals = append(finals, plan.Row(i).Outcome())
		}
	}
	if len(finals) == 0 {
		return
	}
	fmt.Fprintln(p.out)
	for _, r := range report.Summarize(finals).Skipped {
		fmt.Fprintf(p.out, "%s: %s\n", capitalize(report.LinesText(r.Lines, 5)), r.Message)
	}
}

// planVerdict says what the plan comes to and maps it to the exit code.
func (p *printer) planVerdict(plan *planner.Plan, outPath string) error {
	c := plan.Counts()
	if !p.json {
		fmt.Fprintf(p.out, "\nPlan: %d rows: %d to send in %d requests, %d unchanged, %d skipped.",
			plan.NumRows(), c[planner.StatusPlanned], plan.NumChanges(), c[planner.StatusUnchanged], c[planner.StatusSkipped])
		if outPath != "" && outPath != "-" {
			fmt.Fprintf(p.out, " Planned rows written to %s.", outPath)
		}
		fmt.Fprintln(p.out)
		if !plan.UsersRead {
			fmt.Fprintln(p.out, "Users were not read: every row counts as a change and every assignment as a seat taken.")
		}
	}
	switch {
	case c[planner.StatusSkipped] > 0:
		return &ExitError{Code: ExitRowsFailed, Err: fmt.Errorf("%d of %d rows would be skipped", c[planner.StatusSkipped], plan.NumRows())}
	case p.json:
	case plan.NumRows() == 0:
		fmt.Fprintln(p.out, "Nothing to do: the input has no rows.")
	case plan.NumChanges() == 0:
		fmt.Fprintln(p.out, "Nothing to change: every row already holds.")
	default:
		fmt.Fprintln(p.out, "The plan can run in full.")
	}
	return nil
}

// problems prints every problem of the input, each with its line.
func (p *printer) problems(input string, e *planner.InputError) {
	fmt.Fprintf(p.err, "%s: %d problem(s) in the input; nothing was sent:\n", input, len(e.Problems))
	unknownSku, noCustomer := false, false
	for _, pr := range e.Problems {
		fmt.Fprintf(p.err, "  %s\n", pr.String())
		unknownSku = unknownSku || strings.Contains(pr.Message, "unknown SKU") || strings.Contains(pr.Message, "unknown service plan")
		noCustomer = noCustomer || strings.Contains(pr.Message, "no default customer is set")
	}
	if noCustomer {
		fmt.Fprintln(p.err, "Name the customer: pass --customer ID for the rows without one, or add a customer column.")
	}
	if unknownSku && p.graphNames {
		fmt.Fprintln(p.err, "Microsoft Graph knows SKUs by part number and ID only: to write product names, pass --product-names with Microsoft's\n"+
			"\"Product names and service plan identifiers for licensing\" CSV (https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference).")
	}
}

// shortfall says which SKUs fall short and what to do.
func (p *printer) shortfall(e *planner.ShortfallError) {
	fmt.Fprintln(p.err, "\nNot enough licenses; nothing was sent:")
	for _, line := range strings.Split(strings.TrimSpace(e.Error()), "\n") {
		fmt.Fprintf(p.err, "  %s\n", line)
	}
	fmt.Fprintln(p.err, "Buy more licenses, shorten the input, or pass --shortfall partial to grant rows in file order while seats last.")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

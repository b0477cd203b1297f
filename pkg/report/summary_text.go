package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulkassign/bulkassign/internal/atomicfile"
)

// perSecond is n over the elapsed time, unless given is set.
func (s *Summary) perSecond(given float64, n int) float64 {
	if given != 0 || s.Elapsed <= 0 {
		return given
	}
	return float64(n) / s.Elapsed.Seconds()
}

// rateText writes a rate for people: "99.4", "250".
func rateText(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// summaryJSON is the JSON form of a Summary. Its field names are part of the
// command's interface (--summary-json): add to them, never rename.
type summaryJSON struct {
	Rows              int                       `json:"rows"`
	Lines             int                       `json:"lines"`
	Counts            map[Status]int            `json:"counts"`
	BySku             map[string]map[Status]int `json:"by_sku"`
	ByCustomer        map[string]map[Status]int `json:"by_customer"`
	Capacity          []CapacityRow             `json:"capacity"`
	ElapsedSeconds    float64                   `json:"elapsed_seconds"`
	Requests          int                       `json:"requests"`
	RequestsPerSecond float64                   `json:"requests_per_second"`
	Updates           int                       `json:"updates"`
	UpdatesPerSecond  float64                   `json:"updates_per_second"`
	Reads             int                       `json:"reads"`
	ReadsPerSecond    float64                   `json:"reads_per_second"`
	Throttled         int                       `json:"throttled"`
	Retries           int                       `json:"retries"`
	UsageLocationsSet int                       `json:"usage_locations_set"`
	UpperBound        bool                      `json:"upper_bound"`
	API               string                    `json:"api"`
	CorrelationID     string                    `json:"correlation_id"`
	Output            string                    `json:"output"`
	Interrupted       bool                      `json:"interrupted"`
	StopReason        string                    `json:"stop_reason"`
	ResumeCommand     string                    `json:"resume_command"`
	ExitCode          int                       `json:"exit_code"`
	Rollback          string                    `json:"rollback"`
	RollbackRows      int                       `json:"rollback_rows"`
	RollbackOmitted   int                       `json:"rollback_omitted"`
}

// MarshalJSON encodes the summary with stable snake_case names: "rows" and "lines"
// (both the lines counted), "counts" (every status, zeros included), "by_sku",
// "by_customer", "capacity", "elapsed_seconds", "requests", "updates", "reads" and
// their "..._per_second" rates, "throttled" (429 responses), "retries",
// "usage_locations_set", "upper_bound", "api", "correlation_id", "output",
// "interrupted", "stop_reason", "resume_command", "exit_code", "rollback",
// "rollback_rows" and "rollback_omitted". Empty maps and lists encode as {} and [],
// not null.
func (s Summary) MarshalJSON() ([]byte, error) {
	counts := make(map[Status]int, len(statuses))
	for _, st := range statuses {
		counts[st] = 0
	}
	for st, n := range s.Counts {
		counts[st] = n
	}
	capacity := s.Capacity
	if capacity == nil {
		capacity = []CapacityRow{}
	}
	return json.Marshal(summaryJSON{
		Rows: s.Rows(), Lines: s.Rows(), Counts: counts,
		BySku: nonNil(s.BySku), ByCustomer: nonNil(s.ByCustomer), Capacity: capacity,
		ElapsedSeconds:    s.Elapsed.Seconds(),
		Requests:          s.Requests,
		RequestsPerSecond: s.perSecond(s.RequestsPerSecond, s.Requests),
		Updates:           s.Updates,
		UpdatesPerSecond:  s.perSecond(s.UpdatesPerSecond, s.Updates),
		Reads:             s.Reads,
		ReadsPerSecond:    s.perSecond(s.ReadsPerSecond, s.Reads),
		Throttled:         s.Throttled, Retries: s.Retries,
		UsageLocationsSet: s.UsageLocationsSet, UpperBound: s.UpperBound, API: s.API,
		CorrelationID: s.CorrelationID, Output: s.Output,
		Interrupted: s.Interrupted, StopReason: s.StopReason, ResumeCommand: s.ResumeCommand, ExitCode: s.ExitCode,
		Rollback: s.Rollback, RollbackRows: s.RollbackRows, RollbackOmitted: s.RollbackOmitted,
	})
}

func nonNil(m map[string]map[Status]int) map[string]map[Status]int {
	if m == nil {
		return map[string]map[Status]int{}
	}
	return m
}

// WriteText writes the summary for people: lines per status, elapsed time, updates
// and reads with their rates (a summary with neither shows its requests instead),
// throttling, the correlation ID to give support, the output file, lines per SKU and
// per customer, the capacity table, and, for a run that stopped early, why and the
// command that resumes it.
func (s *Summary) WriteText(w io.Writer) error {
	if err := s.writeText(w); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func (s *Summary) writeText(w io.Writer) error {
	shown := s.shownStatuses()
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "Lines:\t%s\n", s.linesText(shown))
	if s.UpperBound {
		fmt.Fprintf(tw, "\tUsers were not read: counts are upper bounds.\n")
	}
	fmt.Fprintf(tw, "Elapsed:\t%s\n", s.Elapsed.Round(time.Millisecond))
	if s.Updates == 0 && s.Reads == 0 && s.Requests > 0 {
		fmt.Fprintf(tw, "Requests:\t%d (%s/s)\n", s.Requests, rateText(s.perSecond(s.RequestsPerSecond, s.Requests)))
	} else {
		fmt.Fprintf(tw, "Updates:\t%d (%s/s)\n", s.Updates, rateText(s.perSecond(s.UpdatesPerSecond, s.Updates)))
		fmt.Fprintf(tw, "Reads:\t%d (%s/s)\n", s.Reads, rateText(s.perSecond(s.ReadsPerSecond, s.Reads)))
	}
	fmt.Fprintf(tw, "Throttled (429):\t%d\n", s.Throttled)
	fmt.Fprintf(tw, "Retries:\t%d\n", s.Retries)
	if s.UsageLocationsSet > 0 {
		fmt.Fprintf(tw, "Usage locations set:\t%d\n", s.UsageLocationsSet)
	}
	for _, kv := range [][2]string{{"API", s.API}, {"Correlation ID", s.CorrelationID}, {"Output", s.Output}} {
		if kv[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeBreakdown(w, "SKU", s.BySku, shown); err != nil {
		return err
	}
	if err := writeBreakdown(w, "CUSTOMER", s.ByCustomer, shown); err != nil {
		return err
	}
	if len(s.Capacity) > 0 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		if err := WriteCapacityTable(w, s.Capacity, s.UpperBound); err != nil {
			return err
		}
	}
	return s.writeStop(w)
}

// shownStatuses returns the statuses with at least one line, in display order.
func (s *Summary) shownStatuses() []Status {
	var shown []Status
	for _, st := range statuses {
		if s.Counts[st] > 0 {
			shown = append(shown, st)
		}
	}
	return shown
}

func (s *Summary) linesText(shown []Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", s.Rows())
	for i, st := range shown {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%d %s", sep, s.Counts[st], st)
	}
	for st, n := range s.Counts { // a status outside the known ones, should one be counted
		if !st.Valid() && n > 0 {
			fmt.Fprintf(&b, ", %d %q", n, st)
		}
	}
	return b.String()
}

// writeBreakdown writes lines per key and status as a table sorted by key.
func writeBreakdown(w io.Writer, title string, m map[string]map[Status]int, shown []Status) error {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	tw := newTable(w)
	fmt.Fprint(tw, title)
	for _, st := range shown {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(string(st)))
	}
	fmt.Fprintln(tw, "\t")
	for _, k := range keys {
		fmt.Fprint(tw, k)
		for _, st := range shown {
			fmt.Fprintf(tw, "\t%d", m[k][st])
		}
		fmt.Fprintln(tw, "\t")
	}
	return tw.Flush()
}

// writeStop says why a run stopped early and how to resume it.
func (s *Summary) writeStop(w io.Writer) error {
	if !s.Interrupted && s.StopReason == "" && s.ResumeCommand == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("\n")
	reason := strings.TrimSuffix(strings.TrimSpace(s.StopReason), ".")
	switch {
	case s.Interrupted && reason != "" && !strings.HasPrefix(strings.ToLower(reason), "interrupt"):
		fmt.Fprintf(&b, "Interrupted before every row was done (%s).\n", reason)
	case s.Interrupted:
		b.WriteString("Interrupted before every row was done.\n")
	case reason != "":
		fmt.Fprintf(&b, "Stopped early: %s.\n", reason)
	}
	if s.Output != "" && (s.Interrupted || s.StopReason != "") {
		fmt.Fprintf(&b, "Every finished row is in %s.\n", s.Output)
	}
	if s.ResumeCommand != "" {
		fmt.Fprintf(&b, "To resume (rows that succeeded are not sent again), run:\n  %s\n", s.ResumeCommand)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummaryJSON writes s as JSON to path, atomically (a reader never sees half of
// it), mode 0644.
func WriteSummaryJSON(path string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary JSON: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), fileMode); err != nil {
		return fmt.Errorf("write summary JSON %s: %w", path, err)
	}
	return nil
}

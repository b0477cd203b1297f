package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary is what a run did, for people (WriteText) and for programs (its JSON form,
// with the snake_case field names given in the tags; Elapsed is "elapsed_seconds", a
// number of seconds). Add tallies result rows; the caller fills in the rest.
type Summary struct {
	Counts            map[Status]int            `json:"counts"`      // rows per status
	BySku             map[string]map[Status]int `json:"by_sku"`      // rows per SKU label (see Add) and status
	ByCustomer        map[string]map[Status]int `json:"by_customer"` // rows per customer and status
	Capacity          []CapacityRow             `json:"capacity"`
	Elapsed           time.Duration             `json:"-"`
	Requests          int                       `json:"requests"`            // LicenseUpdate requests answered
	RequestsPerSecond float64                   `json:"requests_per_second"` // 0: derived from Requests and Elapsed
	Throttled         int                       `json:"throttled"`           // 429 responses
	Retries           int                       `json:"retries"`
	CorrelationID     string                    `json:"correlation_id"` // MS-CorrelationId of every call of the run
	Output            string                    `json:"output"`         // the result CSV
	Interrupted       bool                      `json:"interrupted"`
	StopReason        string                    `json:"stop_reason"`    // why the run stopped early; "" if it did not
	ResumeCommand     string                    `json:"resume_command"` // the command that continues the run
	ExitCode          int                       `json:"exit_code"`
	Rollback          string                    `json:"rollback"`         // the rollback file; "" without one
	RollbackRows      int                       `json:"rollback_rows"`    // rows written to it by this run
	RollbackOmitted   int                       `json:"rollback_omitted"` // updates sent without rollback rows: their users' licenses could not be read
	// SkuNames maps lower-cased product SKU IDs to product names; when set, rows count
	// per SKU under its name, however the input wrote it. Not part of the JSON.
	SkuNames map[string]string `json:"-"`

	skuKeys      map[string]string // folded SKU label -> label as first seen
	customerKeys map[string]string // folded customer -> customer as first seen
}

// Add tallies one result row: its status overall, per SKU and per customer. The SKU
// label is the product name SkuNames gives the row's SKU ID, else the SKU to assign as
// written in the input (its ID when the name is empty), or "remove X" for a row that
// only removes SKU X. SKU labels and customers that
// differ only in case or surrounding space count as one, under their first spelling.
func (s *Summary) Add(r Result) {
	if s.Counts == nil {
		s.Counts = make(map[Status]int)
	}
	s.Counts[r.Status]++
	s.BySku = tally(s.BySku, &s.skuKeys, s.skuLabel(r), r.Status)
	s.ByCustomer = tally(s.ByCustomer, &s.customerKeys, text(r.Customer), r.Status)
}

// Rows returns the number of rows tallied, whatever their status.
func (s *Summary) Rows() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// skuLabel names the row's SKU: by its product name when SkuNames knows its ID (so
// that one SKU written three ways counts once), else as written.
func (s *Summary) skuLabel(r Result) string {
	if name := s.SkuNames[strings.ToLower(strings.TrimSpace(r.SkuID))]; name != "" && r.SkuID != "" {
		return name
	}
	switch {
	case strings.TrimSpace(r.Sku) != "":
		return text(r.Sku)
	case strings.TrimSpace(r.SkuID) != "":
		return text(r.SkuID)
	case strings.TrimSpace(r.RemoveSku) != "":
		return "remove " + text(r.RemoveSku)
	}
	return "-"
}

// tally counts status under label in m, folding labels that differ only in case.
func tally(m map[string]map[Status]int, keys *map[string]string, label string, st Status) map[string]map[Status]int {
	if m == nil {
		m = make(map[string]map[Status]int)
	}
	if *keys == nil {
		*keys = make(map[string]string)
	}
	folded := strings.ToLower(label)
	if first, ok := (*keys)[folded]; ok {
		label = first
	} else {
		(*keys)[folded] = label
	}
	c := m[label]
	if c == nil {
		c = make(map[Status]int)
		m[label] = c
	}
	c[st]++
	return m
}

// rate is the achieved rate of requests per second.
func (s *Summary) rate() float64 {
	if s.RequestsPerSecond != 0 || s.Elapsed <= 0 {
		return s.RequestsPerSecond
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// summaryJSON is the JSON form of a Summary. Its field names are part of the
// command's interface (--summary-json): add to them, never rename.
type summaryJSON struct {
	Rows              int                       `json:"rows"`
	Counts            map[Status]int            `json:"counts"`
	BySku             map[string]map[Status]int `json:"by_sku"`
	ByCustomer        map[string]map[Status]int `json:"by_customer"`
	Capacity          []CapacityRow             `json:"capacity"`
	ElapsedSeconds    float64                   `json:"elapsed_seconds"`
	Requests          int                       `json:"requests"`
	RequestsPerSecond float64                   `json:"requests_per_second"`
	Throttled         int                       `json:"throttled"`
	Retries           int                       `json:"retries"`
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

// MarshalJSON encodes the summary with stable snake_case names: "rows" (all rows),
// "counts" (every status, zeros included), "by_sku", "by_customer", "capacity",
// "elapsed_seconds", "requests", "requests_per_second", "throttled" (429 responses),
// "retries", "correlation_id", "output", "interrupted", "stop_reason",
// "resume_command" and "exit_code". Empty maps and lists encode as {} and [], not null.
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
		Rows:              s.Rows(),
		Counts:            counts,
		BySku:             nonNil(s.BySku),
		ByCustomer:        nonNil(s.ByCustomer),
		Capacity:          capacity,
		ElapsedSeconds:    s.Elapsed.Seconds(),
		Requests:          s.Requests,
		RequestsPerSecond: s.rate(),
		Throttled:         s.Throttled,
		Retries:           s.Retries,
		CorrelationID:     s.CorrelationID,
		Output:            s.Output,
		Interrupted:       s.Interrupted,
		StopReason:        s.StopReason,
		ResumeCommand:     s.ResumeCommand,
		ExitCode:          s.ExitCode,
		Rollback:          s.Rollback,
		RollbackRows:      s.RollbackRows,
		RollbackOmitted:   s.RollbackOmitted,
	})
}

func nonNil(m map[string]map[Status]int) map[string]map[Status]int {
	if m == nil {
		return map[string]map[Status]int{}
	}
	return m
}

// WriteText writes the summary for people: rows per status, elapsed time and rate,
// throttling, the correlation ID to give support, the output file, rows per SKU and
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
	fmt.Fprintf(tw, "Rows:\t%s\n", s.rowsText(shown))
	fmt.Fprintf(tw, "Elapsed:\t%s\n", s.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "Requests:\t%d (%.1f/s)\n", s.Requests, s.rate())
	fmt.Fprintf(tw, "Throttled (429):\t%d\n", s.Throttled)
	fmt.Fprintf(tw, "Retries:\t%d\n", s.Retries)
	if s.CorrelationID != "" {
		fmt.Fprintf(tw, "Correlation ID:\t%s\n", s.CorrelationID)
	}
	if s.Output != "" {
		fmt.Fprintf(tw, "Output:\t%s\n", s.Output)
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
		if err := WriteCapacityTable(w, s.Capacity); err != nil {
			return err
		}
	}
	return s.writeStop(w)
}

// shownStatuses returns the statuses with at least one row, in display order.
func (s *Summary) shownStatuses() []Status {
	var shown []Status
	for _, st := range statuses {
		if s.Counts[st] > 0 {
			shown = append(shown, st)
		}
	}
	return shown
}

func (s *Summary) rowsText(shown []Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", s.Rows())
	for i, st := range shown {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%d %s", sep, s.Counts[st], st)
	}
	for st, n := range s.Counts { // a status outside the four, should one be tallied
		if !st.Valid() && n > 0 {
			fmt.Fprintf(&b, ", %d %q", n, st)
		}
	}
	return b.String()
}

// writeBreakdown writes rows per key and status as a table sorted by key.
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

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// CapacityRow is the capacity check of one SKU of one customer, for a plan that is a
// diff (a row whose user already holds the SKU is unchanged and takes no seat): the
// units available before the run (availableUnits of the subscribedskus call,
// https://learn.microsoft.com/en-us/partner-center/developer/get-available-licenses-by-license-group),
// the rows whose user already holds it (Held: no seat needed), the rows that assign it
// (ToAssign), the rows that remove it (ToFree), the seats the run takes (Needed), and
// what is left after (LeftAfter, Available less Needed) or missing (Shortfall). Freed
// units are shown apart: they come back only once the removals have gone through.
//
// Its JSON form has the snake_case names of the tags and two more, kept for programs
// written against the form before the diff: "requested", the rows that ask for the
// SKU (Held + ToAssign), and "freed" (ToFree).
type CapacityRow struct {
	Customer      string `json:"customer"`
	SkuName       string `json:"sku_name"`
	SkuPartNumber string `json:"sku_part_number"`
	SkuID         string `json:"sku_id"`
	LicenseGroup  string `json:"license_group"`
	Available     int    `json:"available"`
	Held          int    `json:"held"`
	ToAssign      int    `json:"to_assign"`
	ToFree        int    `json:"to_free"`
	Needed        int    `json:"needed"`
	LeftAfter     int    `json:"left_after"`
	Shortfall     int    `json:"shortfall"`
}

// MarshalJSON encodes the row under its tags, plus "requested" and "freed".
func (r CapacityRow) MarshalJSON() ([]byte, error) {
	type plain CapacityRow
	return json.Marshal(struct {
		plain
		Requested int `json:"requested"`
		Freed     int `json:"freed"`
	}{plain(r), r.Held + r.ToAssign, r.ToFree})
}

// shortMarker ends every row of the capacity table that is short of units.
const shortMarker = "<-- SHORT"

// upperBoundNote is written under a capacity table whose counts are upper bounds.
const upperBoundNote = "Users were not read: counts are upper bounds (a user who already holds a SKU is counted as needing a seat)."

// WriteCapacityTable writes rows as an aligned table, in the order given, and marks
// each row short of units with "<-- SHORT". A line under the table counts the short
// rows; another says so when the counts are upper bounds (upperBound: the users were
// not read, so a user who already holds a SKU counts as needing a seat).
func WriteCapacityTable(w io.Writer, rows []CapacityRow, upperBound bool) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "CUSTOMER\tSKU\tPART NUMBER\tLICENSE GROUP\tAVAILABLE\tHELD\tTO ASSIGN\tTO FREE\tNEEDED\tLEFT AFTER\tSHORTFALL\t")
	short, missing := 0, 0
	for _, r := range rows {
		mark := ""
		if r.Shortfall > 0 {
			mark = shortMarker
			short++
			missing += r.Shortfall
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n",
			text(r.Customer), text(r.SkuName), text(r.SkuPartNumber), text(r.LicenseGroup),
			r.Available, r.Held, r.ToAssign, r.ToFree, r.Needed, r.LeftAfter, r.Shortfall, mark)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write capacity table: %w", err)
	}
	var notes strings.Builder
	switch {
	case len(rows) == 0:
		notes.WriteString("No licenses to assign or remove.\n")
	case short > 0:
		fmt.Fprintf(&notes, "%d of %d SKU(s) short of units, %d unit(s) missing in all.\n", short, len(rows), missing)
	}
	if upperBound && len(rows) > 0 {
		notes.WriteString(upperBoundNote + "\n")
	}
	if _, err := io.WriteString(w, notes.String()); err != nil {
		return fmt.Errorf("write capacity table: %w", err)
	}
	return nil
}

// WriteCapacityJSON writes the capacity check as one JSON document, for programs:
// {"capacity": [rows as CapacityRow encodes them], "upper_bound": upperBound}, indented,
// with a final newline. No rows encode as [].
func WriteCapacityJSON(w io.Writer, rows []CapacityRow, upperBound bool) error {
	if rows == nil {
		rows = []CapacityRow{}
	}
	b, err := json.MarshalIndent(struct {
		Capacity   []CapacityRow `json:"capacity"`
		UpperBound bool          `json:"upper_bound"`
	}{rows, upperBound}, "", "  ")
	if err != nil {
		return fmt.Errorf("write capacity JSON: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write capacity JSON: %w", err)
	}
	return nil
}

// WriteRequestCounts writes how many LicenseUpdate requests go to each license group
// (one request carries one group only), sorted by group, and their total.
func WriteRequestCounts(w io.Writer, perGroup map[string]int) error {
	groups := make([]string, 0, len(perGroup))
	total := 0
	for g, n := range perGroup {
		groups = append(groups, g)
		total += n
	}
	sort.Strings(groups)
	tw := newTable(w)
	fmt.Fprintln(tw, "LICENSE GROUP\tREQUESTS")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%d\n", text(g), perGroup[g])
	}
	fmt.Fprintf(tw, "total\t%d\n", total)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write request counts: %w", err)
	}
	return nil
}

// table is an aligned text table whose lines carry no trailing spaces.
type table struct {
	*tabwriter.Writer
	buf bytes.Buffer
	dst io.Writer
}

func newTable(w io.Writer) *table {
	t := &table{dst: w}
	t.Writer = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

// Flush aligns the table and writes it out.
func (t *table) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	lines := bytes.SplitAfter(t.buf.Bytes(), []byte("\n"))
	out := make([]byte, 0, t.buf.Len())
	for _, l := range lines {
		nl := bytes.HasSuffix(l, []byte("\n"))
		l = bytes.TrimRight(l, " \n")
		out = append(out, l...)
		if nl {
			out = append(out, '\n')
		}
	}
	t.buf.Reset()
	_, err := t.dst.Write(out)
	return err
}

// text makes s fit one cell of an aligned table: no tabs or line breaks, "-" for
// nothing.
func text(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\v', '\f':
			return ' '
		}
		return r
	}, s)
}

package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// CapacityRow is the capacity check of one SKU of one customer: the units available
// before the run (availableUnits of the subscribedskus call,
// https://learn.microsoft.com/en-us/partner-center/developer/get-available-licenses-by-license-group),
// the units the input requests, and the units its removals free. Freed units are
// shown apart: they come back only once the removals have gone through.
type CapacityRow struct {
	Customer      string `json:"customer"`
	SkuName       string `json:"sku_name"`
	SkuPartNumber string `json:"sku_part_number"`
	SkuID         string `json:"sku_id"`
	LicenseGroup  string `json:"license_group"`
	Available     int    `json:"available"`
	Requested     int    `json:"requested"`
	Freed         int    `json:"freed"`
	LeftAfter     int    `json:"left_after"`
	Shortfall     int    `json:"shortfall"`
}

// shortMarker ends every row of the capacity table that is short of units.
const shortMarker = "<-- SHORT"

// WriteCapacityTable writes rows as an aligned table, in the order given, and marks
// each row short of units with "<-- SHORT". A line under the table counts the short
// rows.
func WriteCapacityTable(w io.Writer, rows []CapacityRow) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "CUSTOMER\tSKU\tPART NUMBER\tLICENSE GROUP\tAVAILABLE\tREQUESTED\tFREED\tLEFT AFTER\tSHORTFALL\t")
	short, missing := 0, 0
	for _, r := range rows {
		mark := ""
		if r.Shortfall > 0 {
			mark = shortMarker
			short++
			missing += r.Shortfall
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n",
			text(r.Customer), text(r.SkuName), text(r.SkuPartNumber), text(r.LicenseGroup),
			r.Available, r.Requested, r.Freed, r.LeftAfter, r.Shortfall, mark)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write capacity table: %w", err)
	}
	var err error
	switch {
	case len(rows) == 0:
		_, err = fmt.Fprintln(w, "No licenses to assign or remove.")
	case short > 0:
		_, err = fmt.Fprintf(w, "%d of %d SKU(s) short of units, %d unit(s) missing in all.\n", short, len(rows), missing)
	}
	if err != nil {
		return fmt.Errorf("write capacity table: %w", err)
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

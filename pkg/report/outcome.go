package report

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Final returns each input line's final outcome: the last row a result file holds
// for it (a file continued by resumed runs holds several rows for a line: its first
// failure, then its success), in line order.
func Final(results []Result) []Result {
	idx := make([]int, len(results))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(results[a].Line, results[b].Line) })
	var finals []Result
	for i, at := range idx {
		if i+1 < len(idx) && results[idx[i+1]].Line == results[at].Line {
			continue // a later row of the same line follows
		}
		finals = append(finals, results[at])
	}
	return finals
}

// Outcome is what a result file says happened to its input's lines, as Summarize
// counts it from their final rows.
type Outcome struct {
	Lines   int            `json:"lines"`
	Counts  map[Status]int `json:"counts"`  // lines per status
	Failed  []Reason       `json:"failed"`  // failed lines grouped by reason, most lines first
	Skipped []Reason       `json:"skipped"` // skipped lines, grouped the same way
}

// Reason is one reason lines failed or were skipped, and those lines.
type Reason struct {
	Code string `json:"error_code"`
	// Message is the error message with what names the row's own user (its user
	// principal name or object ID) written as "<user>" and white space collapsed, so
	// that "user not found: a@x" and "user not found: b@x" are one reason.
	Message string `json:"error_message"`
	Lines   []int  `json:"lines"`
}

// Summarize counts finals (one row per line, as Final returns them) per status and
// groups the failed and the skipped ones by reason.
func Summarize(finals []Result) Outcome {
	o := Outcome{Lines: len(finals), Counts: make(map[Status]int, len(statuses))}
	failed, skipped := map[string]*Reason{}, map[string]*Reason{}
	for _, r := range finals {
		o.Counts[r.Status]++
		var groups map[string]*Reason
		switch r.Status {
		case StatusFailed:
			groups = failed
		case StatusSkipped:
			groups = skipped
		default:
			continue
		}
		msg := reasonText(r)
		key := r.ErrorCode + "\x00" + msg
		g := groups[key]
		if g == nil {
			g = &Reason{Code: r.ErrorCode, Message: msg}
			groups[key] = g
		}
		g.Lines = append(g.Lines, r.Line)
	}
	o.Failed, o.Skipped = sortedReasons(failed), sortedReasons(skipped)
	return o
}

func sortedReasons(m map[string]*Reason) []Reason {
	out := make([]Reason, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(len(b.Lines), len(a.Lines)), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	return out
}

// reasonText is r's error message without what is particular to its user.
func reasonText(r Result) string {
	msg := strings.Join(strings.Fields(r.ErrorMessage), " ")
	for _, u := range []string{r.User, r.UserID} {
		msg = replaceWord(msg, strings.TrimSpace(u), "<user>")
	}
	return msg
}

// replaceWord replaces every occurrence of word in s, in any case, that is not part
// of a longer word. Words shorter than 3 bytes are left alone (they would match too
// much).
func replaceWord(s, word, with string) string {
	if len(word) < 3 {
		return s
	}
	lower, lw := strings.ToLower(s), strings.ToLower(word)
	if len(lower) != len(s) || len(lw) != len(word) {
		lower, lw = s, word // case folding changed lengths: match exactly
	}
	var b strings.Builder
	from := 0
	for {
		i := strings.Index(lower[from:], lw)
		if i < 0 {
			break
		}
		i += from
		end := i + len(lw)
		if (i > 0 && (isWordByte(s[i-1]) || s[i-1] == '.')) || continuesWord(s[end:]) {
			b.WriteString(s[from:end])
		} else {
			b.WriteString(s[from:i])
			b.WriteString(with)
		}
		from = end
	}
	b.WriteString(s[from:])
	return b.String()
}

// isWordByte reports whether c can be part of a user name or ID.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '@' || c == '-'
}

// continuesWord reports whether rest, what follows a match, continues the word: a
// word byte, or a dot before one (a dot ending a sentence does not).
func continuesWord(rest string) bool {
	return rest != "" && (isWordByte(rest[0]) || rest[0] == '.' && len(rest) > 1 && isWordByte(rest[1]))
}

// WriteText writes the outcome for people: lines per status, then each reason lines
// failed or were skipped with the lines it names.
func (o Outcome) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Lines: %d", o.Lines)
	sep := ": "
	for _, st := range statuses {
		if n := o.Counts[st]; n > 0 {
			fmt.Fprintf(&b, "%s%d %s", sep, n, st)
			sep = ", "
		}
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, part := range []struct {
		title   string
		reasons []Reason
	}{{"Failed", o.Failed}, {"Skipped", o.Skipped}} {
		if len(part.reasons) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n%s:\n", part.title)
		for _, r := range part.reasons {
			msg := text(strings.TrimSpace(r.Code + " " + r.Message))
			fmt.Fprintf(tw, "  %d\t%s\t(%s)\n", len(r.Lines), msg, LinesText(r.Lines, linesShown))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write outcome: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write outcome: %w", err)
	}
	return nil
}

// RetryHeader is the header of the input WriteRetryInput writes: bulkassign's input
// columns.
var RetryHeader = []string{"customer", "user", "sku", "remove_sku", "excluded_plans"}

// WriteRetryInput writes an input CSV (RetryHeader) of the finals whose status is one
// of only (by default failed and skipped), in the order given, with their cells as
// the input wrote them, neutralised against spreadsheet formulas as the result CSV's
// are (Unquote reverses it).
func WriteRetryInput(w io.Writer, finals []Result, only ...Status) error {
	if len(only) == 0 {
		only = []Status{StatusFailed, StatusSkipped}
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(RetryHeader)
	for _, r := range finals {
		if !slices.Contains(only, r.Status) {
			continue
		}
		_ = cw.Write([]string{cell(r.Customer), cell(r.User), cell(r.Sku), cell(r.RemoveSku), cell(r.ExcludedPlans)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write retry input: %w", err)
	}
	return nil
}

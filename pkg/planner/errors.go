package planner

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the input file or a setting. Message is complete on
// its own: it names the column and the value, as in
//
//	sku "Ofice 365 E3": unknown SKU for customer 0c39d6d5-...; did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK)?
//
// and String prefixes it with the line.
type Problem struct {
	// Line is the file line the problem is on (for a row, the line the row starts on);
	// 0 for the file as a whole (an empty file) or a setting (the default customer).
	Line int
	// Column is the column ("user", "sku", "remove_sku", "excluded_plans", "customer") or
	// the setting ("customer", "usage location") at fault; "" when the problem is not
	// about one column.
	Column string
	// Value is the offending value as written, shortened when very long; "" when none.
	Value string
	// Message explains the problem, naming Column and Value when they are set.
	Message string
}

// String returns the problem as InputError lists it: "line 7: " followed by Message, or
// Message alone when Line is 0.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// InputError is every problem found in the input file, each with its line. Build returns
// it instead of a plan: nothing may be sent for a file with problems.
type InputError struct {
	Problems []Problem // in file order; problems of the file as a whole or of settings first
}

// Error lists every problem, one per line.
func (e *InputError) Error() string {
	var sb strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.String())
	}
	return sb.String()
}

// ShortfallError reports SKUs that a customer has fewer available units of than the plan
// requests. Under ShortfallAbort, Build returns it together with the full plan, so that the
// caller can show the capacity table; nothing may be sent.
type ShortfallError struct {
	Capacity []Capacity // the SKUs that fall short, in the order of Plan.Capacity
}

// Error names each SKU that falls short, its customer and by how much, one per line.
func (e *ShortfallError) Error() string {
	var sb strings.Builder
	for i, c := range e.Capacity {
		if i > 0 {
			sb.WriteByte('\n')
		}
		fmt.Fprintf(&sb, "insufficient licenses: %s (%s) of customer %s is %d short: %d available, %d needed",
			c.SkuName, c.SkuPartNumber, c.Customer, c.Shortfall, c.Available, c.Needed)
	}
	return sb.String()
}

// newProblem builds a Problem whose Message names column and value.
func newProblem(line int, column, value, format string, args ...any) Problem {
	msg := fmt.Sprintf(format, args...)
	shown := strings.Clone(shorten(value)) // value may be a cell of a reused buffer
	switch {
	case column != "" && value != "":
		msg = fmt.Sprintf("%s %q: %s", column, shown, msg)
	case column != "":
		msg = column + ": " + msg
	}
	return Problem{Line: line, Column: column, Value: shown, Message: msg}
}

// maxShown is how many bytes of a value a Problem quotes.
const maxShown = 80

// shorten cuts a long value for display, at a rune boundary.
func shorten(v string) string {
	if len(v) <= maxShown {
		return v
	}
	cut := maxShown - 3
	for cut > 0 && !isRuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "..."
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

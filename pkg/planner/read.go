package planner

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// Column names of the input file, after the header is folded to lower case and trimmed.
const (
	colUser          = "user"
	colSku           = "sku"
	colRemoveSku     = "remove_sku"
	colExcludedPlans = "excluded_plans"
	colCustomer      = "customer"
)

// NoPlansExcluded, as a row's excluded_plans, asks for the SKU with every service plan
// on: a user who holds it with plans off gets them back. A row that leaves the cell
// empty asks for the SKU only and keeps the plans a holder has. Rollback files use it
// to restore a license that had every plan on.
const NoPlansExcluded = "none"

var knownColumns = []string{colUser, colSku, colRemoveSku, colExcludedPlans, colCustomer}

// quietColumns are columns of bulkassign's own files that an input may carry and the
// planner ignores without a warning: a rollback file's line and SKU names.
var quietColumns = []string{"line", "sku_name", "remove_sku_name"}

// inputRow is one data row's cells, by column.
type inputRow struct {
	User          string
	Sku           string
	RemoveSku     string
	ExcludedPlans string
	Customer      string
}

// columns are the positions of the known columns in a record, -1 when absent.
type columns struct {
	user, sku, remove, excl, customer int
}

// row fills in the cells of rec; a missing column gives "".
func (c *columns) row(rec []string, in *inputRow) {
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return unquoteCell(rec[i])
	}
	*in = inputRow{User: cell(c.user), Sku: cell(c.sku), RemoveSku: cell(c.remove), ExcludedPlans: cell(c.excl), Customer: cell(c.customer)}
}

// unquoteCell undoes the leading quote bulkassign's own files put before a cell a
// spreadsheet would run as a formula (report.Unquote), so that a rollback or retry file
// reads back as written; the formula is then refused as a user.
func unquoteCell(s string) string {
	if len(s) > 1 && s[0] == '\'' {
		return report.Unquote(s)
	}
	return s
}

// normalizeHeader folds a header name for matching: zero-width characters (such as a
// stray byte-order mark) removed, surrounding space trimmed, lower case.
func normalizeHeader(h string) string {
	if strings.ContainsAny(h, "\u200B\u200C\u200D\uFEFF") {
		h = strings.Map(func(r rune) rune {
			switch r {
			case '\u200B', '\u200C', '\u200D', '\uFEFF':
				return -1
			}
			return r
		}, h)
	}
	return strings.ToLower(strings.TrimSpace(h))
}

// read streams the CSV as encoding/csv reads it (recordReader), the file read
// (readAhead) and parsed (recordQueue) on other goroutines, and reads each record by
// column index once the header is mapped, with the file line of each record and of
// each syntax error (csv.ParseError). A record's cells are valid until the next is
// taken: what keeps one copies it (spelling, the variants, the users' arena,
// newProblem). The input may be UTF-8 (with or without a byte-order mark) or UTF-16
// with one, separated by commas, semicolons or tabs (told from the header line); a
// line longer than maxLineBytes or a record of more than maxColumns fields is refused
// with its line.
func (b *builder) read(r io.Reader) error {
	ahead := newReadAhead(r)
	defer ahead.close()
	br, err := decodeInput(ahead)
	if err != nil {
		return err
	}
	head, _ := br.Peek(br.Size())
	capped := &lineCap{r: br}
	comma := sniffComma(head)
	cr := newRecordReader(capped, comma)
	header, err := cr.Read()
	if err != nil {
		return b.headerError(err)
	}
	cols, err := b.checkHeader(header, cr.line(), comma)
	if err != nil || len(b.problems) > 0 {
		return err
	}
	recs := newRecordQueue(cr)
	defer recs.close()
	var in inputRow
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := b.ctx.Err(); err != nil {
				return fmt.Errorf("read input: %w", err)
			}
		}
		rec, line, err := recs.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if done, err := b.readError(err); done {
				return err
			}
			continue
		}
		if len(rec) != b.headerCols {
			b.problems = append(b.problems, Problem{Line: line,
				Message: fmt.Sprintf("wrong number of fields: %d, the header has %d", len(rec), b.headerCols)})
			continue
		}
		cols.row(rec, &in)
		if err := b.addRow(line, &in); err != nil {
			return err
		}
	}
}

// headerError turns a failure to read the header into a problem or an error.
func (b *builder) headerError(err error) error {
	if errors.Is(err, io.EOF) {
		b.problems = append(b.problems, Problem{Message: "empty file: no header row"})
		return nil
	}
	if done, err := b.readError(err); done {
		return err
	}
	return nil
}

// readError records a line too long or a CSV syntax error as a problem (done: reading
// cannot go on after a line too long); any other error stops reading.
func (b *builder) readError(err error) (done bool, _ error) {
	var long *LineTooLongError
	var pe *csv.ParseError
	switch {
	case errors.As(err, &long):
		b.problems = append(b.problems, Problem{Line: long.Line, Message: errLineTooLong.Error()})
		return true, nil
	case errors.As(err, &pe):
		b.parseProblem(pe)
		return false, nil
	}
	return true, fmt.Errorf("read input: %w", err)
}

// parseProblem records a CSV syntax error at the line its record starts on.
func (b *builder) parseProblem(pe *csv.ParseError) {
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		b.problems = append(b.problems, Problem{Line: pe.StartLine,
			Message: fmt.Sprintf("wrong number of fields: the header has %d", b.headerCols)})
		return
	}
	where := fmt.Sprintf("column %d", pe.Column)
	if pe.Line != pe.StartLine {
		where = fmt.Sprintf("line %d, column %d", pe.Line, pe.Column)
	}
	b.problems = append(b.problems, Problem{Line: pe.StartLine,
		Message: fmt.Sprintf("malformed CSV: %v (%s)", pe.Err, where)})
}

// checkHeader checks the columns: user required, sku required unless remove_sku is
// there, no known column twice, at most maxColumns; unknown columns draw one warning.
// It returns where the known columns are.
func (b *builder) checkHeader(raw []string, line int, comma rune) (columns, error) {
	cols := columns{user: -1, sku: -1, remove: -1, excl: -1, customer: -1}
	if len(raw) > maxColumns {
		b.problems = append(b.problems, Problem{Line: line,
			Message: fmt.Sprintf("%d columns: a file of user/SKU rows has at most %d", len(raw), maxColumns)})
		return cols, nil
	}
	headers := make([]string, len(raw))
	for i, h := range raw {
		headers[i] = strings.Clone(normalizeHeader(h)) // h is a cell of a reused buffer
	}
	b.headerCols = len(headers)
	first := make(map[string]int, len(headers))
	var unknown []string
	for i, h := range headers {
		known := slices.Contains(knownColumns, h)
		quiet := slices.Contains(quietColumns, h)
		if j, dup := first[h]; dup {
			if known {
				b.problems = append(b.problems, Problem{Line: line, Column: h,
					Message: fmt.Sprintf("duplicate column %q: columns %d and %d", h, j+1, i+1)})
			}
			continue
		}
		first[h] = i
		if !known && !quiet {
			if h == "" {
				unknown = append(unknown, fmt.Sprintf("column %d (no name)", i+1))
			} else {
				unknown = append(unknown, fmt.Sprintf("%q", shorten(h)))
			}
		}
	}
	at := func(name string) int {
		if i, ok := first[name]; ok {
			return i
		}
		return -1
	}
	cols = columns{user: at(colUser), sku: at(colSku), remove: at(colRemoveSku), excl: at(colExcludedPlans), customer: at(colCustomer)}
	b.hasCustomer, b.hasSku = cols.customer >= 0, cols.sku >= 0
	b.headerProblems(headers, line, cols, comma)
	if len(unknown) > 0 {
		b.warnings = append(b.warnings, Warning{Line: line,
			Message: fmt.Sprintf("ignoring unknown column(s) %s; the columns are %s", strings.Join(unknown, ", "), strings.Join(knownColumns, ", "))})
	}
	return cols, nil
}

// headerProblems records the columns the header lacks.
func (b *builder) headerProblems(headers []string, line int, cols columns, comma rune) {
	quoted := make([]string, len(headers))
	for i, h := range headers {
		quoted[i] = fmt.Sprintf("%q", shorten(h))
	}
	has := strings.Join(quoted, ", ")
	if len(headers) == 1 && comma == ',' && strings.ContainsAny(headers[0], ";|") {
		has += "; its fields seem separated by another character than ',', ';' or a tab: save the file as CSV"
	}
	if cols.user < 0 {
		b.problems = append(b.problems, Problem{Line: line, Column: colUser,
			Message: fmt.Sprintf("missing required column %q (the header has %s)", colUser, has)})
	}
	if cols.sku < 0 && cols.remove < 0 {
		b.problems = append(b.problems, Problem{Line: line, Column: colSku,
			Message: fmt.Sprintf("missing required column %q (or %q in a file of removals only; the header has %s)", colSku, colRemoveSku, has)})
	}
	if cols.customer < 0 && b.opts.DefaultCustomer == "" && cols.user >= 0 {
		b.problems = append(b.problems, Problem{Line: line, Column: colCustomer,
			Message: "no customer: the file has no customer column and no default customer is set"})
	}
}

// addRow validates one data row, resolves it and adds it to its update. Problems are
// collected; the error is for failures that stop planning (a catalogue fetch).
func (b *builder) addRow(line int, in *inputRow) error {
	if in.User == "" && in.Sku == "" && in.RemoveSku == "" && in.ExcludedPlans == "" && in.Customer == "" {
		return nil
	}
	before := len(b.problems)
	c, blank := b.cells(line, in)
	if blank || len(b.problems) > before {
		return nil
	}
	spell, noCustomer := b.checkRow(line, &c)
	if len(b.problems) > before || noCustomer {
		return nil
	}
	if b.visit != nil {
		b.visit(line, &c)
		return nil
	}
	if b.opts.Done != nil && b.opts.Done(line, report.RowKey(c.cust, c.user, c.sku, c.rem, c.excl)) {
		b.resumed++
		return nil
	}
	return b.resolveRow(line, &c, spell)
}

// rowCells are a row's cells, trimmed; cust is the default customer when the row
// names none.
type rowCells struct{ user, sku, rem, excl, cust string }

// cells checks a row's cells for what no cell may hold and trims them; blank says the
// row has nothing but white space (such as ",,,").
func (b *builder) cells(line int, in *inputRow) (c rowCells, blank bool) {
	raw := [...]struct{ col, v string }{
		{colUser, in.User}, {colSku, in.Sku}, {colRemoveSku, in.RemoveSku},
		{colExcludedPlans, in.ExcludedPlans}, {colCustomer, in.Customer},
	}
	for _, f := range raw {
		if msg := fieldProblem(f.v); msg != "" {
			b.problems = append(b.problems, newProblem(line, f.col, f.v, "%s", msg))
		}
	}
	c = rowCells{user: strings.TrimSpace(in.User), sku: strings.TrimSpace(in.Sku), rem: strings.TrimSpace(in.RemoveSku),
		excl: strings.TrimSpace(in.ExcludedPlans), cust: strings.TrimSpace(in.Customer)}
	if c == (rowCells{}) {
		return c, true
	}
	if c.cust == "" {
		c.cust = b.opts.DefaultCustomer
	}
	return c, false
}

// checkRow checks the row's customer, user and SKU cells before anything is resolved,
// and returns the customer's spelling (-1 without one); noCustomer says the file has
// no customer column and no default customer is set (a problem said once).
func (b *builder) checkRow(line int, c *rowCells) (spell int32, noCustomer bool) {
	spell = -1
	switch {
	case c.cust == "" && !b.hasCustomer:
		noCustomer = true // said once, for the header
	case c.cust == "":
		b.problems = append(b.problems, newProblem(line, colCustomer, "",
			"no customer: the row has no customer value and no default customer is set"))
	default:
		spell = b.spelling(c.cust)
		if !b.custSpell[spell].valid {
			b.problems = append(b.problems, newProblem(line, colCustomer, c.cust, "not a customer ID: want a GUID such as %s", exampleGUID))
		}
	}
	if c.user == "" {
		b.problems = append(b.problems, newProblem(line, colUser, "", "empty: every row needs the user's object ID or user principal name"))
	} else if msg := userProblem(c.user); msg != "" {
		b.problems = append(b.problems, newProblem(line, colUser, c.user, "%s", msg))
	}
	if c.sku == "" && c.rem == "" {
		if b.hasSku {
			b.problems = append(b.problems, newProblem(line, colSku, "", "empty and no remove_sku: name a SKU to assign or to remove"))
		} else {
			b.problems = append(b.problems, newProblem(line, colRemoveSku, "", "empty: without a sku column every row needs a remove_sku"))
		}
	}
	if c.sku == "" && c.excl != "" {
		b.problems = append(b.problems, newProblem(line, colExcludedPlans, c.excl, "given without a sku: excluded plans belong to the SKU assigned"))
	}
	return spell, noCustomer
}

// resolveRow resolves the row's SKUs against its customer's catalogue and, when they
// fit in one request, adds the row.
func (b *builder) resolveRow(line int, c *rowCells, spell int32) error {
	before := len(b.problems)
	cust, err := b.customer(spell)
	if err != nil {
		return err
	}
	rec := rowRec{line: int32(line), cust: spell, assign: -1, remove: -1}
	aSku, rSku := int32(-1), int32(-1)
	if c.sku != "" {
		rec.assign = b.assignVariant(cust, c.sku, c.excl)
		v := &b.assigns[rec.assign]
		aSku = v.sku
		b.addProblems(line, v.problems)
	}
	if c.rem != "" {
		rec.remove = b.removeVariant(cust, c.rem)
		v := &b.removes[rec.remove]
		rSku = v.sku
		b.addProblems(line, v.problems)
	}
	if len(b.problems) > before {
		return nil
	}
	switch {
	case aSku >= 0 && rSku >= 0 && aSku == rSku:
		b.problems = append(b.problems, newProblem(line, colRemoveSku, c.rem,
			"the row both assigns and removes %s: a user cannot get and lose the same SKU", b.skus[aSku].label()))
		return nil
	case aSku >= 0 && rSku >= 0 && b.skus[aSku].group != b.skus[rSku].group:
		b.problems = append(b.problems, newProblem(line, colRemoveSku, c.rem,
			"%s is in license group %s but %s is in %s; one request carries one license group, so assign and remove them in separate rows",
			b.skus[rSku].label(), b.groups[b.skus[rSku].group], b.skus[aSku].label(), b.groups[b.skus[aSku].group]))
		return nil
	case aSku >= 0:
		rec.group = b.skus[aSku].group
	default:
		rec.group = b.skus[rSku].group
	}
	return b.appendRow(rec, c.user)
}

// appendRow stores a resolved row. Rows are matched to their updates, and checked for
// duplicates and contradictions, once the whole file is read (see group).
func (b *builder) appendRow(rec rowRec, user string) error {
	ref, err := b.users.add(user)
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	rec.user, rec.userLen = ref, uint16(len(user))
	h := hashUser(b.custSpell[rec.cust].cust, rec.group, user)
	rec.aux = uint32(h ^ h>>32)
	b.rows.add(rec)
	return nil
}

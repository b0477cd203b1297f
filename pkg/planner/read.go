package planner

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/gocarina/gocsv"

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

var knownColumns = []string{colUser, colSku, colRemoveSku, colExcludedPlans, colCustomer}

// quietColumns are columns of bulkassign's own files that an input may carry and the
// planner ignores without a warning: a rollback file's line and SKU names.
var quietColumns = []string{"line", "sku_name", "remove_sku_name"}

// inputRow is one data row as gocsv's unmarshaller fills it.
type inputRow struct {
	User          string `csv:"user"`
	Sku           string `csv:"sku"`
	RemoveSku     string `csv:"remove_sku"`
	ExcludedPlans string `csv:"excluded_plans"`
	Customer      string `csv:"customer"`
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// utf16Message is the problem of a file saved as UTF-16 ("Unicode text").
const utf16Message = "the file is UTF-16 text: save it as CSV UTF-8 (comma delimited)"

var normalizerOnce sync.Once

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

// read streams the CSV through gocsv's pull-style unmarshaller. encoding/csv reports the
// file line of each record (FieldPos) and of each syntax error (ParseError), which gocsv's
// record numbers cannot.
func (b *builder) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	}
	if head, err := br.Peek(2); err == nil && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
		b.problems = append(b.problems, Problem{Message: utf16Message})
		return nil
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 0 // the header sets the count; a row with another count is a ParseError with its line
	cr.ReuseRecord = true  // gocsv copies each field into a new inputRow
	normalizerOnce.Do(func() { gocsv.SetHeaderNormalizer(normalizeHeader) })

	um, err := gocsv.NewUnmarshaller(cr, (*inputRow)(nil))
	if err != nil {
		if errors.Is(err, io.EOF) {
			b.problems = append(b.problems, Problem{Message: "empty file: no header row"})
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			b.parseProblem(pe)
			return nil
		}
		return fmt.Errorf("read input header: %w", err)
	}
	headerLine, _ := cr.FieldPos(0)
	if err := b.checkHeader(um, headerLine); err != nil || len(b.problems) > 0 {
		return err
	}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := b.ctx.Err(); err != nil {
				return fmt.Errorf("read input: %w", err)
			}
		}
		v, err := um.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				b.parseProblem(pe)
				continue
			}
			return fmt.Errorf("read input: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := b.addRow(line, v.(*inputRow)); err != nil {
			return err
		}
	}
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
// there, no known column twice; unknown columns draw one warning.
func (b *builder) checkHeader(um *gocsv.Unmarshaller, line int) error {
	headers := um.Headers
	renormalize := false
	for _, h := range headers {
		if normalizeHeader(h) != h {
			renormalize = true // another package changed gocsv's normalizer
		}
	}
	if renormalize {
		if err := um.RenormalizeHeaders(func(hs []string) []string {
			out := make([]string, len(hs))
			for i, h := range hs {
				out[i] = normalizeHeader(h)
			}
			return out
		}); err != nil {
			return fmt.Errorf("read input header: %w", err)
		}
		headers = um.Headers
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
	_, hasUser := first[colUser]
	_, b.hasCustomer = first[colCustomer]
	_, b.hasSku = first[colSku]
	_, hasRemove := first[colRemoveSku]
	quoted := make([]string, len(headers))
	for i, h := range headers {
		quoted[i] = fmt.Sprintf("%q", shorten(h))
	}
	has := strings.Join(quoted, ", ")
	if len(headers) == 1 && strings.Contains(headers[0], ";") {
		has += `; the file seems to separate fields with ";": save it comma-separated`
	}
	if !hasUser {
		b.problems = append(b.problems, Problem{Line: line, Column: colUser,
			Message: fmt.Sprintf("missing required column %q (the header has %s)", colUser, has)})
	}
	if !b.hasSku && !hasRemove {
		b.problems = append(b.problems, Problem{Line: line, Column: colSku,
			Message: fmt.Sprintf("missing required column %q (or %q in a file of removals only; the header has %s)", colSku, colRemoveSku, has)})
	}
	if !b.hasCustomer && b.opts.DefaultCustomer == "" && hasUser {
		b.problems = append(b.problems, Problem{Line: line, Column: colCustomer,
			Message: "no customer: the file has no customer column and no default customer is set"})
	}
	if len(unknown) > 0 {
		b.warnings = append(b.warnings, Warning{Line: line,
			Message: fmt.Sprintf("ignoring unknown column(s) %s; the columns are %s", strings.Join(unknown, ", "), strings.Join(knownColumns, ", "))})
	}
	return nil
}

// addRow validates one data row, resolves it and adds it to its update. Problems are
// collected; the error is for failures that stop planning (a catalogue fetch).
func (b *builder) addRow(line int, in *inputRow) error {
	if in.User == "" && in.Sku == "" && in.RemoveSku == "" && in.ExcludedPlans == "" && in.Customer == "" {
		return nil
	}
	before := len(b.problems)
	raw := [...]struct{ col, v string }{
		{colUser, in.User}, {colSku, in.Sku}, {colRemoveSku, in.RemoveSku},
		{colExcludedPlans, in.ExcludedPlans}, {colCustomer, in.Customer},
	}
	for _, f := range raw {
		if msg := fieldProblem(f.v); msg != "" {
			b.problems = append(b.problems, newProblem(line, f.col, f.v, "%s", msg))
		}
	}
	if len(b.problems) > before {
		return nil
	}
	user := strings.TrimSpace(in.User)
	sku := strings.TrimSpace(in.Sku)
	rem := strings.TrimSpace(in.RemoveSku)
	excl := strings.TrimSpace(in.ExcludedPlans)
	custText := strings.TrimSpace(in.Customer)
	if user == "" && sku == "" && rem == "" && excl == "" && custText == "" {
		return nil // a blank row, such as ",,,"
	}

	if custText == "" {
		custText = b.opts.DefaultCustomer
	}
	spell := int32(-1)
	noCustomer := false
	switch {
	case custText == "" && !b.hasCustomer:
		noCustomer = true // said once, for the header
	case custText == "":
		b.problems = append(b.problems, newProblem(line, colCustomer, "",
			"no customer: the row has no customer value and no default customer is set"))
	default:
		spell = b.spelling(custText)
		if !b.custSpell[spell].valid {
			b.problems = append(b.problems, newProblem(line, colCustomer, custText, "not a customer ID: want a GUID such as %s", exampleGUID))
		}
	}
	if user == "" {
		b.problems = append(b.problems, newProblem(line, colUser, "", "empty: every row needs the user's object ID or user principal name"))
	} else if msg := userProblem(user); msg != "" {
		b.problems = append(b.problems, newProblem(line, colUser, user, "%s", msg))
	}
	if sku == "" && rem == "" {
		if b.hasSku {
			b.problems = append(b.problems, newProblem(line, colSku, "", "empty and no remove_sku: name a SKU to assign or to remove"))
		} else {
			b.problems = append(b.problems, newProblem(line, colRemoveSku, "", "empty: without a sku column every row needs a remove_sku"))
		}
	}
	if sku == "" && excl != "" {
		b.problems = append(b.problems, newProblem(line, colExcludedPlans, excl, "given without a sku: excluded plans belong to the SKU assigned"))
	}
	if len(b.problems) > before || noCustomer {
		return nil
	}

	if b.keys != nil {
		b.keys[line] = report.RowKey(custText, user, sku, rem, excl)
		return nil
	}
	if b.opts.Done != nil && b.opts.Done(line, report.RowKey(custText, user, sku, rem, excl)) {
		b.resumed++
		return nil
	}
	cust, err := b.customer(spell)
	if err != nil {
		return err
	}
	rec := rowRec{line: int32(line), cust: spell, assign: -1, remove: -1}
	aSku, rSku := int32(-1), int32(-1)
	if sku != "" {
		rec.assign = b.assignVariant(cust, sku, excl)
		v := &b.assigns[rec.assign]
		aSku = v.sku
		b.addProblems(line, v.problems)
	}
	if rem != "" {
		rec.remove = b.removeVariant(cust, rem)
		v := &b.removes[rec.remove]
		rSku = v.sku
		b.addProblems(line, v.problems)
	}
	if len(b.problems) > before {
		return nil
	}
	switch {
	case aSku >= 0 && rSku >= 0 && aSku == rSku:
		b.problems = append(b.problems, newProblem(line, colRemoveSku, rem,
			"the row both assigns and removes %s: a user cannot get and lose the same SKU", b.skus[aSku].label()))
		return nil
	case aSku >= 0 && rSku >= 0 && b.skus[aSku].group != b.skus[rSku].group:
		b.problems = append(b.problems, newProblem(line, colRemoveSku, rem,
			"%s is in license group %s but %s is in %s; one request carries one license group, so assign and remove them in separate rows",
			b.skus[rSku].label(), b.groups[b.skus[rSku].group], b.skus[aSku].label(), b.groups[b.skus[aSku].group]))
		return nil
	case aSku >= 0:
		rec.group = b.skus[aSku].group
	default:
		rec.group = b.skus[rSku].group
	}
	return b.appendRow(rec, user)
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

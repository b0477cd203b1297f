package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// numColumns and numColumnsV1 are the numbers of columns of the result CSV:
// len(Header) and len(HeaderV1).
const (
	numColumns   = 18
	numColumnsV1 = 16
)

// headerLine is the header row exactly as the Writer writes it; headerLineV1 that of
// a Version1 file.
var (
	headerLine   = strings.Join(Header, ",") + "\n"
	headerLineV1 = strings.Join(HeaderV1, ",") + "\n"
)

// timeLayout is how finished_at is written: RFC 3339 in UTC with as many fractional
// digits as the time has, so that reading it back gives the same instant.
const timeLayout = time.RFC3339Nano

// Writer writes result rows as CSV, one row per call to the underlying io.Writer, so
// that every row it reports written is whole on disk and a crash tears at most the
// row being written. A Writer is not safe for concurrent use: one goroutine writes
// results as they arrive.
//
// Cells are neutralised against spreadsheet formulas (see the package overview) and
// "\r\n" inside a cell is written as "\n", because encoding/csv reads it back so.
// gocsv turns the row's cells into its CSV line.
type Writer struct {
	dst io.Writer
	enc *recordWriter[resultRow]
	row resultRow
	err error // the first write error; once set, every Write fails
}

// NewWriter returns a Writer for a new result CSV: it writes the header to w at once.
func NewWriter(w io.Writer) (*Writer, error) {
	wr := NewAppender(w)
	if err := wr.writeRaw([]byte(headerLine)); err != nil {
		return nil, fmt.Errorf("write result header: %w", err)
	}
	return wr, nil
}

// NewAppender returns a Writer that appends rows to a result CSV whose header is
// already written (a resumed run). The file must be a Version2 one: Resume checks.
func NewAppender(w io.Writer) *Writer {
	return &Writer{dst: w, enc: newRecordWriter[resultRow]()}
}

// Write writes r as one row, in one call to the underlying io.Writer. After a failed
// write (a full disk, a closed file) the Writer stops: this and every later Write
// return an error, and what was written before stays readable by Read.
func (w *Writer) Write(r Result) error {
	if w.err != nil {
		return fmt.Errorf("write result line %d: an earlier write failed: %w", r.Line, w.err)
	}
	if !r.Status.Valid() {
		return fmt.Errorf("write result line %d: status %q is not one of %s", r.Line, r.Status, statusList)
	}
	w.fill(&r)
	line, err := w.enc.encode(&w.row)
	if err != nil {
		return fmt.Errorf("write result line %d: %w", r.Line, err)
	}
	if err := w.writeRaw(line); err != nil {
		return fmt.Errorf("write result line %d: %w", r.Line, err)
	}
	return nil
}

// writeRaw hands p to the destination in one call and records a failure.
func (w *Writer) writeRaw(p []byte) error {
	n, err := w.dst.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
	}
	return err
}

// fill turns r into the cells of one row.
func (w *Writer) fill(r *Result) {
	w.row = resultRow{
		Line:          cell(strconv.Itoa(r.Line)),
		Customer:      cell(r.Customer),
		User:          cell(r.User),
		Sku:           cell(r.Sku),
		SkuID:         cell(r.SkuID),
		RemoveSku:     cell(r.RemoveSku),
		LicenseGroup:  cell(r.LicenseGroup),
		Status:        cell(string(r.Status)),
		ErrorCode:     cell(r.ErrorCode),
		ErrorMessage:  cell(r.ErrorMessage),
		Attempts:      cell(strconv.Itoa(r.Attempts)),
		RequestID:     cell(r.RequestID),
		CorrelationID: cell(r.CorrelationID),
		UserID:        cell(r.UserID),
		ExcludedPlans: cell(r.ExcludedPlans),
		RowKey:        cell(r.RowKey),
	}
	if r.HTTPStatus != 0 {
		w.row.HTTPStatus = cell(strconv.Itoa(r.HTTPStatus))
	}
	if !r.FinishedAt.IsZero() {
		w.row.FinishedAt = cell(r.FinishedAt.UTC().Format(timeLayout))
	}
}

// isFormulaStart reports whether a cell starting with c would be run by a spreadsheet.
func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// quoted reports whether s must be written with a leading single quote: it starts with
// a formula character, possibly after single quotes of its own. Quoting those too
// keeps the escape reversible: a cell that really is '=x is written with two quotes.
func quoted(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return i < len(s) && isFormulaStart(s[i])
}

// cell is s as the result CSV holds it: neutralised, and with "\r\n" written as "\n".
func cell(s string) string {
	if strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	if quoted(s) {
		return "'" + s
	}
	return s
}

// Unquote reverses the neutralisation of a cell against spreadsheet formulas that
// the result CSV, the rollback file and WriteRetryInput apply: a cell written as
// "'=x" is "=x". A reader of a rollback or retry file used as an input applies it to
// every cell. A cell without such a quote is returned as it is.
func Unquote(s string) string { return uncell(s) }

// uncell reverses the neutralisation of cell.
func uncell(s string) string {
	if len(s) > 1 && s[0] == '\'' && quoted(s[1:]) {
		return s[1:]
	}
	return s
}

package report

import (
	"bytes"
	"encoding/csv"

	"github.com/gocarina/gocsv"
)

// The result CSV and the rollback file are written and read with gocsv
// (github.com/gocarina/gocsv): a row is a struct of string cells, in the file's column
// order, whose csv tags are the header's names. The cells hold the text as the file
// does, neutralised against spreadsheet formulas (cell, uncell); turning them into a
// Result or a RollbackRow and back is done here, so that every message about a bad
// cell names its column and line.
//
// gocsv only turns a row struct into a record and a record into a row struct. The
// headers are written as bytes and checked exactly before gocsv sees them: gocsv's
// matching of header names follows a process-wide normaliser that another package
// may set, and its writing of a header would follow it too. The line numbers in
// messages come from encoding/csv's reader (FieldPos, ParseError), which counts the
// file's lines, where gocsv counts records.

// resultRow is one row of the result CSV: its cells in Header's order. A Version1
// file has no excluded_plans and row_key columns; gocsv leaves those cells empty.
type resultRow struct {
	Line          string `csv:"line"`
	Customer      string `csv:"customer"`
	User          string `csv:"user"`
	Sku           string `csv:"sku"`
	SkuID         string `csv:"sku_id"`
	RemoveSku     string `csv:"remove_sku"`
	LicenseGroup  string `csv:"license_group"`
	Status        string `csv:"status"`
	HTTPStatus    string `csv:"http_status"`
	ErrorCode     string `csv:"error_code"`
	ErrorMessage  string `csv:"error_message"`
	Attempts      string `csv:"attempts"`
	RequestID     string `csv:"request_id"`
	CorrelationID string `csv:"correlation_id"`
	FinishedAt    string `csv:"finished_at"`
	UserID        string `csv:"user_id"`
	ExcludedPlans string `csv:"excluded_plans"`
	RowKey        string `csv:"row_key"`
}

// rollbackRecord is one row of the rollback file: its cells in RollbackHeader's order.
// The columns of a rollback file of an older bulkassign (RollbackHeaderV1) are some
// of these; gocsv leaves the others empty.
type rollbackRecord struct {
	Lines         string `csv:"line"`
	Customer      string `csv:"customer"`
	User          string `csv:"user"`
	Sku           string `csv:"sku"`
	SkuName       string `csv:"sku_name"`
	RemoveSku     string `csv:"remove_sku"`
	RemoveSkuName string `csv:"remove_sku_name"`
	ExcludedPlans string `csv:"excluded_plans"`
}

// recordWriter turns one row struct into its CSV record with gocsv, into a buffer
// that the caller hands to the file in a single write. Quoting is encoding/csv's
// (gocsv writes through a csv.Writer): a cell with a comma, a quote or a line break is
// quoted, lines end with "\n".
type recordWriter[T any] struct {
	buf bytes.Buffer
	cw  *gocsv.SafeCSVWriter
	one [1]T // the row being written: gocsv marshals a slice or an array of rows
}

func newRecordWriter[T any]() *recordWriter[T] {
	w := &recordWriter[T]{}
	w.cw = gocsv.NewSafeCSVWriter(csv.NewWriter(&w.buf))
	return w
}

// encode returns row as one CSV line. The bytes are valid until the next encode.
func (w *recordWriter[T]) encode(row *T) ([]byte, error) {
	w.one[0] = *row
	w.buf.Reset()
	if err := gocsv.MarshalCSVWithoutHeaders(&w.one, w.cw); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

// countFields counts the fields of the CSV record that raw holds. It is for the
// message about a row with the wrong number of fields: the reader gives gocsv a fixed
// count, and gocsv's row structs do not show how many fields a record had.
func countFields(raw []byte) int {
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	rec, _ := cr.Read()
	return len(rec)
}

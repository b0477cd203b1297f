package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
)

// Read reads a result CSV back: the Results that a Writer wrote, in file order. It
// reads both formats (see ReadVersion); rows of a Version1 file have an empty
// ExcludedPlans and RowKey.
//
// Read is lenient about the one thing a killed run leaves behind, a torn last line (a
// last row without its newline, or with the wrong number of fields, or cut inside a
// quoted cell): it drops it. An empty input, or one holding only part of the header,
// holds no rows. Anything else that is not as a Writer writes it is an error naming
// the file line: a header other than Header or HeaderV1, a malformed row before the
// last.
func Read(r io.Reader) ([]Result, error) {
	rs, _, err := ReadVersion(r)
	return rs, err
}

// ReadVersion is Read that also reports the version of the file's format: Version2
// for a file with Header, Version1 for one with HeaderV1, 0 for an input without a
// whole header (empty, or cut short), which holds no rows. A resumed run refuses a
// Version1 file (Resume does); a report on one reads it.
func ReadVersion(r io.Reader) ([]Result, Version, error) {
	rb, err := readResults(r)
	if err != nil {
		return nil, 0, err
	}
	return rb.results, rb.version, nil
}

// readBack is what readResults found in a result CSV.
type readBack struct {
	results []Result
	version Version // 0: the input is empty or holds only part of the header
	end     int64   // byte offset just past the last complete row (or the header)
}

// readHeader reads a result CSV's header and tells its version: 0 for an input that
// is empty or holds only the start of a header.
func readHeader(r io.Reader) (Version, error) {
	hdr := make([]byte, len(headerLine))
	n, err := io.ReadFull(r, hdr[:len(headerLineV1)])
	if err == nil && string(hdr[:n]) == headerLineV1 {
		return Version1, nil
	}
	if err == nil && string(hdr[:n]) == headerLine[:n] {
		var m int
		m, err = io.ReadFull(r, hdr[n:])
		n += m
	}
	switch got := string(hdr[:n]); {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if strings.HasPrefix(headerLine, got) || strings.HasPrefix(headerLineV1, got) {
			return 0, nil // empty, or a torn header: no rows yet
		}
		return 0, foreignHeader(hdr[:n])
	case err != nil:
		return 0, err
	case got != headerLine:
		return 0, foreignHeader(hdr[:n])
	}
	return Version2, nil
}

// readResults reads a result CSV and reports where its last complete row ends.
func readResults(r io.Reader) (readBack, error) {
	v, err := readHeader(r)
	if err != nil || v == 0 {
		return readBack{}, err
	}
	header, columns := headerLine, numColumns
	if v == Version1 {
		header, columns = headerLineV1, numColumnsV1
	}
	// gocsv reads the header itself: it is given the bytes readHeader has just matched,
	// so that offsets and lines count from the start of the file.
	tr := &tailReader{r: io.MultiReader(strings.NewReader(header), r)}
	cr := newRecordReader(tr, columns)
	um, err := gocsv.NewUnmarshaller(cr, (*resultRow)(nil))
	if err != nil {
		return readBack{}, fmt.Errorf("line 1: %w", err)
	}
	rb := readBack{version: v, end: int64(len(header))}
	tr.keepFrom(rb.end)
	for {
		out, err := um.Read()
		if err == io.EOF {
			return rb, nil
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			return readBack{}, err
		}
		var line int
		var problem string
		end := cr.InputOffset()
		switch {
		case perr != nil && errors.Is(perr.Err, csv.ErrFieldCount):
			line = perr.StartLine
			problem = fmt.Sprintf("%d fields, want %d", countFields(tr.from(rb.end)[:end-rb.end]), columns)
		case perr != nil:
			line, problem = perr.StartLine, perr.Err.Error()
		case tr.byteAt(end-1) != '\n':
			line, _ = cr.FieldPos(0)
			problem = "no newline at the end of the row"
		default:
			line, _ = cr.FieldPos(0)
			row := out.(*resultRow)
			res, err := row.result()
			if err != nil {
				return readBack{}, fmt.Errorf("line %d: %w", line, err)
			}
			rb.results = append(rb.results, res)
			rb.end = end
			tr.keepFrom(end)
			continue
		}
		// A row that is not whole is a torn tail only when nothing follows it.
		if _, err := um.Read(); err != io.EOF {
			return readBack{}, fmt.Errorf("line %d: malformed row: %s", line, problem)
		}
		if err := checkTornTail(tr.from(rb.end), header, columns); err != nil {
			return readBack{}, fmt.Errorf("line %d: malformed row: %s (%w)", line, problem, err)
		}
		return rb, nil
	}
}

// newRecordReader returns the csv.Reader under gocsv's Unmarshaller for a file with
// the given number of columns. The count is fixed, so that a row with another count
// is a ParseError (ErrFieldCount) with its line: gocsv fills a row struct from a
// record of any length. Quotes are strict (no LazyQuotes), as the Writer writes them.
func newRecordReader(r io.Reader, columns int) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = columns
	cr.ReuseRecord = true // gocsv copies each cell into a new row struct
	return cr
}

// checkTornTail makes sure that what is about to be dropped as a torn last row is no
// more than part of one row. A quote opened by hand in a row before the last makes
// everything after it look like one unterminated cell; dropping that would lose rows.
func checkTornTail(tail []byte, header string, columns int) error {
	lines := bytes.Split(tail, []byte("\n"))
	for _, l := range lines[1:] {
		if bytes.Count(l, []byte(",")) < columns-1 {
			continue // too few commas for a whole row: no need to parse it
		}
		um, err := gocsv.NewUnmarshaller(newRecordReader(
			io.MultiReader(strings.NewReader(header), bytes.NewReader(l)), columns), (*resultRow)(nil))
		if err != nil {
			continue
		}
		out, err := um.Read()
		if err != nil {
			continue
		}
		row := out.(*resultRow)
		if _, err := row.result(); err == nil {
			return errors.New("complete rows follow it: is a quote left open?")
		}
	}
	return nil
}

// foreignHeader is the error for a file that does not start with a result header.
func foreignHeader(first []byte) error {
	hint := resavedHint(first)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	return fmt.Errorf("line 1: not a bulkassign result file: the header is %q, want %q%s",
		first, strings.TrimSuffix(headerLine, "\n"), hint)
}

// result turns the cells of one row into a Result.
func (row *resultRow) result() (Result, error) {
	var r Result
	var err error
	if r.Line, err = parseInt(Header[0], row.Line, false); err != nil {
		return Result{}, err
	}
	r.Customer = uncell(row.Customer)
	r.User = uncell(row.User)
	r.Sku = uncell(row.Sku)
	r.SkuID = uncell(row.SkuID)
	r.RemoveSku = uncell(row.RemoveSku)
	r.LicenseGroup = uncell(row.LicenseGroup)
	r.Status = Status(uncell(row.Status))
	if !r.Status.Valid() {
		return Result{}, fmt.Errorf("status %q is not one of %s", r.Status, statusList)
	}
	if r.HTTPStatus, err = parseInt(Header[8], row.HTTPStatus, true); err != nil {
		return Result{}, err
	}
	r.ErrorCode = uncell(row.ErrorCode)
	r.ErrorMessage = uncell(row.ErrorMessage)
	if r.Attempts, err = parseInt(Header[11], row.Attempts, true); err != nil {
		return Result{}, err
	}
	r.RequestID = uncell(row.RequestID)
	r.CorrelationID = uncell(row.CorrelationID)
	if s := uncell(row.FinishedAt); s != "" {
		if r.FinishedAt, err = time.Parse(timeLayout, s); err != nil {
			return Result{}, fmt.Errorf("%s %q is not an RFC 3339 time", Header[14], s)
		}
		r.FinishedAt = r.FinishedAt.UTC()
	}
	r.UserID = uncell(row.UserID)
	r.ExcludedPlans = uncell(row.ExcludedPlans) // empty in a Version1 file
	r.RowKey = uncell(row.RowKey)
	return r, nil
}

// parseInt reads a whole-number cell; an empty cell is 0 where emptyOK.
func parseInt(name, s string, emptyOK bool) (int, error) {
	s = uncell(s)
	if s == "" && emptyOK {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a whole number", name, s)
	}
	return n, nil
}

// tailReader remembers what it has read since the last complete row, so that the
// reader can look at the bytes of a row (did it end with a newline?) and at a torn
// tail. Its memory is bounded by one row plus encoding/csv's read-ahead.
type tailReader struct {
	r    io.Reader
	buf  []byte // bytes at offsets [base, base+len(buf))
	base int64
	keep int64 // bytes before this offset may be dropped
}

func (t *tailReader) Read(p []byte) (int, error) {
	if d := t.keep - t.base; d > 0 {
		t.buf = t.buf[:copy(t.buf, t.buf[d:])]
		t.base = t.keep
	}
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// keepFrom lets the reader forget bytes before off.
func (t *tailReader) keepFrom(off int64) { t.keep = off }

// byteAt returns the byte at offset off, which must not be before keep.
func (t *tailReader) byteAt(off int64) byte { return t.buf[off-t.base] }

// from returns every byte read from offset off on.
func (t *tailReader) from(off int64) []byte { return t.buf[off-t.base:] }

// ResumeKey is the key under which an input row and a result row of the same change
// match: customer, user, SKU to assign and SKU to remove, trimmed and compared without
// regard to case (customer and user IDs, user principal names and SKU names are all
// case-insensitive in Partner Center).
func ResumeKey(customer, user, sku, removeSku string) string {
	return keyPart(customer) + "\x00" + keyPart(user) + "\x00" + keyPart(sku) + "\x00" + keyPart(removeSku)
}

// Succeeded returns the ResumeKey of every succeeded row of results: the changes a
// resumed run must not send again.
func Succeeded(results []Result) map[string]bool {
	done := make(map[string]bool)
	for _, r := range results {
		if r.Status == StatusSucceeded {
			done[ResumeKey(r.Customer, r.User, r.Sku, r.RemoveSku)] = true
		}
	}
	return done
}

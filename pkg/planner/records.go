package planner

// The record parsing below follows encoding/csv's Reader.readRecord (Go's source,
// BSD-style license: Copyright 2011 The Go Authors) with FieldsPerRecord -1 and
// LazyQuotes, TrimLeadingSpace and Comment off, so that records, lines and errors are
// those encoding/csv gives. It differs in how: a record's fields share a buffer that
// the next Read overwrites, where encoding/csv allocates a string per record, and a
// line without quotes is split at its separators in one pass.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"unicode/utf8"
	"unsafe"
)

// recordReader reads the records of a CSV file as encoding/csv does. The fields Read
// returns are valid until the next Read: whatever keeps one must copy it.
type recordReader struct {
	r       *bufio.Reader
	comma   rune
	numLine int    // the line last read
	recLine int    // the line the last record starts on
	posLine int    // the line of the field being parsed
	raw     []byte // a line longer than r's buffer
	buf     []byte // the unescaped fields, one after another
	ends    []int  // where each field ends in buf
	fields  []string
}

// newRecordReader reads records separated by comma from r through a buffer of 4096
// bytes, encoding/csv's, so that a failing reader loses the lines it would lose.
func newRecordReader(r io.Reader, comma rune) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 4096), comma: comma}
}

// line is the line the last record read starts on.
func (r *recordReader) line() int { return r.recLine }

// readLine reads the next line with its end of line (\r\n made \n); at the end of
// the input without one, a trailing \r is dropped.
func (r *recordReader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.raw = append(r.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.r.ReadSlice('\n')
			r.raw = append(r.raw, line...)
		}
		line = r.raw
	}
	if n := len(line); n > 0 && err == io.EOF {
		err = nil
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	r.numLine++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// Read returns the next record, skipping empty lines; io.EOF at the end. With a
// *csv.ParseError or an error of the input it returns the fields read before it.
func (r *recordReader) Read() ([]string, error) {
	r.buf, r.fields = r.buf[:0], r.fields[:0]
	return r.readOn()
}

// readOn reads the next record as Read does, but adds its bytes and fields after
// those buf and fields hold: they stay valid, as nothing overwrites them. It returns
// the record's fields.
func (r *recordReader) readOn() ([]string, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = r.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // an empty line
		}
		break
	}
	if errRead == io.EOF {
		return nil, errRead
	}
	r.recLine = r.numLine
	first, start := len(r.fields), len(r.buf)
	r.ends = r.ends[:0]
	err := r.parse(line, &errRead)
	if err == nil {
		err = errRead
	}
	// The record's bytes are in buf's array from start on (an append that moved buf
	// left earlier records' fields in the array they point to, which nothing writes).
	all := unsafe.String(unsafe.SliceData(r.buf), len(r.buf))
	for _, end := range r.ends {
		r.fields = append(r.fields, all[start:end])
		start = end
	}
	return r.fields[first:], err
}

// parse parses the fields of the record that starts with line into buf and ends,
// reading on while a quoted field spans lines.
func (r *recordReader) parse(line []byte, errRead *error) error {
	commaLen := utf8.RuneLen(r.comma)
	if r.comma < utf8.RuneSelf && bytes.IndexByte(line, '"') < 0 {
		r.split(line[:len(line)-lengthNL(line)])
		return nil
	}
	r.posLine = r.numLine
	col := 1
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexRune(line, r.comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				return &csv.ParseError{StartLine: r.recLine, Line: r.numLine, Column: col + j, Err: csv.ErrBareQuote}
			}
			r.buf = append(r.buf, field...)
			r.ends = append(r.ends, len(r.buf))
			if i < 0 {
				return nil
			}
			line = line[i+commaLen:]
			col += i + commaLen
			continue
		}
		line = line[1:]
		col++
		var done bool
		var err error
		if line, col, done, err = r.quoted(line, col, errRead); err != nil || done {
			return err
		}
	}
}

// split adds the fields of a line without quotes and without its end of line, as
// parse would.
func (r *recordReader) split(line []byte) {
	for {
		i := bytes.IndexByte(line, byte(r.comma))
		if i < 0 {
			r.buf = append(r.buf, line...)
			r.ends = append(r.ends, len(r.buf))
			return
		}
		r.buf = append(r.buf, line[:i]...)
		r.ends = append(r.ends, len(r.buf))
		line = line[i+1:]
	}
}

// quoted parses a quoted field from just after its opening quote, at column col of
// line r.posLine, and returns the rest of the line; done says the record ends with it.
func (r *recordReader) quoted(line []byte, col int, errRead *error) (_ []byte, _ int, done bool, _ error) {
	for {
		i := bytes.IndexByte(line, '"')
		switch {
		case i >= 0:
			r.buf = append(r.buf, line[:i]...)
			line = line[i+1:]
			col += i + 1
			switch rn := nextRune(line); {
			case rn == '"':
				r.buf = append(r.buf, '"')
				line = line[1:]
				col++
			case rn == r.comma:
				n := utf8.RuneLen(r.comma)
				r.ends = append(r.ends, len(r.buf))
				return line[n:], col + n, false, nil
			case lengthNL(line) == len(line):
				r.ends = append(r.ends, len(r.buf))
				return line, col, true, nil
			default:
				return line, col, true, &csv.ParseError{StartLine: r.recLine, Line: r.numLine, Column: col - 1, Err: csv.ErrQuote}
			}
		case len(line) > 0:
			r.buf = append(r.buf, line...)
			if *errRead != nil {
				return line, col, true, nil
			}
			col += len(line)
			line, *errRead = r.readLine()
			if len(line) > 0 {
				r.posLine++
				col = 1
			}
			if *errRead == io.EOF {
				*errRead = nil
			}
		default:
			if *errRead == nil {
				return line, col, true, &csv.ParseError{StartLine: r.recLine, Line: r.posLine, Column: col, Err: csv.ErrQuote}
			}
			r.ends = append(r.ends, len(r.buf))
			return line, col, true, nil
		}
	}
}

// lengthNL is the length of b's trailing \n: 1 or 0.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// nextRune returns the first rune of b, utf8.RuneError when none.
func nextRune(b []byte) rune {
	r, _ := utf8.DecodeRune(b)
	return r
}

package productnames

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// The columns of Microsoft's table. Only the friendly names are optional.
const (
	colName     = "Product_Display_Name"
	colPart     = "String_Id"
	colID       = "GUID"
	colPlanName = "Service_Plan_Name"
	colPlanID   = "Service_Plan_Id"
	colFriendly = "Service_Plans_Included_Friendly_Names"
)

// columns lists them in the order the fields of a row are read.
var columns = [...]string{colName, colPart, colID, colPlanName, colPlanID, colFriendly}

const (
	iName = iota
	iPart
	iID
	iPlanName
	iPlanID
	iFriendly
)

var (
	// ErrNoHeader is returned by Load for an input without a header row.
	ErrNoHeader = errors.New("no header row")
	// ErrMissingColumn is returned by Load when the header lacks a required column.
	ErrMissingColumn = errors.New("missing column")
	// ErrDuplicateColumn is returned by Load when the header names a column twice.
	ErrDuplicateColumn = errors.New("column named twice")
	// ErrEncoding is returned by Load for text that is not UTF-8 (UTF-16, or a
	// table re-saved by a spreadsheet in a Windows code page).
	ErrEncoding = errors.New("not UTF-8 text")
)

// ParseError is a line of the table that Load could not read. Test for it with errors.As.
type ParseError struct {
	Line   int    // 1-based line of the input where the row starts
	Column string // the column at fault (for ErrMissingColumn, each one missing), or "" for the row
	Err    error
}

func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %s: %v", e.Line, e.Column, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Load reads a table in the format of Microsoft's "Product names and service plan
// identifiers for licensing" CSV
// (https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference):
// a header naming the columns Product_Display_Name, String_Id, GUID, Service_Plan_Name,
// Service_Plan_Id and, optionally, Service_Plans_Included_Friendly_Names, in any order and
// any case, other columns ignored; then one row per product and service plan.
//
// A UTF-8 byte order mark, CRLF line ends, quoted fields (with "" for a quote, and line
// breaks), blanks after a closing quote and whitespace around fields (non-breaking spaces
// included) are accepted. Rows whose fields are all blank and repeats of the header row
// are skipped. Any other row that cannot be read (too few fields, a bad GUID, a stray
// quote, an empty product name, text not in UTF-8) fails the load with a *ParseError
// naming the line it starts on. The rows of one product (one GUID) are gathered wherever
// they are in the file.
func Load(r io.Reader) (*Table, error) {
	var b builder
	if err := b.read(r); err != nil {
		return nil, fmt.Errorf("load product names: %w", err)
	}
	return b.table(), nil
}

// LoadFile reads the table at path as Load does, for a copy newer than Default's.
func LoadFile(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load product names: %w", err)
	}
	var b builder
	if err := b.parse(data); err != nil {
		return nil, fmt.Errorf("load product names: %w", err)
	}
	return b.table(), nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func (b *builder) read(r io.Reader) error {
	var buf bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, strings.Reader
		buf.Grow(l.Len() + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return fmt.Errorf("read table: %w", err)
	}
	return b.parse(buf.Bytes())
}

func (b *builder) parse(data []byte) error {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		data = data[len(utf8BOM):]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return &ParseError{Line: 1, Err: fmt.Errorf("%w: UTF-16 (save the table as UTF-8)", ErrEncoding)}
	}
	text := string(data)
	b.init(strings.Count(text, "\n") + 1)
	sc := newScanner(text)
	var cols *columnIndex
	for {
		rec, line, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		if cols == nil {
			if cols, err = findColumns(rec, line); err != nil {
				return err
			}
			continue
		}
		if cols.isHeader(rec) {
			continue
		}
		if err := b.add(cols.fields(rec, line)); err != nil {
			return err
		}
	}
	if cols == nil {
		return &ParseError{Line: 1, Err: ErrNoHeader}
	}
	return nil
}

// blank reports whether every field of rec is empty or whitespace.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// columnIndex maps each of the columns to its position in a row (-1: absent).
type columnIndex struct {
	pos    [len(columns)]int
	need   int      // fields a row must have to hold every required column
	header []string // the header row, cleaned, to skip repeats of it
}

func findColumns(rec []string, line int) (*columnIndex, error) {
	c := &columnIndex{header: make([]string, len(rec))}
	c.pos = [len(columns)]int{-1, -1, -1, -1, -1, -1}
	for i, h := range rec {
		h = clean(h)
		c.header[i] = h
		for j, name := range columns {
			if !strings.EqualFold(h, name) {
				continue
			}
			if c.pos[j] >= 0 {
				return nil, &ParseError{Line: line, Column: name, Err: ErrDuplicateColumn}
			}
			c.pos[j] = i
		}
	}
	var missing []string
	for j, name := range columns {
		if c.pos[j] < 0 && j != iFriendly {
			missing = append(missing, name)
		}
		if j != iFriendly && c.pos[j]+1 > c.need {
			c.need = c.pos[j] + 1
		}
	}
	if len(missing) > 0 {
		return nil, &ParseError{Line: line, Column: strings.Join(missing, ", "), Err: ErrMissingColumn}
	}
	if !utf8.ValidString(strings.Join(rec, "")) {
		return nil, &ParseError{Line: line, Err: ErrEncoding}
	}
	return c, nil
}

func (c *columnIndex) isHeader(rec []string) bool {
	if len(rec) != len(c.header) || !strings.EqualFold(strings.TrimSpace(rec[0]), c.header[0]) {
		return false
	}
	for i, f := range rec {
		if !strings.EqualFold(clean(f), c.header[i]) {
			return false
		}
	}
	return true
}

// row is one data row: its line and its fields in the order of columns, uncleaned.
type row struct {
	line   int
	fields [len(columns)]string
	got    int // fields the row has
	need   int // fields the required columns need
}

func (c *columnIndex) fields(rec []string, line int) row {
	r := row{line: line, got: len(rec), need: c.need}
	for j, p := range c.pos {
		if p >= 0 && p < len(rec) {
			r.fields[j] = rec[p]
		}
	}
	return r
}

// clean trims s and turns every run of whitespace in it (non-breaking spaces included)
// into one space. It returns s itself when there is nothing to change.
func clean(s string) string {
	if tidy(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// tidy reports whether s is printable ASCII without leading, trailing or doubled spaces.
func tidy(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || c == ' ' && space {
			return false
		}
		space = c == ' '
	}
	return true
}

// fold is the key under which a name, part number or ID is looked up: cleaned, lower case.
func fold(s string) string { return strings.ToLower(clean(s)) }

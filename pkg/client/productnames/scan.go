package productnames

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// scanner splits a CSV text into records the way encoding/csv does with its defaults
// (comma-separated, fields optionally in double quotes with "" for a quote, empty lines
// skipped, CRLF or LF), with two differences: the fields are substrings of the text, not
// copies, which reads Microsoft's file about twice as fast; and blanks between a closing
// quote and the next comma or line end are allowed. Like encoding/csv, a quote inside an
// unquoted field is csv.ErrBareQuote and a quoted field not closed where it should be is
// csv.ErrQuote. A \r\n inside a quoted field is kept as it is. FuzzScan holds it to
// encoding/csv.
type scanner struct {
	s    string
	pos  int      // where the next record starts
	line int      // the line of s[pos], from 1
	rec  []string // the record, reused
}

func newScanner(s string) *scanner { return &scanner{s: s, line: 1} }

// next returns the next record, valid until the next call, and the line it starts on.
// It returns io.EOF after the last record.
func (sc *scanner) next() ([]string, int, error) {
	for {
		switch {
		case sc.pos >= len(sc.s):
			return nil, 0, io.EOF
		case sc.s[sc.pos] == '\n':
			sc.pos++
		case strings.HasPrefix(sc.s[sc.pos:], "\r\n"):
			sc.pos += 2
		case sc.s[sc.pos:] == "\r": // an empty last line, as encoding/csv
			sc.pos = len(sc.s)
			continue
		default:
			start := sc.line
			sc.rec = sc.rec[:0]
			if sc.plainLine() {
				return sc.rec, start, nil
			}
			for {
				f, end, err := sc.field(start)
				if err != nil {
					return nil, start, err
				}
				sc.rec = append(sc.rec, f)
				if end {
					return sc.rec, start, nil
				}
			}
		}
		sc.line++
	}
}

// plainLine reads the record at pos if its line has no quote, which is most lines:
// then the fields are what the commas split the line into.
func (sc *scanner) plainLine() bool {
	rest := sc.s[sc.pos:]
	n := strings.IndexByte(rest, '\n')
	line := rest
	if n >= 0 {
		line = rest[:n]
	}
	if strings.IndexByte(line, '"') >= 0 {
		return false
	}
	if n >= 0 {
		sc.pos += n + 1
		sc.line++
	} else {
		sc.pos = len(sc.s)
	}
	line = strings.TrimSuffix(line, "\r") // of a \r\n, or a \r ending the text, as encoding/csv
	for {
		i := strings.IndexByte(line, ',')
		if i < 0 {
			sc.rec = append(sc.rec, line)
			return true
		}
		sc.rec = append(sc.rec, line[:i])
		line = line[i+1:]
	}
}

// field reads the field at pos and what ends it; end is true when that is the record's.
func (sc *scanner) field(start int) (f string, end bool, err error) {
	s, i := sc.s, sc.pos
	if i < len(s) && s[i] == '"' {
		f, i, err = sc.quoted(start)
		if err != nil {
			return "", false, err
		}
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] != ',' && s[i] != '\n' && !strings.HasPrefix(s[i:], "\r\n") && s[i:] != "\r" {
			return "", false, sc.errorAt(start, csv.ErrQuote)
		}
	} else {
		j := i
		for j < len(s) && s[j] != ',' && s[j] != '\n' {
			if s[j] == '"' {
				return "", false, sc.errorAt(start, csv.ErrBareQuote)
			}
			j++
		}
		f, i = s[i:j], j
		if i == len(s) || s[i] == '\n' {
			f = strings.TrimSuffix(f, "\r") // of a \r\n, or a \r ending the text
		}
	}
	switch {
	case i >= len(s):
		sc.pos = i
		return f, true, nil
	case s[i] == ',':
		sc.pos = i + 1
		return f, false, nil
	case s[i:] == "\r": // ending the text
		sc.pos = len(s)
		return f, true, nil
	case s[i] == '\r':
		i++ // the \r of a \r\n after a quoted field
	}
	sc.pos = i + 1 // past the \n
	sc.line++
	return f, true, nil
}

// quoted reads the quoted field at pos and returns it unquoted and the index past its
// closing quote.
func (sc *scanner) quoted(start int) (string, int, error) {
	s, i := sc.s, sc.pos+1
	var b strings.Builder // only for a field with "" in it
	from := i
	for {
		j := strings.IndexByte(s[i:], '"')
		if j < 0 {
			sc.line += strings.Count(strings.TrimSuffix(s[i:], "\n"), "\n") // the last line with text
			return "", 0, sc.errorAt(start, csv.ErrQuote)
		}
		sc.line += strings.Count(s[i:i+j], "\n")
		i += j + 1
		if i < len(s) && s[i] == '"' { // "" stands for "
			b.WriteString(s[from:i])
			i++
			from = i
			continue
		}
		if b.Len() == 0 {
			return s[from : i-1], i, nil
		}
		b.WriteString(s[from : i-1])
		return b.String(), i, nil
	}
}

// errorAt is a *ParseError for the record starting on line start, naming the line the
// error is on when it is another.
func (sc *scanner) errorAt(start int, err error) error {
	if sc.line != start {
		err = fmt.Errorf("%w (line %d)", err, sc.line)
	}
	return &ParseError{Line: start, Err: err}
}

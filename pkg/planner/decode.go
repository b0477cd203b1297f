package planner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Bounds of what the planner reads, so that a hostile or broken file (ten million
// empty fields, 60 MB of commas on one line) is refused with its line, not taken into
// memory.
const (
	// maxLineBytes is the longest physical line of the input.
	maxLineBytes = 1 << 20
	// maxColumns is the most fields a record may have.
	maxColumns = 256
)

// errLineTooLong is the problem of a line longer than maxLineBytes.
var errLineTooLong = fmt.Errorf("longer than %d bytes: not a line of user/SKU rows", maxLineBytes)

// decodeInput returns a reader of the input as UTF-8 without a byte-order mark: a
// UTF-8 mark is dropped, UTF-16 with a mark (Excel's "Unicode text") is converted. It
// peeks at the start of r only.
func decodeInput(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read input: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, err := br.Discard(3)
		return br, err
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		return bufio.NewReaderSize(&utf16Reader{r: br, little: true}, 64<<10), nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		return bufio.NewReaderSize(&utf16Reader{r: br}, 64<<10), nil
	}
	return br, nil
}

// utf16Reader turns UTF-16 text into UTF-8, a few kilobytes at a time.
type utf16Reader struct {
	r      *bufio.Reader
	little bool
	out    []byte // converted, not yet returned
	high   uint16 // a high surrogate waiting for its low half, 0 for none
	err    error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 && u.err == nil {
		u.fill()
	}
	if len(u.out) == 0 {
		return 0, u.err
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// fill converts the next code units.
func (u *utf16Reader) fill() {
	var buf [4096]byte
	n, err := io.ReadFull(u.r, buf[:])
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	u.err = err
	out := u.out[:0]
	for i := 0; i+1 < n; i += 2 {
		c := uint16(buf[i])<<8 | uint16(buf[i+1])
		if u.little {
			c = uint16(buf[i+1])<<8 | uint16(buf[i])
		}
		switch {
		case u.high != 0:
			out = utf8.AppendRune(out, utf16.DecodeRune(rune(u.high), rune(c)))
			u.high = 0
		case utf16.IsSurrogate(rune(c)) && c < 0xDC00:
			u.high = c
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	if n%2 == 1 {
		out = utf8.AppendRune(out, utf8.RuneError) // half a code unit at the end
	}
	u.out = out
}

// lineCap is a reader that fails when a physical line grows longer than
// maxLineBytes, naming the line.
type lineCap struct {
	r    io.Reader
	line int // the current line, from 1
	len  int // bytes of the current line so far
}

// LineTooLongError is a line of the input longer than maxLineBytes.
type LineTooLongError struct{ Line int }

func (e *LineTooLongError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, errLineTooLong) }

func (c *lineCap) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for rest := p[:n]; ; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if c.len += len(rest); c.len > maxLineBytes {
				return 0, &LineTooLongError{Line: c.line + 1}
			}
			return n, err
		}
		if c.len+i > maxLineBytes {
			return 0, &LineTooLongError{Line: c.line + 1}
		}
		c.line++
		c.len = 0
		rest = rest[i+1:]
	}
}

// sniffComma returns the separator of a file whose first line is head: the one of
// ',', ';' and tab that appears most often outside quotes (a comma when none does), as
// Excel saves CSV with ';' in many European locales and "Unicode text" with tabs.
func sniffComma(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	var counts [3]int
	quoted := false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			counts[0]++
		case c == ';':
			counts[1]++
		case c == '\t':
			counts[2]++
		}
	}
	seps := [3]rune{',', ';', '\t'}
	best := 0
	for i := 1; i < 3; i++ {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return seps[best]
}

package pcfake

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// pageBuffers holds the buffers users pages are encoded into: a page's buffer serves
// the next page once the page is written.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// pageAnswer is the 200 answer of a users GET: page encoded as jsonAnswer encodes it,
// byte for byte, without reflection, into a pooled buffer that recycle gives back.
func pageAnswer(page *userPage) *answer {
	buf := pageBuffers.Get().(*[]byte)
	*buf = append(page.appendJSON((*buf)[:0]), '\n')
	return &answer{status: http.StatusOK, body: *buf, buf: buf}
}

// recycle gives the buffer of a pageAnswer back once the answer is written; the answer
// is not to be used after. It does nothing for other answers.
func (a *answer) recycle() {
	if a.buf != nil {
		pageBuffers.Put(a.buf)
		a.buf, a.body = nil, nil
	}
}

// appendJSON appends the page as encoding/json encodes it (without HTML escaping, as
// jsonAnswer does, and without its newline).
func (p *userPage) appendJSON(b []byte) []byte {
	b = append(b, `{"totalCount":`...)
	b = strconv.AppendInt(b, int64(p.TotalCount), 10)
	b = append(b, `,"items":`...)
	if p.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Items[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"links":{"self":`...)
	b = p.Links.Self.appendJSON(b)
	if p.Links.Next != nil {
		b = append(b, `,"next":`...)
		b = p.Links.Next.appendJSON(b)
	}
	b = append(b, `},"attributes":`...)
	b = appendAttributes(b, p.Attributes)
	return append(b, '}')
}

// appendJSON appends the user as encoding/json encodes a userItem.
func (u *userItem) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, u.ID)
	b = append(b, `,"userPrincipalName":`...)
	b = appendJSONString(b, u.UserPrincipalName)
	b = append(b, `,"displayName":`...)
	b = appendJSONString(b, u.DisplayName)
	b = append(b, `,"usageLocation":`...)
	b = appendJSONString(b, u.UsageLocation)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, u.State)
	b = append(b, `,"attributes":`...)
	b = appendAttributes(b, u.Attributes)
	return append(b, '}')
}

// appendJSON appends the link as encoding/json encodes it.
func (l *link) appendJSON(b []byte) []byte {
	b = append(b, `{"uri":`...)
	b = appendJSONString(b, l.URI)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, l.Method)
	b = append(b, `,"headers":`...)
	if l.Headers == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, h := range l.Headers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = appendJSONString(b, h.Key)
			b = append(b, `,"value":`...)
			b = appendJSONString(b, h.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendAttributes appends a as encoding/json encodes it (objectType is omitempty).
func appendAttributes(b []byte, a partnercenter.Attributes) []byte {
	if a.ObjectType == "" {
		return append(b, "{}"...)
	}
	b = append(b, `{"objectType":`...)
	b = appendJSONString(b, a.ObjectType)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, as encoding/json encodes a string
// without HTML escaping: '"' and '\\' escaped, control characters as \b, \f, \n, \r,
// \t or \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029, and
// everything else (<, > and & included) as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			b = appendEscapedByte(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscapedByte appends the escape of an ASCII byte that JSON strings escape: '"',
// '\\' or a control character.
func appendEscapedByte(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

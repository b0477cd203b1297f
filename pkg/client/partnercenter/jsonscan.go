package partnercenter

import "unicode/utf8"

// maxScanDepth is how deeply validValue follows nested objects and arrays; a value
// nested deeper is left to encoding/json.
const maxScanDepth = 64

// stringSpecial marks the bytes that end the plain run of a JSON string's contents:
// the closing quote, a backslash, a control character (not allowed unescaped), and
// every byte outside ASCII (which must be valid UTF-8 to need no decoding).
var stringSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	return t
}()

// scanString checks the JSON string that starts at b[i] ('"'): it returns the index
// just past it, or -1 when it is not valid JSON (it does not end, holds a control
// character or a malformed escape). plain reports whether its contents need no
// decoding: no escape, and valid UTF-8.
func scanString(b []byte, i int) (end int, plain bool) {
	plain, ascii := true, true
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		if !stringSpecial[c] {
			continue
		}
		switch {
		case c == '"':
			if !ascii {
				plain = plain && utf8.Valid(b[i+1:j])
			}
			return j + 1, plain
		case c == '\\':
			n := escapeLen(b, j)
			if n < 0 {
				return -1, false
			}
			plain = false
			j += n - 1
		case c < 0x20:
			return -1, false
		default:
			ascii = false
		}
	}
	return -1, false
}

// escapeLen is the length of the escape at b[j] ('\\'), or -1 when JSON has no such
// escape.
func escapeLen(b []byte, j int) int {
	if j+1 >= len(b) {
		return -1
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if j+6 > len(b) {
			return -1
		}
		for _, c := range b[j+2 : j+6] {
			if !isHex(c) {
				return -1
			}
		}
		return 6
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// hasLiteral reports whether b holds lit at i.
func hasLiteral(b []byte, i int, lit string) bool {
	return i+len(lit) <= len(b) && string(b[i:i+len(lit)]) == lit
}

// validValue checks the JSON value that starts at b[i] and returns the index just
// past it, or -1 when it is not valid JSON (or nests deeper than maxScanDepth). What
// follows the value is the caller's to check.
func validValue(b []byte, i, depth int) int {
	if i >= len(b) || depth > maxScanDepth {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := scanString(b, i)
		return end
	case '{':
		return validObject(b, i, depth+1)
	case '[':
		return validArray(b, i, depth+1)
	case 't':
		return literalEnd(b, i, "true")
	case 'f':
		return literalEnd(b, i, "false")
	case 'n':
		return literalEnd(b, i, "null")
	}
	return numberEnd(b, i)
}

func literalEnd(b []byte, i int, lit string) int {
	if !hasLiteral(b, i, lit) {
		return -1
	}
	return i + len(lit)
}

// validObject checks the object at b[i] ('{'); see validValue.
func validObject(b []byte, i, depth int) int {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for i < len(b) && b[i] == '"' {
		end, _ := scanString(b, i)
		if end < 0 {
			return -1
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return -1
		}
		if end = validValue(b, skipSpace(b, i+1), depth); end < 0 {
			return -1
		}
		switch i = skipSpace(b, end); {
		case i < len(b) && b[i] == '}':
			return i + 1
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		default:
			return -1
		}
	}
	return -1
}

// validArray checks the array at b[i] ('['); see validValue.
func validArray(b []byte, i, depth int) int {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		end := validValue(b, i, depth)
		if end < 0 {
			return -1
		}
		switch i = skipSpace(b, end); {
		case i < len(b) && b[i] == ']':
			return i + 1
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		default:
			return -1
		}
	}
}

// numberEnd checks the number at b[i] (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)
// and returns the index just past it, or -1.
func numberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digitsEnd(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i+1 >= len(b) || !isDigit(b[i+1]) {
			return -1
		}
		i = digitsEnd(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		i = digitsEnd(b, i)
	}
	return i
}

func digitsEnd(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

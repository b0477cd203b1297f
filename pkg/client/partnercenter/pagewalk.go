package partnercenter

import "bytes"

// pageParts returns the raw values of the top-level keys "items" and "links" of the
// JSON object body (keys matched in any case, as encoding/json matches them; a key
// repeated gives each of its values, in order, to be decoded one after the other as
// encoding/json would), found by a walk that skips every other value without
// decoding it: a page's next link is then read without decoding its 500 users first.
// ok is false when body is not an object the walk can read (an escaped key, bytes
// after the object); the caller then decodes the whole body, for its error. The walk
// does not validate the values it returns: decoding them does.
func pageParts(body []byte) (items, links [][]byte, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return nil, nil, skipSpace(body, i+1) == len(body)
	}
	for i < len(body) {
		if body[i] != '"' {
			return nil, nil, false
		}
		end := skipString(body, i)
		if end < 0 || bytes.IndexByte(body[i:end], '\\') >= 0 {
			return nil, nil, false
		}
		key := body[i+1 : end-1]
		i = skipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return nil, nil, false
		}
		i = skipSpace(body, i+1)
		vend := skipValue(body, i)
		if vend < 0 {
			return nil, nil, false
		}
		switch {
		case bytes.EqualFold(key, []byte("items")):
			items = append(items, body[i:vend])
		case bytes.EqualFold(key, []byte("links")):
			links = append(links, body[i:vend])
		}
		i = skipSpace(body, vend)
		switch {
		case i < len(body) && body[i] == ',':
			i = skipSpace(body, i+1)
		case i < len(body) && body[i] == '}':
			return items, links, skipSpace(body, i+1) == len(body)
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// skipSpace returns the index of the first byte at or after i that is not JSON white
// space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at b[i] ('"'), or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index just past the value that starts at b[i], or -1 when
// it does not end or its brackets do not match. Nothing else of it is checked:
// decoding the value does that.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		var open []byte
		for j := i; j < len(b); j++ {
			switch c := b[j]; c {
			case '"':
				end := skipString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				open = append(open, c)
			case '}', ']':
				if len(open) == 0 || open[len(open)-1] != c-2 { // '{'+2 == '}', '['+2 == ']'
					return -1
				}
				if open = open[:len(open)-1]; len(open) == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !isDelimiter(b[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// isDelimiter reports whether c ends a number or a literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

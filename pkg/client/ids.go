package client

// IsGUID reports whether s is a GUID in its 36-character form, such as
// 0c39d6d5-c70d-4c55-bc02-f620844f3fd1, in either case. It looks each byte up in a
// table of 256 entries, without a branch per kind of character, and takes bytes as
// well as a string, so that a caller holding bytes need not copy them.
func IsGUID[T string | []byte](s T) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	var bad byte
	for _, i := range guidHexAt {
		bad |= notHex[s[i]]
	}
	return bad == 0
}

// guidHexAt are the positions of the hex digits of a GUID.
var guidHexAt = func() (at [32]uint8) {
	j := 0
	for i := range 36 {
		if i != 8 && i != 13 && i != 18 && i != 23 {
			at[j] = uint8(i)
			j++
		}
	}
	return at
}()

// notHex is 1 for every byte that is not a hex digit.
var notHex = func() (t [256]byte) {
	for c := range t {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			t[c] = 1
		}
	}
	return t
}()

// IsCountryCode reports whether s is two ASCII letters, the form of a usage location
// (ISO 3166-1 alpha-2).
func IsCountryCode(s string) bool {
	return len(s) == 2 && isLetter(s[0]) && isLetter(s[1])
}

func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }

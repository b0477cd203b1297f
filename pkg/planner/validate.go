package planner

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// maxField is the longest field, in bytes, the planner accepts.
const maxField = 1024

// exampleGUID shows what a customer ID looks like in messages.
const exampleGUID = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"

// fieldProblem reports why a raw field cannot be used at all, or "".
func fieldProblem(v string) string {
	switch {
	case len(v) <= maxField && plainASCII(v):
		return ""
	case len(v) > maxField:
		return "longer than 1024 bytes"
	case strings.IndexByte(v, 0) >= 0:
		return "contains a NUL byte"
	case !utf8.ValidString(v):
		return "is not valid UTF-8: the file seems saved in another encoding (Excel's plain \"CSV\" is Windows-1252); save it as \"CSV UTF-8 (comma delimited)\""
	}
	return ""
}

// plainASCII reports whether s holds only ASCII bytes other than NUL, eight bytes at
// a time: such a field is valid UTF-8 without a NUL byte.
func plainASCII(s string) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if s[i] == 0 || s[i] >= utf8.RuneSelf {
				return false
			}
		}
		return true
	}
	for i := 0; ; i += 8 {
		i = min(i, len(s)-8) // the last word may overlap the one before
		w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		if w&hi != 0 || (w-lo)&^w&hi != 0 { // a byte >= 0x80, or a zero byte
			return false
		}
		if i == len(s)-8 {
			return true
		}
	}
}

// printableASCII reports whether s holds only printable ASCII bytes other than the
// space ('!' to '~'), eight bytes at a time.
func printableASCII(s string) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		del := w ^ 0x7f7f7f7f7f7f7f7f // a zero byte where w has DEL
		// A byte of 0x80 or more, one below '!' (w-0x21 borrows), or DEL.
		if w&hi != 0 || (w-0x21*lo)&^w&hi != 0 || (del-lo)&^del&hi != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// userProblem reports why u (trimmed, not empty) is neither a user object ID nor a
// plausible user principal name, or "".
func userProblem(u string) string {
	if client.IsGUID(u) {
		return ""
	}
	switch u[0] {
	case '=', '+', '-', '@':
		return "starts with " + string(u[0]) + ", which a spreadsheet would run as a formula; not accepted as a user"
	}
	at := strings.IndexByte(u, '@')
	if at < 0 {
		return "neither a user object ID (a GUID) nor a user principal name (name@domain)"
	}
	if strings.IndexByte(u[at+1:], '@') >= 0 {
		return "not a user principal name: more than one @"
	}
	if at == len(u)-1 {
		return "not a user principal name: nothing after the @"
	}
	if printableASCII(u) {
		return ""
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				return "not a user principal name: contains a space or control character"
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(u[i:])
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "not a user principal name: contains a space or control character"
		}
		i += size - 1
	}
	return ""
}

// fnvOffset and fnvPrime are the 64-bit FNV-1a parameters.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashUser hashes a user's matching key: customer, license group and the user folded
// to lower case, eight bytes at a time (an ASCII name folded in place, any other
// folded by strings.ToLower first). Equal keys give equal hashes; callers check for
// collisions. It is a variable so that tests can force collisions.
var hashUser = func(customer int32, group uint8, user string) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(uint32(customer))) * fnvPrime
	h = (h ^ uint64(group)) * fnvPrime
	if !asciiOnly(user) {
		return foldedHash(h, strings.ToLower(user), false)
	}
	return foldedHash(h, user, true)
}

// foldedHash mixes s into h eight bytes at a time, the last word padded with zeros;
// fold folds ASCII upper case (s must then be ASCII).
func foldedHash(h uint64, s string, fold bool) uint64 {
	const hi, mul = 0x8080808080808080, 0x9E3779B97F4A7C15
	n := len(s)
	for i := 0; i < n; i += 8 {
		var x uint64
		if i+8 <= n {
			x = binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		} else {
			for j := n - 1; j >= i; j-- {
				x = x<<8 | uint64(s[j])
			}
		}
		if fold { // ASCII bytes from 'A' to 'Z' gain 0x20
			x |= (x + 0x3f3f3f3f3f3f3f3f) &^ (x + 0x2525252525252525) & hi >> 2
		}
		h = (h ^ x) * mul
		h ^= h >> 29
	}
	h = (h ^ uint64(n)) * mul
	return h ^ h>>32
}

// asciiOnly reports whether s is all ASCII, eight bytes at a time.
func asciiOnly(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// sameUser reports whether a and b name the same user: equal once folded to lower case.
func sameUser(a []byte, b string) bool {
	if len(a) == len(b) {
		ascii := true
		for i := range a {
			x, y := a[i], b[i]
			if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= x && x <= 'Z' {
				x += 'a' - 'A'
			}
			if 'A' <= y && y <= 'Z' {
				y += 'a' - 'A'
			}
			if x != y {
				return false
			}
		}
		if ascii {
			return true
		}
	}
	return strings.ToLower(string(a)) == strings.ToLower(string(b))
}

// lower folds s to lower case.
func lower(s string) string { return strings.ToLower(s) }

// canonPlans is a set of service plan IDs in a form that compares: lower case, sorted,
// joined with ";".
func canonPlans(ids []string) string {
	canon := make([]string, len(ids))
	for i, id := range ids {
		canon[i] = strings.ToLower(strings.TrimSpace(id))
	}
	slices.Sort(canon)
	canon = slices.Compact(canon)
	return strings.Join(canon, ";")
}

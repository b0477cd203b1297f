package planner

import (
	"github.com/bulkassign/bulkassign/pkg/client"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxField is the longest field, in bytes, the planner accepts.
const maxField = 1024

// exampleGUID shows what a customer ID looks like in messages.
const exampleGUID = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"

// fieldProblem reports why a raw field cannot be used at all, or "".
func fieldProblem(v string) string {
	switch {
	case len(v) > maxField:
		return "longer than 1024 bytes"
	case strings.IndexByte(v, 0) >= 0:
		return "contains a NUL byte"
	case !utf8.ValidString(v):
		return "is not valid UTF-8: the file seems saved in another encoding (Excel's plain \"CSV\" is Windows-1252); save it as \"CSV UTF-8 (comma delimited)\""
	}
	return ""
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
// to lower case. Equal keys give equal hashes; callers check for collisions. It is a
// variable so that tests can force collisions.
var hashUser = func(customer int32, group uint8, user string) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(uint32(customer))) * fnvPrime
	h = (h ^ uint64(group)) * fnvPrime
	for i := 0; i < len(user); i++ {
		c := user[i]
		if c >= utf8.RuneSelf {
			rest := strings.ToLower(user[i:])
			for j := 0; j < len(rest); j++ {
				h = (h ^ uint64(rest[j])) * fnvPrime
			}
			return h
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
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

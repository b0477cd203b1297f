package partnercenter

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// errUnusual is decodeListedUsers giving way to encoding/json.
var errUnusual = errors.New("not the usual shape")

// decodeListedUsers decodes a page's items into out as json.Unmarshal does, faster:
// once the items are known to be valid JSON, each user's four fields are read in one
// walk and every other value skipped. Anything less usual (a key or value with an
// escape or outside ASCII, a field of another type) is left to encoding/json, so the
// result, and the error, are always encoding/json's.
func decodeListedUsers(raw []byte, out *[]listedUser) error {
	if !json.Valid(raw) {
		return json.Unmarshal(raw, out)
	}
	if err := walkListedUsers(raw, out); err != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// walkListedUsers reads valid JSON raw; errUnusual when it is not the usual shape.
func walkListedUsers(raw []byte, out *[]listedUser) error {
	i := skipSpace(raw, 0)
	if bytes.HasPrefix(raw[i:], []byte("null")) {
		*out = nil
		return nil
	}
	if raw[i] != '[' {
		return errUnusual
	}
	users := (*out)[:0]
	if users == nil {
		users = []listedUser{} // as encoding/json: an empty array is an empty slice
	}
	i = skipSpace(raw, i+1)
	for raw[i] != ']' {
		// As encoding/json, an element within the slice's capacity is decoded over
		// what it held.
		if k := len(users); k < cap(users) {
			users = users[:k+1]
		} else {
			users = append(users, listedUser{})
		}
		end, err := walkListedUser(raw, i, &users[len(users)-1])
		if err != nil {
			return err
		}
		if i = skipSpace(raw, end); raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	*out = users
	return nil
}

// walkListedUser reads the object (or null) at raw[i] into u and returns the index
// past it.
func walkListedUser(raw []byte, i int, u *listedUser) (int, error) {
	if raw[i] == 'n' {
		return i + len("null"), nil
	}
	if raw[i] != '{' {
		return 0, errUnusual
	}
	i = skipSpace(raw, i+1)
	for raw[i] != '}' {
		kend := skipString(raw, i)
		key := raw[i+1 : kend-1]
		if !plainASCII(key) {
			return 0, errUnusual
		}
		i = skipSpace(raw, skipSpace(raw, kend)+1) // past ':'
		vend := skipValue(raw, i)
		if field := u.field(key); field != nil {
			switch {
			case raw[i] == 'n': // null leaves the field as it is
			case raw[i] != '"' || !plainString(raw[i+1:vend-1]):
				return 0, errUnusual
			default:
				*field = string(raw[i+1 : vend-1])
			}
		}
		if i = skipSpace(raw, vend); raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return i + 1, nil
}

// field is the field a key names, as encoding/json matches keys to the struct's tags.
func (u *listedUser) field(key []byte) *string {
	switch {
	case bytes.EqualFold(key, []byte("id")):
		return &u.ID
	case bytes.EqualFold(key, []byte("userPrincipalName")):
		return &u.UserPrincipalName
	case bytes.EqualFold(key, []byte("usageLocation")):
		return &u.UsageLocation
	case bytes.EqualFold(key, []byte("state")):
		return &u.State
	}
	return nil
}

// plainASCII reports whether b is printable ASCII without escapes: a key that folds
// as bytes.EqualFold folds it.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// plainString reports whether the contents of a JSON string need no decoding: valid
// UTF-8 without escapes (encoding/json replaces invalid UTF-8).
func plainString(b []byte) bool {
	return bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b)
}

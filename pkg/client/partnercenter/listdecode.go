package partnercenter

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// errUnusual is decodeListedUsers giving way to encoding/json.
var errUnusual = errors.New("not valid JSON, or not the usual shape")

// decodeListedUsers decodes a page's items into out as json.Unmarshal does, faster:
// one walk checks that the items are valid JSON (as json.Valid would) while it reads
// each user's four fields and skips every other value. Anything less usual (invalid
// JSON, a key or value with an escape or a key outside ASCII, a field of another
// type, deep nesting) is left to encoding/json, so the result, and the error, are
// always encoding/json's.
//
// A walk that gives way has written users only past len(*out), where encoding/json
// decodes them over again (or, for invalid JSON, which it refuses before decoding,
// where no one looks). Users out holds already (a repeated items key) must not be
// changed by invalid JSON: they are walked only once json.Valid has passed.
func decodeListedUsers(raw []byte, out *[]listedUser) error {
	if len(*out) > 0 && !json.Valid(raw) {
		return json.Unmarshal(raw, out)
	}
	if err := walkListedUsers(raw, out); err != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// walkListedUsers reads raw, an array of users (or null) and nothing more; errUnusual
// when it is not valid JSON or not the usual shape.
func walkListedUsers(raw []byte, out *[]listedUser) error {
	i := skipSpace(raw, 0)
	if hasLiteral(raw, i, "null") {
		if skipSpace(raw, i+len("null")) != len(raw) {
			return errUnusual
		}
		*out = nil
		return nil
	}
	if i >= len(raw) || raw[i] != '[' {
		return errUnusual
	}
	users := (*out)[:0]
	if users == nil {
		users = []listedUser{} // as encoding/json: an empty array is an empty slice
	}
	i = skipSpace(raw, i+1)
	for i < len(raw) && raw[i] != ']' {
		// As encoding/json, an element within the slice's capacity is decoded over
		// what it held.
		if k := len(users); k < cap(users) {
			users = users[:k+1]
		} else {
			users = append(users, listedUser{})
		}
		var prev *listedUser
		if k := len(users); k > 1 {
			prev = &users[k-2]
		}
		end, err := walkListedUser(raw, i, &users[len(users)-1], prev)
		if err != nil {
			return err
		}
		if i = skipSpace(raw, end); i < len(raw) && raw[i] == ',' {
			if i = skipSpace(raw, i+1); i < len(raw) && raw[i] == ']' {
				return errUnusual // a comma before the end
			}
		} else if i >= len(raw) || raw[i] != ']' {
			return errUnusual
		}
	}
	if i >= len(raw) || skipSpace(raw, i+1) != len(raw) {
		return errUnusual
	}
	*out = users
	return nil
}

// walkListedUser reads the object (or null) at raw[i] into u and returns the index
// past it. A value equal to prev's (the user before, if any) shares its string.
func walkListedUser(raw []byte, i int, u, prev *listedUser) (int, error) {
	if hasLiteral(raw, i, "null") {
		return i + len("null"), nil
	}
	if raw[i] != '{' {
		return 0, errUnusual
	}
	if i = skipSpace(raw, i+1); i < len(raw) && raw[i] == '}' {
		return i + 1, nil
	}
	for i < len(raw) && raw[i] == '"' {
		kend, plain := scanString(raw, i)
		if kend < 0 || !plain || !plainASCII(raw[i+1:kend-1]) {
			return 0, errUnusual
		}
		key := raw[i+1 : kend-1]
		if i = skipSpace(raw, kend); i >= len(raw) || raw[i] != ':' {
			return 0, errUnusual
		}
		vend := u.readField(raw, skipSpace(raw, i+1), key, prev)
		if vend < 0 {
			return 0, errUnusual
		}
		switch i = skipSpace(raw, vend); {
		case i < len(raw) && raw[i] == '}':
			return i + 1, nil
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		default:
			return 0, errUnusual
		}
	}
	return 0, errUnusual
}

// readField reads the value at raw[i] of the key into the field the key names, if
// any, and returns the index past it; -1 when the value is not valid JSON, or not a
// plain string or null for a field. A value equal to prev's field (users mostly share
// their usage location and state) is prev's string, not a new one.
func (u *listedUser) readField(raw []byte, i int, key []byte, prev *listedUser) int {
	field := u.field(key)
	switch {
	case field == nil:
		return validValue(raw, i, 0)
	case hasLiteral(raw, i, "null"): // null leaves the field as it is
		return i + len("null")
	case i >= len(raw) || raw[i] != '"':
		return -1
	}
	end, plain := scanString(raw, i)
	if end < 0 || !plain {
		return -1
	}
	v := raw[i+1 : end-1]
	if prev != nil {
		if p := prev.field(key); string(v) == *p {
			*field = *p
			return end
		}
	}
	*field = string(v)
	return end
}

// field is the field a key names, as encoding/json matches keys to the struct's tags
// (for a key of printable ASCII, a match in any case is bytes.EqualFold's).
func (u *listedUser) field(key []byte) *string {
	switch len(key) {
	case len("id"):
		if bytes.EqualFold(key, []byte("id")) {
			return &u.ID
		}
	case len("userPrincipalName"):
		if bytes.EqualFold(key, []byte("userPrincipalName")) {
			return &u.UserPrincipalName
		}
	case len("usageLocation"):
		if bytes.EqualFold(key, []byte("usageLocation")) {
			return &u.UsageLocation
		}
	case len("state"):
		if bytes.EqualFold(key, []byte("state")) {
			return &u.State
		}
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

package client

import (
	"errors"
	"net/url"
	"strings"
)

// redacted replaces a secret in error texts.
const redacted = "REDACTED"

// publicQueryKeys are the query parameters whose values may appear in an error text;
// every other value is redacted.
var publicQueryKeys = map[string]bool{"licenseGroupIds": true}

// scrubURL returns u fit for an error text or a log line: no user information, and the
// value of every query parameter but the client's own (licenseGroupIds) redacted.
func scrubURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	s := *u
	s.User = nil
	if s.RawQuery != "" {
		q, err := url.ParseQuery(s.RawQuery)
		if err != nil {
			s.RawQuery = redacted
		} else {
			for k, vs := range q {
				if publicQueryKeys[k] {
					continue
				}
				for i := range vs {
					vs[i] = redacted
				}
			}
			s.RawQuery = q.Encode()
		}
	}
	s.Fragment, s.RawFragment = "", ""
	return s.String()
}

// scrubRawURL is scrubURL for a URL in text form; a URL that does not parse is left
// out entirely.
func scrubRawURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	return scrubURL(u)
}

// scrubError returns err fit for an error text: a *url.Error gets its URL scrubbed, and
// the known secrets are replaced in the text. The result still unwraps to err's cause,
// so errors.Is and errors.As work as before.
func scrubError(err error, known ...string) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue == err {
		err = &url.Error{Op: ue.Op, URL: scrubRawURL(ue.URL), Err: ue.Err}
	}
	msg := err.Error()
	if clean := replaceKnown(msg, known); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

// scrubbedError is an error whose text had secrets removed; it unwraps to the original.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Minimum lengths of what Scrub replaces: a whole secret of minWholeSecret bytes or
// more, in any case, and any stretch of minFragment bytes or more that a secret
// contains, in any case. Shorter secrets are test fixtures, not credentials; replacing
// them would mangle every message that happens to contain their letters.
const (
	minWholeSecret = 6
	minFragment    = 12
)

// Scrub returns text with every known secret replaced by "REDACTED": a secret written
// in another case, and any part of a secret 12 or more characters long (a token cut
// short, or echoed in part by a server), count as the secret. Empty and very short
// secrets are ignored.
func Scrub(text string, secrets ...string) string {
	for _, k := range secrets {
		if len(k) >= minWholeSecret {
			text = scrubOne(text, k)
		}
	}
	return text
}

// replaceKnown is Scrub with the secrets in a slice.
func replaceKnown(s string, known []string) string { return Scrub(s, known...) }

// scrubOne replaces in text every stretch that is, ignoring case, the secret or a
// part of it of minFragment bytes or more.
func scrubOne(text, secret string) string {
	lt, ls := strings.ToLower(text), strings.ToLower(secret)
	if len(lt) != len(text) || len(ls) != len(secret) {
		// Case folding changed a length (rare non-ASCII): compare as written.
		lt, ls = text, secret
	}
	var hide []bool // hide[i]: byte i of text is part of the secret
	mark := func(from, to int) {
		if hide == nil {
			hide = make([]bool, len(text))
		}
		for j := from; j < to; j++ {
			hide[j] = true
		}
	}
	for i := 0; ; {
		j := strings.Index(lt[i:], ls)
		if j < 0 {
			break
		}
		mark(i+j, i+j+len(ls))
		i += j + len(ls)
	}
	if len(ls) > minFragment && len(lt) >= minFragment {
		frags := make(map[string]struct{}, len(ls)-minFragment+1)
		for i := 0; i+minFragment <= len(ls); i++ {
			frags[ls[i:i+minFragment]] = struct{}{}
		}
		for i := 0; i+minFragment <= len(lt); i++ {
			if _, ok := frags[lt[i:i+minFragment]]; ok {
				mark(i, i+minFragment)
			}
		}
	}
	if hide == nil {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		if !hide[i] {
			b.WriteByte(text[i])
			i++
			continue
		}
		for i < len(text) && hide[i] {
			i++
		}
		b.WriteString(redacted)
	}
	return b.String()
}

// secretKeys are names after which a value is a secret whatever it looks like
// ("refresh_token=...", `"access_token":"..."`, "Bearer ...").
var secretKeys = []string{
	"access_token", "refresh_token", "id_token", "client_secret", "client_assertion",
	"password", "bearer",
}

// scrubSecrets removes secrets from a message that comes from outside the client (a
// token source's error): the known secrets, any value that follows a secret's name,
// and any word that looks like a token (20 or more characters of the base64 or URL-safe
// alphabet mixing upper case, lower case and digits, or 32 or more hex digits).
// Padding ('=') separates words, so "refresh_token=x" is a name and a value.
func scrubSecrets(s string, known ...string) string {
	s = replaceKnown(s, known)
	var b strings.Builder
	b.Grow(len(s))
	// After a secret's name, the next word is its value: after "Bearer" across spaces,
	// after another name only across a ':' or '=' ("password: x", `"access_token":"x"`),
	// so that prose that mentions a password keeps its words.
	afterKey, needAssign, assigned := false, false, false
	for i := 0; i < len(s); {
		if !isTokenChar(s[i]) {
			b.WriteByte(s[i])
			switch {
			case s[i] == ':' || s[i] == '=':
				assigned = true
			case !strings.ContainsRune(" \t\"'", rune(s[i])):
				afterKey = false
			}
			i++
			continue
		}
		j := i
		for j < len(s) && isTokenChar(s[j]) {
			j++
		}
		word := s[i:j]
		switch {
		case afterKey && (assigned || !needAssign) || looksLikeToken(word):
			b.WriteString(redacted)
			afterKey = false
		default:
			b.WriteString(word)
			afterKey = isSecretKey(word)
			needAssign, assigned = !strings.EqualFold(word, "bearer"), false
		}
		i = j
	}
	return b.String()
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/'
}

func isSecretKey(word string) bool {
	for _, k := range secretKeys {
		if strings.EqualFold(word, k) {
			return true
		}
	}
	return false
}

// looksLikeToken reports whether word could be a token or a secret rather than a word,
// a GUID, a host name or an error code.
func looksLikeToken(word string) bool {
	var upper, lower, digit, hex bool
	hex = true
	for i := 0; i < len(word); i++ {
		c := word[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			hex = false
		}
	}
	return len(word) >= 20 && upper && lower && digit || len(word) >= 32 && hex
}

package graphfake

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Page sizes and filter limits of GET /users; see
// https://learn.microsoft.com/graph/paging and https://learn.microsoft.com/graph/known-issues
const (
	defaultPageSize = 100
	maxPageSize     = 999
	maxInValues     = 15   // values of one in clause, without advanced query parameters
	maxAdvancedURL  = 2048 // characters of the URL, with them
)

// userProps are the user properties the fake serves; the first eleven are Graph's
// default set, written in this order when $select is absent.
var userProps = []string{
	"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
	"accountEnabled", "usageLocation", "assignedLicenses", "licenseAssignmentStates",
	"deletedDateTime",
}

var defaultUserProps = userProps[:11]

// queryOption returns a system query option ($select, $top, ...) named in any case.
func queryOption(q url.Values, name string) (string, bool) {
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// parseSelect reads $select: user properties, comma-separated, in any case. It returns
// them in the order asked (repeats dropped), or the message of a 400.
func parseSelect(q url.Values) (props []string, problem string) {
	v, ok := queryOption(q, "$select")
	if !ok {
		return defaultUserProps, ""
	}
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		p, ok := canonical(userProps, name)
		if !ok {
			return nil, fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.user'.", name)
		}
		if !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	return props, ""
}

// parseTop reads $top: a whole number from 1 to 999, default 100.
func parseTop(q url.Values) (int, string) {
	v, ok := queryOption(q, "$top")
	if !ok {
		return defaultPageSize, ""
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > maxPageSize {
		return 0, fmt.Sprintf(msgPageSizeTempl, v)
	}
	return n, ""
}

// filter is a parsed $filter: prop eq 'v' or prop in ('v1', ...).
type filter struct {
	prop   string // id or userPrincipalName
	values []string
}

// matches reports whether a user passes the filter.
func (f *filter) matches(u *user) bool {
	field := u.ID
	if f.prop == "userPrincipalName" {
		field = u.UserPrincipalName
	}
	return slices.ContainsFunc(f.values, func(v string) bool { return strings.EqualFold(v, field) })
}

// filterError is a $filter the fake refuses: code and message of the 400.
type filterError struct {
	code, message string
}

// parseFilter reads the $filter the fake serves: "id" or "userPrincipalName"
// followed by "eq 'value'" or "in ('value', ...)", quotes doubled inside values.
func parseFilter(expr string) (*filter, *filterError) {
	syntax := &filterError{codeBadRequest, "Invalid filter clause: the expression '" + expr + "' is not valid."}
	rest := strings.TrimSpace(expr)
	i := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
	if i <= 0 {
		return nil, syntax
	}
	prop, rest := rest[:i], strings.TrimSpace(rest[i:])
	name, known := canonical([]string{"id", "userPrincipalName"}, prop)
	if !known {
		if _, isProp := canonical(userProps, prop); isProp {
			return nil, &filterError{codeUnsupportedQuery, fmt.Sprintf(
				"Unsupported or invalid query filter clause specified for property '%s' of resource 'User'. (graphfake serves $filter on id and userPrincipalName, with eq or in.)", prop)}
		}
		return nil, syntax
	}
	j := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
	if j <= 0 {
		return nil, syntax
	}
	operator, rest := rest[:j], strings.TrimSpace(rest[j:])
	f := &filter{prop: name}
	switch strings.ToLower(operator) {
	case "eq":
		v, tail, ok := quoted(rest)
		if !ok || strings.TrimSpace(tail) != "" {
			return nil, syntax
		}
		f.values = []string{v}
	case "in":
		if !strings.HasPrefix(rest, "(") {
			return nil, syntax
		}
		rest = rest[1:]
		for {
			v, tail, ok := quoted(strings.TrimSpace(rest))
			if !ok {
				return nil, syntax
			}
			f.values = append(f.values, v)
			tail = strings.TrimSpace(tail)
			if strings.HasPrefix(tail, ",") {
				rest = tail[1:]
				continue
			}
			if tail != ")" {
				return nil, syntax
			}
			break
		}
	default:
		return nil, syntax
	}
	if f.prop == "id" {
		for _, v := range f.values {
			if !isGUID(v) {
				return nil, &filterError{codeRequestBadRequest, fmt.Sprintf("Invalid object identifier '%s'.", v)}
			}
		}
	}
	return f, nil
}

// quoted reads one single-quoted OData string, in which a doubled quote stands for one.
func quoted(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, "'") {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}

// queryKey is a canonical form of a query (every option but $skiptoken, names
// lower-cased, sorted), to which a skip token is bound.
func queryKey(q url.Values) string {
	var parts []string
	for k, vs := range q {
		if strings.EqualFold(k, "$skiptoken") {
			continue
		}
		parts = append(parts, strings.ToLower(k)+"="+strings.Join(vs, "\x00"))
	}
	slices.Sort(parts)
	return strings.Join(parts, "&")
}

// skipToken makes the opaque $skiptoken of the page at offset of a query: the offset
// and a MAC binding it to this Server, the tenant and the query.
func (s *Server) skipToken(tenantID, query string, offset int) string {
	b := binary.BigEndian.AppendUint64(nil, s.skipMAC(tenantID, query, offset))
	b = binary.AppendUvarint(b, uint64(offset))
	return "RFNwdAoA" + base64.RawURLEncoding.EncodeToString(b)
}

// readSkipToken returns the offset a token of skipToken points at, if it is one of
// this Server's for this tenant and query.
func (s *Server) readSkipToken(tenantID, query, token string) (int, bool) {
	raw, ok := strings.CutPrefix(token, "RFNwdAoA")
	if !ok {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) < 9 {
		return 0, false
	}
	off, n := binary.Uvarint(b[8:])
	if n <= 0 || 8+n != len(b) || off > math.MaxInt32 {
		return 0, false
	}
	if binary.BigEndian.Uint64(b[:8]) != s.skipMAC(tenantID, query, int(off)) {
		return 0, false
	}
	return int(off), true
}

func (s *Server) skipMAC(tenantID, query string, offset int) uint64 {
	return maphash.String(s.hashSeed, "skip|"+strings.ToLower(tenantID)+"|"+query+"|"+strconv.Itoa(offset))
}

// nextLink is the @odata.nextLink of a page: the request's own query, as sent, with
// the $skiptoken of the next page in place of any earlier one.
func nextLink(base, path, rawQuery, token string) string {
	var parts []string
	for _, p := range strings.Split(rawQuery, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); err == nil && strings.EqualFold(name, "$skiptoken") {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, "$skiptoken="+token)
	return base + path + "?" + strings.Join(parts, "&")
}

package graphfake

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metadata is the prefix of Graph's @odata.context values.
const metadata = "https://graph.microsoft.com/v1.0/$metadata#"

// unservedOptions are query options of GET /users that Graph knows and the fake does
// not serve; it refuses them rather than answer as if they were not there.
var unservedOptions = []string{"$orderby", "$search", "$expand", "$skip", "$format"}

// usersQuery is a parsed GET /users or /users/$count query.
type usersQuery struct {
	props    []string
	top      int
	filter   *filter
	count    bool // $count=true
	advanced bool // ConsistencyLevel: eventual and $count=true
	token    string
}

// parseUsersQuery reads and checks the query of a users GET, or returns its 400.
func (s *Server) parseUsersQuery(o *op, raw bool) (usersQuery, *result) {
	var uq usersQuery
	var problem string
	if uq.props, problem = parseSelect(o.query); problem != "" {
		return uq, badRequest(problem, o.ids)
	}
	if uq.top, problem = parseTop(o.query); problem != "" {
		return uq, unsupportedQuery(problem, o.ids)
	}
	for _, name := range unservedOptions {
		if _, ok := queryOption(o.query, name); ok {
			return uq, unsupportedQuery(fmt.Sprintf("The query option %s is not served by graphfake.", name), o.ids)
		}
	}
	eventual := strings.EqualFold(strings.TrimSpace(o.header.Get("ConsistencyLevel")), "eventual")
	if raw && !eventual {
		return uq, unsupportedQuery(msgRawCount, o.ids)
	}
	if v, ok := queryOption(o.query, "$count"); ok {
		switch strings.ToLower(v) {
		case "true":
			uq.count = true
		case "false":
		default:
			return uq, graphError(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Invalid value '%s' for the $count query option: true or false.", v), o.ids)
		}
	}
	if uq.count && !eventual {
		return uq, unsupportedQuery("$count is not currently supported: it needs the 'ConsistencyLevel:eventual' header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", o.ids)
	}
	uq.advanced = eventual && (uq.count || raw)
	if expr, ok := queryOption(o.query, "$filter"); ok {
		f, fe := parseFilter(expr)
		if fe != nil {
			return uq, graphError(http.StatusBadRequest, fe.code, fe.message, o.ids)
		}
		switch n := len(graphHost) + len(o.rawURL); {
		case uq.advanced && n > maxAdvancedURL:
			return uq, badRequest(fmt.Sprintf("The request URL is %d characters long; with advanced query parameters at most %d are allowed.", n, maxAdvancedURL), o.ids)
		case !uq.advanced && len(f.values) > maxInValues:
			return uq, unsupportedQuery(fmt.Sprintf(msgTooManyClauses, len(f.values), maxInValues), o.ids)
		}
		uq.filter = f
	}
	uq.token, _ = queryOption(o.query, "$skiptoken")
	return uq, nil
}

// listUsers answers GET /users, or with deleted GET
// /directory/deletedItems/microsoft.graph.user: one page of the tenant's users (or
// deleted users) that the filter matches, in the order they were added.
func (s *Server) listUsers(o *op, deleted bool) *result {
	uq, bad := s.parseUsersQuery(o, false)
	if bad != nil {
		return bad
	}
	key, context := queryKey(o.query), "users"
	if deleted {
		// A $skiptoken of one listing is not valid for the other.
		key, context = "deleted|"+key, "directory/deletedItems/microsoft.graph.user"
	}
	offset := 0
	if uq.token != "" {
		off, ok := s.readSkipToken(o.who.tenant, key, uq.token)
		if !ok {
			return badRequest("The $skiptoken is not valid for this query: follow @odata.nextLink as it was given.", o.ids)
		}
		offset = off
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(o.who.tenant)]
	source := t.list
	if deleted {
		source = t.deleted
	}
	var matches []*user
	for _, u := range source {
		if uq.filter == nil || uq.filter.matches(u) {
			matches = append(matches, u)
		}
	}
	offset = min(offset, len(matches))
	end := min(offset+uq.top, len(matches))

	var b bytes.Buffer
	b.WriteString(`{"@odata.context":`)
	b.Write(encodeJSON(metadata + context + selection(o.query, uq.props)))
	if uq.count {
		b.WriteString(`,"@odata.count":` + strconv.Itoa(len(matches)))
	}
	if end < len(matches) {
		b.WriteString(`,"@odata.nextLink":`)
		b.Write(encodeJSON(nextLink(o.base, "/v1.0"+o.path, o.rawQuery, s.skipToken(o.who.tenant, key, end))))
	}
	b.WriteString(`,"value":[`)
	for i, u := range matches[offset:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(t.renderUser(u, s.view(u), uq.props, ""))
	}
	b.WriteString("]}")
	res := &result{status: http.StatusOK, body: b.Bytes()}
	switch {
	case deleted:
		res.listing = "deleted"
	case uq.token != "":
		res.listing = "next"
	case uq.filter != nil:
		res.listing = "filter"
	default:
		res.listing = "first"
	}
	return res
}

// countUsers answers GET /users/$count: the number of users the filter matches, as
// text. It needs ConsistencyLevel: eventual.
func (s *Server) countUsers(o *op) *result {
	uq, bad := s.parseUsersQuery(o, true)
	if bad != nil {
		return bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.tenants[strings.ToLower(o.who.tenant)].list {
		if uq.filter == nil || uq.filter.matches(u) {
			n++
		}
	}
	return &result{status: http.StatusOK, body: []byte(strconv.Itoa(n)), text: true}
}

// getUser answers GET /users/{id|userPrincipalName}.
func (s *Server) getUser(o *op, ref string) *result {
	props, problem := parseSelect(o.query)
	if problem != "" {
		return badRequest(problem, o.ids)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(o.who.tenant)]
	u := t.user(ref)
	if u == nil {
		return notFound(ref, o.ids)
	}
	return &result{status: http.StatusOK, body: t.renderUser(u, s.view(u), props, metadata+"users"+selection(o.query, props)+"/$entity")}
}

// selection is the "(a,b)" of an @odata.context when $select was given.
func selection(q map[string][]string, props []string) string {
	if _, ok := queryOption(q, "$select"); !ok {
		return ""
	}
	return "(" + strings.Join(props, ",") + ")"
}

// renderUser writes a user as JSON with exactly props, in order, after an
// @odata.context when context is not empty; licenses and usage location as v shows
// them. The caller holds s.mu.
func (t *tenant) renderUser(u *user, v state, props []string, context string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(k string, v any) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(encodeJSON(k))
		b.WriteByte(':')
		b.Write(encodeJSON(v))
	}
	if context != "" {
		put("@odata.context", context)
	}
	for _, p := range props {
		put(p, t.userProp(u, v, p))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// userProp is the value of one user property; properties the fake does not keep are
// null (businessPhones an empty list), as for a user created with none of them.
func (t *tenant) userProp(u *user, v state, p string) any {
	switch p {
	case "businessPhones":
		return []string{}
	case "displayName":
		return nullable(u.DisplayName)
	case "userPrincipalName":
		return u.UserPrincipalName
	case "id":
		return u.ID
	case "accountEnabled":
		return !u.Disabled
	case "usageLocation":
		return nullable(v.usageLocation)
	case "assignedLicenses":
		return t.assigned(v.licenses)
	case "licenseAssignmentStates":
		return t.states(v.licenses)
	case "deletedDateTime":
		if u.deletedAt.IsZero() {
			return nil
		}
		return u.deletedAt.UTC().Format(time.RFC3339)
	}
	return nil
}

// nullable is null for "", else the string.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

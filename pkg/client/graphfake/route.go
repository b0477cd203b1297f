package graphfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// kind is what a Graph request asks for.
type kind int

const (
	kindSkus kind = iota + 1
	kindUsers
	kindCount
	kindUser
	kindPatch
	kindAssign
	kindLicenseDetails
	kindBatch
	kindDeleted
)

// GDAP roles, as the permissions reference names them; see
// https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
const (
	RoleGlobalAdministrator  = "Global Administrator"
	RoleUserAdministrator    = "User Administrator"
	RoleLicenseAdministrator = "License Administrator"
	RoleDirectoryReaders     = "Directory Readers"
	RoleDirectoryWriters     = "Directory Writers"
	RoleGlobalReader         = "Global Reader"
)

// Roles allowed each kind of request (Global Administrator is allowed everything).
// See https://learn.microsoft.com/partner-center/dap-api-impact and
// https://learn.microsoft.com/graph/api/user-assignlicense.
var (
	rolesAssign     = []string{RoleDirectoryWriters, RoleUserAdministrator, RoleLicenseAdministrator}
	rolesReadSkus   = []string{RoleDirectoryReaders, RoleGlobalReader, RoleUserAdministrator, RoleLicenseAdministrator}
	rolesReadUsers  = []string{RoleDirectoryReaders, RoleGlobalReader, RoleUserAdministrator}
	rolesReadUsersL = []string{RoleDirectoryReaders, RoleGlobalReader, RoleUserAdministrator, RoleLicenseAdministrator}
	rolesUpdateUser = []string{RoleUserAdministrator, RoleLicenseAdministrator}
)

// route is a Graph request resolved: what it asks, of which user, at what cost and
// with which roles allowed.
type route struct {
	kind  kind
	user  string // the {id|userPrincipalName} path segment, unescaped
	cost  cost
	roles []string
	write bool
}

// unknownSegment is the first segment of a path the fake does not serve: past
// "users" and a user, or past "subscribedSkus", or the first.
func unknownSegment(segs []string) string {
	switch {
	case len(segs) > 2 && strings.EqualFold(segs[0], "users"):
		return segs[2]
	case len(segs) > 1 && strings.EqualFold(segs[0], "subscribedSkus"):
		return segs[1]
	case len(segs) > 2 && strings.EqualFold(segs[0], "directory") && strings.EqualFold(segs[1], "deletedItems"):
		return segs[2]
	case len(segs) > 1 && strings.EqualFold(segs[0], "directory"):
		return segs[1]
	}
	return segs[0]
}

// resolve maps a method and a path below /v1.0 to a route, or to the answer Graph
// gives a path or method it does not serve. Segments match in any case.
func (s *Server) resolve(method, path string, query url.Values) (route, func(ids) *result) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	notFound := func(seg string) func(ids) *result {
		return func(id ids) *result { return segmentNotFound(seg, id) }
	}
	notAllowed := func(id ids) *result { return methodNotAllowed(id) }
	readUsers := rolesReadUsers
	if s.licenseAdminLists {
		readUsers = rolesReadUsersL
	}
	is := func(i int, name string) bool { return strings.EqualFold(segs[i], name) }
	var rt route
	switch {
	case len(segs) == 1 && is(0, "$batch"):
		rt = route{kind: kindBatch}
		if method != http.MethodPost {
			return rt, notAllowed
		}
		return rt, nil
	case len(segs) == 1 && is(0, "subscribedSkus"):
		rt = route{kind: kindSkus, cost: cost{ru: 3}, roles: rolesReadSkus}
		if method != http.MethodGet {
			return rt, notAllowed
		}
	case len(segs) == 1 && is(0, "users"):
		rt = route{kind: kindUsers, cost: cost{ru: 2}, roles: readUsers}
		if method != http.MethodGet {
			return rt, notAllowed
		}
	case deletedPath(segs):
		rt = route{kind: kindDeleted, cost: cost{ru: 2}, roles: readUsers}
		if method != http.MethodGet {
			return rt, notAllowed
		}
	case len(segs) == 2 && is(0, "users") && is(1, "$count"):
		rt = route{kind: kindCount, cost: cost{ru: 1}, roles: readUsers}
		if method != http.MethodGet {
			return rt, notAllowed
		}
	case len(segs) == 2 && is(0, "users") && segs[1] != "":
		switch method {
		case http.MethodGet:
			rt = route{kind: kindUser, user: segs[1], cost: cost{ru: 1}, roles: readUsers}
		case http.MethodPatch:
			rt = route{kind: kindPatch, user: segs[1], cost: cost{ru: 1, writes: 1}, roles: rolesUpdateUser, write: true}
			return rt, nil
		default:
			return rt, notAllowed
		}
	case len(segs) == 3 && is(0, "users") && segs[1] != "" && is(2, "assignLicense"):
		rt = route{kind: kindAssign, user: segs[1], cost: cost{ru: 1, writes: 1}, roles: rolesAssign, write: true}
		if method != http.MethodPost {
			return rt, notAllowed
		}
		return rt, nil
	case len(segs) == 3 && is(0, "users") && segs[1] != "" && is(2, "licenseDetails"):
		rt = route{kind: kindLicenseDetails, user: segs[1], cost: cost{ru: 2}, roles: readUsers}
		if method != http.MethodGet {
			return rt, notAllowed
		}
	default:
		return rt, notFound(unknownSegment(segs))
	}
	// $select, and $top below 20, each lower the cost by one resource unit, to one.
	if _, ok := queryOption(query, "$select"); ok {
		rt.cost.ru = max(rt.cost.ru-1, 1)
	}
	if v, ok := queryOption(query, "$top"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n < 20 {
			rt.cost.ru = max(rt.cost.ru-1, 1)
		}
	}
	return rt, nil
}

package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Paging and filter limits of GET /users.
//
// See https://learn.microsoft.com/graph/paging and https://learn.microsoft.com/graph/known-issues
const (
	pageSize    = 999 // the largest $top
	maxInValues = 15  // values of one "in" filter without advanced query parameters
	maxPages    = 100_000
)

// Properties read of each user.
const (
	userSelect    = "id,userPrincipalName,usageLocation,accountEnabled,assignedLicenses,licenseAssignmentStates"
	deletedSelect = "id,userPrincipalName"
	licenseSelect = "assignedLicenses,licenseAssignmentStates"
)

// User is a user as GET /users answers with $select; pointers tell a property Graph
// left out (not selected) from an empty one.
//
// See https://learn.microsoft.com/graph/api/resources/user
type User struct {
	ID                      string                   `json:"id"`
	UserPrincipalName       string                   `json:"userPrincipalName"`
	UsageLocation           *string                  `json:"usageLocation"`
	AccountEnabled          *bool                    `json:"accountEnabled"`
	AssignedLicenses        *[]AssignedLicense       `json:"assignedLicenses"`
	LicenseAssignmentStates []LicenseAssignmentState `json:"licenseAssignmentStates"`
}

// AssignedLicense is one of a user's assignedLicenses (direct and group-inherited
// alike), and one license of an assignLicense body.
type AssignedLicense struct {
	DisabledPlans []string `json:"disabledPlans"`
	SkuID         string   `json:"skuId"`
}

// LicenseAssignmentState is one path by which a user holds a SKU: directly
// (AssignedByGroup null) or through a group.
type LicenseAssignmentState struct {
	SkuID           string   `json:"skuId"`
	DisabledPlans   []string `json:"disabledPlans"`
	AssignedByGroup *string  `json:"assignedByGroup"`
	State           string   `json:"state"`
	Error           string   `json:"error"`
}

// LookupUsers reads the named users with what they hold: GET /users with $filter
// "id in (...)" for object IDs and "userPrincipalName in (...)" for principal names
// (quotes doubled), at most 15 values a request. Names mixing both kinds take two
// requests. Users not found are left out; names match in any case.
func (b *Backend) LookupUsers(ctx context.Context, customer string, names []string) ([]client.User, error) {
	var ids, upns []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		if client.IsGUID(n) {
			ids = append(ids, n)
		} else {
			upns = append(upns, n)
		}
	}
	var out []client.User
	collect := func(us []User) error {
		for i := range us {
			out = append(out, neutralUser(&us[i]))
		}
		return nil
	}
	for _, group := range []struct {
		prop   string
		values []string
	}{{"id", ids}, {"userPrincipalName", upns}} {
		for start := 0; start < len(group.values); start += maxInValues {
			chunk := group.values[start:min(start+maxInValues, len(group.values))]
			u := b.core.Endpoint("v1.0/users")
			u.RawQuery = "$filter=" + escape(filterIn(group.prop, chunk)) + "&$select=" + escape(userSelect)
			if err := b.eachPage(ctx, customer, "look up users", u, collect); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// filterIn is the $filter "prop in ('a','b')", single quotes in values doubled.
func filterIn(prop string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return prop + " in (" + strings.Join(quoted, ",") + ")"
}

// escape escapes a query value, spaces as %20.
func escape(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// ListUsers lists the customer's users with their licenses, 999 a page (GET /users
// with $select and $top, following @odata.nextLink as given); with deleted, its
// deleted users (GET /directory/deletedItems/microsoft.graph.user), inactive and
// without licenses.
func (b *Backend) ListUsers(ctx context.Context, customer string, deleted bool, page func([]client.User) error) error {
	op, path, sel := "list users", "v1.0/users", userSelect
	if deleted {
		op, path, sel = "list deleted users", "v1.0/directory/deletedItems/microsoft.graph.user", deletedSelect
	}
	u := b.core.Endpoint(path)
	u.RawQuery = "$select=" + escape(sel) + "&$top=" + fmt.Sprint(pageSize)
	return b.eachPage(ctx, customer, op, u, func(us []User) error {
		out := make([]client.User, len(us))
		for i := range us {
			out[i] = neutralUser(&us[i])
			if deleted {
				out[i].State = client.UserInactive
			}
		}
		return page(out)
	})
}

// UserLicenses reads what one user holds: GET /users/{id} with assignedLicenses and
// licenseAssignmentStates. An unknown user is an *client.APIError with
// ReasonUserNotFound.
func (b *Backend) UserLicenses(ctx context.Context, customer, userID string) ([]client.License, error) {
	u, err := b.readUser(ctx, customer, userID)
	if err != nil {
		return nil, err
	}
	return licensesOf(u), nil
}

// readUser reads one user's licenses.
func (b *Backend) readUser(ctx context.Context, customer, user string) (*User, error) {
	const op = "read user licenses"
	call := &client.Call{Kind: client.Read, Tenant: customer}
	u := b.core.Endpoint("v1.0/users/" + url.PathEscape(user))
	u.RawQuery = "$select=" + escape(licenseSelect)
	ans, err := b.do(ctx, client.Request{Op: op, Method: http.MethodGet, URL: u}, call)
	if err != nil {
		return nil, err
	}
	var out User
	if err := client.DecodeJSON(op, &call.Response, ans.Body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// neutralUser is a Graph user in the neutral vocabulary: active whatever its
// accountEnabled (a disabled account can still hold licenses).
func neutralUser(u *User) client.User {
	cu := client.User{ID: strings.TrimSpace(u.ID), PrincipalName: strings.TrimSpace(u.UserPrincipalName), State: client.UserActive}
	if u.UsageLocation != nil {
		cu.UsageLocation = strings.TrimSpace(*u.UsageLocation)
	}
	if u.AssignedLicenses != nil {
		cu.Licenses, cu.LicensesKnown = licensesOf(u), true
	}
	return cu
}

// licensesOf lists what a user holds from assignedLicenses; a license is Inherited
// when licenseAssignmentStates shows it held only through groups.
func licensesOf(u *User) []client.License {
	if u.AssignedLicenses == nil {
		return nil
	}
	direct, group := map[string]bool{}, map[string]bool{}
	for _, st := range u.LicenseAssignmentStates {
		id := strings.ToLower(strings.TrimSpace(st.SkuID))
		if st.AssignedByGroup == nil || *st.AssignedByGroup == "" {
			direct[id] = true
		} else {
			group[id] = true
		}
	}
	out := make([]client.License, 0, len(*u.AssignedLicenses))
	for _, al := range *u.AssignedLicenses {
		id := strings.TrimSpace(al.SkuID)
		l := client.License{SkuID: id, Inherited: group[strings.ToLower(id)] && !direct[strings.ToLower(id)]}
		if len(al.DisabledPlans) > 0 {
			l.DisabledPlans = append([]string(nil), al.DisabledPlans...)
		}
		out = append(out, l)
	}
	return out
}

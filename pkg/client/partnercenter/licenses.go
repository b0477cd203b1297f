package partnercenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Op names of the client's calls, as they appear in errors and Attempts.
const (
	opGetSubscribedSkus = "get subscribed skus"
	opUpdateLicenses    = "update licenses"
)

// GetSubscribedSkus lists the products customerID subscribes to, with their license
// units, restricted to the given license groups (all groups when none is given). It
// sends one GET .../v1/customers/{customerID}/subscribedskus with one licenseGroupIds
// parameter per group.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
func (c *Client) GetSubscribedSkus(ctx context.Context, customerID string, groups ...LicenseGroupID) ([]SubscribedSku, *client.Response, error) {
	op := opGetSubscribedSkus
	call := &client.Call{Kind: client.Read}
	call.CorrelationID = c.core.CorrelationID()
	if err := checkSegment("customer ID", customerID); err != nil {
		return nil, &call.Response, fmt.Errorf("%s: %w", op, err)
	}
	skus, err := getItems[SubscribedSku](ctx, c, op, "v1/customers/"+url.PathEscape(customerID)+"/subscribedskus", groups, call)
	return skus, &call.Response, err
}

// collection is a collection resource as the API answers it; decoding the whole shape,
// not only its items, refuses an answer whose other fields are malformed.
type collection[T any] struct {
	TotalCount int         `json:"totalCount"`
	Items      []T         `json:"items"`
	Attributes *Attributes `json:"attributes,omitempty"`
}

// getItems GETs the collection ({"items": [...]}) at path, with the licenseGroupIds
// query of groups, as call, and returns its items (never nil).
func getItems[T any](ctx context.Context, c *Client, op, path string, groups []LicenseGroupID, call *client.Call) ([]T, error) {
	u := c.core.Endpoint(path)
	q, err := groupQuery(groups)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	u.RawQuery = q
	ans, err := c.do(ctx, client.Request{Op: op, Method: http.MethodGet, URL: u}, call)
	if err != nil {
		return nil, err
	}
	var out collection[T]
	if err := client.DecodeJSON(op, &call.Response, ans.Body, &out); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	return out.Items, nil
}

// groupQuery is the licenseGroupIds query of groups, one parameter per group
// (licenseGroupIds=Group1&licenseGroupIds=Group2); no groups, no query.
func groupQuery(groups []LicenseGroupID) (string, error) {
	if len(groups) == 0 {
		return "", nil
	}
	q := make(url.Values, 1)
	for _, g := range groups {
		if strings.TrimSpace(string(g)) == "" {
			return "", errors.New("empty license group")
		}
		q.Add("licenseGroupIds", string(g))
	}
	return q.Encode(), nil
}

// licenseUpdateRequest is the body of a licenseupdates POST: only what the call needs
// (LicenseWarnings is read-only, Attributes optional), empty lists left out.
type licenseUpdateRequest struct {
	LicensesToAssign []LicenseAssignment `json:"licensesToAssign,omitempty"`
	LicensesToRemove []string            `json:"licensesToRemove,omitempty"`
}

// UpdateLicenses assigns and removes licenses of one user of customerID in one request:
// POST .../v1/customers/{customerID}/users/{user}/licenseupdates with u as the body. All
// licenses of u must belong to one license group. user is the user's object ID or user
// principal name; it is escaped as one path segment. The request is sent with one
// MS-RequestId on every attempt, so that a retry after a timeout is not applied twice.
//
// The answer is the LicenseUpdate the server returns, with its LicenseWarnings; when a
// 2xx answer has no body (201 is documented, 200 also listed), it is the update that
// was sent. A 2xx whose body is not a LicenseUpdate (see isLicenseUpdate) is an error:
// the update is not taken as applied. Redirects are never followed, so the 2xx is the
// POST's own.
//
// See https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user
func (c *Client) UpdateLicenses(ctx context.Context, customerID, user string, u LicenseUpdate) (*LicenseUpdate, *client.Response, error) {
	call := &client.Call{Kind: client.Write}
	out, err := c.updateLicenses(ctx, customerID, user, u, call)
	return out, &call.Response, err
}

// updateLicenses is UpdateLicenses as call.
func (c *Client) updateLicenses(ctx context.Context, customerID, user string, u LicenseUpdate, call *client.Call) (*LicenseUpdate, error) {
	op := opUpdateLicenses
	call.CorrelationID = c.core.CorrelationID()
	if err := checkSegment("customer ID", customerID); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkSegment("user", user); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(u.LicensesToAssign) == 0 && len(u.LicensesToRemove) == 0 {
		return nil, fmt.Errorf("%s: nothing to assign or remove for user %s", op, user)
	}
	for i, a := range u.LicensesToAssign {
		if strings.TrimSpace(a.SkuID) == "" {
			return nil, fmt.Errorf("%s: license %d to assign to user %s has no SKU ID", op, i+1, user)
		}
	}
	for i, id := range u.LicensesToRemove {
		if strings.TrimSpace(id) == "" {
			return nil, fmt.Errorf("%s: license %d to remove from user %s has no SKU ID", op, i+1, user)
		}
	}
	body, err := json.Marshal(licenseUpdateRequest{LicensesToAssign: u.LicensesToAssign, LicensesToRemove: u.LicensesToRemove})
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", op, err)
	}
	target := c.core.Endpoint("v1/customers/" + url.PathEscape(customerID) + "/users/" + url.PathEscape(user) + "/licenseupdates")
	ans, err := c.do(ctx, client.Request{Op: op, Method: http.MethodPost, URL: target, Body: body}, call)
	if err != nil {
		return nil, err
	}
	out := &LicenseUpdate{}
	if len(bytes.TrimSpace(ans.Body)) == 0 {
		out.LicensesToAssign = u.LicensesToAssign
		out.LicensesToRemove = u.LicensesToRemove
		return out, nil
	}
	if err := client.DecodeJSON(op, &call.Response, ans.Body, out); err != nil {
		return nil, err
	}
	if !isLicenseUpdate(out) {
		return nil, fmt.Errorf("%s: the %s answer (request ID %s) is not a LicenseUpdate: not taken as applied",
			op, http.StatusText(call.StatusCode), call.RequestID)
	}
	return out, nil
}

// isLicenseUpdate reports whether a decoded answer is a LicenseUpdate: it says so in
// its attributes, or carries one of its lists (an empty list counts, a missing one
// does not). A JSON object from something else (a proxy's page, another resource)
// has none of them.
func isLicenseUpdate(u *LicenseUpdate) bool {
	return u.LicensesToAssign != nil || u.LicensesToRemove != nil || u.LicenseWarnings != nil ||
		u.Attributes != nil && strings.EqualFold(u.Attributes.ObjectType, "LicenseUpdate")
}

// checkSegment rejects a path parameter that would not name one resource.
func checkSegment(name, v string) error {
	switch strings.TrimSpace(v) {
	case "":
		return fmt.Errorf("empty %s", name)
	case ".", "..":
		return fmt.Errorf("%s %q: not an ID", name, v)
	}
	return nil
}

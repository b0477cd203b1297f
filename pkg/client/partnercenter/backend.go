package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// API is the name of this backend.
const API = "partnercenter"

// Backend is Partner Center as a client.Backend: the catalogue from subscribedskus
// (license groups 1 and 2), users from the users resource, changes as licenseupdates
// POSTs. It remembers each customer's catalogue, so that a user's licenses, which list
// the plans the user has, can be told as the plans the user lacks without reading the
// catalogue again.
type Backend struct {
	*Client

	mu    sync.Mutex
	plans map[string]map[string][]string // lower-cased customer -> lower-cased SKU ID -> plan IDs
}

// NewBackend returns Partner Center as a client.Backend; opts as for New.
func NewBackend(opts ...client.Option) (*Backend, error) {
	c, err := New(opts...)
	if err != nil {
		return nil, err
	}
	return &Backend{Client: c, plans: map[string]map[string][]string{}}, nil
}

var _ client.Backend = (*Backend)(nil)

// API returns "partnercenter".
func (b *Backend) API() string { return API }

// Catalogue returns the customer's SKUs of license groups 1 and 2, with their units.
func (b *Backend) Catalogue(ctx context.Context, customer string) ([]client.Sku, error) {
	subs, _, err := b.GetSubscribedSkus(ctx, customer, Group1, Group2)
	if err != nil {
		return nil, err
	}
	out := make([]client.Sku, 0, len(subs))
	plans := make(map[string][]string, len(subs))
	for _, s := range subs {
		sku := client.Sku{
			ID:         strings.TrimSpace(s.ProductSku.ID),
			Name:       s.ProductSku.Name,
			PartNumber: s.ProductSku.SkuPartNumber,
			Group:      strings.ToLower(strings.TrimSpace(s.ProductSku.LicenseGroupID)),
			Total:      s.TotalUnits,
			Consumed:   s.ConsumedUnits,
			Available:  s.AvailableUnits,
			Plans:      make([]client.ServicePlan, len(s.ServicePlans)),
		}
		ids := make([]string, len(s.ServicePlans))
		for i, p := range s.ServicePlans {
			sku.Plans[i] = client.ServicePlan{ID: p.ID, Name: p.ServiceName, DisplayName: p.DisplayName}
			ids[i] = p.ID
		}
		plans[strings.ToLower(sku.ID)] = ids
		out = append(out, sku)
	}
	b.mu.Lock()
	b.plans[strings.ToLower(customer)] = plans
	b.mu.Unlock()
	return out, nil
}

// Apply sends one licenseupdates POST carrying the change. A change with a usage
// location sets it first (a PATCH of the user).
func (b *Backend) Apply(ctx context.Context, ch client.Change, call *client.Call) (client.Applied, error) {
	if call == nil {
		call = &client.Call{}
	}
	call.Kind = client.Write
	var applied client.Applied
	if ch.UsageLocation != "" {
		if err := b.setUsageLocation(ctx, ch.Customer, ch.User, ch.UsageLocation, call); err != nil {
			return applied, err
		}
		applied.UsageLocationSet = true
		// The assignment is a call of its own, with its own request ID.
		call.RequestID = ""
	}
	u := LicenseUpdate{LicensesToRemove: ch.Remove}
	for _, a := range ch.Assign {
		u.LicensesToAssign = append(u.LicensesToAssign, LicenseAssignment{SkuID: a.SkuID, ExcludedPlans: a.DisabledPlans})
	}
	out, err := b.updateLicenses(ctx, ch.Customer, ch.User, u, call)
	if err != nil {
		return applied, err
	}
	for _, w := range out.LicenseWarnings {
		applied.Warnings = append(applied.Warnings, warningText(w))
	}
	return applied, nil
}

// warningText is "CODE: message [plans]".
func warningText(w LicenseWarning) string {
	s := w.Message
	if w.Code != "" {
		s = w.Code + ": " + s
	}
	if len(w.ServicePlans) > 0 {
		s += " [" + strings.Join(w.ServicePlans, ", ") + "]"
	}
	return s
}

// ReadCosts: a lookup is two GETs (the user, then the user's licenses); a listing page
// holds 500 users without their licenses; lookups by user principal name are not
// documented, so a name not found is looked for in a listing.
func (b *Backend) ReadCosts() client.ReadCosts {
	return client.ReadCosts{LookupBatch: 1, LookupReads: 2, PageSize: DefaultUserPageSize, NameLookupsUncertain: true}
}

// LookupUsers reads one user (GET .../users/{user}) and the licenses the user holds.
// A user the API does not find is left out.
func (b *Backend) LookupUsers(ctx context.Context, customer string, names []string) ([]client.User, error) {
	var out []client.User
	for _, name := range names {
		u, _, err := b.GetUser(ctx, customer, name)
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		cu := neutralUser(u)
		lics, err := b.UserLicenses(ctx, customer, cu.ID)
		if err != nil {
			return nil, err
		}
		cu.Licenses, cu.LicensesKnown = lics, true
		out = append(out, cu)
	}
	return out, nil
}

// ListUsers lists the customer's users (or, with deleted, its deleted users) 500 a page.
func (b *Backend) ListUsers(ctx context.Context, customer string, deleted bool, page func([]client.User) error) error {
	_, err := listPages(ctx, b.Client, customer, DefaultUserPageSize, maxUserPages, deleted, func(us []listedUser) error {
		out := make([]client.User, len(us))
		for i, u := range us {
			out[i] = client.User{ID: strings.TrimSpace(u.ID), PrincipalName: strings.TrimSpace(u.UserPrincipalName),
				UsageLocation: strings.TrimSpace(u.UsageLocation), State: strings.TrimSpace(u.State)}
		}
		return page(out)
	})
	return err
}

// listedUser is a user of a listing as a plan reads it: only the fields it uses are
// decoded.
type listedUser struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	UsageLocation     string `json:"usageLocation"`
	State             string `json:"state"`
}

// neutralUser is a Partner Center user in the neutral vocabulary.
func neutralUser(u *User) client.User {
	return client.User{ID: strings.TrimSpace(u.ID), PrincipalName: strings.TrimSpace(u.UserPrincipalName),
		UsageLocation: strings.TrimSpace(u.UsageLocation), State: strings.TrimSpace(u.State)}
}

// UserLicenses reads the licenses of license groups 1 and 2 the user holds. The API
// lists the plans a user has; the plans the user lacks come from the customer's
// catalogue (read once, by Catalogue, before any user).
func (b *Backend) UserLicenses(ctx context.Context, customer, userID string) ([]client.License, error) {
	lics, _, err := b.Client.UserLicenses(ctx, customer, userID, Group1, Group2)
	if err != nil {
		return nil, err
	}
	plans, err := b.catalogPlans(ctx, customer)
	if err != nil {
		return nil, err
	}
	out := make([]client.License, 0, len(lics))
	for _, l := range lics {
		id := strings.TrimSpace(l.ProductSku.ID)
		has := make(map[string]bool, len(l.ServicePlans))
		for _, p := range l.ServicePlans {
			has[strings.ToLower(p.ID)] = true
		}
		var disabled []string
		for _, p := range plans[strings.ToLower(id)] {
			if !has[strings.ToLower(p)] {
				disabled = append(disabled, p)
			}
		}
		out = append(out, client.License{SkuID: id, DisabledPlans: disabled})
	}
	return out, nil
}

// catalogPlans returns the plans of the customer's SKUs, reading the catalogue only
// if Catalogue has not.
func (b *Backend) catalogPlans(ctx context.Context, customer string) (map[string][]string, error) {
	b.mu.Lock()
	p, ok := b.plans[strings.ToLower(customer)]
	b.mu.Unlock()
	if ok {
		return p, nil
	}
	if _, err := b.Catalogue(ctx, customer); err != nil {
		return nil, fmt.Errorf("read the service plans of customer %s: %w", customer, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.plans[strings.ToLower(customer)], nil
}

// GetUser reads one user of customerID by object ID (or user principal name, which
// the API may or may not accept): GET .../v1/customers/{customerID}/users/{user}.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-user-account-by-id
func (c *Client) GetUser(ctx context.Context, customerID, user string) (*User, *client.Response, error) {
	const op = "get user"
	call := &client.Call{Kind: client.Read}
	call.CorrelationID = c.core.CorrelationID()
	if err := checkSegment("customer ID", customerID); err != nil {
		return nil, &call.Response, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkSegment("user", user); err != nil {
		return nil, &call.Response, fmt.Errorf("%s: %w", op, err)
	}
	u := c.core.Endpoint("v1/customers/" + url.PathEscape(customerID) + "/users/" + url.PathEscape(user))
	ans, err := c.do(ctx, client.Request{Op: op, Method: http.MethodGet, URL: u}, call)
	if err != nil {
		return nil, &call.Response, err
	}
	var out User
	if err := client.DecodeJSON(op, &call.Response, ans.Body, &out); err != nil {
		return nil, &call.Response, err
	}
	return &out, &call.Response, nil
}

// setUsageLocation sets a user's usage location: PATCH .../users/{user} with
// {"usageLocation": "US"}.
//
// See https://learn.microsoft.com/partner-center/developer/update-user-accounts-for-a-customer
func (c *Client) setUsageLocation(ctx context.Context, customerID, user, location string, call *client.Call) error {
	const op = "set usage location"
	u := c.core.Endpoint("v1/customers/" + url.PathEscape(customerID) + "/users/" + url.PathEscape(user))
	body := []byte(`{"usageLocation":"` + location + `","attributes":{"objectType":"CustomerUser"}}`)
	_, err := c.do(ctx, client.Request{Op: op, Method: http.MethodPatch, URL: u, Body: body}, call)
	return err
}

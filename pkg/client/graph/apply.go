package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// ErrNothingToChange is wrapped by the error of a change that assigns and removes
// nothing: Apply refuses it before sending anything.
var ErrNothingToChange = errors.New("nothing to assign or remove")

// AssignLicenseBody is the body of POST /users/{id}/assignLicense. Both lists are
// always sent, empty as [] (Graph refuses a body without either), and every added
// license carries its disabledPlans, [] for none.
//
// See https://learn.microsoft.com/graph/api/user-assignlicense
type AssignLicenseBody struct {
	AddLicenses    []AssignedLicense `json:"addLicenses"`
	RemoveLicenses []string          `json:"removeLicenses"`
}

// Apply makes one change to one user of a customer tenant: when ch.UsageLocation is
// set, PATCH /users/{id} {"usageLocation": "XX"} first (Applied.UsageLocationSet),
// then POST /users/{id}/assignLicense with exactly the change's additions and
// removals. Each is a batch item, paced as a Write call of the tenant and sent in
// the tenant's next $batch (see the package documentation for the batching and
// retry rules). call (which may be nil) is the assignment's: its Stop keeps the
// change from being sent, and its Response describes the item (its client-request-id,
// attempts and status); once the usage location was set, the assignment follows
// whatever Stop says. A refusal is an *client.APIError with Graph's code and
// message and a Reason.
func (b *Backend) Apply(ctx context.Context, ch client.Change, call *client.Call) (client.Applied, error) {
	const op = "assign licenses"
	if call == nil {
		call = &client.Call{}
	}
	call.Kind, call.Tenant, call.CorrelationID = client.Write, ch.Customer, b.core.CorrelationID()
	var applied client.Applied
	if err := checkChange(ch); err != nil {
		return applied, fmt.Errorf("%s: %w", op, err)
	}
	user := "/users/" + url.PathEscape(strings.TrimSpace(ch.User))
	assign := &client.Call{Kind: client.Write, Tenant: ch.Customer, Stop: call.Stop}
	assign.RequestID, assign.CorrelationID = call.RequestID, call.CorrelationID
	if assign.RequestID == "" {
		assign.RequestID = uuid.NewString()
	}
	if ch.UsageLocation != "" {
		patch := &client.Call{Kind: client.Write, Tenant: ch.Customer, Stop: call.Stop}
		patch.RequestID, patch.CorrelationID = uuid.NewString(), call.CorrelationID
		body := []byte(`{"usageLocation":"` + strings.ToUpper(ch.UsageLocation) + `"}`)
		w := write{op: "set usage location", method: http.MethodPatch, url: user, body: body}
		if _, err := b.sendWrite(ctx, w, patch); err != nil {
			call.Response = patch.Response
			return applied, err
		}
		applied.UsageLocationSet = true
		assign.Stop = nil
	}
	body, err := json.Marshal(assignBody(ch))
	if err != nil {
		return applied, fmt.Errorf("%s: encode: %w", op, err)
	}
	w := write{op: op, method: http.MethodPost, url: user + "/assignLicense", body: body,
		shows: func(ctx context.Context) bool { return b.shows(ctx, ch) }}
	confirmed, err := b.sendWrite(ctx, w, assign)
	call.Response = assign.Response
	if confirmed {
		applied.Warnings = append(applied.Warnings, appliedUnanswered)
	}
	return applied, err
}

// checkChange refuses a change Graph would refuse, or that says nothing.
func checkChange(ch client.Change) error {
	switch {
	case strings.TrimSpace(ch.Customer) == "":
		return errors.New("no customer tenant")
	case strings.TrimSpace(ch.User) == "":
		return errors.New("no user")
	case len(ch.Assign) == 0 && len(ch.Remove) == 0:
		return ErrNothingToChange
	case ch.UsageLocation != "" && !client.IsCountryCode(ch.UsageLocation):
		return fmt.Errorf("usage location %q: must be a two-letter country code such as US", ch.UsageLocation)
	}
	for _, a := range ch.Assign {
		for _, id := range append([]string{a.SkuID}, a.DisabledPlans...) {
			if !client.IsGUID(id) {
				return fmt.Errorf("%q is not a SKU or service plan ID (a GUID)", id)
			}
		}
	}
	for _, id := range ch.Remove {
		if !client.IsGUID(id) {
			return fmt.Errorf("%q is not a SKU ID (a GUID)", id)
		}
	}
	return nil
}

// assignBody is the assignLicense body of ch, every list present.
func assignBody(ch client.Change) AssignLicenseBody {
	body := AssignLicenseBody{AddLicenses: []AssignedLicense{}, RemoveLicenses: []string{}}
	for _, a := range ch.Assign {
		plans := append([]string{}, a.DisabledPlans...)
		body.AddLicenses = append(body.AddLicenses, AssignedLicense{SkuID: a.SkuID, DisabledPlans: plans})
	}
	body.RemoveLicenses = append(body.RemoveLicenses, ch.Remove...)
	return body
}

// shows reads the user and reports whether ch is in effect: every SKU assigned held
// directly with exactly its disabled plans, none removed held directly. A read that
// fails (a role that cannot read users, say) tells nothing: false.
func (b *Backend) shows(ctx context.Context, ch client.Change) bool {
	u, err := b.readUser(ctx, ch.Customer, strings.TrimSpace(ch.User))
	if err != nil || u.AssignedLicenses == nil {
		return false
	}
	direct := directLicenses(u)
	for _, a := range ch.Assign {
		plans, ok := direct[strings.ToLower(a.SkuID)]
		if !ok || !samePlans(plans, a.DisabledPlans) {
			return false
		}
	}
	for _, id := range ch.Remove {
		if _, ok := direct[strings.ToLower(id)]; ok {
			return false
		}
	}
	return true
}

// directLicenses maps the lower-cased SKU IDs a user holds directly to their
// disabled plans: from licenseAssignmentStates (assignedByGroup null) when Graph
// gave them, else from assignedLicenses.
func directLicenses(u *User) map[string][]string {
	out := map[string][]string{}
	if len(u.LicenseAssignmentStates) == 0 {
		for _, l := range *u.AssignedLicenses {
			out[strings.ToLower(l.SkuID)] = l.DisabledPlans
		}
		return out
	}
	for _, st := range u.LicenseAssignmentStates {
		if st.AssignedByGroup == nil || *st.AssignedByGroup == "" {
			out[strings.ToLower(st.SkuID)] = st.DisabledPlans
		}
	}
	return out
}

// samePlans reports whether two lists hold the same plan IDs, in any order and case.
func samePlans(a, b []string) bool {
	norm := func(xs []string) []string {
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			out = append(out, strings.ToLower(x))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

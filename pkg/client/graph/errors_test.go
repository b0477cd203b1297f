package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

// TestRefusalsCarryGraphsWordsAndAReason runs every refusal the notes list against
// graphfake, one Apply each, and checks the error's reason, code and IDs.
func TestRefusalsCarryGraphsWordsAndAReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 6, []graphfake.Option{
			graphfake.WithHolder(tenantA, "user00001@contoso.onmicrosoft.com", skuAXTask, nil), // the only seat
			graphfake.WithGroupHolder(tenantA, "user00002@contoso.onmicrosoft.com", skuE3, groupID, nil),
			graphfake.WithHolder(tenantA, "user00003@contoso.onmicrosoft.com", skuWinE5, nil),
			graphfake.WithConflictingPlans(planExchange, planMFA),
			graphfake.WithPlanDependency(planWinATP, planYammer),
		})
		u := e.users
		cases := []struct {
			name   string
			ch     client.Change
			status int
			code   string
			reason client.Reason
			text   string
		}{
			{"no free seat", assign(tenantA, u[1].ID, skuAXTask), 400, "Request_BadRequest", client.ReasonNoSeats, "does not have any available licenses"},
			{"SKU not in the tenant", assign(tenantA, u[1].ID, skuAbsent), 400, "Request_BadRequest", client.ReasonUnknownSku, "License " + skuAbsent + " does not correspond to a valid company License."},
			{"removing what is not held", client.Change{Customer: tenantA, User: u[3].ID, Remove: []string{skuE3}}, 400, "Request_BadRequest", client.ReasonNotHeld, "corresponding license"},
			{"removing a group's license", client.Change{Customer: tenantA, User: u[1].ID, Remove: []string{skuE3}}, 400, "Request_BadRequest", client.ReasonInherited, "inherited from a group"},
			{"mutually exclusive plans", assign(tenantA, u[3].ID, skuE3, skuAADP1), 400, "Request_BadRequest", client.ReasonConflictingPlans, planExchange + "," + planMFA + " are mutually exclusive."},
			{"missing prerequisite", assign(tenantA, u[4].ID, skuWinE5), 400, "Request_BadRequest", client.ReasonMissingPrerequisite, "depends on the service plan"},
			{"unknown user", assign(tenantA, "ghost@contoso.onmicrosoft.com", skuE3), 404, "Request_ResourceNotFound", client.ReasonUserNotFound, "does not exist"},
		}
		for _, c := range cases {
			call := &client.Call{}
			_, err := e.be.Apply(context.Background(), c.ch, call)
			ae := wantReason(t, err, c.status, c.reason)
			if ae.Code != c.code || !strings.Contains(ae.Description, c.text) || ae.RequestID != call.RequestID ||
				ae.CorrelationID != e.be.CorrelationID() || ae.Attempts != 1 || ae.Op != "assign licenses" {
				t.Errorf("%s: %+v (call %+v)", c.name, ae, call)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("assign licenses: %d %s: code %s: ", c.status, http.StatusText(c.status), c.code)) {
				t.Errorf("%s: error text %q", c.name, err)
			}
		}
		if st := e.fake.Stats(); st.Applied != 0 || st.BatchItems != len(cases) {
			t.Errorf("stats %+v: every refusal is final, sent once", st)
		}
	})
}

func TestAMissingRoleNamesTheGDAPRolesNeeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, []graphfake.Option{graphfake.WithRoles(tenantA, graphfake.RoleDirectoryReaders)})
		_, err := e.be.Apply(context.Background(), assign(tenantA, e.users[0].ID, skuE3), nil)
		ae := wantReason(t, err, http.StatusForbidden, client.ReasonMissingRole)
		if ae.Code != "Authorization_RequestDenied" || !strings.Contains(err.Error(), "User Administrator, or License Administrator with Directory Readers") {
			t.Errorf("error %v", err)
		}
	})
}

// TestNoSecretInAnyError collects errors of every kind a Graph call can return and
// checks none holds a part of a token.
func TestNoSecretInAnyError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		ctx := context.Background()
		var errs []error
		// A token the fake does not know: 401 on the $batch and on a read.
		e.ts.byTen[tenantA] = tokenB + "-unknown"
		_, err := e.be.Apply(ctx, assign(tenantA, e.users[0].ID, skuE3), nil)
		errs = append(errs, err)
		_, err = e.be.Catalogue(ctx, tenantA)
		errs = append(errs, err)
		// A token source that fails, quoting the token it had.
		e.ts.failed = errors.New("refresh failed: refresh_token=" + tokenA + " rejected")
		_, err = e.be.Apply(ctx, assign(tenantA, e.users[0].ID, skuE3), nil)
		errs = append(errs, err)
		_, err = e.be.LookupUsers(ctx, tenantA, []string{e.users[0].ID})
		errs = append(errs, err)
		e.ts.failed = nil
		e.ts.byTen[tenantA] = tokenA
		// A server that echoes the token in an item's error message.
		e.rec.hook = func(r *http.Request, body []byte) (*http.Response, error, bool) {
			return answer(r, http.StatusOK, nil, `{"responses":[{"id":"1","status":400,"body":{"error":{"code":"Request_BadRequest","message":"bad token `+tokenA+`"}}}]}`), nil, true
		}
		_, err = e.be.Apply(ctx, assign(tenantA, e.users[0].ID, skuE3), nil)
		errs = append(errs, err)
		for i, err := range errs {
			if err == nil {
				t.Fatalf("error %d is nil", i)
			}
			noSecret(t, err.Error())
		}
		var ae *client.APIError
		if !errors.As(errs[0], &ae) || ae.StatusCode != http.StatusUnauthorized || ae.Reason != client.ReasonUnauthorized {
			t.Errorf("unknown token on a $batch: %v", errs[0])
		}
		var auth *client.AuthError
		if !errors.As(errs[2], &auth) || auth.Tenant != tenantA {
			t.Errorf("token source failure: %v", errs[2])
		}
	})
}

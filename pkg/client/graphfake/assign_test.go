package graphfake_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestAssignLicenseSuccess(t *testing.T) {
	s, hc, users := newFake(t, 2)
	u := users[0]
	r := assign(t, hc, u.ID, `{"addLicenses":[{"skuId":"`+skuE3+`","disabledPlans":["`+planYammer+`"]},{"skuId":"`+skuWinE5+`"}],"removeLicenses":[]}`)
	wantStatus(t, r, http.StatusOK)
	m := object(t, r)
	if m["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users/$entity" || m["id"] != u.ID || m["userPrincipalName"] != u.UserPrincipalName {
		t.Fatalf("answer = %v", m)
	}
	if _, has := m["assignedLicenses"]; has {
		t.Fatalf("the answer is the user's default properties, without assignedLicenses: %v", m)
	}
	want := map[string]map[string][]string{u.ID: {skuE3: {planYammer}, skuWinE5: {}}}
	if got := s.Holdings(tenant); !reflect.DeepEqual(got, want) {
		t.Fatalf("holdings = %v, want %v", got, want)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	wantUnits(t, s, skuWinE5, 70, 42)

	// Re-adding a held SKU replaces its disabled plans ([] re-enables) and takes no unit.
	wantStatus(t, assign(t, hc, u.UserPrincipalName, addBody(skuE3)), http.StatusOK)
	if got := s.Holdings(tenant)[u.ID][skuE3]; len(got) != 0 {
		t.Fatalf("disabled plans after re-adding with [] = %v", got)
	}
	wantUnits(t, s, skuE3, 4799, 1201)

	// Removing frees the unit; a swap is one request.
	wantStatus(t, assign(t, hc, u.ID, `{"addLicenses":[{"skuId":"`+skuE5+`","disabledPlans":[]}],"removeLicenses":["`+skuE3+`"]}`), http.StatusOK)
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuE5, 5499, 501)
	if st := s.Stats(); st.Assignments != 3 || st.Applied != 3 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestAssignLicenseBodyRules(t *testing.T) {
	s, hc, users := newFake(t, 1)
	id := users[0].ID
	wantError(t, assign(t, hc, id, `{"addLicenses":[{"skuId":"`+skuE3+`","disabledPlans":[]}]}`), http.StatusBadRequest, "Request_BadRequest",
		"One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: removeLicenses.")
	wantError(t, assign(t, hc, id, `{"removeLicenses":[]}`), http.StatusBadRequest, "Request_BadRequest", "The missing parameters are: addLicenses.")
	wantError(t, assign(t, hc, id, `{}`), http.StatusBadRequest, "Request_BadRequest", "The missing parameters are: addLicenses, removeLicenses.")
	// null counts as missing by default.
	wantError(t, assign(t, hc, id, `{"addLicenses":[{"skuId":"`+skuE3+`"}],"removeLicenses":null}`), http.StatusBadRequest, "Request_BadRequest", "removeLicenses")
	wantError(t, assign(t, hc, id, `{"addLicenses":[],"removeLicenses":[],"extra":1}`), http.StatusBadRequest, "BadRequest", "'extra'")
	wantError(t, assign(t, hc, id, `{"addLicenses":[{"skuId":"E3"}],"removeLicenses":[]}`), http.StatusBadRequest, "BadRequest", "'E3'")
	wantError(t, assign(t, hc, id, `{"addLicenses":[{"skuId":"`+skuE3+`","disabledPlans":["SWAY"]}],"removeLicenses":[]}`), http.StatusBadRequest, "BadRequest", "'SWAY'")
	wantError(t, assign(t, hc, id, `not json`), http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload")
	wantError(t, do(t, hc, call{method: http.MethodPost, path: "/v1.0/users/" + id + "/assignLicense", body: addBody(skuE3),
		header: map[string]string{"Content-Type": ""}}), http.StatusBadRequest, "BadRequest", "Content-Type")
	wantError(t, get(t, hc, "/v1.0/users/"+id+"/assignLicense"), http.StatusMethodNotAllowed, "Request_BadRequest", "not allowed")
	// disabledPlans may be left out; key names match in any case.
	wantStatus(t, assign(t, hc, id, `{"AddLicenses":[{"skuId":"`+skuE3+`"}],"RemoveLicenses":[]}`), http.StatusOK)
	wantUnits(t, s, skuE3, 4799, 1201)

	_, hc, users = newFake(t, 1, graphfake.WithNullLicenseLists())
	wantStatus(t, assign(t, hc, users[0].ID, `{"addLicenses":[{"skuId":"`+skuE3+`"}],"removeLicenses":null}`), http.StatusOK)
	wantError(t, assign(t, hc, users[0].ID, `{"addLicenses":null}`), http.StatusBadRequest, "Request_BadRequest", "The missing parameters are: removeLicenses.")
}

func TestAssignLicenseErrors(t *testing.T) {
	users := graphfake.GenerateUsers(4, "", 1)
	users[1].UsageLocation = ""
	s, err := graphfake.New(
		graphfake.WithTenant(tenant, sampleSkus(t)),
		graphfake.WithUsers(tenant, users),
		graphfake.WithStaticToken(testToken, tenant),
		graphfake.WithGroupHolder(tenant, users[2].ID, skuE5, groupID, nil),
		graphfake.WithHolder(tenant, users[3].ID, skuAXTask, nil), // the only AX unit
	)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: s.Transport()}
	cases := []struct {
		name, user, body string
		status           int
		code, msg        string
	}{
		{"unknown user", "ghost@contoso.onmicrosoft.com", addBody(skuE3), 404, "Request_ResourceNotFound",
			"Resource 'ghost@contoso.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present."},
		{"no usage location", users[1].ID, addBody(skuE3), 400, "Request_BadRequest",
			"License assignment cannot be done for user with invalid usage location."},
		{"SKU not in tenant", users[0].ID, addBody(skuAbsent), 400, "Request_BadRequest",
			"License " + skuAbsent + " does not correspond to a valid company License."},
		{"removing an unknown SKU", users[0].ID, removeBody(skuAbsent), 400, "Request_BadRequest", "does not correspond to a valid company License."},
		{"removing a SKU not held", users[0].ID, removeBody(skuE3), 400, "Request_BadRequest", "User does not have a corresponding license"},
		{"removing an inherited license", users[2].ID, removeBody(skuE5), 400, "Request_BadRequest",
			"User license is inherited from a group membership and it cannot be removed directly from the user."},
		{"no available licenses", users[0].ID, addBody(skuAXTask), 400, "Request_BadRequest", "does not have any available licenses"},
		{"a Company SKU", users[0].ID, addBody(skuStore), 400, "Request_BadRequest", "applies to the company"},
		{"a plan not of the SKU", users[0].ID, `{"addLicenses":[{"skuId":"` + skuE3 + `","disabledPlans":["` + planWinATP + `"]}],"removeLicenses":[]}`,
			400, "Request_BadRequest", "not a plan of SKU"},
		{"a SKU added twice", users[0].ID, addBody(skuE3, skuE3), 400, "Request_BadRequest", "more than once"},
		// All or nothing: the E3 assignment before the AX one is not applied either.
		{"all or nothing", users[0].ID, addBody(skuE3, skuAXTask), 400, "Request_BadRequest", "Subscription with SKU " + skuAXTask + " does not have any available licenses."},
		{"removal with a failing add", users[3].ID, `{"addLicenses":[{"skuId":"` + skuAbsent + `"}],"removeLicenses":["` + skuAXTask + `"]}`, 400, "Request_BadRequest", "valid company License"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, assign(t, hc, c.user, c.body), c.status, c.code, c.msg)
		})
	}
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuAXTask, 0, 1)
	want := map[string]map[string][]string{users[2].ID: {skuE5: {}}, users[3].ID: {skuAXTask: {}}}
	if got := s.Holdings(tenant); !reflect.DeepEqual(got, want) {
		t.Fatalf("refused requests changed the ledger: %v", got)
	}
	// Removals need no usage location.
	if err := s.AddHolder(tenant, users[1].ID, skuE3, nil); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, assign(t, hc, users[1].ID, removeBody(skuE3)), http.StatusOK)
	if st := s.Stats(); st.Applied != 1 || st.ByStatus[400] != len(cases)-1 || st.ByStatus[404] != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestGroupAndDirectPaths(t *testing.T) {
	s, hc, users := newFake(t, 1, graphfake.WithGroupHolder(tenant, "user00001@contoso.onmicrosoft.com", skuE5, groupID, []string{planSway}))
	id := users[0].ID
	wantUnits(t, s, skuE5, 5499, 501)
	// A direct assignment of a SKU held through a group adds a path, takes no unit.
	wantStatus(t, assign(t, hc, id, `{"addLicenses":[{"skuId":"`+skuE5+`","disabledPlans":["`+planYammer+`"]}],"removeLicenses":[]}`), http.StatusOK)
	wantUnits(t, s, skuE5, 5499, 501)
	states := s.LicenseStates(tenant, id)
	if len(states) != 2 || states[0].AssignedByGroup != nil || *states[1].AssignedByGroup != groupID ||
		!reflect.DeepEqual(states[0].DisabledPlans, []string{planYammer}) || !reflect.DeepEqual(states[1].DisabledPlans, []string{planSway}) {
		t.Fatalf("states = %+v", states)
	}
	if got := s.Holdings(tenant)[id][skuE5]; len(got) != 0 {
		t.Fatalf("a plan one path enables is enabled: disabled = %v", got)
	}
	// Removing the direct path keeps the group's, and the unit.
	wantStatus(t, assign(t, hc, id, removeBody(skuE5)), http.StatusOK)
	wantUnits(t, s, skuE5, 5499, 501)
	wantError(t, assign(t, hc, id, removeBody(skuE5)), http.StatusBadRequest, "Request_BadRequest", "inherited from a group")
}

func TestReaddWithoutFreeSeats(t *testing.T) {
	for _, strict := range []bool{false, true} {
		var opts []graphfake.Option
		if strict {
			opts = append(opts, graphfake.WithReaddNeedsFreeSeat())
		}
		opts = append(opts, graphfake.WithHolder(tenant, "user00001@contoso.onmicrosoft.com", skuAXTask, nil))
		s, hc, users := newFake(t, 1, opts...)
		r := assign(t, hc, users[0].ID, addBody(skuAXTask))
		if strict {
			wantError(t, r, http.StatusBadRequest, "Request_BadRequest", "does not have any available licenses")
		} else {
			wantStatus(t, r, http.StatusOK)
		}
		wantUnits(t, s, skuAXTask, 0, 1)
	}
}

func TestWarningUnits(t *testing.T) {
	skus := sampleSkus(t)
	for i := range skus {
		if skus[i].SkuID == skuAXTask {
			skus[i].PrepaidUnits = graphfake.LicenseUnitsDetail{Enabled: 1, Warning: 2}
			skus[i].ConsumedUnits = 1
			skus[i].CapabilityStatus = "Warning"
		}
	}
	users := graphfake.GenerateUsers(3, "", 1)
	for _, lenient := range []bool{false, true} {
		opts := []graphfake.Option{graphfake.WithTenant(tenant, skus), graphfake.WithUsers(tenant, users), graphfake.WithStaticToken(testToken, tenant)}
		if lenient {
			opts = append(opts, graphfake.WithWarningUnitsAssignable())
		}
		s, err := graphfake.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: s.Transport()}
		r := assign(t, hc, users[0].ID, addBody(skuAXTask))
		if !lenient {
			wantError(t, r, http.StatusBadRequest, "Request_BadRequest", "does not have any available licenses")
			wantUnits(t, s, skuAXTask, 0, 1)
			continue
		}
		wantStatus(t, r, http.StatusOK)
		wantStatus(t, assign(t, hc, users[1].ID, addBody(skuAXTask)), http.StatusOK)
		wantError(t, assign(t, hc, users[2].ID, addBody(skuAXTask)), http.StatusBadRequest, "Request_BadRequest", "available licenses")
		wantUnits(t, s, skuAXTask, 0, 3)
	}
}

func TestPlanConflictsAndDependencies(t *testing.T) {
	s, hc, users := newFake(t, 3,
		graphfake.WithConflictingPlans(planExchange, planMFA),
		graphfake.WithPlanDependency(planWinATP, planSway, planYammer),
		graphfake.WithHolder(tenant, "user00001@contoso.onmicrosoft.com", skuE3, nil))
	u1, u2 := users[0].ID, users[1].ID
	wantError(t, assign(t, hc, u1, addBody(skuAADP1)), http.StatusBadRequest, "Request_BadRequest",
		"License assignment failed because service plans "+planExchange+","+planMFA+" are mutually exclusive.")
	// Disabling one of the two lets the assignment through.
	wantStatus(t, assign(t, hc, u1, `{"addLicenses":[{"skuId":"`+skuAADP1+`","disabledPlans":["`+planMFA+`"]}],"removeLicenses":[]}`), http.StatusOK)

	wantError(t, assign(t, hc, u2, addBody(skuWinE5)), http.StatusBadRequest, "Request_BadRequest",
		"License assignment failed because service plan "+planWinATP+" depends on the service plan(s) "+planSway+","+planYammer+".")
	wantStatus(t, assign(t, hc, u2, addBody(skuWinE5, skuE5)), http.StatusOK) // E5 brings Sway along
	// Disabling the dependent plan itself needs nothing.
	wantStatus(t, assign(t, hc, users[2].ID, `{"addLicenses":[{"skuId":"`+skuWinE5+`","disabledPlans":["`+planWinATP+`"]}],"removeLicenses":[]}`), http.StatusOK)
	if st := s.Stats(); st.Applied != 3 || st.ByStatus[400] != 2 {
		t.Fatalf("stats = %+v", st)
	}
	if !strings.Contains(strings.Join(s.Holdings(tenant)[u1][skuAADP1], ","), planMFA) {
		t.Fatalf("holdings = %v", s.Holdings(tenant))
	}
}

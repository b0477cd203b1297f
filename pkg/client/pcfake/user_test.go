package pcfake_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func userPath(customer, user string) string {
	return "/v1/customers/" + url.PathEscape(customer) + "/users/" + url.PathEscape(user)
}

// patchUser sends a user PATCH of the default customer with a raw body.
func patchUser(t *testing.T, hc *http.Client, user, body string) reply {
	t.Helper()
	return do(t, hc, call{method: http.MethodPatch, path: userPath(cust, user), body: body})
}

const setUS = `{"usageLocation":"US","attributes":{"objectType":"CustomerUser"}}`

func wireOf(u pcfake.User, state string) wireUser {
	return wireUser{ID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
		UsageLocation: u.UsageLocation, State: state, Attributes: wireAttributes{ObjectType: "CustomerUser"}}
}

func TestGetUserByIDOrPrincipalName(t *testing.T) {
	users := []pcfake.User{
		{ID: "554526aa-cf5e-46fa-95df-98dbc55d8a1e", UserPrincipalName: "dana.o'brien+lic@contoso.onmicrosoft.com", DisplayName: "Dana", UsageLocation: "DE", State: "active"},
		{ID: "9f1c7e55-2d2b-4b59-9a53-2a1d4f7a0c11", UserPrincipalName: "erik@contoso.onmicrosoft.com"},
	}
	s, hc := newFake(t, pcfake.WithUsers(cust, users))
	listed := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil)).Items
	for i, u := range users {
		for _, name := range []string{u.ID, strings.ToUpper(u.ID), u.UserPrincipalName, strings.ToUpper(u.UserPrincipalName)} {
			got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, name), nil))
			if got != listed[i] {
				t.Fatalf("GET user %s = %+v, want it as the listing shows it: %+v", name, got, listed[i])
			}
		}
	}
	if got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, users[1].ID), nil)); got != wireOf(users[1], "active") {
		t.Fatalf("a user without a state = %+v, want it active", got)
	}
	e := wantError(t, get(t, hc, userPath(cust, "nobody@contoso.onmicrosoft.com"), nil), http.StatusNotFound, "60002")
	if !reflect.DeepEqual(e.Data, []string{"nobody@contoso.onmicrosoft.com"}) {
		t.Fatalf("data = %v, want the user", e.Data)
	}
	wantError(t, get(t, hc, userPath("11111111-2222-4333-8444-555555555555", users[0].ID), nil), http.StatusNotFound, "60003")
	if st := s.Stats(); st.UserLookups != 9 || st.Reads != 12 {
		t.Fatalf("stats: %d lookups, %d reads; want 9 answered 200 of 12 reads", st.UserLookups, st.Reads)
	}
}

func TestGetUserByObjectIDOnly(t *testing.T) {
	users := pcfake.GenerateUsers(2, "contoso.onmicrosoft.com", 3)
	_, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithObjectIDLookupsOnly())
	if got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, users[0].ID), nil)); got != wireOf(users[0], "active") {
		t.Fatalf("by ID = %+v", got)
	}
	wantError(t, get(t, hc, userPath(cust, users[0].UserPrincipalName), nil), http.StatusNotFound, "60002")
	wantError(t, patchUser(t, hc, users[0].UserPrincipalName, setUS), http.StatusNotFound, "60002")
	// The licenseupdates POST still takes a principal name, as its reference says.
	wantStatus(t, postUpdate(t, hc, users[0].UserPrincipalName, "", assign(skuE3)), http.StatusCreated)

	// A customer without a list: a GUID is a user, a name is not.
	const other = "7b7d7f9c-5c43-4d7e-9a4e-3f1f0a2b6c11"
	_, hc2 := newFake(t, pcfake.WithCustomer(other, sampleSkus(t)), pcfake.WithObjectIDLookupsOnly())
	id := "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	if got := decodeStrict[wireUser](t, get(t, hc2, userPath(other, id), nil)); got.ID != id {
		t.Fatalf("made-up user by ID = %+v", got)
	}
	wantError(t, get(t, hc2, userPath(other, "ann@contoso.com"), nil), http.StatusNotFound, "60002")
}

func TestGetDeletedUser(t *testing.T) {
	users := pcfake.GenerateUsers(2, "contoso.onmicrosoft.com", 4)
	users[0].State = "inactive"
	_, hc := newFake(t, pcfake.WithUsers(cust, users))
	for _, name := range []string{users[0].ID, users[0].UserPrincipalName} {
		wantError(t, get(t, hc, userPath(cust, name), nil), http.StatusNotFound, "60002")
		wantError(t, patchUser(t, hc, name, setUS), http.StatusNotFound, "60002")
	}
	_, hc = newFake(t, pcfake.WithUsers(cust, users), pcfake.WithDeletedUsersFoundByID())
	if got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, users[0].ID), nil)); got != wireOf(users[0], "inactive") {
		t.Fatalf("deleted user = %+v, want it with state inactive", got)
	}
	wantStatus(t, patchUser(t, hc, users[0].ID, `{"usageLocation":"FR"}`), http.StatusOK)
}

func TestGetUserOfCustomerWithoutList(t *testing.T) {
	s, hc := newFake(t)
	// A GUID is the user's ID.
	id := "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
	want := wireUser{ID: id, DisplayName: id, UsageLocation: "US", State: "active", Attributes: wireAttributes{ObjectType: "CustomerUser"}}
	if got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, id), nil)); got != want {
		t.Fatalf("GUID user = %+v, want %+v", got, want)
	}
	// A name gets a stable version 5 UUID of its lower-cased form.
	ann := decodeStrict[wireUser](t, get(t, hc, userPath(cust, "Ann@Contoso.com"), nil))
	again := decodeStrict[wireUser](t, get(t, hc, userPath(cust, "ann@contoso.com"), nil))
	parsed, err := uuid.Parse(ann.ID)
	if err != nil || parsed.Version() != 5 || again.ID != ann.ID || ann.UserPrincipalName != "Ann@Contoso.com" || ann.UsageLocation != "US" || ann.State != "active" {
		t.Fatalf("named users %+v and %+v: want one version 5 ID, the name as principal name, US, active", ann, again)
	}
	if mk := pcfake.MakeUser("ANN@contoso.com"); mk.ID != ann.ID || mk.UserPrincipalName != "ANN@contoso.com" {
		t.Fatalf("MakeUser = %+v, want the ID the fake answers", mk)
	}
	if got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, "kiosk-07"), nil)); got.UserPrincipalName != "" || got.ID == "kiosk-07" {
		t.Fatalf("a name without @ = %+v, want no principal name and a made-up ID", got)
	}
	// The name and the ID a lookup gave are one holder, as a run reads them.
	wantStatus(t, postUpdate(t, hc, "Ann@Contoso.com", "", assign(skuE3)), http.StatusCreated)
	lic := decodeStrict[wireLicenses](t, get(t, hc, licensesPath(cust, ann.ID, ""), nil))
	if lic.TotalCount != 1 || lic.Items[0].ProductSku.ID != skuE3 {
		t.Fatalf("licenses by the looked-up ID = %+v, want E3", lic)
	}
	wantStatus(t, postUpdate(t, hc, ann.ID, "", remove(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)
}

func TestPatchSetsUsageLocation(t *testing.T) {
	users := pcfake.GenerateUsers(2, "contoso.onmicrosoft.com", 6)
	users[0].UsageLocation = ""
	s, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithRequestLog())
	wantError(t, postUpdate(t, hc, users[0].ID, "", assign(skuE3)), http.StatusBadRequest, "800002")

	got := decodeStrict[wireUser](t, patchUser(t, hc, users[0].UserPrincipalName, `{"UsageLocation":"gb","attributes":{"objectType":"CustomerUser"}}`))
	want := wireOf(users[0], "active")
	want.UsageLocation = "GB"
	if got != want {
		t.Fatalf("PATCH answered %+v, want %+v", got, want)
	}
	wantStatus(t, postUpdate(t, hc, users[0].ID, "", assign(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, users[0].ID), nil)); got.UsageLocation != "GB" {
		t.Fatalf("GET after PATCH: %+v", got)
	}
	if u := s.Users(cust)[0]; u.UsageLocation != "GB" {
		t.Fatalf("Users()[0] = %+v", u)
	}
	// The same PATCH again is harmless; a display name may change too.
	wantStatus(t, patchUser(t, hc, users[0].ID, setUS), http.StatusOK)
	if got := decodeStrict[wireUser](t, patchUser(t, hc, users[0].ID, `{"displayName":"Renamed"}`)); got.DisplayName != "Renamed" || got.UsageLocation != "US" {
		t.Fatalf("display name PATCH: %+v", got)
	}
	st := s.Stats()
	if st.UserUpdates != 3 || st.Patches != 3 || st.Writes != 5 || st.Reads != 1 {
		t.Fatalf("stats = %+v, want 3 updates of 3 PATCHes, 5 writes, 1 read", st)
	}
	var logged []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodPatch {
			logged = append(logged, r.UsageLocation)
		}
	}
	if !reflect.DeepEqual(logged, []string{"gb", "US", ""}) {
		t.Fatalf("logged usage locations %q", logged)
	}
}

func TestPatchRefusals(t *testing.T) {
	users := pcfake.GenerateUsers(1, "contoso.onmicrosoft.com", 7)
	users[0].UsageLocation = ""
	s, hc := newFake(t, pcfake.WithUsers(cust, users))
	for name, body := range map[string]string{
		"three letters": `{"usageLocation":"USA"}`,
		"one letter":    `{"usageLocation":"U"}`,
		"empty":         `{"usageLocation":""}`,
		"a digit":       `{"usageLocation":"U1"}`,
		"non-ASCII":     `{"usageLocation":"é"}`,
		"no field":      `{"attributes":{"objectType":"CustomerUser"}}`,
		"null":          `{"usageLocation":null}`,
		"not JSON":      `{`,
		"no body":       ``,
		"two values":    setUS + setUS,
		"a number":      `{"usageLocation":12}`,
		"a blank name":  `{"displayName":" "}`,
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, patchUser(t, hc, users[0].ID, body), http.StatusBadRequest, "800002")
		})
	}
	// An unknown user is 404 whatever the body; an unknown customer 60003.
	wantError(t, patchUser(t, hc, "nobody@contoso.onmicrosoft.com", `{"usageLocation":"USA"}`), http.StatusNotFound, "60002")
	wantError(t, do(t, hc, call{method: http.MethodPatch, path: userPath("11111111-2222-4333-8444-555555555555", users[0].ID), body: setUS}), http.StatusNotFound, "60003")
	if u := s.Users(cust)[0]; u.UsageLocation != "" {
		t.Fatalf("a refused PATCH changed the user: %+v", u)
	}
	if st := s.Stats(); st.UserUpdates != 0 {
		t.Fatalf("%d updates counted", st.UserUpdates)
	}
}

func TestPatchUserOfCustomerWithoutList(t *testing.T) {
	s, hc := newFake(t)
	wantStatus(t, patchUser(t, hc, "Bob@Contoso.com", `{"usageLocation":"NL"}`), http.StatusOK)
	got := decodeStrict[wireUser](t, get(t, hc, userPath(cust, pcfake.MakeUser("bob@contoso.com").ID), nil))
	if got.UsageLocation != "NL" || got.UserPrincipalName != "Bob@Contoso.com" {
		t.Fatalf("after PATCH: %+v, want NL, remembered by ID", got)
	}
	if s.Users(cust) != nil {
		t.Fatal("a customer without a list got one")
	}
}

package graphfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

// page is a decoded GET /users answer.
type page struct {
	Context  string           `json:"@odata.context"`
	Count    *int             `json:"@odata.count"`
	NextLink string           `json:"@odata.nextLink"`
	Value    []map[string]any `json:"value"`
}

func readPage(t *testing.T, r reply) page {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var p page
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestListUsersDefaultPropertiesAndSelect(t *testing.T) {
	_, hc, users := newFake(t, 3, graphfake.WithHolder(tenant, "user00001@contoso.onmicrosoft.com", skuE3, []string{planSway}))

	p := readPage(t, get(t, hc, "/v1.0/users"))
	if p.Context != "https://graph.microsoft.com/v1.0/$metadata#users" || len(p.Value) != 3 || p.NextLink != "" || p.Count != nil {
		t.Fatalf("page = %+v", p)
	}
	want := []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName"}
	if got := keys(p.Value[0]); !reflect.DeepEqual(got, want) {
		t.Fatalf("default properties = %v, want %v (no assignedLicenses without $select)", got, want)
	}
	if p.Value[0]["id"] != users[0].ID || p.Value[2]["userPrincipalName"] != users[2].UserPrincipalName {
		t.Fatalf("users out of order: %v", p.Value)
	}

	p = readPage(t, get(t, hc, "/v1.0/users?$select=id,userPrincipalName,usageLocation,accountEnabled,assignedLicenses,licenseAssignmentStates"))
	if p.Context != "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,usageLocation,accountEnabled,assignedLicenses,licenseAssignmentStates)" {
		t.Errorf("context = %q", p.Context)
	}
	u := p.Value[0]
	if got := keys(u); !reflect.DeepEqual(got, []string{"accountEnabled", "assignedLicenses", "id", "licenseAssignmentStates", "usageLocation", "userPrincipalName"}) {
		t.Fatalf("selected properties = %v", got)
	}
	if u["accountEnabled"] != true || u["usageLocation"] != "US" {
		t.Errorf("user = %v", u)
	}
	wantAL := []any{map[string]any{"skuId": skuE3, "disabledPlans": []any{planSway}}}
	if !reflect.DeepEqual(u["assignedLicenses"], wantAL) {
		t.Errorf("assignedLicenses = %v, want %v", u["assignedLicenses"], wantAL)
	}
	states := u["licenseAssignmentStates"].([]any)
	st := states[0].(map[string]any)
	if len(states) != 1 || st["assignedByGroup"] != nil || st["state"] != "Active" || st["error"] != "None" || st["skuId"] != skuE3 {
		t.Errorf("licenseAssignmentStates = %v", states)
	}
	if al := p.Value[1]["assignedLicenses"].([]any); len(al) != 0 {
		t.Errorf("user 2 assignedLicenses = %v, want []", al)
	}

	// Names in any case; an unknown one is refused.
	p = readPage(t, get(t, hc, "/v1.0/users?$SELECT=ID,UsageLocation"))
	if got := keys(p.Value[0]); !reflect.DeepEqual(got, []string{"id", "usageLocation"}) {
		t.Fatalf("properties = %v", got)
	}
	wantError(t, get(t, hc, "/v1.0/users?$select=id,licenses"), http.StatusBadRequest, "Request_BadRequest",
		"Could not find a property named 'licenses' on type 'microsoft.graph.user'.")
}

func TestListUsersTop(t *testing.T) {
	_, hc, _ := newFake(t, 250)
	if p := readPage(t, get(t, hc, "/v1.0/users")); len(p.Value) != 100 || p.NextLink == "" {
		t.Fatalf("default page: %d users, nextLink %q", len(p.Value), p.NextLink)
	}
	if p := readPage(t, get(t, hc, "/v1.0/users?$top=999")); len(p.Value) != 250 || p.NextLink != "" {
		t.Fatalf("$top=999: %d users, nextLink %q", len(p.Value), p.NextLink)
	}
	if p := readPage(t, get(t, hc, "/v1.0/users?$top=1")); len(p.Value) != 1 {
		t.Fatalf("$top=1: %d users", len(p.Value))
	}
	for _, v := range []string{"0", "1000", "-1", "ten"} {
		wantError(t, get(t, hc, "/v1.0/users?$top="+v), http.StatusBadRequest, "Request_UnsupportedQuery",
			"Invalid page size specified: '"+v+"'. Must be between 1 and 999 inclusive.")
	}
}

func TestPagingFollowsNextLinkVerbatim(t *testing.T) {
	s, hc, users := newFake(t, 23)
	var seen []string
	next := baseURL + "/v1.0/users?$select=id&$top=5"
	pages := 0
	for next != "" {
		p := readPage(t, get(t, hc, next))
		pages++
		for _, u := range p.Value {
			seen = append(seen, u["id"].(string))
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, baseURL+"/v1.0/users?$select=id&$top=5&$skiptoken=") {
			t.Fatalf("nextLink = %q", p.NextLink)
		}
		next = p.NextLink
	}
	if pages != 5 || len(seen) != 23 {
		t.Fatalf("%d pages, %d users", pages, len(seen))
	}
	for i, u := range users {
		if seen[i] != u.ID {
			t.Fatalf("user %d = %s, want %s", i, seen[i], u.ID)
		}
	}
	if st := s.Stats(); st.UserListings != 1 || st.UserPages != 5 {
		t.Fatalf("listings %d, pages %d; want 1 and 5", st.UserListings, st.UserPages)
	}

	// The skip token is bound to the query and the tenant.
	p := readPage(t, get(t, hc, "/v1.0/users?$select=id&$top=5"))
	token := p.NextLink[strings.Index(p.NextLink, "$skiptoken=")+len("$skiptoken="):]
	wantError(t, get(t, hc, "/v1.0/users?$select=id&$top=6&$skiptoken="+token), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
	wantError(t, get(t, hc, "/v1.0/users?$select=id&$top=5&$skiptoken=abc"), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
	wantStatus(t, get(t, hc, "/v1.0/users?$top=5&$select=id&$skiptoken="+token), http.StatusOK) // order of options is free

	other, err := graphfake.New(
		graphfake.WithTenant(tenant, sampleSkus(t)),
		graphfake.WithUsers(tenant, users),
		graphfake.WithStaticToken(testToken, tenant),
	)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, get(t, &http.Client{Transport: other.Transport()}, p.NextLink), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")
}

func TestNextLinkNamesTheHostAskedOrWithBaseURL(t *testing.T) {
	_, hc, _ := newFake(t, 3)
	p := readPage(t, get(t, hc, "http://127.0.0.1:9/v1.0/users?$top=1"))
	if !strings.HasPrefix(p.NextLink, "http://127.0.0.1:9/v1.0/users?$top=1&$skiptoken=") {
		t.Fatalf("nextLink = %q", p.NextLink)
	}
	_, hc, _ = newFake(t, 3, graphfake.WithBaseURL("https://proxy.example/ignored"))
	p = readPage(t, get(t, hc, "/v1.0/users?$top=1"))
	if !strings.HasPrefix(p.NextLink, "https://proxy.example/v1.0/users?$top=1&$skiptoken=") {
		t.Fatalf("nextLink = %q", p.NextLink)
	}
}

func inFilter(prop string, values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return url.QueryEscape(prop + " in (" + strings.Join(quoted, ",") + ")")
}

func TestFilterInAndEq(t *testing.T) {
	s, hc, users := newFake(t, 60)
	ids := []string{users[3].ID, users[1].ID, strings.ToUpper(users[7].ID)}
	p := readPage(t, get(t, hc, "/v1.0/users?$select=id&$filter="+inFilter("id", ids)))
	if len(p.Value) != 3 || p.Value[0]["id"] != users[1].ID || p.Value[2]["id"] != users[7].ID {
		t.Fatalf("in filter: %v", p.Value) // in list order, matched in any case
	}
	upns := []string{users[0].UserPrincipalName, "nobody@contoso.onmicrosoft.com"}
	if p := readPage(t, get(t, hc, "/v1.0/users?$filter="+inFilter("userPrincipalName", upns))); len(p.Value) != 1 {
		t.Fatalf("UPN in filter: %v", p.Value)
	}
	eq := url.QueryEscape("userPrincipalName eq '" + strings.ToUpper(users[5].UserPrincipalName) + "'")
	if p := readPage(t, get(t, hc, "/v1.0/users?$filter="+eq)); len(p.Value) != 1 || p.Value[0]["id"] != users[5].ID {
		t.Fatalf("eq filter: %v", p.Value)
	}
	if p := readPage(t, get(t, hc, "/v1.0/users?$filter="+url.QueryEscape("id eq '"+users[9].ID+"'"))); len(p.Value) != 1 {
		t.Fatalf("id eq filter: %v", p.Value)
	}
	if st := s.Stats(); st.UserLookups != 4 || st.UserListings != 0 {
		t.Fatalf("lookups %d, listings %d", st.UserLookups, st.UserListings)
	}

	var sixteen []string
	for _, u := range users[:16] {
		sixteen = append(sixteen, u.ID)
	}
	wantStatus(t, get(t, hc, "/v1.0/users?$filter="+inFilter("id", sixteen[:15])), http.StatusOK)
	wantError(t, get(t, hc, "/v1.0/users?$filter="+inFilter("id", sixteen)), http.StatusBadRequest, "Request_UnsupportedQuery",
		"Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.")
	// The header alone, or $count alone, lifts nothing.
	wantError(t, do(t, hc, call{path: "/v1.0/users?$filter=" + inFilter("id", sixteen), header: map[string]string{"ConsistencyLevel": "eventual"}}),
		http.StatusBadRequest, "Request_UnsupportedQuery", "Max allowed: 15")

	// With advanced query parameters the limit is the URL's 2,048 characters.
	adv := map[string]string{"ConsistencyLevel": "eventual"}
	r := do(t, hc, call{path: "/v1.0/users?$count=true&$select=id&$filter=" + inFilter("id", sixteen), header: adv})
	if p := readPage(t, r); len(p.Value) != 16 || p.Count == nil || *p.Count != 16 {
		t.Fatalf("advanced in filter: %d users, count %v", len(p.Value), p.Count)
	}
	var many []string
	for _, u := range users {
		many = append(many, u.ID)
	}
	long := "/v1.0/users?$count=true&$filter=" + inFilter("id", many)
	wantError(t, do(t, hc, call{path: long, header: adv}), http.StatusBadRequest, "Request_BadRequest", "at most 2048")

	for expr, code := range map[string]string{
		"displayName eq 'x'":      "Request_UnsupportedQuery",
		"id in 'x'":               "BadRequest",
		"id eq 'x' or id eq 'y'":  "BadRequest",
		"id eq 'not-a-guid'":      "Request_BadRequest",
		"startswith(id,'a')":      "BadRequest",
		"userPrincipalName in ()": "BadRequest",
	} {
		r := get(t, hc, "/v1.0/users?$filter="+url.QueryEscape(expr))
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"code":"`+code+`"`) {
			t.Errorf("$filter=%s: %d %s, want 400 %s", expr, r.status, r.body, code)
		}
	}
	quote := url.QueryEscape("userPrincipalName eq 'o''brien@contoso.onmicrosoft.com'")
	if p := readPage(t, get(t, hc, "/v1.0/users?$filter="+quote)); len(p.Value) != 0 {
		t.Fatalf("quoted filter: %v", p.Value)
	}
}

func TestCountUsers(t *testing.T) {
	_, hc, users := newFake(t, 12)
	adv := map[string]string{"ConsistencyLevel": "eventual"}
	r := do(t, hc, call{path: "/v1.0/users/$count", header: adv})
	wantStatus(t, r, http.StatusOK)
	if string(r.body) != "12" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("count = %q (%s)", r.body, r.header.Get("Content-Type"))
	}
	r = do(t, hc, call{path: "/v1.0/users/$count?$filter=" + inFilter("id", []string{users[0].ID, users[1].ID}), header: adv})
	if string(r.body) != "2" {
		t.Fatalf("filtered count = %q", r.body)
	}
	wantError(t, get(t, hc, "/v1.0/users/$count"), http.StatusBadRequest, "Request_UnsupportedQuery",
		"Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing.")
	wantError(t, get(t, hc, "/v1.0/users?$count=true"), http.StatusBadRequest, "Request_UnsupportedQuery", "ConsistencyLevel")
	if p := readPage(t, do(t, hc, call{path: "/v1.0/users?$count=true&$top=5", header: adv})); *p.Count != 12 || len(p.Value) != 5 {
		t.Fatalf("count %v, %d users", p.Count, len(p.Value))
	}
}

func TestGetUserAndLicenseDetails(t *testing.T) {
	_, hc, users := newFake(t, 2,
		graphfake.WithHolder(tenant, "user00002@contoso.onmicrosoft.com", skuE3, []string{planYammer}),
		graphfake.WithGroupHolder(tenant, "user00002@contoso.onmicrosoft.com", skuE3, groupID, []string{planYammer, planSway}))
	u := users[1]
	for _, ref := range []string{u.ID, u.UserPrincipalName, strings.ToUpper(u.UserPrincipalName), url.PathEscape(u.UserPrincipalName)} {
		m := object(t, get(t, hc, "/v1.0/users/"+ref+"?$select=id,assignedLicenses,licenseAssignmentStates"))
		if m["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users(id,assignedLicenses,licenseAssignmentStates)/$entity" || m["id"] != u.ID {
			t.Fatalf("GET %s = %v", ref, m)
		}
		// Yammer is disabled on both paths, Sway only on the group's: Sway is on.
		al := m["assignedLicenses"].([]any)
		if len(al) != 1 || !reflect.DeepEqual(al[0].(map[string]any)["disabledPlans"], []any{planYammer}) {
			t.Fatalf("assignedLicenses = %v", al)
		}
		states := m["licenseAssignmentStates"].([]any)
		if len(states) != 2 || states[0].(map[string]any)["assignedByGroup"] != nil || states[1].(map[string]any)["assignedByGroup"] != groupID {
			t.Fatalf("licenseAssignmentStates = %v", states)
		}
	}
	m := object(t, get(t, hc, "/v1.0/users/"+u.ID))
	if _, has := m["assignedLicenses"]; has || m["userPrincipalName"] != u.UserPrincipalName || m["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users/$entity" {
		t.Fatalf("default GET = %v", m)
	}
	wantError(t, get(t, hc, "/v1.0/users/ghost@contoso.onmicrosoft.com"), http.StatusNotFound, "Request_ResourceNotFound",
		"Resource 'ghost@contoso.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present.")

	var details struct {
		Value []struct {
			SkuID         string `json:"skuId"`
			SkuPartNumber string `json:"skuPartNumber"`
			ServicePlans  []graphfake.ServicePlanInfo
		} `json:"value"`
	}
	if err := json.Unmarshal(get(t, hc, "/v1.0/users/"+u.ID+"/licenseDetails").body, &details); err != nil {
		t.Fatal(err)
	}
	if len(details.Value) != 1 || details.Value[0].SkuPartNumber != "ENTERPRISEPACK" {
		t.Fatalf("licenseDetails = %+v", details)
	}
	for _, p := range details.Value[0].ServicePlans {
		if want := map[bool]string{true: "Disabled", false: "Success"}[p.ServicePlanID == planYammer]; p.ProvisioningStatus != want {
			t.Errorf("plan %s is %s, want %s", p.ServicePlanName, p.ProvisioningStatus, want)
		}
	}
	wantError(t, get(t, hc, "/v1.0/users/"+users[0].ID+"x/licenseDetails"), http.StatusNotFound, "Request_ResourceNotFound", "does not exist")
}

func TestPatchUsageLocation(t *testing.T) {
	s, hc, users := newFake(t, 1)
	patch := func(body string) reply {
		return do(t, hc, call{method: http.MethodPatch, path: "/v1.0/users/" + users[0].UserPrincipalName, body: body})
	}
	r := patch(`{"usageLocation":"gb"}`)
	wantStatus(t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %s", r.body)
	}
	if u, _ := s.User(tenant, users[0].ID); u.UsageLocation != "GB" {
		t.Fatalf("usage location = %q, want GB", u.UsageLocation)
	}
	for _, bad := range []string{`{"usageLocation":"XX"}`, `{"usageLocation":"USA"}`, `{"usageLocation":7}`} {
		wantError(t, patch(bad), http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'.")
	}
	wantError(t, patch(`{"colour":"red"}`), http.StatusBadRequest, "BadRequest", "The property 'colour' does not exist on type 'microsoft.graph.user'.")
	wantError(t, patch(`{"id":"`+users[0].ID+`"}`), http.StatusBadRequest, "Request_BadRequest", "read-only")
	wantError(t, patch(`{`), http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload")
	wantError(t, do(t, hc, call{method: http.MethodPatch, path: "/v1.0/users/" + users[0].ID, body: `{"usageLocation":"FR"}`,
		header: map[string]string{"Content-Type": "text/plain"}}), http.StatusBadRequest, "BadRequest", "Content-Type")
	wantError(t, do(t, hc, call{method: http.MethodPatch, path: "/v1.0/users/nobody@x", body: `{"usageLocation":"FR"}`}),
		http.StatusNotFound, "Request_ResourceNotFound", "nobody@x")
	if u, _ := s.User(tenant, users[0].ID); u.UsageLocation != "GB" {
		t.Fatalf("a refused PATCH changed the usage location to %q", u.UsageLocation)
	}
	wantStatus(t, patch(`{"usageLocation":null,"displayName":"Ada","accountEnabled":false}`), http.StatusNoContent)
	if u, _ := s.User(tenant, users[0].ID); u.UsageLocation != "" || u.DisplayName != "Ada" || !u.Disabled {
		t.Fatalf("user = %+v", u)
	}
	if st := s.Stats(); st.UserUpdates != 2 || st.Applied != 2 || st.Patches != 10 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestAddUsersRules(t *testing.T) {
	s, hc, users := newFake(t, 2)
	more := graphfake.GenerateUsers(4, "fabrikam.onmicrosoft.com", 2)
	if err := s.AddUsers(tenant, more); err != nil {
		t.Fatal(err)
	}
	if p := readPage(t, get(t, hc, "/v1.0/users?$select=id")); len(p.Value) != 6 {
		t.Fatalf("%d users", len(p.Value))
	}
	renamed := users[0]
	renamed.DisplayName = "Renamed"
	if err := s.AddUsers(tenant, []graphfake.User{renamed}); err != nil {
		t.Fatal(err)
	}
	if p := readPage(t, get(t, hc, "/v1.0/users?$select=displayName")); len(p.Value) != 6 || p.Value[0]["displayName"] != "Renamed" {
		t.Fatalf("a known ID must replace in place: %v", p.Value)
	}
	for name, bad := range map[string][]graphfake.User{
		"no GUID":      {{ID: "u1", UserPrincipalName: "a@b"}},
		"no UPN":       {{ID: more[0].ID}},
		"bad location": {{ID: more[0].ID, UserPrincipalName: "a@b", UsageLocation: "ZZ"}},
		"UPN taken":    {{ID: "11111111-2222-4333-8444-555555555555", UserPrincipalName: users[1].UserPrincipalName}},
	} {
		if err := s.AddUsers(tenant, bad); err == nil {
			t.Errorf("%s: AddUsers accepted %+v", name, bad)
		}
	}
	if err := s.AddUsers(otherID, more); err == nil {
		t.Error("AddUsers accepted an unknown tenant")
	}
	gen := graphfake.GenerateUsers(3, "", 9)
	if !slices.Equal([]string{gen[0].UserPrincipalName, gen[0].DisplayName, gen[0].UsageLocation}, []string{"user00001@contoso.onmicrosoft.com", "User 00001", "US"}) ||
		!reflect.DeepEqual(gen, graphfake.GenerateUsers(3, "", 9)) || reflect.DeepEqual(gen, graphfake.GenerateUsers(3, "", 10)) {
		t.Fatalf("GenerateUsers = %+v", gen)
	}
}

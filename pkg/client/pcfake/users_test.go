package pcfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// wireLink, wireUser and wireUserPage mirror the users GET answer, decoded strictly.
type wireLink struct {
	URI     string `json:"uri"`
	Method  string `json:"method"`
	Headers []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"headers"`
}

type wireAttributes struct {
	ObjectType string `json:"objectType"`
}

type wireUser struct {
	ID                string         `json:"id"`
	UserPrincipalName string         `json:"userPrincipalName"`
	DisplayName       string         `json:"displayName"`
	UsageLocation     string         `json:"usageLocation"`
	State             string         `json:"state"`
	Attributes        wireAttributes `json:"attributes"`
}

type wireUserPage struct {
	TotalCount int        `json:"totalCount"`
	Items      []wireUser `json:"items"`
	Links      struct {
		Self wireLink  `json:"self"`
		Next *wireLink `json:"next"`
	} `json:"links"`
	Attributes wireAttributes `json:"attributes"`
}

type wireLicense struct {
	ProductSku   partnercenter.ProductSku    `json:"productSku"`
	ServicePlans []partnercenter.ServicePlan `json:"servicePlans"`
	Attributes   wireAttributes              `json:"attributes"`
}

type wireLicenses struct {
	TotalCount int            `json:"totalCount"`
	Items      []wireLicense  `json:"items"`
	Attributes wireAttributes `json:"attributes"`
}

func usersPath(customer, query string) string {
	p := "/v1/customers/" + url.PathEscape(customer) + "/users"
	if query != "" {
		p += "?" + query
	}
	return p
}

func licensesPath(customer, user, query string) string {
	p := "/v1/customers/" + url.PathEscape(customer) + "/users/" + url.PathEscape(user) + "/licenses"
	if query != "" {
		p += "?" + query
	}
	return p
}

// get sends an authorised GET with extra headers.
func get(t *testing.T, hc *http.Client, path string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, baseURL+path, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
}

func decodeStrict[T any](t *testing.T, r reply) T {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// followNext requests the page that link names: its URI below /v1, with its headers.
func followNext(t *testing.T, hc *http.Client, next *wireLink) reply {
	t.Helper()
	if next.Method != http.MethodGet {
		t.Fatalf("next method = %q, want GET", next.Method)
	}
	h := make(map[string]string)
	for _, kv := range next.Headers {
		h[kv.Key] = kv.Value
	}
	return get(t, hc, "/v1"+next.URI, h)
}

// nextToken returns the MS-ContinuationToken a next link carries.
func nextToken(t *testing.T, next *wireLink) string {
	t.Helper()
	if next == nil || len(next.Headers) != 1 || next.Headers[0].Key != "MS-ContinuationToken" || next.Headers[0].Value == "" {
		t.Fatalf("next link = %+v, want one MS-ContinuationToken header", next)
	}
	return next.Headers[0].Value
}

// listAll pages through a customer's users with size, returning each page.
func listAll(t *testing.T, hc *http.Client, customer string, size int) []wireUserPage {
	t.Helper()
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(customer, fmt.Sprintf("size=%d", size)), nil))
	pages := []wireUserPage{page}
	for page.Links.Next != nil {
		if len(pages) > 10000 {
			t.Fatal("more than 10000 pages: the links loop")
		}
		page = decodeStrict[wireUserPage](t, followNext(t, hc, page.Links.Next))
		pages = append(pages, page)
	}
	return pages
}

func TestUsersPagesThroughTheListInOrder(t *testing.T) {
	users := pcfake.GenerateUsers(7, "contoso.onmicrosoft.com", 1)
	users[2].UsageLocation = ""
	users[4].State = "inactive"
	users[5].State = "" // listed as active
	s, hc := newFake(t, pcfake.WithUsers(cust, users))

	pages := listAll(t, hc, cust, 3)
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3 (3, 3, 1 users)", len(pages))
	}
	wantSelf := "/customers/" + cust + "/users?size=3"
	var got []wireUser
	for i, p := range pages {
		wantN := []int{3, 3, 1}[i]
		if p.TotalCount != wantN || len(p.Items) != wantN {
			t.Fatalf("page %d: totalCount %d with %d items, want %d", i+1, p.TotalCount, len(p.Items), wantN)
		}
		if p.Attributes.ObjectType != "Collection" {
			t.Fatalf("page %d: objectType %q", i+1, p.Attributes.ObjectType)
		}
		if p.Links.Self.URI != wantSelf || p.Links.Self.Method != http.MethodGet || p.Links.Self.Headers == nil || len(p.Links.Self.Headers) != 0 {
			t.Fatalf("page %d: self = %+v, want %s, GET, no headers", i+1, p.Links.Self, wantSelf)
		}
		last := i == len(pages)-1
		if last != (p.Links.Next == nil) {
			t.Fatalf("page %d: next = %+v; want it on every page but the last", i+1, p.Links.Next)
		}
		if !last {
			if p.Links.Next.URI != wantSelf+"&seekOperation=Next" {
				t.Fatalf("page %d: next URI %q", i+1, p.Links.Next.URI)
			}
			nextToken(t, p.Links.Next)
		}
		got = append(got, p.Items...)
	}
	if tok1, tok2 := nextToken(t, pages[0].Links.Next), nextToken(t, pages[1].Links.Next); tok1 == tok2 {
		t.Fatalf("pages 1 and 2 carry the same token %q", tok1)
	}
	for i, u := range users {
		want := wireUser{
			ID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
			UsageLocation: u.UsageLocation, State: u.State, Attributes: wireAttributes{ObjectType: "CustomerUser"},
		}
		if i == 5 {
			want.State = "active"
		}
		if got[i] != want {
			t.Fatalf("user %d = %+v, want %+v", i+1, got[i], want)
		}
	}
	if st := s.Stats(); st.UserListings != 1 || st.UserPages != 3 {
		t.Fatalf("stats: %d listings, %d pages; want 1, 3", st.UserListings, st.UserPages)
	}
}

func TestUsersItemKeysAreCamelCase(t *testing.T) {
	_, hc := newFake(t, pcfake.WithUsers(cust, pcfake.GenerateUsers(2, "", 1)))
	r := get(t, hc, usersPath(cust, "size=1"), nil)
	wantStatus(t, r, http.StatusOK)
	var raw struct {
		TotalCount int               `json:"totalCount"`
		Items      []map[string]any  `json:"items"`
		Links      map[string]any    `json:"links"`
		Attributes map[string]string `json:"attributes"`
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range raw.Items[0] {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{"attributes", "displayName", "id", "state", "usageLocation", "userPrincipalName"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("item keys %v, want %v; body %s", keys, want, r.body)
	}
	for _, k := range []string{`"totalCount":1`, `"links":{"self":`, `"next":{"uri":`, `"headers":[{"key":"MS-ContinuationToken","value":"`} {
		if !strings.Contains(string(r.body), k) {
			t.Fatalf("body lacks %s: %s", k, r.body)
		}
	}
}

func TestUsersPageSizeDefaultAndCap(t *testing.T) {
	_, hc := newFake(t, pcfake.WithUsers(cust, pcfake.GenerateUsers(650, "contoso.onmicrosoft.com", 3)))

	first := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil))
	if first.TotalCount != 100 || first.Links.Self.URI != "/customers/"+cust+"/users?size=100" {
		t.Fatalf("no size: %d items, self %q; want 100, size=100", first.TotalCount, first.Links.Self.URI)
	}

	big := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "size=1000"), nil))
	if big.TotalCount != 500 || big.Links.Next == nil || !strings.Contains(big.Links.Next.URI, "size=500&") {
		t.Fatalf("size=1000: %d items, next %+v; want 500 and a next link with size=500", big.TotalCount, big.Links.Next)
	}
	rest := decodeStrict[wireUserPage](t, followNext(t, hc, big.Links.Next))
	if rest.TotalCount != 150 || rest.Links.Next != nil {
		t.Fatalf("page 2: %d items, next %+v; want the last 150", rest.TotalCount, rest.Links.Next)
	}
	if rest.Items[0].UserPrincipalName != "user00501@contoso.onmicrosoft.com" {
		t.Fatalf("page 2 starts at %s", rest.Items[0].UserPrincipalName)
	}

	// The whole list has exactly the users, none twice, with any page size.
	for _, size := range []int{1, 7, 100, 650, 651} {
		seen := make(map[string]bool)
		for _, p := range listAll(t, hc, cust, size) {
			for _, u := range p.Items {
				if seen[u.ID] {
					t.Fatalf("size %d: %s listed twice", size, u.UserPrincipalName)
				}
				seen[u.ID] = true
			}
		}
		if len(seen) != 650 {
			t.Fatalf("size %d: %d users listed, want 650", size, len(seen))
		}
	}
}

func TestUsersRefusesBadPagingRequests(t *testing.T) {
	other := "7b7d7f9c-5c43-4d7e-9a4e-3f1f0a2b6c11"
	skus := sampleSkus(t)
	s, hc := newFake(t,
		pcfake.WithUsers(cust, pcfake.GenerateUsers(5, "contoso.onmicrosoft.com", 1)),
		pcfake.WithCustomer(other, skus),
		pcfake.WithUsers(other, pcfake.GenerateUsers(5, "fabrikam.onmicrosoft.com", 1)),
	)
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "size=2"), nil))
	token := nextToken(t, page.Links.Next)
	otherPage := decodeStrict[wireUserPage](t, get(t, hc, usersPath(other, "size=2"), nil))
	otherToken := nextToken(t, otherPage.Links.Next)

	// A token of another Server, for the same customer, list and offset.
	foreign := pcfake.New(pcfake.WithCustomer(cust, skus), pcfake.WithUsers(cust, pcfake.GenerateUsers(5, "contoso.onmicrosoft.com", 1)))
	fhc := &http.Client{Transport: foreign.Transport()}
	foreignPage := decodeStrict[wireUserPage](t, get(t, fhc, usersPath(cust, "size=2"), nil))
	foreignToken := nextToken(t, foreignPage.Links.Next)

	// The first character carries six whole bits of the token.
	tampered := []byte(token)
	if tampered[0] == 'A' {
		tampered[0] = 'B'
	} else {
		tampered[0] = 'A'
	}
	next := usersPath(cust, "size=2&seekOperation=Next")
	tests := map[string]struct {
		path  string
		token string
	}{
		"next without token":         {next, ""},
		"next with a blank token":    {next, "   "},
		"next with garbage":          {next, "not-a-token"},
		"next with a tampered token": {next, string(tampered)},
		"next with another customer": {next, otherToken},
		"next with a foreign server": {next, foreignToken},
		"size zero":                  {usersPath(cust, "size=0"), ""},
		"size negative":              {usersPath(cust, "size=-3"), ""},
		"size not a number":          {usersPath(cust, "size=ten"), ""},
		"seek previous":              {usersPath(cust, "size=2&seekOperation=Previous"), token},
	}
	before := s.Stats()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := map[string]string{}
			if tc.token != "" {
				h["MS-ContinuationToken"] = tc.token
			}
			e := wantError(t, get(t, hc, tc.path, h), http.StatusBadRequest, "800002")
			if tok := strings.TrimSpace(tc.token); tok != "" && strings.Contains(e.Description, tok) {
				t.Fatalf("description repeats the token: %s", e.Description)
			}
			if strings.HasPrefix(name, "next") && !strings.Contains(e.Description, "MS-ContinuationToken") {
				t.Fatalf("description %q does not name the MS-ContinuationToken header", e.Description)
			}
			if strings.HasPrefix(name, "next with") && strings.TrimSpace(tc.token) == "" && !strings.Contains(e.Description, "needs") {
				t.Fatalf("description %q does not say the header is needed", e.Description)
			}
		})
	}
	if st := s.Stats(); st.UserListings != before.UserListings || st.UserPages != before.UserPages {
		t.Fatalf("refused requests counted: %+v -> %+v", before, st)
	}

	// The genuine token works, with the query's names in another case, and a token
	// without seekOperation=Next is ignored: the first page again.
	p2 := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "Size=2&SeekOperation=next"), map[string]string{"MS-ContinuationToken": token}))
	if p2.Items[0].ID != pcfake.GenerateUsers(5, "contoso.onmicrosoft.com", 1)[2].ID {
		t.Fatalf("page 2 starts with %s", p2.Items[0].UserPrincipalName)
	}
	p1 := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "size=2"), map[string]string{"MS-ContinuationToken": token}))
	if p1.Items[0].ID != page.Items[0].ID {
		t.Fatalf("without seekOperation the answer starts with %s, want the first user", p1.Items[0].UserPrincipalName)
	}
}

func TestUsersOfCustomerWithoutListOrUnknown(t *testing.T) {
	s, hc := newFake(t)
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil))
	if page.TotalCount != 0 || page.Items == nil || len(page.Items) != 0 || page.Links.Next != nil {
		t.Fatalf("customer without a list: %+v, want an empty collection without next", page)
	}
	wantError(t, get(t, hc, usersPath("11111111-2222-4333-8444-555555555555", ""), nil), http.StatusNotFound, "60003")
	if st := s.Stats(); st.UserListings != 1 || st.UserPages != 1 {
		t.Fatalf("stats: %d listings, %d pages; want 1, 1", st.UserListings, st.UserPages)
	}
}

func TestUserListingsCountOnePerCustomerListing(t *testing.T) {
	other := "7b7d7f9c-5c43-4d7e-9a4e-3f1f0a2b6c11"
	s, hc := newFake(t,
		pcfake.WithUsers(cust, pcfake.GenerateUsers(9, "contoso.onmicrosoft.com", 1)),
		pcfake.WithCustomer(other, sampleSkus(t)),
		pcfake.WithUsers(other, pcfake.GenerateUsers(4, "fabrikam.onmicrosoft.com", 2)),
		pcfake.WithRequestLog(),
	)
	listAll(t, hc, cust, 4)  // 3 pages
	listAll(t, hc, other, 4) // 1 page
	st := s.Stats()
	if st.UserListings != 2 || st.UserPages != 4 || st.Gets != 4 {
		t.Fatalf("stats: %d listings, %d pages, %d GETs; want 2, 4, 4", st.UserListings, st.UserPages, st.Gets)
	}
	per := map[string]int{}
	for _, r := range s.Requests() {
		per[r.Customer]++
	}
	if per[cust] != 3 || per[other] != 1 {
		t.Fatalf("requests per customer %v", per)
	}
}

func TestAssignmentNeedsUsageLocation(t *testing.T) {
	users := []pcfake.User{
		{ID: "2a4c6e8f-1b3d-4f5a-8c7e-9d0b1a2c3e4f", UserPrincipalName: "nolocation@contoso.onmicrosoft.com", UsageLocation: "", State: "active"},
		{ID: "3b5d7f9a-2c4e-4a6b-9d8f-0e1c2b3d4f5a", UserPrincipalName: "blank@contoso.onmicrosoft.com", UsageLocation: "  ", State: "active"},
		{ID: "4c6e8a0b-3d5f-4b7c-8e9a-1f2d3c4e5a6b", UserPrincipalName: "ok@contoso.onmicrosoft.com", UsageLocation: "DE", State: "active"},
	}
	s, hc := newFake(t,
		pcfake.WithUsers(cust, users),
		pcfake.WithHolder(cust, users[0].ID, skuE3), // seeding is not checked
	)
	wantUnits(t, s, skuE5, 5500, 500)
	wantUnits(t, s, skuE3, 4799, 1201)

	for name, tc := range map[string]struct {
		user string
		upd  partnercenter.LicenseUpdate
	}{
		"assign by UPN":      {users[0].UserPrincipalName, assign(skuE5)},
		"assign by ID":       {strings.ToUpper(users[0].ID), assign(skuE5)},
		"blank location":     {users[1].UserPrincipalName, assign(skuE5)},
		"swap keeps nothing": {users[0].UserPrincipalName, swap(skuE3, skuE5)},
		"reassign held SKU":  {users[0].ID, assign(skuE3)},
	} {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, postUpdate(t, hc, tc.user, "", tc.upd), http.StatusBadRequest, "800002")
			if e.Description != "License assignment cannot be done for user with invalid usage location." {
				t.Fatalf("description %q", e.Description)
			}
			if !reflect.DeepEqual(e.Data, []string{tc.user}) {
				t.Fatalf("data %v, want the user", e.Data)
			}
		})
	}
	// Nothing was applied.
	wantUnits(t, s, skuE5, 5500, 500)
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := s.Holdings(cust); len(got) != 1 || !reflect.DeepEqual(got[users[0].ID], map[string][]string{skuE3: nil}) {
		t.Fatalf("holdings %v, want only the seeded E3", got)
	}
	if st := s.Stats(); st.Applied != 0 {
		t.Fatalf("%d applied", st.Applied)
	}

	// A user with a location is assigned; a removal needs no location.
	wantStatus(t, postUpdate(t, hc, users[2].UserPrincipalName, "", assign(skuE5)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, users[0].UserPrincipalName, "", remove(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE5, 5499, 501)
	wantUnits(t, s, skuE3, 4800, 1200)
}

func TestAssignmentRefusedForInactiveUser(t *testing.T) {
	users := pcfake.GenerateUsers(2, "contoso.onmicrosoft.com", 5)
	users[0].State = "Inactive"
	users[0].UsageLocation = "" // the state is reported first
	s, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithHolder(cust, users[0].UserPrincipalName, skuE3))

	e := wantError(t, postUpdate(t, hc, users[0].UserPrincipalName, "", swap(skuE3, skuE5)), http.StatusBadRequest, "800002")
	if !strings.Contains(e.Description, "inactive user") || !reflect.DeepEqual(e.Data, []string{users[0].UserPrincipalName}) {
		t.Fatalf("answer %+v, want one naming an inactive user", e)
	}
	wantUnits(t, s, skuE5, 5500, 500)
	wantUnits(t, s, skuE3, 4799, 1201)

	// Removing is allowed; the active user is assigned.
	wantStatus(t, postUpdate(t, hc, users[0].ID, "", remove(skuE3)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, users[1].ID, "", assign(skuE5)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuE5, 5499, 501)

	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil))
	if page.Items[0].State != "Inactive" || page.Items[1].State != "active" {
		t.Fatalf("states %q, %q", page.Items[0].State, page.Items[1].State)
	}
}

func TestUserLicensesFollowTheLedger(t *testing.T) {
	users := pcfake.GenerateUsers(3, "contoso.onmicrosoft.com", 9)
	s, hc := newFake(t, pcfake.WithUsers(cust, users))
	catalogue := decodeSkus(t, getSkus(t, hc, ""))
	bySku := map[string]partnercenter.SubscribedSku{}
	for _, it := range catalogue.Items {
		bySku[it.ProductSku.ID] = it
	}
	licenses := func(user, query string) wireLicenses {
		t.Helper()
		return decodeStrict[wireLicenses](t, get(t, hc, licensesPath(cust, user, query), nil))
	}
	skuIDs := func(l wireLicenses) []string {
		var ids []string
		for _, it := range l.Items {
			ids = append(ids, it.ProductSku.ID)
		}
		return ids
	}
	both := "licenseGroupIds=Group1&licenseGroupIds=Group2"

	u := users[0]
	if l := licenses(u.ID, both); l.TotalCount != 0 || l.Items == nil || len(l.Items) != 0 || l.Attributes.ObjectType != "Collection" {
		t.Fatalf("before any assignment: %+v", l)
	}

	withExcluded := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE3, ExcludedPlans: []string{strings.ToUpper(planSway), planYammer}}}}
	wantStatus(t, postUpdate(t, hc, u.UserPrincipalName, "", withExcluded), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, u.ID, "", assign(skuMinecraft)), http.StatusCreated)

	l := licenses(u.UserPrincipalName, both)
	if l.TotalCount != 2 || !reflect.DeepEqual(skuIDs(l), []string{skuMinecraft, skuE3}) && !reflect.DeepEqual(skuIDs(l), []string{skuE3, skuMinecraft}) {
		t.Fatalf("both groups: %v (totalCount %d), want E3 and Minecraft", skuIDs(l), l.TotalCount)
	}
	for _, it := range l.Items {
		sku := bySku[it.ProductSku.ID]
		if it.ProductSku != sku.ProductSku || it.Attributes.ObjectType != "License" {
			t.Fatalf("license %+v, want the catalogue's productSku %+v and objectType License", it, sku.ProductSku)
		}
		want := sku.ServicePlans
		if it.ProductSku.ID == skuE3 {
			want = slices.DeleteFunc(slices.Clone(sku.ServicePlans), func(p partnercenter.ServicePlan) bool {
				return p.ID == planSway || p.ID == planYammer
			})
			if len(want) != len(sku.ServicePlans)-2 {
				t.Fatalf("the sample E3 lacks Sway or Yammer")
			}
		}
		if !reflect.DeepEqual(it.ServicePlans, want) && !(len(it.ServicePlans) == 0 && len(want) == 0) {
			t.Fatalf("plans of %s = %+v, want %+v", it.ProductSku.ID, it.ServicePlans, want)
		}
	}

	// No licenseGroupIds: group1 only, as the service's default; Group2 alone: Minecraft.
	if got := skuIDs(licenses(u.ID, "")); !reflect.DeepEqual(got, []string{skuE3}) {
		t.Fatalf("default groups: %v, want E3 only", got)
	}
	if got := skuIDs(licenses(u.ID, "licenseGroupIds=Group2")); !reflect.DeepEqual(got, []string{skuMinecraft}) {
		t.Fatalf("Group2: %v, want Minecraft only", got)
	}

	// Reassigning with every plan brings the plans back; a swap and a removal show.
	wantStatus(t, postUpdate(t, hc, u.ID, "", assign(skuE3)), http.StatusCreated)
	if l := licenses(u.ID, ""); len(l.Items) != 1 || len(l.Items[0].ServicePlans) != len(bySku[skuE3].ServicePlans) {
		t.Fatalf("after reassigning every plan: %+v", l)
	}
	wantStatus(t, postUpdate(t, hc, u.ID, "", swap(skuE3, skuE5)), http.StatusCreated)
	if got := skuIDs(licenses(u.ID, "")); !reflect.DeepEqual(got, []string{skuE5}) {
		t.Fatalf("after the swap: %v, want E5", got)
	}
	wantStatus(t, postUpdate(t, hc, u.ID, "", remove(skuE5)), http.StatusCreated)
	if got := skuIDs(licenses(u.ID, both)); !reflect.DeepEqual(got, []string{skuMinecraft}) {
		t.Fatalf("after removing E5: %v, want Minecraft", got)
	}
	// Another user holds nothing.
	if got := licenses(users[1].UserPrincipalName, both); got.TotalCount != 0 {
		t.Fatalf("other user: %+v", got)
	}
	if st := s.Stats(); st.UserLicenseLookups != 8 {
		t.Fatalf("%d license lookups counted, want 8", st.UserLicenseLookups)
	}
}

func TestUserLicensesErrors(t *testing.T) {
	s, hc := newFake(t, pcfake.WithUsers(cust, pcfake.GenerateUsers(1, "contoso.onmicrosoft.com", 1)), pcfake.WithRequestLog())
	e := wantError(t, get(t, hc, licensesPath(cust, "mallory@contoso.onmicrosoft.com", ""), nil), http.StatusNotFound, "60002")
	if !reflect.DeepEqual(e.Data, []string{"mallory@contoso.onmicrosoft.com"}) {
		t.Fatalf("data %v", e.Data)
	}
	wantError(t, get(t, hc, licensesPath("11111111-2222-4333-8444-555555555555", "u", ""), nil), http.StatusNotFound, "60003")
	wantError(t, get(t, hc, licensesPath(cust, "user00001@contoso.onmicrosoft.com", "licenseGroupIds=Group3"), nil), http.StatusBadRequest, "800002")
	if st := s.Stats(); st.UserLicenseLookups != 0 {
		t.Fatalf("%d refused lookups counted", st.UserLicenseLookups)
	}

	// Without a user list every user exists and holds what the ledger says.
	s2, hc2 := newFake(t, pcfake.WithRequestLog())
	wantStatus(t, do(t, hc2, call{method: http.MethodPost, path: updatesPath(cust, "anyone@contoso.com"), body: mustJSON(t, assign(skuE3))}), http.StatusCreated)
	l := decodeStrict[wireLicenses](t, get(t, hc2, licensesPath(cust, "ANYONE@contoso.com", ""), nil))
	if l.TotalCount != 1 || l.Items[0].ProductSku.ID != skuE3 {
		t.Fatalf("licenses without a user list: %+v", l)
	}
	reqs := s2.Requests()
	last := reqs[len(reqs)-1]
	if last.User != "ANYONE@contoso.com" || !reflect.DeepEqual(last.Groups, []string{"group1"}) {
		t.Fatalf("logged %+v, want the user and the default group1", last)
	}
}

func TestAddUsersAfterConstruction(t *testing.T) {
	s, hc := newFake(t)
	// Before: every user exists.
	wantStatus(t, postUpdate(t, hc, "early@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusCreated)

	users := pcfake.GenerateUsers(3, "contoso.onmicrosoft.com", 2)
	users[1].UsageLocation = ""
	if err := s.AddUsers(strings.ToUpper(cust), users); err != nil {
		t.Fatal(err)
	}
	// After: only listed users exist, and the checks apply.
	wantError(t, postUpdate(t, hc, "late@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusNotFound, "60002")
	wantError(t, postUpdate(t, hc, users[1].UserPrincipalName, "", assign(skuE3)), http.StatusBadRequest, "800002")
	wantStatus(t, postUpdate(t, hc, users[0].UserPrincipalName, "", assign(skuE3)), http.StatusCreated)

	// The same user again replaces the entry in its place; new users go at the end.
	fixed := users[1]
	fixed.UsageLocation = "FR"
	fixed.UserPrincipalName = "renamed@contoso.onmicrosoft.com"
	more := pcfake.GenerateUsers(4, "contoso.onmicrosoft.com", 2)[3:]
	if err := s.AddUsers(cust, append([]pcfake.User{fixed}, more...)); err != nil {
		t.Fatal(err)
	}
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil))
	var upns []string
	for _, u := range page.Items {
		upns = append(upns, u.UserPrincipalName)
	}
	want := []string{users[0].UserPrincipalName, "renamed@contoso.onmicrosoft.com", users[2].UserPrincipalName, more[0].UserPrincipalName}
	if !reflect.DeepEqual(upns, want) || page.Items[1].UsageLocation != "FR" {
		t.Fatalf("list %v (second at %q), want %v with FR", upns, page.Items[1].UsageLocation, want)
	}
	wantError(t, postUpdate(t, hc, users[1].UserPrincipalName, "", assign(skuE3)), http.StatusNotFound, "60002")
	wantStatus(t, postUpdate(t, hc, "renamed@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusCreated)

	// Errors add no one.
	if err := s.AddUsers("11111111-2222-4333-8444-555555555555", users); err == nil {
		t.Fatal("no error for an unknown customer")
	}
	bad := []pcfake.User{{ID: "5d7f9b1c-4e6a-4c8d-9f0b-2a3e4d5f6a7b", UserPrincipalName: "fine@contoso.onmicrosoft.com", UsageLocation: "US"}, {UserPrincipalName: "noid@contoso.onmicrosoft.com"}}
	err := s.AddUsers(cust, bad)
	if err == nil || !strings.Contains(err.Error(), "noid@contoso.onmicrosoft.com") {
		t.Fatalf("error %v, want one naming the user without an ID", err)
	}
	wantError(t, postUpdate(t, hc, "fine@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusNotFound, "60002")
	if n := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil)).TotalCount; n != 4 {
		t.Fatalf("%d users listed after a refused AddUsers, want 4", n)
	}
}

func TestGenerateUsers(t *testing.T) {
	a := pcfake.GenerateUsers(1200, "fabrikam.com", 42)
	b := pcfake.GenerateUsers(1200, "fabrikam.com", 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same arguments gave different users")
	}
	c := pcfake.GenerateUsers(1200, "fabrikam.com", 43)
	ids := make(map[string]bool, len(a))
	for i, u := range a {
		id, err := uuid.Parse(u.ID)
		if err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 || id.String() != u.ID {
			t.Fatalf("user %d ID %q is not a lower-case version 4 GUID (%v)", i+1, u.ID, err)
		}
		if ids[u.ID] {
			t.Fatalf("ID %s repeats", u.ID)
		}
		ids[u.ID] = true
		if c[i].ID == u.ID {
			t.Fatalf("seeds 42 and 43 gave user %d the same ID", i+1)
		}
		num := fmt.Sprintf("%05d", i+1)
		want := pcfake.User{ID: u.ID, UserPrincipalName: "user" + num + "@fabrikam.com", DisplayName: "User " + num, UsageLocation: "US", State: "active"}
		if u != want || c[i].UserPrincipalName != want.UserPrincipalName {
			t.Fatalf("user %d = %+v, want %+v", i+1, u, want)
		}
	}
	// A prefix: the first users do not depend on n.
	if !reflect.DeepEqual(pcfake.GenerateUsers(10, "fabrikam.com", 42), a[:10]) {
		t.Fatal("GenerateUsers(10) is not the start of GenerateUsers(1200)")
	}
	if got := pcfake.GenerateUsers(1, "", 1)[0].UserPrincipalName; got != "user00001@contoso.onmicrosoft.com" {
		t.Fatalf("empty domain: %s", got)
	}
	if got := pcfake.GenerateUsers(0, "fabrikam.com", 1); got != nil {
		t.Fatalf("n=0: %v", got)
	}
	if got := pcfake.GenerateUsers(100000, "x.com", 1)[99999].UserPrincipalName; got != "user100000@x.com" {
		t.Fatalf("user 100000: %s", got)
	}
}

func ExampleGenerateUsers() {
	users := pcfake.GenerateUsers(4, "contoso.onmicrosoft.com", 1)
	users[2].UsageLocation = "" // never given a usage location: assignments are refused
	users[3].State = "inactive" // deleted: assignments are refused
	fake := pcfake.New(
		pcfake.WithCustomer(pcfake.DefaultCustomerID, nil),
		pcfake.WithUsers(pcfake.DefaultCustomerID, users),
	)
	_ = fake
	for _, u := range users {
		fmt.Printf("%s %q %s\n", u.UserPrincipalName, u.UsageLocation, u.State)
	}
	// Output:
	// user00001@contoso.onmicrosoft.com "US" active
	// user00002@contoso.onmicrosoft.com "US" active
	// user00003@contoso.onmicrosoft.com "" active
	// user00004@contoso.onmicrosoft.com "US" inactive
}

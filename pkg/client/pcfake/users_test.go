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
	// Deleted users listed among the others, as some say the service does.
	s, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithDeletedUsersInListing())

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
	foreign := mustNew(t, pcfake.WithCustomer(cust, skus), pcfake.WithUsers(cust, pcfake.GenerateUsers(5, "contoso.onmicrosoft.com", 1)))
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

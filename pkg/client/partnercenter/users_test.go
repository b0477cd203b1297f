package partnercenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

const (
	usersPath = "/v1/customers/" + testCustomer + "/users"
	// continuationHeader is the header Partner Center's next links ask for.
	continuationHeader = "MS-ContinuationToken"
)

// userPager serves GET .../users a page at a time: the page is chosen by the
// MS-ContinuationToken header ("" for the first page), so a client that does not send
// the token a next link asks for never gets past page 1.
type userPager struct {
	mu sync.Mutex
	// pages maps a continuation token to the answer's body; a missing token is a 400.
	pages map[string]string
	// fail, when set, may answer a request itself (n counts requests from 0) and
	// reports whether it did.
	fail     func(n int, w http.ResponseWriter, r *http.Request) bool
	requests []pageRequest
}

type pageRequest struct {
	token     []string // the MS-ContinuationToken values sent
	requestID string
	header    http.Header
	url       *url.URL
}

func (p *userPager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	n := len(p.requests)
	p.requests = append(p.requests, pageRequest{
		token:     r.Header.Values(continuationHeader),
		requestID: r.Header.Get("MS-RequestId"),
		header:    r.Header.Clone(),
		url:       r.URL,
	})
	body, ok := p.pages[r.Header.Get(continuationHeader)]
	p.mu.Unlock()
	if p.fail != nil && p.fail(n, w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":800002,"description":"unknown continuation token"}`)
		return
	}
	fmt.Fprint(w, body)
}

func (p *userPager) recorded() []pageRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pageRequest(nil), p.requests...)
}

// usersBody is a page of users in the API's camelCase; next is the links.next object as
// JSON, or "" for the last page.
func usersBody(next string, users ...User) string {
	items, err := json.Marshal(users)
	if err != nil {
		panic(err)
	}
	links := `{"self":{"uri":"/customers/` + testCustomer + `/users?size=2","method":"GET","headers":[]}`
	if next != "" {
		links += `,"next":` + next
	}
	links += "}"
	return fmt.Sprintf(`{"totalCount":%d,"items":%s,"links":%s,"attributes":{"objectType":"Collection"}}`,
		len(users), items, links)
}

// nextLink is a links.next object asking for uri with the continuation token.
func nextLink(uri, token string) string {
	return fmt.Sprintf(`{"uri":%q,"method":"GET","headers":[{"key":%q,"value":%q}]}`, uri, continuationHeader, token)
}

// testUsers are five users, two a page.
func testUsers() []User {
	var us []User
	for i := 1; i <= 5; i++ {
		us = append(us, User{
			ID:                fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i),
			UserPrincipalName: fmt.Sprintf("user%d@contoso.com", i),
			DisplayName:       fmt.Sprintf("User %d", i),
			UsageLocation:     "US",
			State:             "active",
			Attributes:        &Attributes{ObjectType: "CustomerUser"},
		})
	}
	return us
}

// threePages is a pager whose page 1 links page 2 with a URI relative to /v1, and page
// 2 links page 3 with an absolute /v1/ path.
func threePages() *userPager {
	us := testUsers()
	return &userPager{pages: map[string]string{
		"":        usersBody(nextLink("/customers/"+testCustomer+"/users?size=2&seekOperation=Next", "token-2"), us[0:2]...),
		"token-2": usersBody(nextLink("/v1/customers/"+testCustomer+"/users?size=2&seekOperation=Next", "token-3"), us[2:4]...),
		"token-3": usersBody("", us[4]),
	}}
}

func TestListUsersFollowsNextLinks(t *testing.T) {
	c, mux, _ := setup(t)
	pager := threePages()
	mux.Handle(usersPath, pager)

	users, resp, err := c.AllUsers(context.Background(), testCustomer, 2)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if want := testUsers(); !reflect.DeepEqual(users, want) {
		t.Errorf("users:\n got %+v\nwant %+v", users, want)
	}
	reqs := pager.recorded()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	wantTokens := [][]string{nil, {"token-2"}, {"token-3"}}
	ids := map[string]bool{}
	for i, r := range reqs {
		if !reflect.DeepEqual(r.token, wantTokens[i]) {
			t.Errorf("page %d: %s = %q, want %q", i+1, continuationHeader, r.token, wantTokens[i])
		}
		if r.url.Path != usersPath {
			t.Errorf("page %d: path %q, want %q", i+1, r.url.Path, usersPath)
		}
		if got := r.url.Query().Get("size"); got != "2" {
			t.Errorf("page %d: size = %q, want 2", i+1, got)
		}
		if i > 0 && r.url.Query().Get("seekOperation") != "Next" {
			t.Errorf("page %d: query %q lost the next link's seekOperation", i+1, r.url.RawQuery)
		}
		if got := r.header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("page %d: Authorization = %q", i+1, got)
		}
		if got := r.header.Get("MS-CorrelationId"); got != testCorrelationID {
			t.Errorf("page %d: MS-CorrelationId = %q", i+1, got)
		}
		if r.requestID == "" || ids[r.requestID] {
			t.Errorf("page %d: MS-RequestId %q is empty or reused; want one per page", i+1, r.requestID)
		}
		ids[r.requestID] = true
	}
	if resp.Attempts != 3 {
		t.Errorf("Attempts = %d, want 3 (one per page)", resp.Attempts)
	}
	if resp.RequestID != reqs[2].requestID || resp.StatusCode != http.StatusOK {
		t.Errorf("client.Response = %+v, want the last page's (request ID %s, 200)", resp, reqs[2].requestID)
	}
}

func TestListUsersDefaultPageSize(t *testing.T) {
	c, mux, _ := setup(t)
	pager := &userPager{pages: map[string]string{"": usersBody("", testUsers()[0])}}
	mux.Handle(usersPath, pager)
	if _, _, err := c.AllUsers(context.Background(), testCustomer, 0); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	reqs := pager.recorded()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if got := reqs[0].url.RawQuery; got != "size=500" {
		t.Errorf("query = %q, want size=500", got)
	}
}

func TestListUsersEmptyCustomer(t *testing.T) {
	c, mux, _ := setup(t)
	pager := &userPager{pages: map[string]string{
		"": `{"totalCount":0,"items":[],"links":{"self":{"uri":"/customers/` + testCustomer +
			`/users?size=500","method":"GET","headers":[]}},"attributes":{"objectType":"Collection"}}`,
	}}
	mux.Handle(usersPath, pager)
	users, resp, err := c.AllUsers(context.Background(), testCustomer, 0)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if users == nil || len(users) != 0 {
		t.Errorf("users = %#v, want an empty, non-nil slice", users)
	}
	if n := len(pager.recorded()); n != 1 || resp.Attempts != 1 {
		t.Errorf("%d requests, %d attempts; want 1 and 1", n, resp.Attempts)
	}
}

func TestListUsersRetriesAPageWithItsRequestID(t *testing.T) {
	c, mux, _ := setup(t)
	pager := threePages()
	pager.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 1 { // the first attempt at page 2
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	mux.Handle(usersPath, pager)

	users, resp, err := c.AllUsers(context.Background(), testCustomer, 2)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != 5 {
		t.Errorf("%d users, want 5", len(users))
	}
	reqs := pager.recorded()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4 (page 2 twice)", len(reqs))
	}
	if reqs[1].requestID != reqs[2].requestID {
		t.Errorf("page 2 retried with request ID %s, first sent %s; want the same", reqs[2].requestID, reqs[1].requestID)
	}
	if !reflect.DeepEqual(reqs[2].token, []string{"token-2"}) {
		t.Errorf("page 2 retry sent %s %q, want token-2", continuationHeader, reqs[2].token)
	}
	if reqs[0].requestID == reqs[1].requestID || reqs[3].requestID == reqs[1].requestID || reqs[0].requestID == reqs[3].requestID {
		t.Errorf("request IDs %s, %s, %s: want one per page", reqs[0].requestID, reqs[1].requestID, reqs[3].requestID)
	}
	if resp.Attempts != 4 {
		t.Errorf("Attempts = %d, want 4 (summed over pages)", resp.Attempts)
	}
}

func TestListUsersFailingPage(t *testing.T) {
	c, mux, _ := setup(t)
	pager := threePages()
	pager.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n >= 1 {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"code":20002,"description":"no relationship"}`)
			return true
		}
		return false
	}
	mux.Handle(usersPath, pager)
	users, resp, err := c.AllUsers(context.Background(), testCustomer, 2)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden || apiErr.Op != opListUsers {
		t.Fatalf("err = %v, want a 403 *client.APIError of %q", err, opListUsers)
	}
	if users != nil {
		t.Errorf("users = %+v, want nil on an error", users)
	}
	reqs := pager.recorded()
	if resp.RequestID != reqs[1].requestID || apiErr.RequestID != reqs[1].requestID {
		t.Errorf("client.Response and error name request %s / %s, want page 2's %s", resp.RequestID, apiErr.RequestID, reqs[1].requestID)
	}
	if resp.Attempts != 2 || apiErr.Attempts != 1 {
		t.Errorf("client.Response.Attempts = %d (want 2, all pages), client.APIError.Attempts = %d (want 1, the page)", resp.Attempts, apiErr.Attempts)
	}
}

func TestListUsersErrorTextsHideTheContinuation(t *testing.T) {
	c, mux, _ := setup(t)
	us := testUsers()
	pager := &userPager{pages: map[string]string{
		"": usersBody(nextLink("/customers/"+testCustomer+"/users?size=2&seek=SEEKVALUE", "TOKENVALUE"), us[0]),
	}}
	pager.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n >= 1 {
			panic(http.ErrAbortHandler) // drop the connection: no answer at all
		}
		return false
	}
	mux.Handle(usersPath, pager)
	_, resp, err := c.AllUsers(context.Background(), testCustomer, 2)
	var te *client.TransportError
	if !errors.As(err, &te) || te.Op != opListUsers {
		t.Fatalf("err = %v, want a *client.TransportError of %q", err, opListUsers)
	}
	for _, s := range []string{"SEEKVALUE", "TOKENVALUE"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error text leaks %s: %v", s, err)
		}
	}
	assertNoSecret(t, err)
	if want := 1 + noWaitPolicy.MaxAttempts; resp.Attempts != want {
		t.Errorf("Attempts = %d, want %d", resp.Attempts, want)
	}
}

func TestListUsersFullURLOnTheSameHost(t *testing.T) {
	c, mux, srvURL := setup(t)
	us := testUsers()
	pager := &userPager{pages: map[string]string{
		"":        usersBody(nextLink(srvURL+"/v1/customers/"+testCustomer+"/users?size=2&seekOperation=Next", "token-2"), us[0]),
		"token-2": usersBody("", us[1]),
	}}
	mux.Handle(usersPath, pager)
	users, _, err := c.AllUsers(context.Background(), testCustomer, 2)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if !reflect.DeepEqual(users, us[0:2]) {
		t.Errorf("users = %+v, want the first two", users)
	}
}

func TestListUsersRefusesAnotherHost(t *testing.T) {
	var foreign sync.Mutex
	foreignHits := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Lock()
		foreignHits++
		foreign.Unlock()
		fmt.Fprint(w, usersBody(""))
	}))
	t.Cleanup(other.Close)

	c, mux, _ := setup(t)
	pager := &userPager{pages: map[string]string{
		"": usersBody(nextLink(other.URL+"/v1/customers/"+testCustomer+"/users?seek=SEEKVALUE", "TOKENVALUE"), testUsers()[0]),
	}}
	mux.Handle(usersPath, pager)
	users, resp, err := c.AllUsers(context.Background(), testCustomer, 2)
	if !errors.Is(err, errForeignNextLink) {
		t.Fatalf("err = %v, want errForeignNextLink", err)
	}
	if users != nil {
		t.Errorf("users = %+v, want nil", users)
	}
	foreign.Lock()
	defer foreign.Unlock()
	if foreignHits != 0 {
		t.Errorf("the other host got %d requests, want none", foreignHits)
	}
	if !strings.Contains(err.Error(), resp.RequestID) || !strings.Contains(err.Error(), "page 1") {
		t.Errorf("error %q should name page 1 and its request ID %s", err, resp.RequestID)
	}
	for _, s := range []string{"SEEKVALUE", "TOKENVALUE"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error text leaks %s: %v", s, err)
		}
	}
}

func TestResolveLink(t *testing.T) {
	const cust = "/customers/" + testCustomer + "/users"
	tests := []struct {
		base, uri string
		want      string // "" when refused
		wantErr   error
	}{
		{"https://pc.test/", cust + "?size=500&seekOperation=Next", "https://pc.test/v1" + cust + "?size=500&seekOperation=Next", nil},
		{"https://pc.test/", "customers/x/users?size=1", "https://pc.test/v1/customers/x/users?size=1", nil},
		{"https://pc.test/", "/v1" + cust + "?size=1", "https://pc.test/v1" + cust + "?size=1", nil},
		{"https://pc.test/", "https://pc.test/v1" + cust + "?size=1", "https://pc.test/v1" + cust + "?size=1", nil},
		{"https://pc.test/", "HTTPS://PC.test:443/v1" + cust, "https://pc.test/v1" + cust, nil},
		{"https://pc.test/", "//pc.test/v1" + cust, "https://pc.test/v1" + cust, nil},
		{"https://pc.test/", "/customers/a%2Fb/users#frag", "https://pc.test/v1/customers/a%2Fb/users", nil},
		{"https://pc.test/pc/", cust, "https://pc.test/pc/v1" + cust, nil},
		{"https://pc.test/pc/", "/v1" + cust, "https://pc.test/pc/v1" + cust, nil},
		{"https://pc.test/pc/", "/pc/v1" + cust, "https://pc.test/pc/v1" + cust, nil},
		{"https://pc.test/pc/", "https://pc.test/pc/v1" + cust, "https://pc.test/pc/v1" + cust, nil},

		{"https://pc.test/", "https://evil.example/v1" + cust, "", errForeignNextLink},
		{"https://pc.test/", "//evil.example/v1" + cust, "", errForeignNextLink},
		{"https://pc.test/", "http://pc.test/v1" + cust, "", errForeignNextLink},
		{"https://pc.test/", "https://pc.test:8443/v1" + cust, "", errForeignNextLink},
		{"https://pc.test/", "https://pc.test.evil.example/v1" + cust, "", errForeignNextLink},
		{"https://pc.test/pc/", "https://pc.test/v1" + cust, "", errForeignNextLink},
		{"https://pc.test/", "", "", errBadNextLink},
		{"https://pc.test/", "?size=1", "", errBadNextLink},
		{"https://pc.test/", "/customers/../../admin", "", errBadNextLink},
		{"https://pc.test/", "/customers/%2e%2e/admin", "", errBadNextLink},
		{"https://pc.test/", "https://u:p@pc.test/v1" + cust, "", errBadNextLink},
		{"https://pc.test/", "%zz", "", errBadNextLink},
	}
	for _, tt := range tests {
		t.Run(tt.base+" "+tt.uri, func(t *testing.T) {
			c, err := New(append(testOptions(), client.WithBaseURL(tt.base))...)
			if err != nil {
				t.Fatal(err)
			}
			u, err := c.resolveLink(tt.uri)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("resolveLink = %v, %v; want %v", u, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveLink: %v", err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("resolveLink = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestListUsersRefusesBadLinks(t *testing.T) {
	links := map[string]string{
		"POST method":        `{"uri":"/customers/x/users","method":"POST","headers":[]}`,
		"newline in value":   `{"uri":"/customers/x/users","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"TOKENVALUE\r\nX-Evil: 1"}]}`,
		"invalid header key": `{"uri":"/customers/x/users","method":"GET","headers":[{"key":"MS Continuation","value":"TOKENVALUE"}]}`,
		"empty URI":          `{"uri":"","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"TOKENVALUE"}]}`,
	}
	for name, next := range links {
		t.Run(name, func(t *testing.T) {
			c, mux, _ := setup(t)
			pager := &userPager{pages: map[string]string{"": usersBody(next, testUsers()[0])}}
			mux.Handle(usersPath, pager)
			_, _, err := c.AllUsers(context.Background(), testCustomer, 2)
			if !errors.Is(err, errBadNextLink) {
				t.Fatalf("err = %v, want errBadNextLink", err)
			}
			if strings.Contains(err.Error(), "TOKENVALUE") {
				t.Errorf("error text leaks the token: %v", err)
			}
			if n := len(pager.recorded()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestListUsersLinkCannotReplaceClientHeaders(t *testing.T) {
	c, mux, _ := setup(t)
	us := testUsers()
	forged := `{"uri":"/customers/` + testCustomer + `/users?size=2","method":"GET","headers":[` +
		`{"key":"MS-ContinuationToken","value":"token-2"},{"key":"MS-RequestId","value":"forged"},` +
		`{"key":"Authorization","value":"Bearer forged"},{"key":"MS-CorrelationId","value":"forged"}]}`
	pager := &userPager{pages: map[string]string{"": usersBody(forged, us[0]), "token-2": usersBody("", us[1])}}
	mux.Handle(usersPath, pager)
	if _, _, err := c.AllUsers(context.Background(), testCustomer, 2); err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	h := pager.recorded()[1].header
	for name, want := range map[string]string{"Authorization": "Bearer " + testToken, "MS-CorrelationId": testCorrelationID} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want only %q", name, got, want)
		}
	}
	if got := h.Values("MS-RequestId"); len(got) != 1 || got[0] == "forged" {
		t.Errorf("MS-RequestId = %q, want only the client's own", got)
	}
}

func TestListUsersLoopGuard(t *testing.T) {
	t.Run("next link repeats the previous one", func(t *testing.T) {
		c, mux, _ := setup(t)
		same := nextLink("/customers/"+testCustomer+"/users?size=2&seekOperation=Next", "token-2")
		pager := &userPager{pages: map[string]string{
			"":        usersBody(same, testUsers()[0]),
			"token-2": usersBody(same, testUsers()[1]),
		}}
		mux.Handle(usersPath, pager)
		users, _, err := c.AllUsers(context.Background(), testCustomer, 2)
		if !errors.Is(err, errRepeatedNextLink) {
			t.Fatalf("err = %v, want errRepeatedNextLink", err)
		}
		if users != nil {
			t.Errorf("users = %+v, want nil", users)
		}
		if n := len(pager.recorded()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("next link repeats the first page", func(t *testing.T) {
		c, mux, _ := setup(t)
		first := `{"uri":"/customers/` + testCustomer + `/users?size=2","method":"GET","headers":[]}`
		pager := &userPager{pages: map[string]string{"": usersBody(first, testUsers()[0])}}
		mux.Handle(usersPath, pager)
		_, _, err := c.AllUsers(context.Background(), testCustomer, 2)
		if !errors.Is(err, errRepeatedNextLink) {
			t.Fatalf("err = %v, want errRepeatedNextLink", err)
		}
		if n := len(pager.recorded()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("page limit", func(t *testing.T) {
		c, mux, _ := setup(t)
		var mu sync.Mutex
		n := 0
		mux.HandleFunc(usersPath, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n++
			tok := fmt.Sprintf("token-%d", n+1)
			mu.Unlock()
			fmt.Fprint(w, usersBody(nextLink("/customers/"+testCustomer+"/users?size=1", tok), testUsers()[0]))
		})
		users, resp, err := c.allUsers(context.Background(), testCustomer, 1, 4)
		if !errors.Is(err, errTooManyPages) {
			t.Fatalf("err = %v, want errTooManyPages", err)
		}
		if users != nil {
			t.Errorf("users = %+v, want nil", users)
		}
		mu.Lock()
		defer mu.Unlock()
		if n != 4 || resp.Attempts != 4 {
			t.Errorf("%d requests, %d attempts; want 4 and 4", n, resp.Attempts)
		}
	})
}

func TestListUsersDecodesAnyCase(t *testing.T) {
	want := []User{
		{ID: "u1", UserPrincipalName: "ada@contoso.com", DisplayName: "Ada", UsageLocation: "GB", State: "active",
			Attributes: &Attributes{ObjectType: "CustomerUser"}},
		{ID: "u2", UserPrincipalName: "bob@contoso.com", DisplayName: "Bob", UsageLocation: "", State: "inactive"},
	}
	pages := map[string]map[string]string{
		"camelCase": {
			"": `{"totalCount":1,"items":[{"id":"u1","userPrincipalName":"ada@contoso.com","displayName":"Ada",` +
				`"usageLocation":"GB","state":"active","firstName":"Ada","attributes":{"objectType":"CustomerUser"}}],` +
				`"links":{"next":{"uri":"/customers/` + testCustomer + `/users?size=1&seekOperation=Next","method":"GET",` +
				`"headers":[{"key":"MS-ContinuationToken","value":"t2"}]}},"attributes":{"objectType":"Collection"}}`,
			"t2": `{"totalCount":1,"items":[{"id":"u2","userPrincipalName":"bob@contoso.com","displayName":"Bob","state":"inactive"}],"links":{}}`,
		},
		"PascalCase": {
			"": `{"TotalCount":1,"Items":[{"Id":"u1","UserPrincipalName":"ada@contoso.com","DisplayName":"Ada",` +
				`"UsageLocation":"GB","State":"active","Attributes":{"ObjectType":"CustomerUser"}}],` +
				`"Links":{"Next":{"Uri":"/customers/` + testCustomer + `/users?size=1&seekOperation=Next","Method":"GET",` +
				`"Headers":[{"Key":"MS-ContinuationToken","Value":"t2"}]}},"Attributes":{"ObjectType":"Collection"}}`,
			"t2": `{"TotalCount":1,"Items":[{"Id":"u2","UserPrincipalName":"bob@contoso.com","DisplayName":"Bob","State":"inactive"}],"Links":{"Next":null}}`,
		},
	}
	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.Handle(usersPath, &userPager{pages: p})
			users, _, err := c.AllUsers(context.Background(), testCustomer, 1)
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			if !reflect.DeepEqual(users, want) {
				t.Errorf("got  %+v\nwant %+v", users, want)
			}
		})
	}
}

func TestListUsersRejectsBadArguments(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s", r.URL)
	})
	for _, tt := range []struct {
		customer string
		size     int
	}{{"", 0}, {"..", 0}, {testCustomer, -1}} {
		users, resp, err := c.AllUsers(context.Background(), tt.customer, tt.size)
		if err == nil || users != nil || resp == nil || resp.Attempts != 0 {
			t.Errorf("ListUsers(%q, %d) = %v, %+v, %v; want an error before any attempt", tt.customer, tt.size, users, resp, err)
		}
	}
}

// TestListUsersPagesCallsPageAsPagesArrive checks that ListUsersPages hands each page to
// the callback in the API's order as it arrives, with the next page requested ahead
// while the callback works on this one and never more than that one page ahead, and
// that a page kept by the callback is not overwritten by the pages decoded after it.
func TestListUsersPagesCallsPageAsPagesArrive(t *testing.T) {
	c, mux, _ := setup(t)
	pager := threePages()
	arrived := make([]chan struct{}, 3) // closed when request i reaches the server
	for i := range arrived {
		arrived[i] = make(chan struct{})
	}
	pager.fail = func(n int, _ http.ResponseWriter, _ *http.Request) bool {
		if n < len(arrived) {
			close(arrived[n])
		}
		return false
	}
	mux.Handle(usersPath, pager)

	var pages [][]User
	var requestsBefore []int // requests the server had seen when each page was handed over
	resp, err := c.ListUsersPages(context.Background(), testCustomer, 2, func(page []User) error {
		n := len(pages) // pages handed over before this one
		pages = append(pages, page)
		if n+1 < len(arrived) {
			// The next page is asked for before this one is handed over: wait for
			// it to reach the server, so that the count below is not a race.
			select {
			case <-arrived[n+1]:
			case <-time.After(30 * time.Second):
				t.Errorf("page %d handed over and page %d never requested: no page fetched ahead", n+1, n+2)
			}
		}
		requestsBefore = append(requestsBefore, len(pager.recorded()))
		return nil
	})
	if err != nil {
		t.Fatalf("ListUsersPages: %v", err)
	}
	us := testUsers()
	if want := [][]User{us[0:2], us[2:4], us[4:5]}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages:\n got %+v\nwant %+v", pages, want)
	}
	// Page n is handed over with page n+1 requested and page n+2 not yet: one ahead.
	if want := []int{2, 3, 3}; !reflect.DeepEqual(requestsBefore, want) {
		t.Errorf("requests seen when each page was handed over = %v, want %v: the next page fetched ahead, never two", requestsBefore, want)
	}
	reqs := pager.recorded()
	if len(reqs) != 3 || resp.Attempts != 3 || resp.RequestID != reqs[2].requestID || resp.StatusCode != http.StatusOK {
		t.Errorf("%d requests, client.Response %+v; want 3, 3 attempts and the last page's request ID %s", len(reqs), resp, reqs[2].requestID)
	}
}

// TestListUsersPagesCallbackError checks that an error from the callback stops the
// listing (no request past the page fetched ahead) and comes back wrapped with the
// page's number.
func TestListUsersPagesCallbackError(t *testing.T) {
	c, mux, _ := setup(t)
	pager := threePages()
	mux.Handle(usersPath, pager)

	stop := errors.New("enough users")
	calls := 0
	resp, err := c.ListUsersPages(context.Background(), testCustomer, 2, func(page []User) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want it to wrap %v", err, stop)
	}
	if want := "list users: page 2: enough users"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if calls != 2 {
		t.Errorf("callback called %d times, want 2", calls)
	}
	// Page 3 is requested while page 2 is decoded (one page ahead), so it may have
	// reached the server before the callback's error; nothing after it.
	reqs := pager.recorded()
	if len(reqs) != 2 && len(reqs) != 3 {
		t.Errorf("%d requests, want 2 (or 3, the page fetched ahead): none after the callback's error", len(reqs))
	}
	if resp.RequestID != reqs[1].requestID || resp.Attempts != 2 {
		t.Errorf("client.Response = %+v, want page 2's request ID %s and 2 attempts", resp, reqs[1].requestID)
	}

	// An error of its own type is found by errors.As.
	var apiErr *client.APIError
	_, err = c.ListUsersPages(context.Background(), testCustomer, 2, func([]User) error {
		return &client.APIError{Op: "caller", StatusCode: http.StatusTeapot}
	})
	if !errors.As(err, &apiErr) || apiErr.Op != "caller" {
		t.Errorf("err = %v, want the callback's *client.APIError", err)
	}
}

// TestListUsersPagesFailingPage checks that the pages before a failing page are handed
// over, and that the failing page is not.
func TestListUsersPagesFailingPage(t *testing.T) {
	c, mux, _ := setup(t)
	pager := threePages()
	pager.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n >= 1 {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"code":20002,"description":"no relationship"}`)
			return true
		}
		return false
	}
	mux.Handle(usersPath, pager)
	var got []User
	_, err := c.ListUsersPages(context.Background(), testCustomer, 2, func(page []User) error {
		got = append(got, page...)
		return nil
	})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		t.Fatalf("err = %v, want a 403 *client.APIError", err)
	}
	if want := testUsers()[0:2]; !reflect.DeepEqual(got, want) {
		t.Errorf("handed over %+v, want page 1 only", got)
	}

	// A page that does not decode is not handed over either.
	c, mux, _ = setup(t)
	mux.Handle(usersPath, &userPager{pages: map[string]string{
		"":        usersBody(nextLink("/customers/"+testCustomer+"/users?size=2&seekOperation=Next", "token-2"), testUsers()[0]),
		"token-2": `{"totalCount":1,"items":[{"id":`,
	}})
	calls := 0
	_, err = c.ListUsersPages(context.Background(), testCustomer, 2, func([]User) error { calls++; return nil })
	if err == nil || !strings.Contains(err.Error(), "list users: page 2: decode") || calls != 1 {
		t.Errorf("truncated page 2: err %v after %d callbacks; want a decode error of page 2 after 1", err, calls)
	}
}

func TestListUsersPagesRejectsBadArguments(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s", r.URL)
	})
	noop := func([]User) error { return nil }
	for _, tt := range []struct {
		customer string
		size     int
		page     func([]User) error
	}{{"", 0, noop}, {"..", 0, noop}, {testCustomer, -1, noop}, {testCustomer, 0, nil}} {
		resp, err := c.ListUsersPages(context.Background(), tt.customer, tt.size, tt.page)
		if err == nil || resp == nil || resp.Attempts != 0 {
			t.Errorf("ListUsersPages(%q, %d, page set %v) = %+v, %v; want an error before any attempt", tt.customer, tt.size, tt.page != nil, resp, err)
		}
	}
}

// docsUserLicenses is a licenses answer shaped like the example of
// check-which-licenses-are-assigned-to-a-user.
const docsUserLicenses = `{
    "totalCount": 1,
    "items": [{
            "servicePlans": [{
                    "displayName": "Exchange Online (Plan 2)",
                    "serviceName": "EXCHANGE_S_ENTERPRISE",
                    "id": "efb87545-963c-4e0d-99df-69c6916d9eb0",
                    "capabilityStatus": "Enabled",
                    "targetType": "User"
                }],
            "productSku": {
                "id": "6fd2c87f-b296-42f0-b197-1e91e994b900",
                "name": "Office 365 Enterprise E3",
                "skuPartNumber": "ENTERPRISEPACK",
                "targetType": "User",
                "licenseGroupId": "group1"
            },
            "attributes": {"objectType": "License"}
        }],
    "attributes": {"objectType": "Collection"}
}`

func wantUserLicenses() []License {
	return []License{{
		ProductSku: ProductSku{ID: "6fd2c87f-b296-42f0-b197-1e91e994b900", Name: "Office 365 Enterprise E3",
			SkuPartNumber: "ENTERPRISEPACK", TargetType: "User", LicenseGroupID: "group1"},
		ServicePlans: []ServicePlan{{ID: "efb87545-963c-4e0d-99df-69c6916d9eb0", DisplayName: "Exchange Online (Plan 2)",
			ServiceName: "EXCHANGE_S_ENTERPRISE", CapabilityStatus: "Enabled", TargetType: "User"}},
		Attributes: &Attributes{ObjectType: "License"},
	}}
}

func TestUserLicensesPathAndGroups(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		groups    []LicenseGroupID
		wantPath  string // decoded
		wantURI   string // as sent
		wantGroup []string
	}{
		{"UPN with #", "ada#1@contoso.com", nil,
			"/v1/customers/" + testCustomer + "/users/ada#1@contoso.com/licenses",
			"/v1/customers/" + testCustomer + "/users/ada%231@contoso.com/licenses", nil},
		{"slash and question mark stay in one segment", "a/b?c", []LicenseGroupID{Group1},
			"/v1/customers/" + testCustomer + "/users/a/b?c/licenses",
			"/v1/customers/" + testCustomer + "/users/a%2Fb%3Fc/licenses?licenseGroupIds=Group1", []string{"Group1"}},
		{"two groups", testUser, []LicenseGroupID{Group1, Group2},
			"/v1/customers/" + testCustomer + "/users/" + testUser + "/licenses",
			"/v1/customers/" + testCustomer + "/users/" + testUser + "/licenses?licenseGroupIds=Group1&licenseGroupIds=Group2",
			[]string{"Group1", "Group2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			var got *http.Request
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				got = r
				fmt.Fprint(w, docsUserLicenses)
			})
			lics, resp, err := c.UserLicenses(context.Background(), testCustomer, tt.user, tt.groups...)
			if err != nil {
				t.Fatalf("UserLicenses: %v", err)
			}
			if got == nil {
				t.Fatal("no request")
			}
			if got.Method != http.MethodGet || got.URL.Path != tt.wantPath || got.RequestURI != tt.wantURI {
				t.Errorf("request %s %s (path %q), want GET %s (path %q)", got.Method, got.RequestURI, got.URL.Path, tt.wantURI, tt.wantPath)
			}
			if g := got.URL.Query()["licenseGroupIds"]; !reflect.DeepEqual(g, tt.wantGroup) {
				t.Errorf("licenseGroupIds = %q, want %q", g, tt.wantGroup)
			}
			if !reflect.DeepEqual(lics, wantUserLicenses()) {
				t.Errorf("got  %+v\nwant %+v", lics, wantUserLicenses())
			}
			if resp.Attempts != 1 || resp.RequestID != got.Header.Get("MS-RequestId") {
				t.Errorf("client.Response = %+v, want 1 attempt and request ID %s", resp, got.Header.Get("MS-RequestId"))
			}
		})
	}
}

func TestUserLicensesDecodesAnyCase(t *testing.T) {
	bodies := map[string]string{
		"camelCase": docsUserLicenses,
		"PascalCase": `{"TotalCount":1,"Items":[{"ServicePlans":[{"DisplayName":"Exchange Online (Plan 2)",` +
			`"ServiceName":"EXCHANGE_S_ENTERPRISE","Id":"efb87545-963c-4e0d-99df-69c6916d9eb0","CapabilityStatus":"Enabled",` +
			`"TargetType":"User"}],"ProductSku":{"Id":"6fd2c87f-b296-42f0-b197-1e91e994b900","Name":"Office 365 Enterprise E3",` +
			`"SkuPartNumber":"ENTERPRISEPACK","TargetType":"User","LicenseGroupId":"group1"},"Attributes":{"ObjectType":"License"}}]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("/v1/customers/"+testCustomer+"/users/"+testUser+"/licenses", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, body)
			})
			lics, _, err := c.UserLicenses(context.Background(), testCustomer, testUser)
			if err != nil {
				t.Fatalf("UserLicenses: %v", err)
			}
			if !reflect.DeepEqual(lics, wantUserLicenses()) {
				t.Errorf("got  %+v\nwant %+v", lics, wantUserLicenses())
			}
		})
	}
}

func TestUserLicensesNoneAndErrors(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/v1/customers/"+testCustomer+"/users/"+testUser+"/licenses", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"totalCount":0,"attributes":{"objectType":"Collection"}}`) // no items at all
	})
	mux.HandleFunc("/v1/customers/"+testCustomer+"/users/nobody/licenses", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":60002,"description":"user object ID not found","source":"PartnerFD"}`)
	})
	lics, _, err := c.UserLicenses(context.Background(), testCustomer, testUser)
	if err != nil || lics == nil || len(lics) != 0 {
		t.Errorf("UserLicenses = %#v, %v; want an empty, non-nil slice", lics, err)
	}

	_, resp, err := c.UserLicenses(context.Background(), testCustomer, "nobody")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "60002" || apiErr.Op != opGetUserLicenses || resp.Attempts != 1 {
		t.Errorf("err = %v (attempts %d), want a 404 *client.APIError with code 60002 of %q, not retried", err, resp.Attempts, opGetUserLicenses)
	}

	for _, bad := range []struct {
		customer, user string
		groups         []LicenseGroupID
	}{{"", testUser, nil}, {testCustomer, "", nil}, {testCustomer, "..", nil}, {testCustomer, testUser, []LicenseGroupID{" "}}} {
		if _, resp, err := c.UserLicenses(context.Background(), bad.customer, bad.user, bad.groups...); err == nil || resp.Attempts != 0 {
			t.Errorf("UserLicenses(%q, %q, %q) = %v after %d attempts; want an error before any attempt", bad.customer, bad.user, bad.groups, err, resp.Attempts)
		}
	}
}

package graphfake_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func patchLocation(t *testing.T, hc *http.Client, user string, token *string) reply {
	t.Helper()
	return do(t, hc, call{method: http.MethodPatch, path: "/v1.0/users/" + user, body: `{"usageLocation":"US"}`, token: token})
}

// want429 checks a throttled answer: Retry-After in seconds and the throttling scope.
func want429(t *testing.T, r reply, secs int, info, scope string) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
	if got := r.header.Get("Retry-After"); got != fmt.Sprint(secs) {
		t.Fatalf("Retry-After = %q, want %d", got, secs)
	}
	if r.header.Get("x-ms-throttle-information") != info || r.header.Get("x-ms-throttle-scope") != scope {
		t.Fatalf("throttle headers %q %q, want %q %q", r.header.Get("x-ms-throttle-information"), r.header.Get("x-ms-throttle-scope"), info, scope)
	}
}

func TestDefaultLimitsAreTheDocumentedOnes(t *testing.T) {
	want := graphfake.Limits{
		ReadsBySize:  true,
		AppReads:     graphfake.Budget{Limit: 150000, Window: 20 * time.Second},
		Writes:       graphfake.Budget{Limit: 3000, Window: 150 * time.Second},
		AppWrites:    graphfake.Budget{Limit: 35000, Window: 5 * time.Minute},
		TenantWrites: graphfake.Budget{Limit: 18000, Window: 5 * time.Minute},
	}
	if got := graphfake.DefaultLimits(); !reflect.DeepEqual(got, want) {
		t.Fatalf("DefaultLimits = %+v", got)
	}
	s, _, _ := newFake(t, 1)
	if !reflect.DeepEqual(s.Limits(), want) {
		t.Fatalf("a new fake's limits = %+v", s.Limits())
	}
}

func TestWriteBudgetPerAppAndTenant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 1)
		scope := "Tenant_Application/Write/" + graphfake.DefaultClientID + "/" + tenant
		for i := range 3000 {
			if r := patchLocation(t, hc, users[0].ID, nil); r.status != http.StatusNoContent {
				t.Fatalf("write %d: %d", i+1, r.status)
			}
		}
		want429(t, patchLocation(t, hc, users[0].ID, nil), 1, "WriteLimitExceeded", scope)
		// A throttled assignment is not applied.
		r := assign(t, hc, users[0].ID, addBody(skuE3))
		want429(t, r, 1, "WriteLimitExceeded", scope)
		wantUnits(t, s, skuE3, 4800, 1200)
		time.Sleep(time.Second) // 20 writes a second come back
		for range 20 {
			wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
		}
		want429(t, patchLocation(t, hc, users[0].ID, nil), 1, "WriteLimitExceeded", scope)
		// Reads draw on another budget.
		wantStatus(t, get(t, hc, "/v1.0/users"), http.StatusOK)
		if st := s.Stats(); st.Throttled != 3 || st.ByStatus[429] != 3 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestWithoutRetryAfter(t *testing.T) {
	_, hc, users := newFake(t, 1, graphfake.WithWriteLimit(1, time.Minute), graphfake.WithoutRetryAfter(1))
	wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
	r := patchLocation(t, hc, users[0].ID, nil)
	wantError(t, r, http.StatusTooManyRequests, "TooManyRequests", "retry")
	if _, has := r.header["Retry-After"]; has {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
}

func TestLimitPercentageHeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc, users := newFake(t, 1, graphfake.WithWriteLimit(10, time.Minute))
		for i := 1; i <= 10; i++ {
			r := patchLocation(t, hc, users[0].ID, nil)
			want := map[int]string{9: "0.90", 10: "1.00"}[i]
			if got := r.header.Get("x-ms-throttle-limit-percentage"); got != want {
				t.Fatalf("write %d: x-ms-throttle-limit-percentage = %q, want %q", i, got, want)
			}
		}
	})
}

func TestRetryAfterIsTheWaitAndRefusalsAreFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc, users := newFake(t, 1, graphfake.WithWriteLimit(1, 4*time.Second))
		scope := "Tenant_Application/Write/" + graphfake.DefaultClientID + "/" + tenant
		wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
		want429(t, patchLocation(t, hc, users[0].ID, nil), 4, "WriteLimitExceeded", scope)
		time.Sleep(2500 * time.Millisecond)
		for range 10 { // retrying early costs nothing
			want429(t, patchLocation(t, hc, users[0].ID, nil), 2, "WriteLimitExceeded", scope)
		}
		time.Sleep(1500 * time.Millisecond)
		wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
	})
}

func TestReadBudgetBySizeAndCosts(t *testing.T) {
	_, hc, users := newFake(t, 1)
	for path, cost := range map[string]string{
		"/v1.0/users": "2", "/v1.0/users?$select=id": "1", "/v1.0/subscribedSkus": "3", "/v1.0/subscribedSkus?$select=skuId": "2",
		"/v1.0/users?$top=19": "1", "/v1.0/users?$top=20": "2", "/v1.0/subscribedSkus?$select=skuId&$top=5": "1",
		"/v1.0/users/" + users[0].ID: "1", "/v1.0/users/" + users[0].ID + "/licenseDetails": "2",
	} {
		if r := get(t, hc, path); r.header.Get("x-ms-resource-unit") != cost {
			t.Errorf("GET %s costs %q RU, want %s", path, r.header.Get("x-ms-resource-unit"), cost)
		}
	}
	if r := assign(t, hc, users[0].ID, addBody(skuE3)); r.header.Get("x-ms-resource-unit") != "1" {
		t.Errorf("assignLicense costs %q RU", r.header.Get("x-ms-resource-unit"))
	}

	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct{ users, budget int }{{49, 3500}, {50, 5000}, {501, 8000}} {
			_, hc, _ := newFake(t, c.users)
			calls := c.budget / 3
			for i := range calls {
				if r := get(t, hc, "/v1.0/subscribedSkus"); r.status != http.StatusOK {
					t.Fatalf("%d users: call %d of %d: %d", c.users, i+1, calls, r.status)
				}
			}
			want429(t, get(t, hc, "/v1.0/subscribedSkus"), 1, "ResourceUnitLimitExceeded",
				"Tenant_Application/ReadWrite/"+graphfake.DefaultClientID+"/"+tenant)
			wantStatus(t, get(t, hc, "/v1.0/users/$count?$top=1"), http.StatusBadRequest) // cost 1 fits: no ConsistencyLevel
		}
	})
}

// appToken gets an access token for app in tenantID from the token endpoint.
func appToken(t *testing.T, s *graphfake.Server, tenantID, app string) *string {
	t.Helper()
	cfg := oauthConfig(baseURL, tenantID)
	cfg.ClientID = app
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: scoped{s.Transport()}})
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "rt-" + app}).Token()
	if err != nil {
		t.Fatal(err)
	}
	return &tok.AccessToken
}

func TestAppAndTenantWriteBudgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := graphfake.GenerateUsers(1, "", 1)
		s, err := graphfake.New(
			graphfake.WithTenant(tenant, sampleSkus(t)), graphfake.WithUsers(tenant, users),
			graphfake.WithTenant(otherID, sampleSkus(t)), graphfake.WithUsers(otherID, users),
			graphfake.WithAppWriteLimit(4, time.Minute), graphfake.WithTenantWriteLimit(3, time.Minute),
		)
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: s.Transport()}
		appA, appB := "aaaaaaaa-1111-4111-8111-111111111111", "bbbbbbbb-2222-4222-8222-222222222222"
		a1, a2, b1 := appToken(t, s, tenant, appA), appToken(t, s, otherID, appA), appToken(t, s, tenant, appB)
		// App A: two writes in each tenant, then its cross-tenant budget is spent.
		for _, tok := range []*string{a1, a1, a2, a2} {
			wantStatus(t, patchLocation(t, hc, users[0].ID, tok), http.StatusNoContent)
		}
		want429(t, patchLocation(t, hc, users[0].ID, a2), 15, "WriteLimitExceeded", "Application/Write/"+appA+"/"+otherID)
		// App B in tenant 1: the tenant has had two writes of its three.
		wantStatus(t, patchLocation(t, hc, users[0].ID, b1), http.StatusNoContent)
		want429(t, patchLocation(t, hc, users[0].ID, b1), 20, "WriteLimitExceeded", "Tenant/Write/"+appB+"/"+tenant)
		time.Sleep(20 * time.Second)
		wantStatus(t, patchLocation(t, hc, users[0].ID, b1), http.StatusNoContent)
	})
}

func TestRateLimitCeilingAndSetLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, hc, _ := newFake(t, 1, graphfake.WithRateLimit(5, 3))
		ok := 0
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			r := get(t, hc, "/v1.0/subscribedSkus")
			switch r.status {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				if r.header.Get("x-ms-throttle-scope") != "" || r.header.Get("Retry-After") != "1" {
					t.Fatalf("the plain ceiling's 429: %v", r.header)
				}
			default:
				t.Fatalf("status %d", r.status)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if ok < 52 || ok > 53 { // a burst of 3 plus 5 a second for 10 s
			t.Fatalf("%d requests passed in 10 s, want 3 + 5*10", ok)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 1)
		s.SetRateLimit(2, 1)
		wantStatus(t, get(t, hc, "/v1.0/subscribedSkus"), http.StatusOK)
		wantStatus(t, get(t, hc, "/v1.0/subscribedSkus"), http.StatusTooManyRequests)
		time.Sleep(500 * time.Millisecond)
		wantStatus(t, get(t, hc, "/v1.0/subscribedSkus"), http.StatusOK)
		s.SetRateLimit(0.1, 1) // lowered mid-run: the next request is 10 s away
		if r := get(t, hc, "/v1.0/subscribedSkus"); r.header.Get("Retry-After") != "10" {
			t.Fatalf("Retry-After = %q after lowering the ceiling", r.header.Get("Retry-After"))
		}
		s.SetRateLimit(0, 0)
		l := s.Limits()
		l.Writes = graphfake.Budget{Limit: 2, Window: time.Minute}
		if err := s.SetLimits(l); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
		wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
		if r := patchLocation(t, hc, users[0].ID, nil); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "30" {
			t.Fatalf("after SetLimits: %d %q", r.status, r.header.Get("Retry-After"))
		}
		if err := s.SetLimits(graphfake.Limits{Writes: graphfake.Budget{Limit: 5}}); err == nil {
			t.Fatal("SetLimits accepted a limit without a window")
		}
		if err := s.SetLimits(graphfake.Limits{}); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			wantStatus(t, patchLocation(t, hc, users[0].ID, nil), http.StatusNoContent)
		}
	})
}

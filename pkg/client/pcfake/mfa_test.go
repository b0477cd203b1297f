package pcfake_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

const (
	mfaToken   = "eyJhbGciOi.with-amr-mfa.SECRET-7Q2"
	plainToken = "eyJhbGciOi.password-only.SECRET-9Z4"
)

func hasMFA(tok string) bool { return strings.Contains(tok, "with-amr-mfa") }

func TestMFACheckRefusesTokensWithoutMFA(t *testing.T) {
	users := pcfake.GenerateUsers(1, "", 2)
	s, hc := newFake(t, pcfake.WithTokenCheck(func(tok string) bool { return strings.HasPrefix(tok, "eyJ") }),
		pcfake.WithMFACheck(hasMFA), pcfake.WithUsers(cust, users), pcfake.WithRateLimit(0.001, 5))
	calls := map[string]call{
		"subscribedskus": {method: http.MethodGet, path: skusPath(cust, "")},
		"licenseupdates": {method: http.MethodPost, path: updatesPath(cust, users[0].ID), body: mustJSON(t, assign(skuE3)), requestID: "r-1"},
		"users":          {method: http.MethodGet, path: usersPath(cust, "")},
		"user":           {method: http.MethodGet, path: userPath(cust, users[0].ID)},
		"user PATCH":     {method: http.MethodPatch, path: userPath(cust, users[0].ID), body: `{"usageLocation":"FR"}`},
		"user licenses":  {method: http.MethodGet, path: licensesPath(cust, users[0].ID, "")},
	}
	for name, c := range calls {
		t.Run(name, func(t *testing.T) {
			c.token = ptr(plainToken)
			r := do(t, hc, c)
			e := wantError(t, r, http.StatusUnauthorized, "900421")
			if !strings.Contains(strings.ToLower(e.Description), "multi-factor authentication") || !reflect.DeepEqual(e.Data, []string{}) {
				t.Fatalf("answer %+v, want one saying multi-factor authentication is required", e)
			}
			if strings.Contains(string(r.body), plainToken) || strings.Contains(string(r.body), "SECRET") {
				t.Fatalf("the answer repeats the token: %s", r.body)
			}
		})
	}
	wantUnits(t, s, skuE3, 4800, 1200)
	if u := s.Users(cust)[0]; u.UsageLocation != "US" {
		t.Fatalf("a refused PATCH applied: %+v", u)
	}
	// A token the token check refuses is 800001, not 900421.
	wantError(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("not-a-jwt")}), http.StatusUnauthorized, "800001")

	// An MFA token passes; the refused request ID was left free, and the refusals took
	// no rate-limit token (5 in the bucket, none refilled).
	c := calls["licenseupdates"]
	c.token = ptr(mfaToken)
	wantStatus(t, do(t, hc, c), http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	for range 4 {
		wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr(mfaToken)}), http.StatusOK)
	}
	st := s.Stats()
	if st.MFARequired != 6 || st.Unauthorized != 7 || st.ByStatus[401] != 7 || st.Applied != 1 || st.Throttled != 0 {
		t.Fatalf("stats = %+v, want 6 MFA refusals among 7 401s, 1 applied, none throttled", st)
	}
}

package graphfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

const (
	appID     = "2b6f1d3c-4e5a-4b7c-9d8e-0f1a2b3c4d5e"
	appSecret = "app-secret-value-1234567890"
	seedRT    = "seed-refresh-token-abcdefghijklmnop"
)

// twoTenants builds a fake with DefaultTenantID (3 users) and otherID (2 users, no
// E5), a registered app and a seeded refresh token, reached over loopback.
func twoTenants(t *testing.T, opts ...graphfake.Option) (*graphfake.Server, *http.Client, string) {
	t.Helper()
	var withoutE5 []graphfake.SubscribedSku
	for _, k := range sampleSkus(t) {
		if k.SkuID != skuE5 {
			withoutE5 = append(withoutE5, k)
		}
	}
	all := append([]graphfake.Option{
		graphfake.WithTenant(tenant, sampleSkus(t)),
		graphfake.WithUsers(tenant, graphfake.GenerateUsers(3, "contoso.onmicrosoft.com", 1)),
		graphfake.WithTenant(otherID, withoutE5),
		graphfake.WithUsers(otherID, graphfake.GenerateUsers(2, "fabrikam.onmicrosoft.com", 2)),
		graphfake.WithApp(appID, appSecret),
		graphfake.WithRefreshToken(seedRT),
	}, opts...)
	s, err := graphfake.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	hts := httptest.NewServer(s)
	t.Cleanup(hts.Close)
	return s, hts.Client(), hts.URL
}

func oauthConfig(base, tenantID string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     appID,
		ClientSecret: appSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: base + "/" + tenantID + "/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       []string{"https://graph.microsoft.com/.default"},
	}
}

// scoped adds the scope to refresh requests, which golang.org/x/oauth2 leaves out
// and the Microsoft identity platform requires (as pkg/client/signin does).
type scoped struct{ base http.RoundTripper }

func (s scoped) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, err
	}
	form.Set("scope", "https://graph.microsoft.com/.default")
	body := form.Encode()
	req = req.Clone(req.Context())
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	return s.base.RoundTrip(req)
}

// refresh redeems a refresh token through golang.org/x/oauth2.
func refresh(t *testing.T, hc *http.Client, base, tenantID, rt string) (*oauth2.Token, error) {
	t.Helper()
	tr := hc.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: scoped{tr}})
	return oauthConfig(base, tenantID).TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

func TestSignInEndToEndSelectsTheTenant(t *testing.T) {
	s, hc, base := twoTenants(t, graphfake.WithRequestLog())
	tokA, err := refresh(t, hc, base, tenant, seedRT)
	if err != nil {
		t.Fatal(err)
	}
	if tokA.AccessToken == "" || tokA.TokenType != "Bearer" || tokA.RefreshToken == seedRT || tokA.RefreshToken == "" ||
		time.Until(tokA.Expiry) < 59*time.Minute {
		t.Fatalf("token = %+v", tokA)
	}
	// The rotated refresh token works for the other tenant too; the old one still does.
	tokB, err := refresh(t, hc, base, otherID, tokA.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(t, hc, base, otherID, seedRT); err != nil {
		t.Fatalf("the used refresh token was refused: %v", err)
	}
	for _, c := range []struct {
		tok   string
		users int
		skus  int
	}{{tokA.AccessToken, 3, 7}, {tokB.AccessToken, 2, 6}} {
		p := readPage(t, do(t, hc, call{path: base + "/v1.0/users", token: &c.tok}))
		var skus struct{ Value []any }
		_ = json.Unmarshal(do(t, hc, call{path: base + "/v1.0/subscribedSkus", token: &c.tok}).body, &skus)
		if len(p.Value) != c.users || len(skus.Value) != c.skus {
			t.Fatalf("token reads %d users and %d SKUs, want %d and %d", len(p.Value), len(skus.Value), c.users, c.skus)
		}
	}
	// A token of tenant B cannot reach tenant A's users: it reads its own tenant.
	userA := graphfake.GenerateUsers(1, "contoso.onmicrosoft.com", 1)[0]
	wantError(t, do(t, hc, call{path: base + "/v1.0/users/" + userA.ID, token: &tokB.AccessToken}), http.StatusNotFound, "Request_ResourceNotFound", userA.ID)
	st := s.Stats()
	if st.TokenRequests != 3 || st.TokensIssued != 3 {
		t.Fatalf("stats = %+v", st)
	}
	for _, e := range s.Requests() {
		if strings.Contains(fmt.Sprintf("%+v", e), appSecret) || strings.Contains(fmt.Sprintf("%+v", e), seedRT) {
			t.Fatalf("a secret in the request log: %+v", e)
		}
		if strings.HasSuffix(e.Path, "/token") && e.App != appID {
			t.Fatalf("token request logged as %+v", e)
		}
	}
}

func TestTokenRefusals(t *testing.T) {
	_, hc, base := twoTenants(t, graphfake.WithConsentRefused(otherID))
	retrieveErr := func(err error) *oauth2.RetrieveError {
		t.Helper()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v, want a RetrieveError", err)
		}
		for _, secret := range []string{appSecret, seedRT, "wrong-secret-value-xyz"} {
			if strings.Contains(string(re.Body), secret) {
				t.Fatalf("a secret in the answer: %s", re.Body)
			}
		}
		return re
	}
	_, err := refresh(t, hc, base, otherID, seedRT)
	if re := retrieveErr(err); re.ErrorCode != "invalid_grant" || !strings.HasPrefix(re.ErrorDescription,
		"AADSTS65001: The user or administrator has not consented to use the application") || re.Response.StatusCode != 400 {
		t.Fatalf("consent refusal = %d %s %s", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription)
	}
	_, err = refresh(t, hc, base, tenant, "some-other-refresh-token")
	if re := retrieveErr(err); re.ErrorCode != "invalid_grant" {
		t.Fatalf("unknown refresh token: %s", re.ErrorCode)
	}
	_, err = refresh(t, hc, base, "11111111-2222-4333-8444-555555555555", seedRT)
	if re := retrieveErr(err); !strings.HasPrefix(re.ErrorDescription, "AADSTS90002") {
		t.Fatalf("unknown tenant: %s", re.ErrorDescription)
	}
}

func TestTokenRequestRefusals(t *testing.T) {
	_, hc, base := twoTenants(t)

	post := func(tenantID, path string, form url.Values) (int, map[string]any) {
		resp, err := hc.PostForm(base+"/"+tenantID+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	good := url.Values{"grant_type": {"refresh_token"}, "client_id": {appID}, "client_secret": {appSecret},
		"refresh_token": {seedRT}, "scope": {"https://graph.microsoft.com/.default offline_access"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for name, c := range map[string]struct {
		form   url.Values
		status int
		err    string
		code   string
	}{
		"wrong secret":   {with("client_secret", "wrong-secret-value-xyz"), 401, "invalid_client", "AADSTS7000215"},
		"no secret":      {with("client_secret", ""), 401, "invalid_client", "AADSTS7000218"},
		"unknown app":    {with("client_id", "99999999-2222-4333-8444-555555555555"), 400, "unauthorized_client", "AADSTS700016"},
		"no scope":       {with("scope", ""), 400, "invalid_request", "AADSTS90014"},
		"other scope":    {with("scope", "https://api.partnercenter.microsoft.com/.default"), 400, "invalid_scope", "AADSTS70011"},
		"password grant": {with("grant_type", "password"), 400, "unsupported_grant_type", "AADSTS70003"},
		"no refresh":     {with("refresh_token", ""), 400, "invalid_request", "AADSTS900144"},
	} {
		status, m := post(tenant, "/oauth2/v2.0/token", c.form)
		desc, _ := m["error_description"].(string)
		if status != c.status || m["error"] != c.err || !strings.HasPrefix(desc, c.code+": ") || m["trace_id"] == nil || m["error_codes"] == nil {
			t.Errorf("%s: %d %v, want %d %s %s", name, status, m, c.status, c.err, c.code)
		}
		if strings.Contains(desc, appSecret) || strings.Contains(desc, "wrong-secret-value-xyz") {
			t.Errorf("%s: a secret in %q", name, desc)
		}
	}
	status, _ := post(tenant, "/oauth2/token", with("resource", graphfake.DefaultClientID))
	if status != http.StatusNotFound {
		t.Errorf("the v1 endpoint answered %d by default, want 404", status)
	}
	resp, err := hc.Get(base + "/" + tenant + "/oauth2/v2.0/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET on the token endpoint: %d", resp.StatusCode)
	}
	// The refresh token of one app is not another's.
	_, hc2, base2 := twoTenants(t, graphfake.WithApp("3c3c3c3c-4e5a-4b7c-9d8e-0f1a2b3c4d5e", "second-secret-123456"))
	tok, err := refresh(t, hc2, base2, tenant, seedRT)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"3c3c3c3c-4e5a-4b7c-9d8e-0f1a2b3c4d5e"}, "client_secret": {"second-secret-123456"},
		"refresh_token": {tok.RefreshToken}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err = hc2.PostForm(base2+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another app's refresh token: %d", resp.StatusCode)
	}
}

func TestRefreshTokenRotationOptions(t *testing.T) {
	_, hc, base := twoTenants(t, graphfake.WithRefreshTokenRotation(true, true))
	tok, err := refresh(t, hc, base, tenant, seedRT)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(t, hc, base, tenant, seedRT); err == nil || !strings.Contains(err.Error(), "AADSTS70008") {
		t.Fatalf("a used refresh token was accepted with revokeUsed: %v", err)
	}
	if _, err := refresh(t, hc, base, tenant, tok.RefreshToken); err != nil {
		t.Fatalf("the newest refresh token was refused: %v", err)
	}

	_, hc, base = twoTenants(t, graphfake.WithRefreshTokenRotation(false, false))
	tok, err = refresh(t, hc, base, tenant, seedRT)
	if err != nil || tok.RefreshToken != seedRT {
		t.Fatalf("without rotation the refresh token must come back unchanged: %+v %v", tok, err)
	}
}

func TestAnyRefreshTokenWithoutSeedAndV1Endpoint(t *testing.T) {
	s, err := graphfake.New(graphfake.WithTenant(tenant, sampleSkus(t)), graphfake.WithTokenEndpoint("both"))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: s.Transport()}
	cfg := oauthConfig(baseURL, tenant)
	cfg.ClientSecret = "any-secret"
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	// golang.org/x/oauth2 alone sends no scope on a refresh: refused, as by Entra ID.
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "whatever"}).Token()
	if err == nil || !strings.Contains(err.Error(), "AADSTS90014") {
		t.Fatalf("a refresh without scope: %v", err)
	}
	ctx = context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: scoped{s.Transport()}})
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "whatever"}).Token(); err != nil {
		t.Fatalf("any refresh token and any app without WithRefreshToken and WithApp: %v", err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {appID}, "client_secret": {"x"},
		"refresh_token": {"whatever"}, "resource": {"https://graph.microsoft.com"}}
	resp, err := hc.PostForm(baseURL+"/"+tenant+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode != 200 || m["expires_in"] != "3600" || m["resource"] != "https://graph.microsoft.com" || m["access_token"] == "" {
		t.Fatalf("v1 answer %d %v", resp.StatusCode, m)
	}
	tok := m["access_token"].(string)
	wantStatus(t, do(t, hc, call{path: "/v1.0/subscribedSkus", token: &tok}), http.StatusOK)
}

func TestGraphRefusesMissingUnknownAndExpiredTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := graphfake.New(graphfake.WithTenant(tenant, sampleSkus(t)), graphfake.WithTokenLifetime(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: s.Transport()}
		tok, err := refresh(t, hc, baseURL, tenant, "rt")
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Until(tok.Expiry); got != 2*time.Minute {
			t.Fatalf("expires in %v", got)
		}
		wantStatus(t, do(t, hc, call{path: "/v1.0/subscribedSkus", token: &tok.AccessToken}), http.StatusOK)
		time.Sleep(2 * time.Minute)
		r := do(t, hc, call{path: "/v1.0/subscribedSkus", token: &tok.AccessToken})
		wantError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
			t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
		}
		wantError(t, do(t, hc, call{path: "/v1.0/subscribedSkus", token: ptr("")}), http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		wantError(t, do(t, hc, call{path: "/v1.0/subscribedSkus", token: ptr("forged")}), http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
		wantError(t, do(t, hc, call{path: "/v1.0/subscribedSkus", header: map[string]string{"Authorization": "Basic " + tok.AccessToken}}),
			http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		if r := do(t, hc, call{path: "/v1.0/subscribedSkus", token: ptr("forged")}); strings.Contains(string(r.body), "forged") {
			t.Fatalf("the token is quoted: %s", r.body)
		}
		if st := s.Stats(); st.Unauthorized != 5 {
			t.Fatalf("Unauthorized = %d", st.Unauthorized)
		}
	})
}

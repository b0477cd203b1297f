package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graph"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
	"github.com/bulkassign/bulkassign/pkg/client/productnames"
)

// IDs of samples/graph-subscribedskus.json.
const (
	skuAADP1   = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4" // AAD_PREMIUM: 15 enabled, a Company plan
	skuAXTask  = "54b84594-9c77-4499-8d65-5e0d5f410e78" // AX_TASK_USER: 1 enabled, no plans
	skuFaculty = "984df360-9a74-4647-8cf8-696749f6247a" // MEE_FACULTY: 72 enabled, 49 consumed
	skuWinE5   = "1e7e1070-8ccb-4aca-b470-d7cb538cb07e" // WIN_ENT_E5
	skuE3      = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK: 6000 enabled, 1200 consumed
	skuE5      = "c7df2760-2c81-4ef7-b578-5b5392b571df" // ENTERPRISEPREMIUM: 6000 enabled, 500 consumed
	skuStore   = "6470687e-a428-4b7a-bef2-8a291ad947c9" // WINDOWS_STORE: appliesTo Company
	skuAbsent  = "0118a350-71fc-4ec3-8f0c-6a1cb8867561" // in no catalogue

	planExchange   = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE, E3 and E5
	planSway       = "a23b959c-7ce8-4e57-9140-b90eb88a9e97" // SWAY, E3 and E5
	planYammer     = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE, E3 and E5
	planFoundation = "113feb6c-3fe4-4440-bddc-54d774bf0318" // EXCHANGE_S_FOUNDATION: appliesTo Company
	planMFA        = "8a256a2b-b617-496d-b51b-e76466e88db0" // MFA_PREMIUM, AAD P1
	planWinATP     = "871d91ec-ec1a-452b-a83f-bd76c7d770ef" // WINDEFATP, Windows E5

	tenantA = graphfake.DefaultTenantID
	tenantB = "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6"
	groupID = "9c0a3e51-6b7d-4f2e-8a19-2d5c7e4b3f60"

	// Distinctive access tokens: no error text may hold any part of them.
	tokenA = "eyJ0eXAiOiJKV1QiLCJhbGciOi.TENANT-A-SECRET-Zq81xx"
	tokenB = "eyJ0eXAiOiJKV1QiLCJhbGciOi.TENANT-B-SECRET-Wv27yy"

	samplePath = "../../../samples/graph-subscribedskus.json"
)

// names is a small table in Microsoft's format, E3 and E5 only.
const names = "\uFEFFProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\r\n" +
	"Office 365 E3,ENTERPRISEPACK," + skuE3 + ",EXCHANGE_S_ENTERPRISE," + planExchange + ",Exchange Online (Plan 2)\r\n" +
	"Office 365 E3,ENTERPRISEPACK," + skuE3 + ",SWAY," + planSway + ",Sway\r\n" +
	"Office 365 E5,ENTERPRISEPREMIUM," + skuE5 + ",EXCHANGE_S_ENTERPRISE," + planExchange + ",Exchange Online (Plan 2)\r\n"

func sampleSkus(t testing.TB) []graphfake.SubscribedSku {
	t.Helper()
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	skus, err := graphfake.LoadSubscribedSkus(f)
	if err != nil {
		t.Fatal(err)
	}
	return skus
}

func testNames(t testing.TB) graph.Names {
	t.Helper()
	tb, err := productnames.Load(strings.NewReader(names))
	if err != nil {
		t.Fatal(err)
	}
	return graph.ProductNames(tb)
}

// tokens hands out one token per tenant and records the tenants asked for.
type tokens struct {
	mu     sync.Mutex
	byTen  map[string]string
	asked  map[string]int
	failed error
}

func newTokens() *tokens {
	return &tokens{byTen: map[string]string{tenantA: tokenA, tenantB: tokenB}, asked: map[string]int{}}
}

func (ts *tokens) Token(_ context.Context, tenant string) (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.asked[tenant]++
	if ts.failed != nil {
		return nil, ts.failed
	}
	tok, ok := ts.byTen[tenant]
	if !ok {
		return nil, errors.New("no refresh token for tenant " + tenant)
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, nil
}

// env is a graphfake with tenants A and B (the sample catalogue, n users each, one
// token each) and a backend reaching it in process through a recording transport.
type env struct {
	fake   *graphfake.Server
	be     *graph.Backend
	rec    *recorder
	ts     *tokens
	users  []graphfake.User // tenant A's
	usersB []graphfake.User
}

// newEnv builds an env; call it inside the synctest bubble that uses it.
func newEnv(t testing.TB, n int, fakeOpts []graphfake.Option, opts ...client.Option) *env {
	t.Helper()
	e := &env{ts: newTokens()}
	e.users = graphfake.GenerateUsers(n, "contoso.onmicrosoft.com", 1)
	e.usersB = graphfake.GenerateUsers(n, "fabrikam.onmicrosoft.com", 2)
	all := append([]graphfake.Option{
		graphfake.WithTenant(tenantA, sampleSkus(t)),
		graphfake.WithUsers(tenantA, e.users),
		graphfake.WithStaticToken(tokenA, tenantA),
		graphfake.WithTenant(tenantB, sampleSkus(t)),
		graphfake.WithUsers(tenantB, e.usersB),
		graphfake.WithStaticToken(tokenB, tenantB),
		graphfake.WithRequestLog(),
		graphfake.WithSeed(7),
	}, fakeOpts...)
	fake, err := graphfake.New(all...)
	if err != nil {
		t.Fatalf("graphfake.New: %v", err)
	}
	e.fake = fake
	e.rec = &recorder{next: fake.Transport()}
	be, err := graph.NewBackend(append([]client.Option{
		client.WithTokens(e.ts),
		client.WithHTTPClient(&http.Client{Transport: e.rec}),
	}, opts...)...)
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	if err := be.UseNames(testNames(t)); err != nil {
		t.Fatal(err)
	}
	e.be = be
	return e
}

// sent is one HTTP request as it left the backend.
type sent struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// recorder records every request and can stand in for the server's answers.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []sent
	// hook, when set, may answer a request itself (or fail it) instead of next.
	hook func(r *http.Request, body []byte) (*http.Response, error, bool)
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, sent{r.Method, r.URL.String(), r.Header.Clone(), body})
	hook := rc.hook
	rc.mu.Unlock()
	if hook != nil {
		if resp, err, ok := hook(r, body); ok {
			return resp, err
		}
	}
	return rc.next.RoundTrip(r)
}

func (rc *recorder) sent() []sent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]sent(nil), rc.reqs...)
}

// batchItem is one request of a $batch body as sent.
type batchItem struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// batches decodes the $batch bodies sent, in order.
func (rc *recorder) batches(t testing.TB) [][]batchItem {
	t.Helper()
	var out [][]batchItem
	for _, s := range rc.sent() {
		if !strings.HasSuffix(s.URL, "/v1.0/$batch") {
			continue
		}
		var b struct {
			Requests []batchItem `json:"requests"`
		}
		if err := json.Unmarshal(s.Body, &b); err != nil {
			t.Fatalf("$batch body %s: %v", s.Body, err)
		}
		out = append(out, b.Requests)
	}
	return out
}

// answer is a canned answer for a recorder hook.
func answer(r *http.Request, status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// noSecret fails when text holds any 12-character part of a test token.
func noSecret(t testing.TB, text string) {
	t.Helper()
	for _, tok := range []string{tokenA, tokenB} {
		for i := 0; i+12 <= len(tok); i++ {
			if strings.Contains(strings.ToLower(text), strings.ToLower(tok[i:i+12])) {
				t.Fatalf("text holds part of a token (%q): %s", tok[i:i+12], text)
			}
		}
	}
}

// wantReason checks that err is an *APIError with the reason, and holds no secret.
func wantReason(t testing.TB, err error, status int, reason client.Reason) *client.APIError {
	t.Helper()
	var e *client.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *APIError", err, err)
	}
	if e.StatusCode != status || e.Reason != reason {
		t.Fatalf("error %v: status %d reason %q, want %d %q", err, e.StatusCode, e.Reason, status, reason)
	}
	noSecret(t, err.Error())
	return e
}

// assign is a change assigning skus (every plan) to a user of a tenant.
func assign(tenant, user string, skus ...string) client.Change {
	ch := client.Change{Customer: tenant, User: user}
	for _, s := range skus {
		ch.Assign = append(ch.Assign, client.Assignment{SkuID: s})
	}
	return ch
}

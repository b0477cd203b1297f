package graphfake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

// SKU and plan IDs of samples/graph-subscribedskus.json.
const (
	skuAADP1  = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4" // 15 enabled, 0 consumed
	skuAXTask = "54b84594-9c77-4499-8d65-5e0d5f410e78" // 1 enabled, no plans
	skuWinE5  = "1e7e1070-8ccb-4aca-b470-d7cb538cb07e" // 112 enabled, 41 consumed
	skuE3     = "6fd2c87f-b296-42f0-b197-1e91e994b900" // 6000 enabled, 1200 consumed
	skuE5     = "c7df2760-2c81-4ef7-b578-5b5392b571df" // 6000 enabled, 500 consumed
	skuStore  = "6470687e-a428-4b7a-bef2-8a291ad947c9" // appliesTo Company
	skuAbsent = "0118a350-71fc-4ec3-8f0c-6a1cb8867561" // in no catalogue

	planExchange = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE, E3 and E5
	planYammer   = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE, E3 and E5
	planSway     = "a23b959c-7ce8-4e57-9140-b90eb88a9e97" // SWAY, E3 and E5
	planWinATP   = "871d91ec-ec1a-452b-a83f-bd76c7d770ef" // WINDEFATP, Windows E5
	planMFA      = "8a256a2b-b617-496d-b51b-e76466e88db0" // MFA_PREMIUM, AAD P1

	testToken  = "test-token"
	baseURL    = "https://graph.test"
	samplePath = "../../../samples/graph-subscribedskus.json"
	groupID    = "9c0a3e51-6b7d-4f2e-8a19-2d5c7e4b3f60"
	otherID    = "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6" // a second tenant
)

const tenant = graphfake.DefaultTenantID

func sampleSkus(t testing.TB) []graphfake.SubscribedSku {
	t.Helper()
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	skus, err := graphfake.LoadSubscribedSkus(f)
	if err != nil {
		t.Fatalf("LoadSubscribedSkus: %v", err)
	}
	return skus
}

// newFake builds a fake serving the sample catalogue to DefaultTenantID with n
// generated users and testToken, and a client reaching it in process.
func newFake(t testing.TB, n int, opts ...graphfake.Option) (*graphfake.Server, *http.Client, []graphfake.User) {
	t.Helper()
	users := graphfake.GenerateUsers(n, "contoso.onmicrosoft.com", 1)
	all := append([]graphfake.Option{
		graphfake.WithTenant(tenant, sampleSkus(t)),
		graphfake.WithUsers(tenant, users),
		graphfake.WithStaticToken(testToken, tenant),
	}, opts...)
	s, err := graphfake.New(all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, &http.Client{Transport: s.Transport()}, users
}

// call describes one request; zero fields get defaults.
type call struct {
	ctx    context.Context
	method string // GET
	path   string // below the host, e.g. /v1.0/users
	body   string
	token  *string // nil: testToken
	header map[string]string
}

// reply is an answer read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func do(t testing.TB, hc *http.Client, c call) reply {
	t.Helper()
	if c.ctx == nil {
		c.ctx = context.Background()
	}
	if c.method == "" {
		c.method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	url := c.path
	if !strings.HasPrefix(url, "http") {
		url = baseURL + url
	}
	req, err := http.NewRequestWithContext(c.ctx, c.method, url, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	tok := testToken
	if c.token != nil {
		tok = *c.token
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func get(t testing.TB, hc *http.Client, path string) reply {
	t.Helper()
	return do(t, hc, call{path: path})
}

// assign posts an assignLicense body for user.
func assign(t testing.TB, hc *http.Client, user, body string) reply {
	t.Helper()
	return do(t, hc, call{method: http.MethodPost, path: "/v1.0/users/" + user + "/assignLicense", body: body})
}

// addBody is an assignLicense body adding skus with no plan disabled.
func addBody(skus ...string) string {
	adds := make([]map[string]any, len(skus))
	for i, s := range skus {
		adds[i] = map[string]any{"skuId": s, "disabledPlans": []string{}}
	}
	b, _ := json.Marshal(map[string]any{"addLicenses": adds, "removeLicenses": []string{}})
	return string(b)
}

// removeBody is an assignLicense body removing skus.
func removeBody(skus ...string) string {
	b, _ := json.Marshal(map[string]any{"addLicenses": []string{}, "removeLicenses": skus})
	return string(b)
}

func wantStatus(t testing.TB, r reply, status int) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("request failed: %v", r.err)
	}
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

// wantError checks a Graph error answer: status, code, a message containing msg,
// and an innerError echoing the answer's request-id and client-request-id.
func wantError(t testing.TB, r reply, status int, code, msg string) {
	t.Helper()
	wantStatus(t, r, status)
	var b struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				Date            string `json:"date"`
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if b.Error.Code != code || !strings.Contains(b.Error.Message, msg) {
		t.Fatalf("error = %q %q, want %q containing %q", b.Error.Code, b.Error.Message, code, msg)
	}
	in := b.Error.InnerError
	if in.Date == "" || in.RequestID == "" || in.ClientRequestID == "" {
		t.Fatalf("innerError incomplete: %s", r.body)
	}
	if r.header != nil && r.header.Get("request-id") != in.RequestID {
		t.Fatalf("innerError request-id %s, header %s", in.RequestID, r.header.Get("request-id"))
	}
}

// object decodes a JSON object answer.
func object(t testing.TB, r reply) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func wantUnits(t testing.TB, s *graphfake.Server, sku string, free, consumed int) {
	t.Helper()
	f, c := s.Units(tenant, sku)
	if f != free || c != consumed {
		t.Fatalf("units of %s = %d free, %d consumed; want %d, %d", sku, f, c, free, consumed)
	}
}

func ptr[T any](v T) *T { return &v }

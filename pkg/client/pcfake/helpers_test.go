package pcfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// Product SKU IDs of samples/subscribedskus.json.
const (
	skuAADP1     = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4" // group1, 15 available
	skuAXTask    = "54b84594-9c77-4499-8d65-5e0d5f410e78" // group1, 1 available, no plans
	skuMinecraft = "984df360-9a74-4647-8cf8-696749f6247a" // group2, 23 available
	skuWinE5     = "1e7e1070-8ccb-4aca-b470-d7cb538cb07e" // group1, 71 available
	skuE3        = "6fd2c87f-b296-42f0-b197-1e91e994b900" // group1, 4800 available
	skuE5        = "c7df2760-2c81-4ef7-b578-5b5392b571df" // group1, 5500 available

	planYammer = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE, in E3 and E5
	planSway   = "a23b959c-7ce8-4e57-9140-b90eb88a9e97" // SWAY, in E3 and E5

	testToken  = "test-token"
	baseURL    = "http://partnercenter.test"
	samplePath = "../../../samples/subscribedskus.json"
)

const cust = pcfake.DefaultCustomerID

func sampleSkus(t *testing.T) []partnercenter.SubscribedSku {
	t.Helper()
	skus, err := pcfake.LoadCatalogueFile(samplePath)
	if err != nil {
		t.Fatalf("LoadCatalogueFile: %v", err)
	}
	return skus
}

// newFake builds a fake serving the sample catalogue to DefaultCustomerID, expecting
// testToken, and a client that reaches it in process.
func newFake(t *testing.T, opts ...pcfake.Option) (*pcfake.Server, *http.Client) {
	t.Helper()
	all := append([]pcfake.Option{
		pcfake.WithCustomer(cust, sampleSkus(t)),
		pcfake.WithToken(testToken),
	}, opts...)
	s := mustNew(t, all...)
	return s, &http.Client{Transport: s.Transport()}
}

// mustNew builds a fake, failing the test when New refuses the options.
func mustNew(t *testing.T, opts ...pcfake.Option) *pcfake.Server {
	t.Helper()
	s, err := pcfake.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if s == nil {
		t.Fatal("New returned no Server and no error")
	}
	return s
}

// reply is an answer read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// call describes one request; zero fields get defaults.
type call struct {
	ctx           context.Context
	method        string
	path          string
	body          string
	token         *string // nil: testToken
	requestID     string
	correlationID string
}

func do(t *testing.T, hc *http.Client, c call) reply {
	t.Helper()
	if c.ctx == nil {
		c.ctx = context.Background()
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(c.ctx, c.method, baseURL+c.path, body)
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
	if c.requestID != "" {
		req.Header.Set("MS-RequestId", c.requestID)
	}
	if c.correlationID != "" {
		req.Header.Set("MS-CorrelationId", c.correlationID)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{err: err}
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func updatesPath(customer, user string) string {
	return "/v1/customers/" + url.PathEscape(customer) + "/users/" + url.PathEscape(user) + "/licenseupdates"
}

func skusPath(customer, query string) string {
	p := "/v1/customers/" + url.PathEscape(customer) + "/subscribedskus"
	if query != "" {
		p += "?" + query
	}
	return p
}

// postUpdate posts a LicenseUpdate for a user of the default customer.
func postUpdate(t *testing.T, hc *http.Client, user, requestID string, upd partnercenter.LicenseUpdate) reply {
	t.Helper()
	return do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, user), body: mustJSON(t, upd), requestID: requestID})
}

func getSkus(t *testing.T, hc *http.Client, query string) reply {
	t.Helper()
	return do(t, hc, call{method: http.MethodGet, path: skusPath(cust, query)})
}

func assign(skuIDs ...string) partnercenter.LicenseUpdate {
	var u partnercenter.LicenseUpdate
	for _, id := range skuIDs {
		u.LicensesToAssign = append(u.LicensesToAssign, partnercenter.LicenseAssignment{SkuID: id})
	}
	return u
}

func swap(remove, add string) partnercenter.LicenseUpdate {
	u := assign(add)
	u.LicensesToRemove = []string{remove}
	return u
}

func remove(skuIDs ...string) partnercenter.LicenseUpdate {
	return partnercenter.LicenseUpdate{LicensesToRemove: skuIDs}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// wantStatus fails the test unless r is an answer with the status.
func wantStatus(t *testing.T, r reply, status int) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("request failed: %v (want status %d)", r.err, status)
	}
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

// apiErr is the Partner Center error body with code kept as raw JSON, so that tests
// can tell a number from a string.
type apiErr struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
	Data        []string        `json:"data"`
	Source      string          `json:"source"`
}

// wantError fails the test unless r is an error answer with the status and numeric code.
func wantError(t *testing.T, r reply, status int, code string) apiErr {
	t.Helper()
	wantStatus(t, r, status)
	var e apiErr
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("decode error body %s: %v", r.body, err)
	}
	if string(e.Code) != code {
		t.Fatalf("code = %s, want the number %s; body %s", e.Code, code, r.body)
	}
	if e.Source != "PartnerFD" || e.Description == "" || e.Data == nil {
		t.Fatalf("error body lacks source, description or data: %s", r.body)
	}
	return e
}

func decodeSkus(t *testing.T, r reply) partnercenter.SubscribedSkus {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var coll partnercenter.SubscribedSkus
	if err := json.Unmarshal(r.body, &coll); err != nil {
		t.Fatalf("decode subscribedskus %s: %v", r.body, err)
	}
	return coll
}

func wantUnits(t *testing.T, s *pcfake.Server, skuID string, available, consumed int) {
	t.Helper()
	a, c := s.Units(cust, skuID)
	if a != available || c != consumed {
		t.Fatalf("units of %s = %d available, %d consumed; want %d, %d", skuID, a, c, available, consumed)
	}
}

func ptr[T any](v T) *T { return &v }

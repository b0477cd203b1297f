package pcfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// inspect GETs (or sends method to) an inspection path with no token and returns the
// status and body.
func inspect(t *testing.T, hc *http.Client, method, pathAndQuery string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, baseURL+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q", method, pathAndQuery, ct)
	}
	return resp.StatusCode, b
}

// inspectJSON GETs an inspection path, wants 200 and decodes the body into v.
func inspectJSON(t *testing.T, hc *http.Client, pathAndQuery string, v any) {
	t.Helper()
	status, body := inspect(t, hc, http.MethodGet, pathAndQuery)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", pathAndQuery, status, body)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("GET %s: decode %s: %v", pathAndQuery, body, err)
	}
}

// inspectError GETs an inspection path and wants an error answer with the status whose
// message contains want.
func inspectError(t *testing.T, hc *http.Client, pathAndQuery string, status int, want string) {
	t.Helper()
	got, body := inspect(t, hc, http.MethodGet, pathAndQuery)
	var e struct {
		Error string `json:"error"`
	}
	if got != status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, want) {
		t.Fatalf("GET %s = %d %s; want %d with an error naming %q", pathAndQuery, got, body, status, want)
	}
}

// TestInspectionShowsTheLedger drives a few calls over a real loopback server and
// reads the state back through every endpoint: each answer must equal what the
// in-process accessors say.
func TestInspectionShowsTheLedger(t *testing.T) {
	fake := mustNew(t,
		pcfake.WithCustomer(cust, sampleSkus(t)),
		pcfake.WithToken(testToken),
		pcfake.WithHolder(cust, "held@contoso.com", skuE3),
		pcfake.WithInspection(),
	)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	hc := &http.Client{Transport: rewriteTo{srv.URL, srv.Client().Transport}}

	e5NoSway := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE5, ExcludedPlans: []string{planSway}}}}
	wantStatus(t, postUpdate(t, hc, "ann@contoso.com", "r1", e5NoSway), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, "held@contoso.com", "r2", swap(skuE3, skuE5)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, "bob@contoso.com", "r3", assign(skuMinecraft)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, "bob@contoso.com", "r3", assign(skuMinecraft)), http.StatusCreated) // replayed
	wantStatus(t, postUpdate(t, hc, "bob@contoso.com", "r4", assign(skuMinecraft)), http.StatusCreated) // reapplied
	wantError(t, postUpdate(t, hc, "cy@contoso.com", "r5", assign(skuAXTask, skuAXTask+"x")), http.StatusBadRequest, "800002")
	wantStatus(t, getSkus(t, hc, "licenseGroupIds=Group2"), http.StatusOK)
	before := fake.Stats()

	var st pcfake.Stats
	inspectJSON(t, hc, "/_pcfake/stats", &st)
	if !reflect.DeepEqual(st, before) {
		t.Fatalf("/_pcfake/stats = %+v\nwant %+v", st, before)
	}
	if st.Applied != 4 || st.Replayed != 1 || st.Reapplied != 1 || st.Posts != 6 || st.Gets != 1 {
		t.Fatalf("stats = %+v; want 6 POSTs, 4 applied, 1 replayed, 1 reapplied, 1 GET", st)
	}

	var holdings map[string]map[string][]string
	inspectJSON(t, hc, "/_pcfake/holdings?customer="+strings.ToUpper(cust), &holdings)
	want := map[string]map[string][]string{
		"ann@contoso.com":  {skuE5: {planSway}},
		"held@contoso.com": {skuE5: nil},
		"bob@contoso.com":  {skuMinecraft: nil},
	}
	if !reflect.DeepEqual(holdings, want) || !reflect.DeepEqual(holdings, fake.Holdings(cust)) {
		t.Fatalf("/_pcfake/holdings = %v\nwant %v (Holdings: %v)", holdings, want, fake.Holdings(cust))
	}

	var units []pcfake.SkuUnits
	inspectJSON(t, hc, "/_pcfake/units?customer="+cust, &units)
	skus := sampleSkus(t)
	if len(units) != len(skus) {
		t.Fatalf("/_pcfake/units lists %d SKUs, the catalogue has %d: %+v", len(units), len(skus), units)
	}
	for i, u := range units {
		p := skus[i].ProductSku
		a, c := fake.Units(cust, p.ID)
		if u.SkuID != p.ID || u.SkuPartNumber != p.SkuPartNumber || u.LicenseGroup != strings.ToLower(p.LicenseGroupID) || u.Available != a || u.Consumed != c {
			t.Errorf("units[%d] = %+v; want %s %s %s, %d available, %d consumed", i, u, p.ID, p.SkuPartNumber, p.LicenseGroupID, a, c)
		}
	}
	// E5: two assigned from 5500 available, 500 consumed; E3: WithHolder took one and the swap gave it back.
	inspectJSON(t, hc, "/_pcfake/units?customer="+cust+"&sku="+strings.ToUpper(skuE5), &units)
	if len(units) != 1 || units[0].SkuID != skuE5 || units[0].Available != 5498 || units[0].Consumed != 502 {
		t.Fatalf("units of E5 = %+v; want 5498 available, 502 consumed", units)
	}
	inspectJSON(t, hc, "/_pcfake/units?customer="+cust+"&sku="+skuE3, &units)
	if len(units) != 1 || units[0].Available != 4800 || units[0].Consumed != 1200 {
		t.Fatalf("units of E3 = %+v; want 4800 available, 1200 consumed", units)
	}

	var log []pcfake.Request
	inspectJSON(t, hc, "/_pcfake/requests", &log)
	if got := fake.Requests(); len(log) != 7 || !sameRequests(log, got) {
		t.Fatalf("/_pcfake/requests = %+v\nwant %+v", log, got)
	}
	if log[0].RequestID != "r1" || log[0].User != "ann@contoso.com" || !reflect.DeepEqual(log[0].Body, e5NoSway) || log[0].Status != http.StatusCreated {
		t.Fatalf("first logged request = %+v", log[0])
	}

	inspectError(t, hc, "/_pcfake/holdings", http.StatusBadRequest, "customer")
	inspectError(t, hc, "/_pcfake/units?customer=", http.StatusBadRequest, "customer")
	inspectError(t, hc, "/_pcfake/holdings?customer=3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d", http.StatusNotFound, "3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d")
	inspectError(t, hc, "/_pcfake/units?customer=3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d", http.StatusNotFound, "3a9d2c4e")
	inspectError(t, hc, "/_pcfake/units?customer="+cust+"&sku=nope", http.StatusNotFound, "nope")
	inspectError(t, hc, "/_pcfake/ledger", http.StatusNotFound, "/_pcfake/stats")
	if status, body := inspect(t, hc, http.MethodPost, "/_pcfake/stats"); status != http.StatusMethodNotAllowed || !strings.Contains(string(body), "GET only") {
		t.Fatalf("POST /_pcfake/stats = %d %s, want 405", status, body)
	}

	// None of the inspection calls counted, nor reached the log.
	if after := fake.Stats(); !reflect.DeepEqual(after, before) {
		t.Fatalf("inspection changed the stats:\n%+v\nwas\n%+v", after, before)
	}
	if n := len(fake.Requests()); n != 7 {
		t.Fatalf("request log holds %d requests after inspection, want 7", n)
	}
}

// sameRequests compares request logs that went through JSON (times lose their
// monotonic clock reading).
func sameRequests(a, b []pcfake.Request) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.At.Equal(y.At) {
			return false
		}
		x.At, y.At = time.Time{}, time.Time{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// TestInspectionIsOffByDefault: without WithInspection the paths are unknown Partner
// Center paths, answered 404 with the API's error body and counted like any request.
func TestInspectionIsOffByDefault(t *testing.T) {
	s, hc := newFake(t)
	for _, p := range []string{"/_pcfake/stats", "/_pcfake/holdings?customer=" + cust, "/_pcfake/units?customer=" + cust, "/_pcfake/requests"} {
		r := do(t, hc, call{method: http.MethodGet, path: p})
		wantError(t, r, http.StatusNotFound, "800002")
	}
	if st := s.Stats(); st.Requests != 4 || st.ByStatus[http.StatusNotFound] != 4 {
		t.Fatalf("stats = %+v, want 4 requests answered 404", st)
	}
}

// TestInspectionBypassesFaults: an inspection call needs no token and meets none of
// the latency, throttling or injected failures every Partner Center call meets.
func TestInspectionBypassesFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t,
			pcfake.WithInspection(),
			pcfake.WithLatency(time.Hour, 0),
			pcfake.WithRateLimit(0.001, 1),
			pcfake.WithFailureRate(1),
		)
		// The one token of the bucket goes to this call, which fails after an hour.
		if r := getSkus(t, hc, ""); r.status != http.StatusInternalServerError && r.status != http.StatusServiceUnavailable {
			t.Fatalf("GET subscribedskus = %d %v, want an injected 500 or 503", r.status, r.err)
		}
		start := time.Now()
		for range 3 {
			var st pcfake.Stats
			inspectJSON(t, hc, "/_pcfake/stats", &st)
			if st.Requests != 1 || st.Failed != 1 {
				t.Fatalf("stats = %+v, want the one failed request", st)
			}
			var units []pcfake.SkuUnits
			inspectJSON(t, hc, "/_pcfake/units?customer="+cust+"&sku="+skuE3, &units)
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("inspection waited %v", waited)
		}
		if st := s.Stats(); st.Requests != 1 || st.Throttled != 0 || st.Unauthorized != 0 {
			t.Fatalf("stats after inspection = %+v", st)
		}
	})
}

// rewriteTo sends requests made for baseURL to a loopback server instead.
type rewriteTo struct {
	url string
	rt  http.RoundTripper
}

func (r rewriteTo) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	u := *req.URL
	target, err := u.Parse(r.url)
	if err != nil {
		return nil, err
	}
	out.URL.Scheme, out.URL.Host, out.Host = target.Scheme, target.Host, ""
	return r.rt.RoundTrip(out)
}

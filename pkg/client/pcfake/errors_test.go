package pcfake_test

import (
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestOutOfLicensesIsTheDocsAnswer(t *testing.T) {
	s, hc := newFake(t)
	wantStatus(t, postUpdate(t, hc, "u1", "", assign(skuAXTask)), http.StatusCreated)
	wantUnits(t, s, skuAXTask, 0, 1)

	r := postUpdate(t, hc, "u2", "", assign(skuAXTask))
	e := wantError(t, r, http.StatusBadRequest, "60012")
	wantDesc := "We&#39;re sorry, it looks like you\u2019ve run out of licenses. Buy more licenses, and then try again."
	if e.Description != wantDesc {
		t.Errorf("description = %q\nwant          %q", e.Description, wantDesc)
	}
	wantData := []string{"LicenseQuotaExceededException : Subscription with Account " + cust + " and SKU " + skuAXTask + " does not have any available licenses left."}
	if !reflect.DeepEqual(e.Data, wantData) {
		t.Errorf("data = %q\nwant   %q", e.Data, wantData)
	}
	// The entity travels as written, not escaped as \u0026#39;.
	if !strings.Contains(string(r.body), `"description":"We&#39;re sorry`) || !strings.Contains(string(r.body), `"code":60012,`) {
		t.Errorf("raw body %s lacks the literal entity or the numeric code", r.body)
	}
	wantUnits(t, s, skuAXTask, 0, 1)
	if _, ok := s.Holdings(cust)["u2"]; ok {
		t.Fatal("u2 holds something after a 60012")
	}
}

func TestRequestIsAllOrNothing(t *testing.T) {
	s, hc := newFake(t, pcfake.WithHolder(cust, "u1", skuAXTask), pcfake.WithHolder(cust, "u2", skuE3))
	before := s.Holdings(cust)
	// Remove E3 (held), assign P1 (available) and AX Task (none left): nothing happens.
	upd := partnercenter.LicenseUpdate{
		LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuAADP1}, {SkuID: skuAXTask}},
		LicensesToRemove: []string{skuE3},
	}
	e := wantError(t, postUpdate(t, hc, "u2", "", upd), http.StatusBadRequest, "60012")
	if !strings.Contains(e.Data[0], skuAXTask) {
		t.Errorf("data %q does not name the SKU that ran out", e.Data)
	}
	if got := s.Holdings(cust); !reflect.DeepEqual(got, before) {
		t.Fatalf("holdings changed by a refused request: %v, was %v", got, before)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	wantUnits(t, s, skuAADP1, 15, 0)
	wantUnits(t, s, skuAXTask, 0, 1)

	// A removal frees the unit the assignment in the same request needs.
	wantStatus(t, do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "u1"), body: mustJSON(t, swap(skuAXTask, skuAXTask))}), http.StatusCreated)
	wantUnits(t, s, skuAXTask, 0, 1)
}

func TestMixedLicenseGroupsRefused(t *testing.T) {
	s, hc := newFake(t, pcfake.WithHolder(cust, "u1", skuMinecraft))
	for name, upd := range map[string]partnercenter.LicenseUpdate{
		"assign both":             assign(skuE3, skuMinecraft),
		"remove group2, assign 1": swap(skuMinecraft, skuE3),
	} {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, postUpdate(t, hc, "u1", "", upd), http.StatusBadRequest, "800002")
			if !strings.Contains(e.Description, "group1 and group2") || !strings.Contains(e.Description, "one license group") {
				t.Errorf("description %q does not explain the mix", e.Description)
			}
			wantUnits(t, s, skuE3, 4800, 1200)
			wantUnits(t, s, skuMinecraft, 22, 50)
		})
	}
}

func TestInvalidInput(t *testing.T) {
	s, hc := newFake(t)
	tests := []struct {
		name, body, mention string
	}{
		{"unknown SKU to assign", mustJSON(t, assign("00000000-0000-0000-0000-000000000000")), "00000000-0000-0000-0000-000000000000"},
		{"unknown SKU to remove", mustJSON(t, swap("11111111-0000-0000-0000-000000000000", skuE3)), "11111111-0000-0000-0000-000000000000"},
		{"unknown plan", `{"licensesToAssign": [{"skuId": "` + skuE3 + `", "excludedPlans": ["` + planSway + `", "22222222-0000-0000-0000-000000000000"]}]}`, "22222222-0000-0000-0000-000000000000"},
		{"plan of another SKU", `{"licensesToAssign": [{"skuId": "` + skuAADP1 + `", "excludedPlans": ["` + planSway + `"]}]}`, planSway},
		{"malformed JSON", `{"licensesToAssign": [`, "not a valid LicenseUpdate"},
		{"wrong type", `{"licensesToAssign": "E3"}`, "not a valid LicenseUpdate"},
		{"empty body", ``, "empty"},
		{"nothing to do", `{"licensesToAssign": [], "licensesToRemove": null}`, "no license"},
		{"empty skuId", `{"licensesToAssign": [{"skuId": ""}]}`, "skuId is empty"},
		{"two values", `{"licensesToRemove": ["` + skuE3 + `"]} {}`, "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "u1"), body: tt.body})
			e := wantError(t, r, http.StatusBadRequest, "800002")
			if !strings.Contains(e.Description, tt.mention) {
				t.Errorf("description %q does not mention %q", e.Description, tt.mention)
			}
		})
	}
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuAADP1, 15, 0)
	if st := s.Stats(); st.Applied != 0 || st.ByStatus[http.StatusBadRequest] != len(tests) {
		t.Fatalf("stats = %+v, want nothing applied and %d 400s", st, len(tests))
	}
}

func TestUnknownCustomer(t *testing.T) {
	_, hc := newFake(t)
	const other = "11111111-2222-3333-4444-555555555555"
	for name, c := range map[string]call{
		"GET":  {method: http.MethodGet, path: skusPath(other, "")},
		"POST": {method: http.MethodPost, path: updatesPath(other, "u1"), body: mustJSON(t, assign(skuE3))},
	} {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, do(t, hc, c), http.StatusNotFound, "60003")
			if !reflect.DeepEqual(e.Data, []string{other}) {
				t.Fatalf("data = %v, want the customer ID", e.Data)
			}
		})
	}
}

func TestUnknownPath(t *testing.T) {
	_, hc := newFake(t)
	for _, c := range []call{
		{method: http.MethodPost, path: "/v1/customers/" + cust + "/users"},
		{method: http.MethodPut, path: "/v1/customers/" + cust + "/users/u1"},
		{method: http.MethodDelete, path: "/v1/customers/" + cust + "/users/u1"},
		{method: http.MethodPost, path: "/v1/customers/" + cust + "/users/u1/licenses"},
		{method: http.MethodDelete, path: skusPath(cust, "")},
		{method: http.MethodGet, path: updatesPath(cust, "u1")},
	} {
		wantError(t, do(t, hc, c), http.StatusNotFound, "800002")
	}
}

func TestUnauthorized(t *testing.T) {
	s, hc := newFake(t)
	tests := map[string]*string{
		"missing":     ptr(""),
		"empty token": ptr(" "),
		"wrong token": ptr("stolen-token"),
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				c := call{method: method, path: skusPath(cust, ""), token: tok}
				if method == http.MethodPost {
					c.path, c.body = updatesPath(cust, "u1"), mustJSON(t, assign(skuE3))
				}
				r := do(t, hc, c)
				wantError(t, r, http.StatusUnauthorized, "800001")
				if strings.Contains(string(r.body), "stolen-token") || strings.Contains(string(r.body), testToken) {
					t.Fatalf("the 401 body repeats a token: %s", r.body)
				}
			}
		})
	}
	t.Run("not bearer", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, baseURL+skusPath(cust, ""), nil)
		req.Header.Set("Authorization", "Basic "+testToken)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Basic auth got %d, want 401", resp.StatusCode)
		}
	})
	wantUnits(t, s, skuE3, 4800, 1200)
	if st := s.Stats(); st.Unauthorized != 7 || st.ByStatus[http.StatusUnauthorized] != 7 {
		t.Fatalf("Unauthorized = %d, ByStatus = %v; want 7", st.Unauthorized, st.ByStatus)
	}
}

func TestTokenDefaultsAndCheck(t *testing.T) {
	// Without WithToken any non-empty bearer token passes.
	s := mustNew(t, pcfake.WithCustomer(cust, sampleSkus(t)))
	hc := &http.Client{Transport: s.Transport()}
	wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("whatever")}), http.StatusOK)
	wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("")}), http.StatusUnauthorized)

	// A predicate, e.g. for a token that expires mid-run.
	var expired atomic.Bool
	s = mustNew(t, pcfake.WithCustomer(cust, sampleSkus(t)), pcfake.WithTokenCheck(func(tok string) bool {
		return tok == "fresh" && !expired.Load()
	}))
	hc = &http.Client{Transport: s.Transport()}
	wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("fresh")}), http.StatusOK)
	wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("stale")}), http.StatusUnauthorized)
	expired.Store(true)
	wantStatus(t, do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("fresh")}), http.StatusUnauthorized)
}

func TestEveryAnswerCarriesIDsAndJSON(t *testing.T) {
	s, hc := newFake(t, pcfake.WithRateLimit(1000, 1000))
	cases := map[int]call{
		http.StatusOK:           {method: http.MethodGet, path: skusPath(cust, "")},
		http.StatusCreated:      {method: http.MethodPost, path: updatesPath(cust, "u1"), body: mustJSON(t, assign(skuE3))},
		http.StatusBadRequest:   {method: http.MethodPost, path: updatesPath(cust, "u1"), body: "{"},
		http.StatusUnauthorized: {method: http.MethodGet, path: skusPath(cust, ""), token: ptr("")},
		http.StatusNotFound:     {method: http.MethodGet, path: skusPath("nobody", "")},
	}
	for status, c := range cases {
		c.requestID = "a37d3009-665d-4e12-b76e-1aa10cf80140-" + http.StatusText(status)
		c.correlationID = "c73c9570-c352-459e-98a3-dafe4bd8c821"
		r := do(t, hc, c)
		wantStatus(t, r, status)
		if r.header.Get("MS-RequestId") != c.requestID || r.header.Get("MS-CorrelationId") != c.correlationID {
			t.Errorf("%d: MS-RequestId %q, MS-CorrelationId %q; want them echoed", status, r.header.Get("MS-RequestId"), r.header.Get("MS-CorrelationId"))
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%d: Content-Type %q", status, ct)
		}
	}
	// A 429 and a 5xx as well.
	s.SetRateLimit(0.001, 1)
	do(t, hc, call{method: http.MethodGet, path: skusPath(cust, "")})
	r := do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), requestID: "r-429", correlationID: "c-429"})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("MS-RequestId") != "r-429" || r.header.Get("MS-CorrelationId") != "c-429" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("429 header = %v", r.header)
	}
	_, fhc := newFake(t, pcfake.WithFailureRate(1))
	r = do(t, fhc, call{method: http.MethodGet, path: skusPath(cust, ""), requestID: "r-5xx", correlationID: "c-5xx"})
	if r.status < 500 || r.header.Get("MS-RequestId") != "r-5xx" || r.header.Get("MS-CorrelationId") != "c-5xx" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("5xx answer = %d %v", r.status, r.header)
	}
}

func TestMissingIDsAreMadeUp(t *testing.T) {
	s, hc := newFake(t)
	r1 := postUpdate(t, hc, "u1", "", assign(skuE3))
	r2 := postUpdate(t, hc, "u1", "", assign(skuE3))
	wantStatus(t, r1, http.StatusCreated)
	wantStatus(t, r2, http.StatusCreated)
	id1, id2 := r1.header.Get("MS-RequestId"), r2.header.Get("MS-RequestId")
	if len(id1) != 36 || len(id2) != 36 || id1 == id2 {
		t.Fatalf("made-up request IDs %q and %q: want two distinct GUIDs", id1, id2)
	}
	if len(r1.header.Get("MS-CorrelationId")) != 36 {
		t.Fatalf("made-up correlation ID %q", r1.header.Get("MS-CorrelationId"))
	}
	// Two calls, not one replayed: both processed, the second a re-application.
	if st := s.Stats(); st.Applied != 2 || st.Replayed != 0 || st.Reapplied != 1 {
		t.Fatalf("stats = %+v, want 2 applied, 0 replayed, 1 reapplied", st)
	}
}

package partnercenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

// docsSkus is the response example of get-available-licenses-by-license-group.md (two of
// its four items; totalCount without the docs' leading-zero typo).
const docsSkus = `{
    "totalCount": 2,
    "items": [{
            "availableUnits": 15,
            "activeUnits": 15,
            "consumedUnits": 0,
            "suspendedUnits": 0,
            "totalUnits": 15,
            "warningUnits": 0,
            "productSku": {
                "id": "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
                "name": "Azure Active Directory Premium P1",
                "skuPartNumber": "AAD_PREMIUM",
                "targetType": "User",
                "licenseGroupId": "group1"
            },
            "servicePlans": [{
                    "displayName": "Exchange Foundation",
                    "serviceName": "EXCHANGE_S_FOUNDATION",
                    "id": "113feb6c-3fe4-4440-bddc-54d774bf0318",
                    "capabilityStatus": "Enabled",
                    "targetType": "Tenant"
                }
            ],
            "capabilityStatus": "Enabled",
            "attributes": {
                "objectType": "SubscribedSku"
            }
        }, {
            "availableUnits": 23,
            "activeUnits": 72,
            "consumedUnits": 49,
            "suspendedUnits": 0,
            "totalUnits": 72,
            "warningUnits": 0,
            "productSku": {
                "id": "984df360-9a74-4647-8cf8-696749f6247a",
                "name": "Minecraft Education Edition Faculty",
                "skuPartNumber": "CFQ7TTC0K5DR/0002",
                "targetType": "User",
                "licenseGroupId": "group2"
            },
            "servicePlans": [

            ],
            "capabilityStatus": "Enabled",
            "attributes": {
                "objectType": "SubscribedSku"
            }
        }
    ],
    "attributes": {
        "objectType": "Collection"
    }
}`

// docs60012 is the "license is not available" example of assign-licenses-to-a-user.md,
// copied exactly.
const docs60012 = `{
    "code": 60012,
    "description": "We&#39;re sorry, it looks like you’ve run out of licenses. Buy more licenses, and then try again.",
    "data": ["LicenseQuotaExceededException : Subscription with Account 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 and SKU f8a1db68-be16-40ed-86d5-cb42ce701560 does not have any available licenses left."],
    "source": "PartnerFD"
}`

// docs429 is the throttling body of api-notes.md.
const docs429 = `{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}`

func TestGetSubscribedSkusLicenseGroups(t *testing.T) {
	tests := []struct {
		name      string
		groups    []LicenseGroupID
		wantQuery string
	}{
		{"none", nil, ""},
		{"group1", []LicenseGroupID{Group1}, "licenseGroupIds=Group1"},
		{"both", []LicenseGroupID{Group1, Group2}, "licenseGroupIds=Group1&licenseGroupIds=Group2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			var gotQuery, gotMethod string
			calls := 0
			mux.HandleFunc(skusPath, func(w http.ResponseWriter, r *http.Request) {
				calls++
				gotMethod, gotQuery = r.Method, r.URL.RawQuery
				fmt.Fprint(w, docsSkus)
			})
			skus, resp, err := c.GetSubscribedSkus(context.Background(), testCustomer, tt.groups...)
			if err != nil {
				t.Fatalf("GetSubscribedSkus: %v", err)
			}
			if calls != 1 || gotMethod != http.MethodGet {
				t.Errorf("server saw %d requests, method %s; want one GET", calls, gotMethod)
			}
			if gotQuery != tt.wantQuery {
				t.Errorf("query = %q, want %q", gotQuery, tt.wantQuery)
			}
			if resp.StatusCode != http.StatusOK || resp.Attempts != 1 {
				t.Errorf("response = %+v, want status 200 after 1 attempt", resp)
			}
			if len(skus) != 2 {
				t.Fatalf("got %d SKUs, want 2", len(skus))
			}
			want0 := SubscribedSku{
				AvailableUnits: 15, ActiveUnits: 15, TotalUnits: 15,
				ProductSku: ProductSku{ID: "078d2b04-f1bd-4111-bbd4-b4b1b354cef4", Name: "Azure Active Directory Premium P1",
					SkuPartNumber: "AAD_PREMIUM", TargetType: "User", LicenseGroupID: "group1"},
				ServicePlans: []ServicePlan{{ID: "113feb6c-3fe4-4440-bddc-54d774bf0318", DisplayName: "Exchange Foundation",
					ServiceName: "EXCHANGE_S_FOUNDATION", CapabilityStatus: "Enabled", TargetType: "Tenant"}},
				CapabilityStatus: "Enabled",
				Attributes:       &Attributes{ObjectType: "SubscribedSku"},
			}
			if !reflect.DeepEqual(skus[0], want0) {
				t.Errorf("SKU 0 = %+v\nwant %+v", skus[0], want0)
			}
			if s := skus[1]; s.AvailableUnits != 23 || s.ConsumedUnits != 49 || s.ProductSku.LicenseGroupID != "group2" ||
				s.ProductSku.SkuPartNumber != "CFQ7TTC0K5DR/0002" || len(s.ServicePlans) != 0 {
				t.Errorf("SKU 1 = %+v", s)
			}
		})
	}
}

func TestGetSubscribedSkusEmptyCollection(t *testing.T) {
	for _, body := range []string{
		`{"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"}}`,
		`{"totalCount": 0}`,
	} {
		c, mux, _ := setup(t)
		mux.HandleFunc(skusPath, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, body)
		})
		skus, _, err := c.GetSubscribedSkus(context.Background(), testCustomer, Group2)
		if err != nil {
			t.Fatalf("GetSubscribedSkus: %v", err)
		}
		if skus == nil || len(skus) != 0 {
			t.Errorf("answer %s: skus = %#v, want an empty, non-nil slice", body, skus)
		}
	}
}

func TestHeaders(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			c, mux, _ := setup(t, WithLocale("fr-FR"))
			var h http.Header
			handler := func(w http.ResponseWriter, r *http.Request) {
				h = r.Header.Clone()
				if r.Method == http.MethodGet {
					fmt.Fprint(w, docsSkus)
					return
				}
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, `{"licensesToAssign":[],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`)
			}
			mux.HandleFunc(skusPath, handler)
			mux.HandleFunc(updatePath, handler)

			var resp *client.Response
			var err error
			if method == http.MethodGet {
				_, resp, err = c.GetSubscribedSkus(context.Background(), testCustomer, Group1)
			} else {
				_, resp, err = c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			}
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			want := map[string]string{
				"Authorization":           "Bearer " + testToken,
				"Accept":                  "application/json",
				"MS-CorrelationId":        testCorrelationID,
				"X-Locale":                "fr-FR",
				"User-Agent":              "bulkassign/" + client.Version,
				"MS-PartnerCenter-Client": "bulkassign " + client.Version,
			}
			if method == http.MethodPost {
				want["Content-Type"] = "application/json"
			} else {
				want["Content-Type"] = ""
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			rid := h.Get("MS-RequestId")
			if _, err := uuid.Parse(rid); err != nil || len(rid) != 36 {
				t.Errorf("MS-RequestId = %q, want a GUID", rid)
			}
			if resp.RequestID != rid || resp.CorrelationID != testCorrelationID {
				t.Errorf("response IDs = %q, %q; want %q, %q", resp.RequestID, resp.CorrelationID, rid, testCorrelationID)
			}
		})
	}
}

func TestDefaultHeadersAndCorrelationID(t *testing.T) {
	mux := http.NewServeMux()
	var got []string
	mux.HandleFunc(skusPath, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("MS-CorrelationId"))
		if r.Header.Get("X-Locale") != "en-US" {
			t.Errorf("X-Locale = %q, want en-US by default", r.Header.Get("X-Locale"))
		}
		fmt.Fprint(w, docsSkus)
	})
	var ids []string
	for range 2 {
		c, err := New(client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})),
			client.WithBaseURL("https://pc.test"), client.WithHTTPClient(&http.Client{Transport: clienttest.Handler(mux)}))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if _, err := uuid.Parse(c.CorrelationID()); err != nil {
			t.Errorf("CorrelationID() = %q, want a GUID", c.CorrelationID())
		}
		for range 2 {
			if _, _, err := c.GetSubscribedSkus(context.Background(), testCustomer); err != nil {
				t.Fatalf("GetSubscribedSkus: %v", err)
			}
		}
		ids = append(ids, c.CorrelationID())
	}
	want := []string{ids[0], ids[0], ids[1], ids[1]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MS-CorrelationId per request = %q, want %q", got, want)
	}
	if ids[0] == ids[1] {
		t.Errorf("two clients share correlation ID %s", ids[0])
	}
}

func TestRequestIDPerCall(t *testing.T) {
	c, mux, _ := setup(t)
	seq := &answerSequence{statuses: []int{503, 502, 201}}
	mux.Handle(updatePath, seq)

	_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
	if err != nil {
		t.Fatalf("UpdateLicenses: %v", err)
	}
	if resp.Attempts != 3 {
		t.Errorf("Attempts = %d, want 3", resp.Attempts)
	}
	reqs := seq.recorded()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	first := reqs[0].header.Get("MS-RequestId")
	for i, r := range reqs {
		if id := r.header.Get("MS-RequestId"); id != first {
			t.Errorf("attempt %d MS-RequestId = %q, want %q as on attempt 1", i+1, id, first)
		}
		if r.body != reqs[0].body || r.body == "" {
			t.Errorf("attempt %d body = %q, want %q as on attempt 1", i+1, r.body, reqs[0].body)
		}
	}
	if resp.RequestID != first {
		t.Errorf("client.Response.RequestID = %q, want %q", resp.RequestID, first)
	}

	if _, _, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne()); err != nil {
		t.Fatalf("second UpdateLicenses: %v", err)
	}
	reqs = seq.recorded()
	if next := reqs[3].header.Get("MS-RequestId"); next == first || next == "" {
		t.Errorf("second call MS-RequestId = %q, want a new one (first was %q)", next, first)
	}
}

func TestUpdateLicensesUserIsOnePathSegment(t *testing.T) {
	users := []string{
		testUser,
		"ada@contoso.com",
		"ada#1@contoso.com",
		"ada/lovelace@contoso.com",
		"ada?x=1@contoso.com",
		"ada lovelace@contoso.com",
		"ada%2Fx@contoso.com",
	}
	for _, user := range users {
		t.Run(user, func(t *testing.T) {
			c, mux, _ := setup(t)
			var gotUser, gotEscaped, gotQuery string
			calls := 0
			mux.HandleFunc("POST /v1/customers/{customer}/users/{user}/licenseupdates", func(w http.ResponseWriter, r *http.Request) {
				calls++
				gotUser, gotEscaped, gotQuery = r.PathValue("user"), r.URL.EscapedPath(), r.URL.RawQuery
				w.WriteHeader(http.StatusCreated)
			})
			if _, _, err := c.UpdateLicenses(context.Background(), testCustomer, user, assignOne()); err != nil {
				t.Fatalf("UpdateLicenses: %v", err)
			}
			if calls != 1 {
				t.Fatalf("handler called %d times, want 1", calls)
			}
			if gotUser != user {
				t.Errorf("user segment = %q, want %q", gotUser, user)
			}
			wantPath := "/v1/customers/" + testCustomer + "/users/" + url.PathEscape(user) + "/licenseupdates"
			if gotEscaped != wantPath {
				t.Errorf("escaped path = %q, want %q", gotEscaped, wantPath)
			}
			if gotQuery != "" {
				t.Errorf("query = %q, want none", gotQuery)
			}
		})
	}
}

func TestBaseURLPathPrefix(t *testing.T) {
	c, mux, srvURL := setup(t)
	c2, err := New(append(testOptions(), client.WithBaseURL(srvURL+"/partner"))...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got, want := c2.BaseURL(), srvURL+"/partner/"; got != want {
		t.Errorf("BaseURL() = %q, want %q", got, want)
	}
	if got, want := c.BaseURL(), srvURL+"/"; got != want {
		t.Errorf("BaseURL() = %q, want %q", got, want)
	}
	hit := false
	mux.HandleFunc("/partner"+skusPath, func(w http.ResponseWriter, r *http.Request) {
		hit = true
		fmt.Fprint(w, docsSkus)
	})
	if _, _, err := c2.GetSubscribedSkus(context.Background(), testCustomer); err != nil {
		t.Fatalf("GetSubscribedSkus: %v", err)
	}
	if !hit {
		t.Error("request did not go under the base URL's path")
	}
}

func TestUpdateLicensesRequestBody(t *testing.T) {
	tests := []struct {
		name   string
		update LicenseUpdate
		want   string
	}{
		{
			name:   "assign only",
			update: assignOne(),
			want:   `{"licensesToAssign":[{"skuId":"` + testSku + `"}]}`,
		},
		{
			name: "assign with excluded plans and remove",
			update: LicenseUpdate{
				LicensesToAssign: []LicenseAssignment{{SkuID: "e5", ExcludedPlans: []string{"plan-1", "plan-2"}}},
				LicensesToRemove: []string{"e3"},
			},
			want: `{"licensesToAssign":[{"skuId":"e5","excludedPlans":["plan-1","plan-2"]}],"licensesToRemove":["e3"]}`,
		},
		{
			name:   "remove only",
			update: LicenseUpdate{LicensesToRemove: []string{"e3"}},
			want:   `{"licensesToRemove":["e3"]}`,
		},
		{
			name: "read-only fields not sent",
			update: LicenseUpdate{
				LicensesToAssign: []LicenseAssignment{{SkuID: "e5"}},
				LicenseWarnings:  []LicenseWarning{{Code: "1", Message: "old"}},
				Attributes:       &Attributes{ObjectType: "LicenseUpdate"},
			},
			want: `{"licensesToAssign":[{"skuId":"e5"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			var body string
			var length int64
			mux.HandleFunc(updatePath, func(w http.ResponseWriter, r *http.Request) {
				body, length = readAll(r), r.ContentLength
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, `{"licensesToAssign":[],"licenseWarnings":[]}`)
			})
			if _, _, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, tt.update); err != nil {
				t.Fatalf("UpdateLicenses: %v", err)
			}
			if body != tt.want {
				t.Errorf("body = %s\nwant %s", body, tt.want)
			}
			if length != int64(len(tt.want)) {
				t.Errorf("Content-Length = %d, want %d", length, len(tt.want))
			}
		})
	}
}

func TestUpdateLicensesDecodesAnyCase(t *testing.T) {
	want := &LicenseUpdate{
		LicensesToAssign: []LicenseAssignment{{SkuID: testSku, ExcludedPlans: []string{"p1"}}},
		LicensesToRemove: []string{"old"},
		LicenseWarnings:  []LicenseWarning{{Code: "1001", Message: "plan conflict", ServicePlans: []string{"EXCHANGE_S_STANDARD"}}},
		Attributes:       &Attributes{ObjectType: "LicenseUpdate"},
	}
	bodies := map[string]string{
		"camelCase": `{"licensesToAssign":[{"skuId":"` + testSku + `","excludedPlans":["p1"]}],"licensesToRemove":["old"],` +
			`"licenseWarnings":[{"code":"1001","message":"plan conflict","servicePlans":["EXCHANGE_S_STANDARD"]}],"attributes":{"objectType":"LicenseUpdate"}}`,
		"PascalCase": `{"LicensesToAssign":[{"SkuId":"` + testSku + `","ExcludedPlans":["p1"]}],"LicensesToRemove":["old"],` +
			`"LicenseWarnings":[{"Code":1001,"Message":"plan conflict","ServicePlans":["EXCHANGE_S_STANDARD"]}],"Attributes":{"ObjectType":"LicenseUpdate"}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc(updatePath, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, body)
			})
			got, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			if err != nil {
				t.Fatalf("UpdateLicenses: %v", err)
			}
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("StatusCode = %d, want 201", resp.StatusCode)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestGetSubscribedSkusDecodesPascalCase(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc(skusPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"TotalCount":1,"Items":[{"AvailableUnits":3,"ConsumedUnits":7,"TotalUnits":10,`+
			`"ProductSku":{"Id":"sku-1","Name":"Office 365 E3","SkuPartNumber":"ENTERPRISEPACK","LicenseGroupId":"group1"},`+
			`"ServicePlans":[{"Id":"plan-1","DisplayName":"Exchange","ServiceName":"EXCHANGE_S_ENTERPRISE"}]}]}`)
	})
	skus, _, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	if err != nil {
		t.Fatalf("GetSubscribedSkus: %v", err)
	}
	want := []SubscribedSku{{
		AvailableUnits: 3, ConsumedUnits: 7, TotalUnits: 10,
		ProductSku:   ProductSku{ID: "sku-1", Name: "Office 365 E3", SkuPartNumber: "ENTERPRISEPACK", LicenseGroupID: "group1"},
		ServicePlans: []ServicePlan{{ID: "plan-1", DisplayName: "Exchange", ServiceName: "EXCHANGE_S_ENTERPRISE"}},
	}}
	if !reflect.DeepEqual(skus, want) {
		t.Errorf("got %+v\nwant %+v", skus, want)
	}
}

func TestUpdateLicensesAnySuccessStatus(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated, http.StatusNoContent} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc(updatePath, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status) // no body
			})
			sent := LicenseUpdate{LicensesToAssign: []LicenseAssignment{{SkuID: "e5"}}, LicensesToRemove: []string{"e3"}}
			got, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, sent)
			if err != nil {
				t.Fatalf("UpdateLicenses: %v", err)
			}
			if resp.StatusCode != status || resp.Attempts != 1 {
				t.Errorf("response = %+v, want status %d after 1 attempt", resp, status)
			}
			if !reflect.DeepEqual(got, &sent) {
				t.Errorf("got %+v, want the update sent %+v", got, sent)
			}
		})
	}
}

// TestUpdateLicensesTakesOnlyALicenseUpdateAsApplied: a 2xx whose body is JSON but not
// a LicenseUpdate (a proxy's answer, another resource, null) is an error, never an
// update applied; the documented answer, a removal's and a bare objectType are taken.
func TestUpdateLicensesTakesOnlyALicenseUpdateAsApplied(t *testing.T) {
	for body, applied := range map[string]bool{
		`{}`:                          false,
		`null`:                        false,
		`{"status":"ok"}`:             false,
		`{"items":[],"totalCount":0}`: false,
		`{"attributes":{"objectType":"SubscribedSku"}}`:                                                          false,
		`{"licensesToAssign":[{"skuId":"e5"}],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`: true,
		`{"licensesToRemove":["e3"]}`:                                                                            true,
		`{"Attributes":{"ObjectType":"licenseupdate"}}`:                                                          true,
	} {
		t.Run(body, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc(updatePath, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, body)
			})
			got, _, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			if applied && (err != nil || got == nil) {
				t.Fatalf("a LicenseUpdate answer: %v", err)
			}
			if !applied && (err == nil || !strings.Contains(err.Error(), "not a LicenseUpdate")) {
				t.Fatalf("an answer that is no LicenseUpdate: err %v, update %+v; want an error saying so", err, got)
			}
		})
	}
}

func TestUpdateLicensesRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name, customer, user string
		update               LicenseUpdate
		want                 string
	}{
		{"empty customer", "", testUser, assignOne(), "empty customer ID"},
		{"blank user", testCustomer, "  ", assignOne(), "empty user"},
		{"dot-dot user", testCustomer, "..", assignOne(), `user "..": not an ID`},
		{"nothing to do", testCustomer, testUser, LicenseUpdate{}, "nothing to assign or remove"},
		{"assignment without SKU", testCustomer, testUser, LicenseUpdate{LicensesToAssign: []LicenseAssignment{{}}}, "has no SKU ID"},
		{"removal without SKU", testCustomer, testUser, LicenseUpdate{LicensesToRemove: []string{""}}, "has no SKU ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("request sent: %s %s", r.Method, r.URL)
			})
			_, resp, err := c.UpdateLicenses(context.Background(), tt.customer, tt.user, tt.update)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "update licenses: ") {
				t.Errorf("err = %v, want one starting with %q and containing %q", err, "update licenses: ", tt.want)
			}
			if resp == nil || resp.Attempts != 0 {
				t.Errorf("response = %+v, want non-nil with 0 attempts", resp)
			}
		})
	}
	c, _, _ := setup(t)
	if _, _, err := c.GetSubscribedSkus(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "get subscribed skus: empty customer ID") {
		t.Errorf("GetSubscribedSkus with no customer: err = %v", err)
	}
	if _, _, err := c.GetSubscribedSkus(context.Background(), testCustomer, ""); err == nil || !strings.Contains(err.Error(), "empty license group") {
		t.Errorf("GetSubscribedSkus with empty group: err = %v", err)
	}
}

func TestAPIErrorFromDocsExample(t *testing.T) {
	c, mux, _ := setup(t)
	seq := &answerSequence{statuses: []int{400}, body: func(int) string { return docs60012 }}
	mux.Handle(updatePath, seq)

	_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v (%T), want an *client.APIError", err, err)
	}
	var throttle *client.ThrottleError
	if errors.As(err, &throttle) {
		t.Errorf("a 400 is a *client.ThrottleError")
	}
	want := &client.APIError{
		Op:          "update licenses",
		StatusCode:  400,
		Code:        "60012",
		Description: "We're sorry, it looks like you’ve run out of licenses. Buy more licenses, and then try again.",
		Data: []string{"LicenseQuotaExceededException : Subscription with Account 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 " +
			"and SKU f8a1db68-be16-40ed-86d5-cb42ce701560 does not have any available licenses left."},
		Source:        "PartnerFD",
		Reason:        client.ReasonNoSeats,
		RequestID:     resp.RequestID,
		CorrelationID: testCorrelationID,
		Attempts:      1,
	}
	if !reflect.DeepEqual(apiErr, want) {
		t.Errorf("error = %#v\nwant %#v", apiErr, want)
	}
	wantText := "update licenses: 400 Bad Request: code 60012: We're sorry, it looks like you’ve run out of licenses. " +
		"Buy more licenses, and then try again. (request ID " + resp.RequestID + ", correlation ID " + testCorrelationID + ", 1 attempt)"
	if err.Error() != wantText {
		t.Errorf("Error() = %q\nwant %q", err.Error(), wantText)
	}
	if n := len(seq.recorded()); n != 1 || resp.Attempts != 1 || resp.StatusCode != 400 {
		t.Errorf("%d requests, response %+v; want 1 request, status 400, 1 attempt", n, resp)
	}
	assertNoSecret(t, err)
}

func TestAPIErrorBodies(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantDesc string
		wantData []string
	}{
		{"string code", 404, `{"code":"60002","description":"User object ID not found","data":[],"source":"PartnerFD"}`, "60002", "User object ID not found", nil},
		{"PascalCase", 400, `{"Code":800002,"Description":"Invalid request input","Data":["field x"],"Source":"PartnerFD"}`, "800002", "Invalid request input", []string{"field x"}},
		{"throttling shape", 429, docs429, "", "Rate limit is exceeded. Try again in 57 seconds.", nil},
		{"gateway shape", 403, `{"error":{"code":"Forbidden","message":"No GDAP role &amp; no access"}}`, "Forbidden", "No GDAP role & no access", nil},
		{"data not strings", 400, `{"code":null,"description":"x","data":[1,{"a":"b"},"c"]}`, "", "x", []string{"1", `{"a":"b"}`, "c"}},
		{"not JSON", 502, `<html><body>Bad gateway</body></html>`, "", "", nil},
		{"empty", 403, ``, "", "", nil},
		{"JSON but not an object", 400, `["oops"]`, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t, client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1}))
			mux.Handle(updatePath, &answerSequence{statuses: []int{tt.status}, body: func(int) string { return tt.body }})
			_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want an *client.APIError", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.wantCode || apiErr.Description != tt.wantDesc ||
				!reflect.DeepEqual(apiErr.Data, tt.wantData) {
				t.Errorf("error = %+v, want status %d, code %q, description %q, data %q",
					apiErr, tt.status, tt.wantCode, tt.wantDesc, tt.wantData)
			}
			if apiErr.RequestID != resp.RequestID || apiErr.CorrelationID != testCorrelationID || apiErr.Attempts != 1 {
				t.Errorf("error IDs = %q, %q, %d attempts", apiErr.RequestID, apiErr.CorrelationID, apiErr.Attempts)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status))) {
				t.Errorf("Error() = %q, want the status %q in it", err.Error(), fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)))
			}
			var throttle *client.ThrottleError
			if got := errors.As(err, &throttle); got != (tt.status == 429) {
				t.Errorf("errors.As(*client.ThrottleError) = %v for status %d", got, tt.status)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestFinalStatusesAreNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 501} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mux, _ := setup(t)
			seq := &answerSequence{statuses: []int{status, 201}, body: func(int) string { return `{}` }}
			mux.Handle(updatePath, seq)
			_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
				t.Fatalf("err = %v, want an *client.APIError with status %d", err, status)
			}
			if n := len(seq.recorded()); n != 1 || resp.Attempts != 1 || apiErr.Attempts != 1 {
				t.Errorf("%d requests, %d attempts (error says %d); want 1", n, resp.Attempts, apiErr.Attempts)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mux, _ := setup(t)
			seq := &answerSequence{statuses: []int{status, status, 201}}
			mux.Handle(updatePath, seq)
			_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
			if err != nil {
				t.Fatalf("UpdateLicenses: %v", err)
			}
			if n := len(seq.recorded()); n != 3 || resp.Attempts != 3 || resp.StatusCode != 201 {
				t.Errorf("%d requests, response %+v; want 3 requests, 3 attempts, status 201", n, resp)
			}
		})
		t.Run(fmt.Sprint(status)+" until the last attempt", func(t *testing.T) {
			c, mux, _ := setup(t, client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 3}))
			seq := &answerSequence{statuses: []int{status}, body: func(int) string { return `{"code":800003,"description":"Unexpected"}` }}
			mux.Handle(skusPath, seq)
			_, resp, err := c.GetSubscribedSkus(context.Background(), testCustomer)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status || apiErr.Code != "800003" {
				t.Fatalf("err = %v, want an *client.APIError with status %d and code 800003", err, status)
			}
			if n := len(seq.recorded()); n != 3 || resp.Attempts != 3 || apiErr.Attempts != 3 {
				t.Errorf("%d requests, %d attempts (error says %d); want 3", n, resp.Attempts, apiErr.Attempts)
			}
			if !strings.HasPrefix(err.Error(), "get subscribed skus: ") || !strings.Contains(err.Error(), "3 attempts") {
				t.Errorf("Error() = %q, want the op and 3 attempts", err.Error())
			}
		})
	}
}

func TestThrottleErrorIsAPIError(t *testing.T) {
	c, mux, _ := setup(t)
	seq := &answerSequence{statuses: []int{429}, body: func(int) string { return docs429 },
		header: func(_ int, h http.Header) { h.Set("Retry-After", "57") }}
	mux.Handle(updatePath, seq)
	_, resp, err := c.UpdateLicenses(context.Background(), testCustomer, testUser, assignOne())
	var throttle *client.ThrottleError
	if !errors.As(err, &throttle) {
		t.Fatalf("err = %v (%T), want a *client.ThrottleError", err, err)
	}
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Description != "Rate limit is exceeded. Try again in 57 seconds." {
		t.Errorf("errors.As(*client.APIError) = %+v", apiErr)
	}
	// noWaitPolicy caps Retry-After at 0.
	if throttle.RetryAfter != 0 || throttle.Attempts != 5 || resp.Attempts != 5 || len(seq.recorded()) != 5 {
		t.Errorf("RetryAfter %v, %d attempts (response %d, server %d); want 0 and 5", throttle.RetryAfter,
			throttle.Attempts, resp.Attempts, len(seq.recorded()))
	}
	want := "update licenses: 429 Too Many Requests: Rate limit is exceeded. Try again in 57 seconds. (retry after 0s, request ID " +
		resp.RequestID + ", correlation ID " + testCorrelationID + ", 5 attempts)"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant %q", err.Error(), want)
	}
	assertNoSecret(t, err)
}

func TestDecodeErrorOnSuccess(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc(skusPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html>maintenance</html>`)
	})
	_, resp, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) || !strings.HasPrefix(err.Error(), "get subscribed skus: decode 200 OK answer") {
		t.Errorf("err = %v, want a decode error naming the call", err)
	}
	if resp.Attempts != 1 || resp.StatusCode != 200 {
		t.Errorf("response = %+v", resp)
	}
	assertNoSecret(t, err)
}

func TestCanceledBeforeStart(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s", r.URL)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, resp, err := c.UpdateLicenses(ctx, testCustomer, testUser, assignOne())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if resp.Attempts != 0 || !strings.Contains(err.Error(), "update licenses: context canceled") ||
		!strings.Contains(err.Error(), "0 attempts") {
		t.Errorf("err = %q, attempts %d; want the op and 0 attempts", err, resp.Attempts)
	}
}

package graphfake_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestSampleCatalogueMatchesThePartnerCenterOne(t *testing.T) {
	skus := sampleSkus(t)
	raw, err := os.ReadFile("../../../samples/subscribedskus.json")
	if err != nil {
		t.Fatal(err)
	}
	var pc struct {
		Items []struct {
			TotalUnits    int `json:"totalUnits"`
			ConsumedUnits int `json:"consumedUnits"`
			ProductSku    struct {
				ID string `json:"id"`
			} `json:"productSku"`
			ServicePlans []struct {
				ID string `json:"id"`
			} `json:"servicePlans"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &pc); err != nil {
		t.Fatal(err)
	}
	bySku := map[string]graphfake.SubscribedSku{}
	company := 0
	for _, k := range skus {
		bySku[k.SkuID] = k
		if k.AppliesTo == "Company" {
			company++
		}
	}
	if company != 1 || len(skus) != len(pc.Items)+1 {
		t.Fatalf("%d SKUs with %d Company ones, want the %d Partner Center products plus one Company SKU", len(skus), company, len(pc.Items))
	}
	for _, it := range pc.Items {
		g, ok := bySku[it.ProductSku.ID]
		if !ok {
			t.Fatalf("SKU %s missing", it.ProductSku.ID)
		}
		if g.AppliesTo != "User" || g.PrepaidUnits.Enabled != it.TotalUnits || g.ConsumedUnits != it.ConsumedUnits {
			t.Errorf("SKU %s = %+v, want User, enabled %d, consumed %d", g.SkuID, g, it.TotalUnits, it.ConsumedUnits)
		}
		var want, got []string
		for _, p := range it.ServicePlans {
			want = append(want, p.ID)
		}
		for _, p := range g.ServicePlans {
			got = append(got, p.ServicePlanID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("plans of %s = %v, want %v", g.SkuID, got, want)
		}
	}
}

func TestLoadSubscribedSkus(t *testing.T) {
	t.Run("bare array, defaults filled", func(t *testing.T) {
		skus, err := graphfake.LoadSubscribedSkus(strings.NewReader(`[{"skuId":"` + skuE3 + `","skuPartNumber":"ENTERPRISEPACK","appliesTo":"user","prepaidUnits":{"enabled":5}}]`))
		if err != nil {
			t.Fatal(err)
		}
		k := skus[0]
		if k.AppliesTo != "User" || k.CapabilityStatus != "Enabled" || k.ServicePlans == nil || k.SubscriptionIDs == nil || k.PrepaidUnits.Enabled != 5 {
			t.Fatalf("sku = %+v", k)
		}
	})
	for name, in := range map[string]string{
		"empty":             ``,
		"no value":          `{"items":[]}`,
		"not a GUID":        `{"value":[{"skuId":"E3"}]}`,
		"repeated":          `[{"skuId":"` + skuE3 + `"},{"skuId":"` + strings.ToUpper(skuE3) + `"}]`,
		"bad appliesTo":     `[{"skuId":"` + skuE3 + `","appliesTo":"Tenant"}]`,
		"bad status":        `[{"skuId":"` + skuE3 + `","capabilityStatus":"Active"}]`,
		"negative units":    `[{"skuId":"` + skuE3 + `","consumedUnits":-1}]`,
		"plan not a GUID":   `[{"skuId":"` + skuE3 + `","servicePlans":[{"servicePlanId":"x"}]}]`,
		"syntax":            `{"value":[`,
		"neither":           `"value"`,
		"plan repeated":     `[{"skuId":"` + skuE3 + `","servicePlans":[{"servicePlanId":"` + planSway + `"},{"servicePlanId":"` + planSway + `"}]}]`,
		"value not a array": `{"value":{}}`,
	} {
		if _, err := graphfake.LoadSubscribedSkus(strings.NewReader(in)); err == nil {
			t.Errorf("%s: LoadSubscribedSkus accepted %s", name, in)
		}
	}
}

func TestGetSubscribedSkus(t *testing.T) {
	s, hc, users := newFake(t, 3)
	wantStatus(t, assign(t, hc, users[0].ID, addBody(skuE3)), http.StatusOK)

	// $select and $top are ignored there: every SKU, every property.
	r := get(t, hc, "/v1.0/subscribedSkus?$select=skuId&$top=1")
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	var body struct {
		Context string                    `json:"@odata.context"`
		Value   []graphfake.SubscribedSku `json:"value"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Context != "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus" || len(body.Value) != 7 {
		t.Fatalf("context %q, %d SKUs", body.Context, len(body.Value))
	}
	for _, k := range body.Value {
		if k.ID != tenant+"_"+k.SkuID || k.AccountID != tenant || k.SkuPartNumber == "" || k.CapabilityStatus != "Enabled" {
			t.Errorf("SKU = %+v", k)
		}
		if k.SkuID == skuE3 && (k.ConsumedUnits != 1201 || k.PrepaidUnits.Enabled != 6000 || len(k.ServicePlans) != 13) {
			t.Errorf("E3 = %+v, want 1201 consumed of 6000 and 13 plans", k)
		}
		if k.SkuID == skuStore && k.AppliesTo != "Company" {
			t.Errorf("the store SKU applies to %q", k.AppliesTo)
		}
	}
	wantUnits(t, s, skuE3, 4799, 1201)

	wantError(t, get(t, hc, "/v1.0/subscribedSkus?$filter=skuPartNumber%20eq%20'ENTERPRISEPACK'"),
		http.StatusBadRequest, "Request_UnsupportedQuery", "$filter")
	wantError(t, do(t, hc, call{method: http.MethodPost, path: "/v1.0/subscribedSkus", body: "{}"}),
		http.StatusMethodNotAllowed, "Request_BadRequest", "not allowed")
	if st := s.Stats(); st.SkuReads != 1 {
		t.Fatalf("SkuReads = %d, want 1", st.SkuReads)
	}
}

func TestPathsAreCaseInsensitiveAndUnknownOnesRefused(t *testing.T) {
	_, hc, users := newFake(t, 2)
	wantStatus(t, get(t, hc, "/V1.0/SubscribedSKUs"), http.StatusOK)
	wantStatus(t, do(t, hc, call{method: http.MethodPost, path: "/v1.0/Users/" + users[0].UserPrincipalName + "/AssignLicense", body: addBody(skuE5)}), http.StatusOK)
	wantError(t, get(t, hc, "/v1.0/groups"), http.StatusBadRequest, "BadRequest", "Resource not found for the segment 'groups'.")
	wantError(t, get(t, hc, "/v1.0/users/"+users[0].ID+"/manager"), http.StatusBadRequest, "BadRequest", "segment 'manager'")
	wantError(t, get(t, hc, "/beta/users"), http.StatusBadRequest, "BadRequest", "Invalid version: beta")
}

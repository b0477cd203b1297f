package graph_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graph"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
	"github.com/bulkassign/bulkassign/pkg/client/productnames"
)

func TestNewBackendDefaultsAndOptions(t *testing.T) {
	be, err := graph.NewBackend(client.WithTokens(newTokens()))
	if err != nil {
		t.Fatal(err)
	}
	if be.API() != "graph" || be.BaseURL() != "https://graph.microsoft.com/" || be.CorrelationID() == "" {
		t.Fatalf("API %q, base %q, correlation ID %q", be.API(), be.BaseURL(), be.CorrelationID())
	}
	want := client.ReadCosts{LookupBatch: 15, LookupReads: 1, PageSize: 999, ListingHasLicenses: true}
	if got := be.ReadCosts(); got != want {
		t.Fatalf("ReadCosts = %+v, want %+v", got, want)
	}
	for name, opts := range map[string][]client.Option{
		"no token source": nil,
		"bad base URL":    {client.WithTokens(newTokens()), client.WithBaseURL("http://graph.example/")},
	} {
		if _, err := graph.NewBackend(opts...); err == nil || !strings.HasPrefix(err.Error(), "new Graph backend: ") {
			t.Errorf("%s: NewBackend = %v, want an error", name, err)
		}
	}
	for name, n := range map[string]graph.Names{"nil names": nil, "nil table": graph.ProductNames(nil)} {
		if err := be.UseNames(n); err == nil {
			t.Errorf("UseNames(%s) accepted it", name)
		}
	}
	// The names table is set with UseNames; by default it is Microsoft's.
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		skus, err := e.be.Catalogue(context.Background(), tenantA)
		if err != nil || skuNamed(skus, skuE3).Name != "Office 365 E3" {
			t.Fatalf("Catalogue with UseNames: %v, %+v", err, skus)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		def, err := graph.NewBackend(client.WithTokens(e.ts), client.WithHTTPClient(&http.Client{Transport: e.fake.Transport()}))
		if err != nil {
			t.Fatal(err)
		}
		skus, err := def.Catalogue(context.Background(), tenantA)
		want, _ := productnames.Default().ByID(skuE3)
		if err != nil || skuNamed(skus, skuE3).Name != want.Name {
			t.Fatalf("Catalogue without UseNames: %v, E3 named %q, want %q (Microsoft's table)", err, skuNamed(skus, skuE3).Name, want.Name)
		}
	})
	empty, err := productnames.Load(strings.NewReader("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		if err := e.be.UseNames(graph.ProductNames(empty)); err != nil {
			t.Fatal(err)
		}
		skus, err := e.be.Catalogue(context.Background(), tenantA)
		if sku := skuNamed(skus, skuE3); err != nil || sku.Name != "" || sku.Aliases != nil || sku.PartNumber != "ENTERPRISEPACK" {
			t.Fatalf("Catalogue with an empty table: %v, %+v", err, sku)
		}
	})
}

func TestEveryCallCarriesGraphHeadersAndItsTenantsToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, nil)
		ctx := context.Background()
		if _, err := e.be.Catalogue(ctx, tenantB); err != nil {
			t.Fatal(err)
		}
		if _, err := e.be.Apply(ctx, assign(tenantA, e.users[0].ID, skuE5), nil); err != nil {
			t.Fatal(err)
		}
		reqs := e.rec.sent()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		for i, tok := range []string{tokenB, tokenA} {
			h := reqs[i].Header
			if h.Get("Authorization") != "Bearer "+tok || h.Get("return-client-request-id") != "true" || h.Get("client-request-id") == "" {
				t.Errorf("request %d (%s) headers: %v", i, reqs[i].URL, h)
			}
		}
		if reqs[0].URL != "https://graph.microsoft.com/v1.0/subscribedSkus" || reqs[1].URL != "https://graph.microsoft.com/v1.0/$batch" {
			t.Errorf("URLs %s, %s", reqs[0].URL, reqs[1].URL)
		}
		if e.ts.asked[tenantA] != 1 || e.ts.asked[tenantB] != 1 {
			t.Errorf("tokens asked: %v", e.ts.asked)
		}
	})
}

func TestARetriedCallKeepsItsClientRequestID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		fails := 2
		e.rec.hook = func(r *http.Request, _ []byte) (*http.Response, error, bool) {
			if fails == 0 {
				return nil, nil, false
			}
			fails--
			return answer(r, http.StatusServiceUnavailable, nil, `{"error":{"code":"serviceNotAvailable","message":"x"}}`), nil, true
		}
		if _, err := e.be.Catalogue(context.Background(), tenantA); err != nil {
			t.Fatal(err)
		}
		reqs := e.rec.sent()
		if len(reqs) != 3 {
			t.Fatalf("%d attempts, want 3", len(reqs))
		}
		id := reqs[0].Header.Get("client-request-id")
		for _, r := range reqs {
			if r.Header.Get("client-request-id") != id {
				t.Fatalf("client-request-ids differ across retries: %v", reqs)
			}
		}
	})
}

func skuNamed(skus []client.Sku, id string) client.Sku {
	for _, s := range skus {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return client.Sku{}
}

func TestCatalogueKeepsAssignableSkusWithFreeSeatsAndNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		skus := sampleSkus(t)
		for i := range skus {
			switch skus[i].SkuID {
			case skuWinE5:
				skus[i].CapabilityStatus = "Suspended"
			case skuFaculty:
				skus[i].CapabilityStatus = "Warning"
				skus[i].ConsumedUnits = 80 // more than the 72 enabled
			}
		}
		e := newEnv(t, 1, []graphfake.Option{graphfake.WithTenant(tenantA, skus)})
		got, err := e.be.Catalogue(context.Background(), tenantA)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
			if s.Group != "" {
				t.Errorf("%s: group %q", s.ID, s.Group)
			}
		}
		// Company SKU and Suspended SKU left out.
		if want := []string{skuAADP1, skuAXTask, skuFaculty, skuE3, skuE5}; !reflect.DeepEqual(ids, want) {
			t.Fatalf("SKUs %v, want %v", ids, want)
		}
		if f := skuNamed(got, skuFaculty); f.Total != 72 || f.Consumed != 80 || f.Available != 0 {
			t.Errorf("overdrawn SKU: %+v, want 72 total, 80 consumed, 0 available", f)
		}
		e3 := skuNamed(got, skuE3)
		if e3.Name != "Office 365 E3" || !reflect.DeepEqual(e3.Aliases, []string{"Office 365 E3"}) || e3.PartNumber != "ENTERPRISEPACK" ||
			e3.Total != 6000 || e3.Consumed != 1200 || e3.Available != 4800 {
			t.Errorf("E3 = %+v", e3)
		}
		var exchange, sway client.ServicePlan
		for _, p := range e3.Plans {
			switch p.ID {
			case planExchange:
				exchange = p
			case planSway:
				sway = p
			case planFoundation:
				t.Errorf("E3 lists the Company plan %+v", p)
			}
		}
		if exchange.Name != "EXCHANGE_S_ENTERPRISE" || exchange.DisplayName != "Exchange Online (Plan 2)" || sway.DisplayName != "Sway" {
			t.Errorf("plans: %+v, %+v", exchange, sway)
		}
		if p1 := skuNamed(got, skuAADP1); p1.Name != "" || p1.PartNumber != "AAD_PREMIUM" || len(p1.Plans) != 2 {
			t.Errorf("AAD P1 (not in the table) = %+v", p1)
		}
	})
}

package partnercenter

import (
	"context"
	"net/http"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
)

// BenchmarkUpdateLicenses measures one successful UpdateLicenses call, request building,
// headers, JSON both ways, without latency.
func BenchmarkUpdateLicenses(b *testing.B) {
	body := []byte(`{"licensesToAssign":[{"skuId":"` + testSku + `"}],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`)
	c, err := New(append(testOptions(), client.WithBaseURL("https://pc.test"),
		client.WithHTTPClient(&http.Client{Transport: clienttest.Canned(http.StatusCreated, clienttest.JSON(), body)}))...)
	if err != nil {
		b.Fatal(err)
	}
	update := LicenseUpdate{
		LicensesToAssign: []LicenseAssignment{{SkuID: testSku, ExcludedPlans: []string{"113feb6c-3fe4-4440-bddc-54d774bf0318"}}},
		LicensesToRemove: []string{"078d2b04-f1bd-4111-bbd4-b4b1b354cef4"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, _, err := c.UpdateLicenses(ctx, testCustomer, "ada.lovelace@contoso.com", update)
		if err != nil || len(got.LicensesToAssign) != 1 {
			b.Fatalf("UpdateLicenses = %+v, %v", got, err)
		}
	}
}

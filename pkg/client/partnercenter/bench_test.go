package partnercenter

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// fixedAnswer is an http.RoundTripper that answers every request with the same 201 and
// body, without a handler or a network, so that the benchmark measures the client.
type fixedAnswer struct{ body []byte }

func (f fixedAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusCreated,
		Status:        "201 Created",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:          io.NopCloser(bytes.NewReader(f.body)),
		ContentLength: int64(len(f.body)),
		Request:       req,
	}, nil
}

// BenchmarkUpdateLicenses measures one successful UpdateLicenses call, request building,
// headers, JSON both ways, without latency.
func BenchmarkUpdateLicenses(b *testing.B) {
	body := []byte(`{"licensesToAssign":[{"skuId":"` + testSku + `"}],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`)
	c, err := New(append(testOptions(), client.WithBaseURL("https://pc.test"),
		client.WithHTTPClient(&http.Client{Transport: fixedAnswer{body: body}}))...)
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

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
	"github.com/bulkassign/bulkassign/samples"
)

// cannedAnswer is an http.RoundTripper that answers every request with the same 201
// and body, without a handler or a network, so that a benchmark measures the tool.
type cannedAnswer struct{ body []byte }

func (c cannedAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
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
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       req,
	}, nil
}

// BenchmarkRequestPath measures what one license update costs the tool once planned:
// the runner's worker pool and collector, the pacing (at a rate that never makes
// anyone wait), the Partner Center backend and its client (headers, JSON both ways)
// and the result CSV writer. One op is one update: each round runs a plan of b.N
// updates, one per user (planned without reads, so without rollback rows; the
// overhead measure of the bench covers the default run).
//
// transport=pcfake answers in process through pcfake's Transport, so its handler and
// ledger are in the figures; transport=fixed returns a canned 201, leaving the tool's
// own cost. cpu-us/req is the process's user and system time (getrusage) over the
// timed run, per update. The bench's overhead measure runs it:
//
//	go test -run '^$' -bench '^BenchmarkRequestPath$' -benchmem -benchtime 20000x ./scripts/bench
func BenchmarkRequestPath(b *testing.B) {
	body := []byte(`{"licensesToAssign":[{"skuId":"` + plannertest.E3ID + `"}],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`)
	for _, tc := range []struct {
		name      string
		transport func(b *testing.B) http.RoundTripper
	}{
		{"transport=pcfake", pcfakeTransport},
		{"transport=fixed", func(*testing.B) http.RoundTripper { return cannedAnswer{body: body} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			plan := requestPathPlan(b, b.N)
			pacing := client.NewPacing(client.PacingConfig{Read: client.Budget{Rate: 1e5, Burst: 1000}, Write: client.Budget{Rate: 1e5, Burst: 1000}})
			be, err := partnercenter.NewBackend(
				client.WithBaseURL("https://pc.test/"),
				client.WithHTTPClient(&http.Client{Transport: tc.transport(b)}),
				client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token"})),
				client.WithLimiter(pacing),
			)
			if err != nil {
				b.Fatal(err)
			}
			sink, err := report.NewWriter(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := selfCPU()
			stats, err := runner.Run(context.Background(), plan, be, sink, runner.Config{})
			cpu1 := selfCPU()
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if got := stats.Counts[report.StatusSucceeded]; got != b.N || stats.Requests != b.N {
				b.Fatalf("%d of %d rows succeeded in %d updates: %v", got, b.N, stats.Requests, stats.Counts)
			}
			b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(b.N), "cpu-us/req")
		})
	}
}

// pcfakeTransport is pcfake's in-process transport, serving the sample catalogue
// with units enough for any b.N.
func pcfakeTransport(b *testing.B) http.RoundTripper {
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(samples.Catalogue))
	if err != nil {
		b.Fatal(err)
	}
	for i := range skus {
		skus[i].AvailableUnits, skus[i].TotalUnits = 1<<30, 1<<30+skus[i].ConsumedUnits
	}
	fake, err := pcfake.New(pcfake.WithCustomer(pcfake.DefaultCustomerID, skus))
	if err != nil {
		b.Fatal(err)
	}
	return fake.Transport()
}

// requestPathPlan plans n rows, each assigning Office 365 Enterprise E3 to another
// user, without reads.
func requestPathPlan(b *testing.B, n int) *planner.Plan {
	b.Helper()
	var in bytes.Buffer
	in.WriteString("user,sku\n")
	for i := range n {
		fmt.Fprintf(&in, "user%07d@contoso.onmicrosoft.com,ENTERPRISEPACK\n", i+1)
	}
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 1<<30))
	plan, err := planner.Build(context.Background(), &in, cat, planner.Options{DefaultCustomer: pcfake.DefaultCustomerID})
	if err != nil {
		b.Fatal(err)
	}
	if plan.NumChanges() != n {
		b.Fatalf("plan of %d rows has %d changes", n, plan.NumChanges())
	}
	return plan
}

package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// BenchmarkRequestPath measures what one license change costs the tool once planned:
// the runner's worker pool and collector, the pacer (at a rate that never makes anyone
// wait), Partner Center's backend and the client core (headers, JSON both ways) and the
// result CSV writer. One op is one request: each round runs a plan of b.N changes, one
// per user.
//
// The pacer is measured at its full pace: before the timer
// starts it is told of enough unthrottled answers to reach its rate (1e5/s, far above
// what the request path drives), and the benchmark fails if it does not get there.
//
// transport=pcfake answers in process through pcfake's Transport, so its handler and
// ledger are in the figures; transport=fixed returns a canned 201, leaving the tool's
// own cost. cpu-us/req is the process's user and system time (getrusage) over the
// timed run, per request. scripts/bench runs this benchmark and reports it.
func BenchmarkRequestPath(b *testing.B) {
	body := []byte(`{"licensesToAssign":[{"skuId":"` + plannertest.E3ID + `"}],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`)
	for _, tc := range []struct {
		name      string
		transport func() http.RoundTripper
	}{
		{"transport=pcfake", func() http.RoundTripper {
			fake, err := pcfake.New(pcfake.WithCustomer(pcfake.DefaultCustomerID, plentifulCatalogue(b)))
			if err != nil {
				b.Fatal(err)
			}
			return fake.Transport()
		}},
		{"transport=fixed", func() http.RoundTripper { return clienttest.Canned(http.StatusCreated, clienttest.JSON(), body) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			plan := requestPathPlan(b, b.N)
			pacer := warmPacer(b, 1e5, 1000)
			be, err := partnercenter.NewBackend(
				client.WithBaseURL("https://pc.test/"),
				client.WithHTTPClient(&http.Client{Transport: tc.transport()}),
				client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token"})),
				client.WithLimiter(pacer),
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
			cpu0 := processCPU(b)
			stats, err := runner.Run(context.Background(), plan, be, sink, runner.Config{Throttled: pacer.Throttled})
			cpu1 := processCPU(b)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if got := stats.Counts[report.StatusSucceeded]; got != b.N || stats.Requests != b.N {
				b.Fatalf("%d of %d rows succeeded in %d requests: %v", got, b.N, stats.Requests, stats.Counts)
			}
			b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(b.N), "cpu-us/req")
		})
	}
}

// requestPathPlan plans n rows, each assigning Office 365 Enterprise E3 to another user.
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

// plentifulCatalogue is the sample catalogue with units enough for any benchmark.
func plentifulCatalogue(b *testing.B) []partnercenter.SubscribedSku {
	b.Helper()
	skus, err := pcfake.LoadCatalogueFile("../../samples/subscribedskus.json")
	if err != nil {
		b.Fatal(err)
	}
	for i := range skus {
		skus[i].AvailableUnits, skus[i].TotalUnits = 1<<30, 1<<30+skus[i].ConsumedUnits
	}
	return skus
}

// warmPacer returns a pacer at rate, at its full pace: it is shown unthrottled
// answers until its pace reaches rate.
func warmPacer(b *testing.B, rate float64, burst int) *client.Pacer {
	b.Helper()
	p := client.NewPacer(rate, burst)
	call := &client.Call{Kind: client.Write}
	for i := 0; p.Limit() < p.Rate(); i++ {
		if i > 100*int(rate) {
			b.Fatalf("the pacer is at %g/s after %d unthrottled answers; its rate is %g/s", p.Limit(), i, p.Rate())
		}
		p.Observe(call, client.Attempt{Op: "update licenses", Kind: client.Write, Number: 1, StatusCode: http.StatusCreated})
	}
	return p
}

// processCPU is the user and system time the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

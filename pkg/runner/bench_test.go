package runner

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// instantApplier applies every change at once, as a 201 after one attempt.
type instantApplier struct{}

func (instantApplier) Apply(_ context.Context, _ client.Change, call *client.Call) (client.Applied, error) {
	call.StatusCode, call.RequestID, call.CorrelationID, call.Attempts = 201, "req", "corr", 1
	return client.Applied{}, nil
}

// heapSink discards results and samples the live heap once, at the last row.
type heapSink struct {
	n, last int
	heap    uint64
}

func (s *heapSink) Write(report.Result) error {
	if s.n++; s.n == s.last {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.heap = ms.HeapAlloc
	}
	return nil
}

// BenchmarkRun measures the runner's own cost per row, without network or pacing, and
// the heap retained by the end of a run beyond the plan itself (retained-B/row): a
// runner that kept something per row sent would show it there, growing with the rows.
//
//	go test -run '^$' -bench BenchmarkRun -benchtime 3x ./pkg/runner/
func BenchmarkRun(b *testing.B) {
	for _, rows := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			var in bytes.Buffer
			if err := plannertest.WriteCSV(&in, plannertest.GenConfig{Rows: rows, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 10*rows))
			plan, err := planner.Build(context.Background(), bytes.NewReader(in.Bytes()), cat,
				planner.Options{DefaultCustomer: "c0ffee00-0000-4000-8000-000000000001", Shortfall: planner.ShortfallPartial})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var retained float64
			for range b.N {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				sink := &heapSink{last: plan.NumRows()}
				if _, err := Run(context.Background(), plan, instantApplier{}, sink, Config{}); err != nil {
					b.Fatal(err)
				}
				retained = (float64(sink.heap) - float64(ms.HeapAlloc)) / float64(plan.NumRows())
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*plan.NumRows()), "ns/row")
			b.ReportMetric(retained, "retained-B/row")
		})
	}
}

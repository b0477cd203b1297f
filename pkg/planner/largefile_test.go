package planner_test

import (
	"context"
	"flag"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

var planFile = flag.String("planfile", "", "plan this input file in TestPlanLargeFile (scripts/plan-bench.sh)")

// TestPlanLargeFile plans the file named by -planfile against an in-memory catalogue
// with enough units for every customer, for scripts/plan-bench.sh to measure with
// /usr/bin/time. Without -planfile it is skipped.
func TestPlanLargeFile(t *testing.T) {
	if *planFile == "" {
		t.Skip("no -planfile given")
	}
	f, err := os.Open(*planFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 100_000_000))
	start := time.Now()
	plan, err := planner.Build(context.Background(), f, cat, planner.Options{DefaultCustomer: "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("planned %d rows into %d updates for %d customers in %v (%.0f rows/s); catalogue calls %d; heap in use %d MiB, GC cycles %d",
		plan.NumRows(), plan.NumUpdates(), len(plan.Customers), elapsed.Round(time.Millisecond),
		float64(plan.NumRows())/elapsed.Seconds(), cat.TotalCalls(), ms.HeapInuse>>20, ms.NumGC)
	if plan.NumRows() == 0 {
		t.Fatal("the plan has no rows")
	}
	runtime.KeepAlive(plan)
}

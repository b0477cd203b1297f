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

var (
	planFile  = flag.String("planfile", "", "plan this input file in TestPlanLargeFile (scripts/plan-bench.sh)")
	planUsers = flag.String("planusers", "", `with -planfile: "check" reads the file's users from a generated directory `+
		`(plannertest.DirectoryOf, every 50th user left out, inactive or unlocated); `+
		`"hold" builds that directory but plans without it, to tell its own memory from the reads'`)
)

// TestPlanLargeFile plans the file named by -planfile against an in-memory catalogue
// with enough units for every customer, for scripts/plan-bench.sh to measure with
// /usr/bin/time; -planusers adds the reads of the users. Without -planfile it is skipped.
func TestPlanLargeFile(t *testing.T) {
	if *planFile == "" {
		t.Skip("no -planfile given")
	}
	f, err := os.Open(*planFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const defaultCustomer = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"
	opts := planner.Options{DefaultCustomer: defaultCustomer}
	var dir *plannertest.Directory
	switch *planUsers {
	case "":
	case "check", "hold":
		dir = directoryFor(t, f, defaultCustomer, 50)
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if *planUsers == "check" {
			opts.Users = dir
		}
	default:
		t.Fatalf("-planusers %q: want check or hold", *planUsers)
	}
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 100_000_000))
	start := time.Now()
	plan, err := planner.Build(context.Background(), f, cat, opts)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Users != nil {
		skipped := 0
		for i := range plan.NumRows() {
			if plan.Row(i).Status == planner.StatusSkipped {
				skipped++
			}
		}
		t.Logf("reads %+v; rows skipped %d; directory requests %d", plan.Reads, skipped, dir.TotalCalls())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("planned %d rows into %d changes for %d customers in %v (%.0f rows/s); catalogue calls %d; heap in use %d MiB, GC cycles %d",
		plan.NumRows(), plan.NumChanges(), len(plan.Customers), elapsed.Round(time.Millisecond),
		float64(plan.NumRows())/elapsed.Seconds(), cat.TotalCalls(), ms.HeapInuse>>20, ms.NumGC)
	if plan.NumRows() == 0 {
		t.Fatal("the plan has no rows")
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("live heap after a GC %d MiB (the plan and, with -planusers, the generated directory)", ms.HeapAlloc>>20)
	runtime.KeepAlive(plan)
	runtime.KeepAlive(dir)
}

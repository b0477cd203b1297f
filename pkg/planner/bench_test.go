package planner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// benchCustomers are the customers of generated benchmark files.
var benchCustomers = []string{
	"0c39d6d5-c70d-4c55-bc02-f620844f3fd1",
	"3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d",
}

// generated returns a generated input file of n rows.
func generated(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := plannertest.WriteCSV(&buf, plannertest.GenConfig{Rows: n, Customers: benchCustomers, Seed: 1}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// directoryFor is plannertest.DirectoryOf the users of the input file read from r, read
// as the planner reads it (rows without a customer belong to defaultCustomer).
func directoryFor(tb testing.TB, r io.Reader, defaultCustomer string, skipEvery int) *plannertest.Directory {
	tb.Helper()
	var rows []plannertest.InputUser
	err := planner.Rows(context.Background(), r, defaultCustomer, func(_ int, customer, user string) {
		rows = append(rows, plannertest.InputUser{Customer: customer, User: user})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return plannertest.DirectoryOf(rows, skipEvery)
}

// BenchmarkBuild plans generated files of 100,000 and 1,000,000 rows against an
// in-memory catalogue with enough units; the users=check variants also read every row's
// user from a generated directory of the file's users (a listing per customer, at
// Partner Center's costs).
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		for _, check := range []bool{false, true} {
			name := fmt.Sprintf("rows=%d", n)
			if check {
				name += "/users=check"
			}
			b.Run(name, func(b *testing.B) {
				in := generated(b, n)
				cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 10_000_000))
				var opts planner.Options
				if check {
					opts.Users = directoryFor(b, bytes.NewReader(in), "", 50)
				}
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					plan, err := planner.Build(context.Background(), bytes.NewReader(in), cat, opts)
					if err != nil {
						b.Fatal(err)
					}
					if plan.NumRows() != n {
						b.Fatalf("NumRows = %d, want %d", plan.NumRows(), n)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

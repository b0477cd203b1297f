package planner_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// The planner's benchmarks by phase. Build's phases (reading the file, resolving each
// row against the catalogue, grouping rows into changes, the capacity check) cannot be
// called apart from outside the package, so each benchmark plans inputs that isolate
// one phase: the difference between two of them is the cost of what differs.
//
//   - BenchmarkReadCSV: encoding/csv alone on the one-spelling file (the floor).
//   - BenchmarkBuildRead: that file planned: one SKU spelling, one user per row, every
//     seat available, so resolution happens once and grouping and capacity are
//     trivial: Build's cost here is reading and validating the rows.
//   - BenchmarkBuildResolve: the same rows with many spellings of the SKU (each
//     resolved once, then found by the cache) or with excluded plans named by plan.
//   - BenchmarkBuildGroup: four rows per user (four SKUs of one license group merged
//     into one change), adjacent or scattered through the file.
//   - BenchmarkBuildCapacity: a shortfall granted in file order (ShortfallPartial).
//
// BenchmarkBuild (bench_test.go) plans the generated file whole, with and without the
// users read from an in-memory directory. Every one reports ns/row (and, with
// -benchmem, allocations per op = per plan of benchRows rows):
//
//	go test -run '^$' -bench . -benchmem ./pkg/planner/
const benchRows = 100_000

// benchCustomer is the default customer of the benchmarks' files.
const benchCustomer = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"

// benchCatalogue has every sample SKU with units for any plan.
func benchCatalogue() *plannertest.Catalogue {
	return plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 1<<30))
}

// benchBuild plans data b.N times and reports ns/row.
func benchBuild(b *testing.B, data []byte, cat planner.Catalogue, opts planner.Options, wantChanges int) {
	b.Helper()
	if opts.DefaultCustomer == "" {
		opts.DefaultCustomer = benchCustomer
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var p *planner.Plan
	for b.Loop() {
		var err error
		p, err = planner.Build(context.Background(), bytes.NewReader(data), cat, opts)
		if err != nil {
			b.Fatal(err)
		}
	}
	if p.NumRows() != benchRows || (wantChanges > 0 && p.NumChanges() != wantChanges) {
		b.Fatalf("plan of %d rows, %d changes; want %d rows, %d changes", p.NumRows(), p.NumChanges(), benchRows, wantChanges)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

// rowsFile is a file of benchRows rows: header, then row(i) for each.
func rowsFile(header string, row func(i int) string) []byte {
	var buf bytes.Buffer
	buf.WriteString(header + "\n")
	for i := range benchRows {
		buf.WriteString(row(i))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// oneSpelling assigns E3, spelled ENTERPRISEPACK, to a user per row.
func oneSpelling() []byte {
	return rowsFile("user,sku", func(i int) string { return fmt.Sprintf("user%07d@contoso.com,ENTERPRISEPACK", i) })
}

func BenchmarkReadCSV(b *testing.B) {
	data := oneSpelling()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRows+1 {
			b.Fatalf("read %d records, want %d", n, benchRows+1)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

func BenchmarkBuildRead(b *testing.B) {
	benchBuild(b, oneSpelling(), benchCatalogue(), planner.Options{}, benchRows)
}

// caseVariant spells s with the letters whose bit is set in mask upper-cased, the
// others lower-cased: up to 2^letters distinct spellings of one name.
func caseVariant(s string, mask int) string {
	out := []byte(strings.ToLower(s))
	bit := 0
	for i, c := range out {
		if c >= 'a' && c <= 'z' {
			if mask>>bit&1 == 1 {
				out[i] = c - 'a' + 'A'
			}
			bit++
		}
	}
	return string(out)
}

func BenchmarkBuildResolve(b *testing.B) {
	b.Run("spellings=4096", func(b *testing.B) {
		data := rowsFile("user,sku", func(i int) string {
			return fmt.Sprintf("user%07d@contoso.com,%s", i, caseVariant("Office 365 Enterprise E3", i%4096))
		})
		benchBuild(b, data, benchCatalogue(), planner.Options{}, benchRows)
	})
	b.Run("excluded-plans=4096", func(b *testing.B) {
		data := rowsFile("user,sku,excluded_plans", func(i int) string {
			return fmt.Sprintf("user%07d@contoso.com,ENTERPRISEPACK,%s;%s", i, caseVariant("Sway", i%16), caseVariant("Yammer Enterprise", i/16%256))
		})
		benchBuild(b, data, benchCatalogue(), planner.Options{}, benchRows)
	})
}

// groupSkus are four SKUs of license group 1: one user's four rows make one change.
var groupSkus = []string{"ENTERPRISEPACK", "AAD_PREMIUM", "WIN_ENT_E5", "AX_TASK_USER"}

func BenchmarkBuildGroup(b *testing.B) {
	users := benchRows / len(groupSkus)
	b.Run("rows-per-user=4,adjacent", func(b *testing.B) {
		data := rowsFile("user,sku", func(i int) string {
			return fmt.Sprintf("user%07d@contoso.com,%s", i/len(groupSkus), groupSkus[i%len(groupSkus)])
		})
		benchBuild(b, data, benchCatalogue(), planner.Options{}, users)
	})
	b.Run("rows-per-user=4,scattered", func(b *testing.B) {
		data := rowsFile("user,sku", func(i int) string {
			return fmt.Sprintf("user%07d@contoso.com,%s", i%users, groupSkus[i/users])
		})
		benchBuild(b, data, benchCatalogue(), planner.Options{}, users)
	})
}

func BenchmarkBuildCapacity(b *testing.B) {
	short := plannertest.WithAvailable(plannertest.SampleSkus(), 1<<30)
	for i := range short {
		if short[i].ID == plannertest.E3ID {
			short[i].Available = benchRows / 2
		}
	}
	benchBuild(b, oneSpelling(), plannertest.NewCatalogue(short), planner.Options{Shortfall: planner.ShortfallPartial}, benchRows/2)
}

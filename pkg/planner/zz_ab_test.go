package planner_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

func genAB(tb testing.TB, n int) []byte {
	var buf bytes.Buffer
	if err := plannertest.WriteCSV(&buf, plannertest.GenConfig{Rows: n, Customers: []string{"0c39d6d5-c70d-4c55-bc02-f620844f3fd1", "3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d"}, Seed: 1}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkABBuild(b *testing.B) {
	in := genAB(b, 1_000_000)
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 10_000_000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planner.Build(context.Background(), bytes.NewReader(in), cat, planner.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkABCSV(b *testing.B) {
	in := genAB(b, 1_000_000)
	b.ReportAllocs()
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(in))
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			}
		}
	}
}

package report_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func benchResult(i int) report.Result {
	return report.Result{
		Line: i + 2, Customer: "0f1e2d3c-aaaa-bbbb-cccc-000000000001", User: "user12345@contoso.onmicrosoft.com",
		Sku: "Microsoft 365 E5", SkuID: "06ebc4ee-1bb5-47dd-8120-11324bc54e06", RemoveSku: "ENTERPRISEPACK",
		LicenseGroup: "group1", Status: report.StatusSucceeded, HTTPStatus: 201, Attempts: 1,
		RequestID: "5b0e7a1c-1111-4222-8333-444455556666", CorrelationID: "8e1d7c4a-0000-4000-8000-000000000001",
		FinishedAt: time.Date(2025, 3, 14, 9, 26, 53, 589000000, time.UTC),
	}
}

// BenchmarkWrite measures building and handing over one row (to io.Discard).
func BenchmarkWrite(b *testing.B) {
	w := report.NewAppender(io.Discard)
	r := benchResult(123456)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFileWrite adds the write system call that every row costs on a real file.
func BenchmarkFileWrite(b *testing.B) {
	f, err := report.Create(filepath.Join(b.TempDir(), "out.csv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := benchResult(123456)
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkResume measures reading back a file of 10,000 rows.
func BenchmarkResume(b *testing.B) {
	var buf bytes.Buffer
	w, err := report.NewWriter(&buf)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		if err := w.Write(benchResult(i)); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "out.csv")
	b.ReportAllocs()
	for b.Loop() {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		f, rows, err := report.Resume(path)
		if err != nil || len(rows) != 10000 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
		f.Close()
	}
	b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "rows/s")
}

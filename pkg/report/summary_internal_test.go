package report

import (
	"testing"
	"unsafe"
)

// TestSummaryLineStateIsCompact keeps a million-line plan's summary small: a slice of
// 12-byte states indexed by line, labels held once.
func TestSummaryLineStateIsCompact(t *testing.T) {
	if size := unsafe.Sizeof(lineState{}); size > 12 {
		t.Fatalf("lineState is %d bytes", size)
	}
	var s Summary
	for line := 2; line < 100_002; line++ {
		s.Add(Result{Line: line, Customer: "contoso", Sku: "SPE_E5", Status: StatusSucceeded})
	}
	if len(s.lines.sparse) != 0 || len(s.lines.dense) != 100_002 || cap(s.lines.dense) > 2*100_002 {
		t.Fatalf("dense %d (cap %d), sparse %d", len(s.lines.dense), cap(s.lines.dense), len(s.lines.sparse))
	}
	if len(s.skus.names) != 1 || len(s.customers.names) != 1 {
		t.Fatalf("labels %v %v", s.skus.names, s.customers.names)
	}
	// A stray huge or negative line number costs a map entry, not a huge slice.
	s.Add(Result{Line: 1 << 40, Status: StatusFailed})
	s.Add(Result{Line: -1, Status: StatusFailed})
	if len(s.lines.dense) != 100_002 || len(s.lines.sparse) != 2 || s.Rows() != 100_002 {
		t.Fatalf("dense %d, sparse %d, rows %d", len(s.lines.dense), len(s.lines.sparse), s.Rows())
	}
	s.Add(Result{Line: 1 << 40, Status: StatusSucceeded})
	if s.Rows() != 100_002 || s.Counts[StatusFailed] != 1 {
		t.Fatalf("rows %d counts %v", s.Rows(), s.Counts)
	}
}

// TestSummaryReserveTakesNoMemoryWhileCounting: with the input's last line reserved,
// adding the lines allocates nothing (a run's memory stays flat while it sends).
func TestSummaryReserveTakesNoMemoryWhileCounting(t *testing.T) {
	var s Summary
	s.Reserve(10_001)
	s.Add(Result{Line: 2, Customer: "contoso", Sku: "SPE_E5", Status: StatusSucceeded}) // labels made once
	line := 3
	allocs := testing.AllocsPerRun(9_000, func() {
		s.Add(Result{Line: line, Customer: "contoso", Sku: "SPE_E5", Status: StatusSucceeded})
		line++
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per line added after Reserve", allocs)
	}
	if s.Rows() != line-2 || cap(s.lines.dense) != 10_002 {
		t.Fatalf("rows %d, cap %d", s.Rows(), cap(s.lines.dense))
	}
	s.Reserve(5) // never shrinks
	if cap(s.lines.dense) != 10_002 || s.Rows() != line-2 {
		t.Fatalf("Reserve shrank the table: cap %d, rows %d", cap(s.lines.dense), s.Rows())
	}
}

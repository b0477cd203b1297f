package report_test

import (
	"testing"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestLinesText(t *testing.T) {
	for _, tc := range []struct {
		lines []int
		max   int
		want  string
	}{
		{nil, 3, ""},
		{[]int{5}, 3, "line 5"},
		{[]int{5, 5, 5}, 3, "line 5"},
		{[]int{7, 5}, 3, "lines 5 and 7"},
		{[]int{5, 6}, 3, "lines 5 and 6"},
		{[]int{9, 5, 7}, 3, "lines 5, 7 and 9"},
		{[]int{5, 6, 7, 8, 9}, 3, "lines 5-9"},
		{[]int{5, 6, 7, 8, 9, 12}, 3, "lines 5-9 and 12"},
		{[]int{2, 5, 6, 7, 20, 21}, 0, "lines 2, 5-7, 20 and 21"},
		{[]int{5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33}, 3, "lines 5, 7, 9 and 12 more"},
		{[]int{5, 7, 9, 11, 12, 13, 14}, 3, "lines 5, 7, 9 and 4 more"},
		{[]int{1, 2, 3, 10}, 1, "lines 1-3 and 1 more"},
		{[]int{4, 3}, 1, "lines 3 and 1 more"},
	} {
		if got := report.LinesText(tc.lines, tc.max); got != tc.want {
			t.Errorf("LinesText(%v, %d) = %q, want %q", tc.lines, tc.max, got, tc.want)
		}
	}
}

func TestLinesTextLeavesItsArgumentAlone(t *testing.T) {
	lines := []int{9, 5, 5}
	report.LinesText(lines, 0)
	if lines[0] != 9 || lines[1] != 5 || lines[2] != 5 {
		t.Fatalf("LinesText changed its argument: %v", lines)
	}
}

package report

import (
	"slices"
	"strconv"
	"strings"
)

// LinesText names input lines compactly for messages: "line 5", "lines 5 and 7",
// "lines 5-9 and 12", "lines 5, 7, 9 and 12 more". The lines are sorted and
// de-duplicated; three or more consecutive lines are written as a range. At most max
// items (a line or a range) are named, the rest counted as "N more" lines; max < 1
// names them all. No lines give "".
func LinesText(lines []int, max int) string {
	if len(lines) == 0 {
		return ""
	}
	sorted := slices.Clone(lines)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)

	var items []string
	more := 0
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[j-1]+1 {
			j++
		}
		if j-i < 3 { // a pair reads better as "5 and 6"
			j = i + 1
		}
		if max > 0 && len(items) == max {
			more += j - i
		} else if j-i == 1 {
			items = append(items, strconv.Itoa(sorted[i]))
		} else {
			items = append(items, strconv.Itoa(sorted[i])+"-"+strconv.Itoa(sorted[j-1]))
		}
		i = j
	}

	var b strings.Builder
	b.WriteString("lines ")
	if len(sorted) == 1 {
		b.Reset()
		b.WriteString("line ")
	}
	last := ""
	if more > 0 {
		last = strconv.Itoa(more) + " more"
	} else if len(items) > 1 {
		last, items = items[len(items)-1], items[:len(items)-1]
	}
	b.WriteString(strings.Join(items, ", "))
	if last != "" {
		b.WriteString(" and ")
		b.WriteString(last)
	}
	return b.String()
}

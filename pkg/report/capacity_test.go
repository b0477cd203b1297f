package report_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func capacityRows() []report.CapacityRow {
	return []report.CapacityRow{
		{Customer: "contoso", SkuName: "Microsoft 365 E5", SkuPartNumber: "SPE_E5", SkuID: "06ebc4ee",
			LicenseGroup: "group1", Available: 10, Requested: 12, Freed: 0, LeftAfter: -2, Shortfall: 2},
		{Customer: "contoso", SkuName: "Office 365 E3", SkuPartNumber: "ENTERPRISEPACK", SkuID: "6fd2c87f",
			LicenseGroup: "group1", Available: 3, Requested: 0, Freed: 12, LeftAfter: 15, Shortfall: 0},
		{Customer: "fabrikam", SkuName: "Minecraft\tEducation", SkuPartNumber: "", LicenseGroup: "group2",
			Available: 100, Requested: 40, LeftAfter: 60},
	}
}

// columnsAt returns where each title starts in the header line.
func columnsAt(t *testing.T, header string, titles []string) []int {
	t.Helper()
	at := make([]int, len(titles))
	from := 0
	for i, title := range titles {
		j := strings.Index(header[from:], title)
		if j < 0 {
			t.Fatalf("header %q has no column %q after position %d", header, title, from)
		}
		at[i] = from + j
		from = at[i] + len(title)
	}
	return at
}

func TestCapacityTable(t *testing.T) {
	var buf bytes.Buffer
	rows := capacityRows()
	if err := report.WriteCapacityTable(&buf, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 1+len(rows)+1 {
		t.Fatalf("got %d lines, want a header, %d rows and a note:\n%s", len(lines), len(rows), buf.String())
	}
	titles := []string{"CUSTOMER", "SKU", "PART NUMBER", "LICENSE GROUP", "AVAILABLE", "REQUESTED", "FREED", "LEFT AFTER", "SHORTFALL"}
	at := columnsAt(t, lines[0], titles)
	for i, r := range rows {
		line := lines[1+i]
		want := []string{r.Customer, r.SkuName, r.SkuPartNumber, r.LicenseGroup, strconv.Itoa(r.Available),
			strconv.Itoa(r.Requested), strconv.Itoa(r.Freed), strconv.Itoa(r.LeftAfter), strconv.Itoa(r.Shortfall)}
		want[1] = strings.ReplaceAll(want[1], "\t", " ") // a tab would break the alignment
		if want[2] == "" {
			want[2] = "-"
		}
		for c, v := range want {
			if cell := line[min(at[c], len(line)):]; !strings.HasPrefix(cell+" ", v+" ") {
				t.Errorf("row %d: column %s does not start with %q under its title:\n%s\n%s", i, titles[c], v, lines[0], line)
			}
		}
		short := strings.HasSuffix(line, "<-- SHORT")
		if short != (r.Shortfall > 0) {
			t.Errorf("row %d (shortfall %d): marked short %v:\n%s", i, r.Shortfall, short, line)
		}
	}
	if note := lines[len(lines)-1]; !strings.Contains(note, "1 of 3") || !strings.Contains(note, "2 unit(s) missing") {
		t.Errorf("note %q does not count the short rows", note)
	}
}

func TestCapacityTableNoShortfallNoNote(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteCapacityTable(&buf, capacityRows()[1:]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<-- SHORT") || strings.Contains(buf.String(), " \n") || strings.Count(buf.String(), "\n") != 3 {
		t.Fatalf("a table without shortfall:\n%s", buf.String())
	}
}

func TestCapacityTableWriteError(t *testing.T) {
	err := report.WriteCapacityTable(&failingWriter{limit: 10, err: syscall.EPIPE}, capacityRows())
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("got %v, want EPIPE", err)
	}
}

func TestRequestCounts(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteRequestCounts(&buf, map[string]int{"group2": 3, "group1": 120}); err != nil {
		t.Fatal(err)
	}
	want := "LICENSE GROUP  REQUESTS\n" +
		"group1         120\n" +
		"group2         3\n" +
		"total          123\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

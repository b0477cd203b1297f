package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func capacityRows() []report.CapacityRow {
	return []report.CapacityRow{
		{Customer: "contoso", SkuName: "Microsoft 365 E5", SkuPartNumber: "SPE_E5", SkuID: "06ebc4ee",
			LicenseGroup: "group1", Available: 10, Held: 3, ToAssign: 12, ToFree: 0, Needed: 12, LeftAfter: -2, Shortfall: 2},
		{Customer: "contoso", SkuName: "Office 365 E3", SkuPartNumber: "ENTERPRISEPACK", SkuID: "6fd2c87f",
			LicenseGroup: "group1", Available: 3, ToFree: 12, LeftAfter: 3},
		{Customer: "fabrikam", SkuName: "Minecraft\tEducation", SkuPartNumber: "", LicenseGroup: "group2",
			Available: 100, Held: 7, ToAssign: 40, Needed: 40, LeftAfter: 60},
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
	if err := report.WriteCapacityTable(&buf, rows, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 1+len(rows)+1 {
		t.Fatalf("got %d lines, want a header, %d rows and a note:\n%s", len(lines), len(rows), buf.String())
	}
	titles := []string{"CUSTOMER", "SKU", "PART NUMBER", "LICENSE GROUP", "AVAILABLE", "HELD", "TO ASSIGN", "TO FREE",
		"NEEDED", "LEFT AFTER", "SHORTFALL"}
	at := columnsAt(t, lines[0], titles)
	for i, r := range rows {
		line := lines[1+i]
		want := []string{r.Customer, r.SkuName, r.SkuPartNumber, r.LicenseGroup, strconv.Itoa(r.Available),
			strconv.Itoa(r.Held), strconv.Itoa(r.ToAssign), strconv.Itoa(r.ToFree), strconv.Itoa(r.Needed),
			strconv.Itoa(r.LeftAfter), strconv.Itoa(r.Shortfall)}
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
	if strings.Contains(buf.String(), "upper bounds") {
		t.Error("an exact table says its counts are upper bounds")
	}
}

func TestCapacityTableUpperBound(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteCapacityTable(&buf, capacityRows()[1:], true); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\nUsers were not read: counts are upper bounds (a user who already holds a SKU is counted as needing a seat).\n") {
		t.Fatalf("no upper-bound note:\n%s", buf.String())
	}
	buf.Reset()
	report.WriteCapacityTable(&buf, nil, true)
	if !strings.HasSuffix(buf.String(), "\nNo licenses to assign or remove.\n") {
		t.Fatalf("empty table:\n%s", buf.String())
	}
}

func TestCapacityTableNoShortfallNoNote(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteCapacityTable(&buf, capacityRows()[1:], false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<-- SHORT") || strings.Contains(buf.String(), " \n") || strings.Count(buf.String(), "\n") != 3 {
		t.Fatalf("a table without shortfall:\n%s", buf.String())
	}
}

func TestCapacityTableWriteError(t *testing.T) {
	err := report.WriteCapacityTable(&failingWriter{limit: 10, err: syscall.EPIPE}, capacityRows(), true)
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("got %v, want EPIPE", err)
	}
}

func TestCapacityJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteCapacityJSON(&buf, capacityRows()[:1], true); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["upper_bound"] != true || len(doc) != 2 || !strings.HasSuffix(buf.String(), "}\n") {
		t.Fatalf("document %s", buf.String())
	}
	row := doc["capacity"].([]any)[0].(map[string]any)
	want := map[string]any{"customer": "contoso", "sku_name": "Microsoft 365 E5", "sku_part_number": "SPE_E5",
		"sku_id": "06ebc4ee", "license_group": "group1", "available": 10.0, "held": 3.0, "to_assign": 12.0,
		"to_free": 0.0, "needed": 12.0, "left_after": -2.0, "shortfall": 2.0,
		"requested": 15.0, // held + to_assign: the rows that ask for the SKU
		"freed":     0.0}
	if !reflect.DeepEqual(row, want) {
		t.Fatalf("row %v\nwant %v", row, want)
	}
	// The aliases do not get in the way of reading a row back.
	var back report.CapacityRow
	b, _ := json.Marshal(capacityRows()[1])
	if err := json.Unmarshal(b, &back); err != nil || back != capacityRows()[1] {
		t.Fatalf("read back %+v, %v", back, err)
	}

	buf.Reset()
	report.WriteCapacityJSON(&buf, nil, false)
	if buf.String() != "{\n  \"capacity\": [],\n  \"upper_bound\": false\n}\n" {
		t.Fatalf("empty: %q", buf.String())
	}
	if err := report.WriteCapacityJSON(&failingWriter{limit: 3, err: syscall.EPIPE}, nil, false); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("got %v", err)
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

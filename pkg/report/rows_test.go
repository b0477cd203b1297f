package report

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gocarina/gocsv"
)

// TestRowTypesFollowTheHeaders checks that gocsv sees the row structs' columns in the
// files' order and under the files' names: the header gocsv would write for each is
// the one the package writes.
func TestRowTypesFollowTheHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows any
		want string
	}{
		{"result", []resultRow{}, headerLine},
		{"rollback", []rollbackRecord{}, rollbackHeaderLine},
	} {
		got, err := gocsv.MarshalString(tc.rows)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: gocsv's header %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestFilesReadWithAnotherHeaderNormalizer sets gocsv's process-wide header
// normaliser, as a package reading people's CSVs may: the result and rollback files
// still read back as written.
func TestFilesReadWithAnotherHeaderNormalizer(t *testing.T) {
	gocsv.SetHeaderNormalizer(strings.ToUpper)
	t.Cleanup(func() { gocsv.SetHeaderNormalizer(gocsv.DefaultNameNormalizer()) })

	want := []Result{
		{Line: 2, Customer: "c", User: "=ann", Sku: "E5", SkuID: "id", RemoveSku: "E3", LicenseGroup: "g",
			Status: StatusFailed, HTTPStatus: 400, ErrorCode: "x", ErrorMessage: "a, \"b\"\nc", Attempts: 2,
			RequestID: "r", CorrelationID: "k", FinishedAt: time.Date(2025, 3, 14, 9, 0, 0, 5, time.UTC),
			UserID: "u", ExcludedPlans: "p1;p2", RowKey: "0123456789abcdef"},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(want[0]); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), headerLine) {
		t.Fatalf("the header changed with the normaliser: %q", buf.String())
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %#v\nwant %#v", got, want)
	}

	path := filepath.Join(t.TempDir(), "r.csv")
	rf, err := OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := []RollbackRow{{Lines: []int{2, 5}, Customer: "c", User: "u", Sku: "s", SkuName: "S", RemoveSku: "r",
		RemoveSkuName: "R", ExcludedPlans: []string{"p"}}}
	if err := rf.Write(rows[0]); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	back, err := ReadRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rows) {
		t.Fatalf("rollback read back %#v\nwant %#v", back, rows)
	}
}

// TestWrongFieldCountNamesCountAndLine checks the messages for a row with another
// number of fields: the reader hands gocsv a fixed count, and the message still names
// the row's count and its file line.
func TestWrongFieldCountNamesCountAndLine(t *testing.T) {
	row := "2,c,u,s,,,,planned,,,,0,,,,,,\n"
	rowV1 := "2,c,u,s,,,,planned,,,,0,,,,\n"
	for _, tc := range []struct{ name, content, want string }{
		{"too few", headerLine + row + "3,c,u,s\n" + row, "line 3: malformed row: 4 fields, want 18"},
		{"too many", headerLine + row + row + strings.TrimSuffix(row, "\n") + ",x\n" + row,
			"line 4: malformed row: 19 fields, want 18"},
		{"after a multi-line cell", headerLine + "2,c,u,s,,,,failed,,,\"a\nb\nc\",0,,,,,,\n" + "3,c\n" + row,
			"line 5: malformed row: 2 fields, want 18"},
		{"version 2 row in a version 1 file", headerLineV1 + row + row, "line 2: malformed row: 18 fields, want 16"},
		{"version 1 row in a version 2 file", headerLine + rowV1 + rowV1, "line 2: malformed row: 16 fields, want 18"},
	} {
		if _, err := Read(strings.NewReader(tc.content)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReadRollbackNamesTheFileLine(t *testing.T) {
	good := "2,c,u,s,,,,\n"
	for _, tc := range []struct{ name, content, want string }{
		{"field count", rollbackHeaderLine + good + "3,c,u\n" + good, "line 3: 3 fields, want 8"},
		{"field count, old format", rollbackHeaderLineV1 + "c,u,s,,\n" + good, "line 3: 8 fields, want 5"},
		{"field count after a blank line", rollbackHeaderLine + "\n" + good + "3,c,u\n", "line 4: 3 fields, want 8"},
		{"line not a number", rollbackHeaderLine + good + "3,\"c\nd\",u,s,,,,\n" + "x;4,c,u,s,,,,\n",
			`line 5: line "x" is not a whole number`},
	} {
		path := filepath.Join(t.TempDir(), "r.csv")
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRollback(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

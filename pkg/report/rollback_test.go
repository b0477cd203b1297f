package report

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRollbackFileAppendsAcrossOpensAndDropsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv.rollback.csv")
	rf, err := OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(RollbackRow{Lines: []int{2}, Customer: "c", User: "ann@contoso.com", RemoveSku: "e5", RemoveSkuName: "Microsoft 365 E5"}); err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(RollbackRow{Lines: []int{7, 3, 7}, Customer: "c", User: "bob@contoso.com", Sku: "e3", SkuName: "Office 365 E3",
		RemoveSku: "e5", ExcludedPlans: []string{"p1", "p2"}}); err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(RollbackRow{Customer: "c", User: "x", Sku: " "}); err == nil {
		t.Fatal("a row naming no SKU was written")
	}
	rf.Close()
	// A crash mid-row leaves a torn line: reopening cuts it and appends after.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("4,c,carol@contoso.com,e")
	f.Close()
	if rows, err := ReadRollback(path); err != nil || len(rows) != 2 {
		t.Fatalf("ReadRollback of a torn file: %d rows, %v; want the 2 whole ones", len(rows), err)
	}
	rf, err = OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	rf.Write(RollbackRow{Lines: []int{5}, Customer: "c", User: "dan@contoso.com", Sku: "e3"})
	rf.Close()
	b, _ := os.ReadFile(path)
	want := "line,customer,user,sku,sku_name,remove_sku,remove_sku_name,excluded_plans\n" +
		"2,c,ann@contoso.com,,,e5,Microsoft 365 E5,\n" +
		"3;7,c,bob@contoso.com,e3,Office 365 E3,e5,,p1;p2\n" +
		"5,c,dan@contoso.com,e3,,,,\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
}

func TestRollbackNeutralisesFormulasAndReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	rf, err := OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := []RollbackRow{
		{Lines: []int{2, 9}, Customer: "c", User: "=HYPERLINK(\"http://x\")", Sku: "+sku", SkuName: "-Name\nwith a break",
			RemoveSku: "@rm", RemoveSkuName: "\tname", ExcludedPlans: []string{"=p1", "p2"}},
		{Customer: "c, with comma", User: "'=already", RemoveSku: "\rid"},
	}
	for _, r := range rows {
		if err := rf.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	rf.Close()
	b, _ := os.ReadFile(path)
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")[1:] {
		for _, c := range strings.Split(line, ",") {
			c = strings.TrimPrefix(c, `"`)
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("row %d: cell %q would run in a spreadsheet: %s", i, c, line)
			}
		}
	}
	if strings.Count(string(b), "\n") != 3 {
		t.Fatalf("a row spans lines:\n%s", b)
	}
	got, err := ReadRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	rows[0].SkuName = "-Name with a break"
	rows[1].RemoveSku = " id" // the carriage return is written as a space
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("read back %#v\nwant %#v", got, rows)
	}
}

func TestRollbackOldFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	old := "customer,user,sku,remove_sku,excluded_plans\nc,ann@contoso.com,,e5,\nc,bob@contoso.com,e3,e5,p1;p2\n"
	os.WriteFile(path, []byte(old), 0o644)
	_, err := OpenRollback(path)
	if !errors.Is(err, ErrOldFormat) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "older bulkassign") {
		t.Fatalf("got %v, want ErrOldFormat", err)
	}
	if b, _ := os.ReadFile(path); string(b) != old {
		t.Fatal("the old file changed")
	}
	got, err := ReadRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []RollbackRow{{Customer: "c", User: "ann@contoso.com", RemoveSku: "e5"},
		{Customer: "c", User: "bob@contoso.com", Sku: "e3", RemoveSku: "e5", ExcludedPlans: []string{"p1", "p2"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

func TestRollbackTornHeaderIsRewritten(t *testing.T) {
	for _, torn := range []string{"", "line,cust", "customer,user"} {
		path := filepath.Join(t.TempDir(), "r.csv")
		os.WriteFile(path, []byte(torn), 0o644)
		rf, err := OpenRollback(path)
		if err != nil {
			t.Fatalf("%q: %v", torn, err)
		}
		rf.Close()
		if b, _ := os.ReadFile(path); string(b) != rollbackHeaderLine {
			t.Fatalf("%q became %q", torn, b)
		}
	}
}

func TestRollbackFileRefusesAForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(path, []byte("name,email\nann,ann@x\n"), 0o644)
	if _, err := OpenRollback(path); err == nil || !strings.Contains(err.Error(), "not a bulkassign rollback file") {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "name,email\nann,ann@x\n" {
		t.Fatal("foreign file changed")
	}
	if _, err := ReadRollback(path); err == nil || !strings.Contains(err.Error(), "not a bulkassign rollback file") {
		t.Fatalf("ReadRollback: %v", err)
	}
}

func TestRollbackRefusesALinkAndADirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious.csv")
	os.WriteFile(target, []byte(rollbackHeaderLine), 0o644)
	link := filepath.Join(dir, "out.csv.rollback.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := OpenRollback(link); err == nil || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), link) {
		t.Fatalf("got %v, want a refusal of the link", err)
	}
	if _, err := ReadRollback(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("ReadRollback: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != rollbackHeaderLine {
		t.Fatalf("the link's target changed: %q", b)
	}
	if _, err := OpenRollback(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a directory: %v", err)
	}
	if _, err := ReadRollback(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

// A result or rollback file saved again by a spreadsheet is refused with what shows
// it and what to do, not only "not a bulkassign file".
func TestFilesResavedByASpreadsheetSaySo(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	result := strings.Join(Header, ",") + "\n" + "2,c,u,,,,,planned,,,,0,,,,,,\n"
	rollback := rollbackHeaderLine + "2,c,u,s,,,,\n"
	for name, tc := range map[string]struct{ content, why string }{
		"result with a BOM":       {"\ufeff" + result, "byte-order mark"},
		"result with CRLF":        {crlf(result), "CRLF"},
		"result with semicolons":  {strings.ReplaceAll(result, ",", ";"), "';'"},
		"rollback with a BOM":     {"\ufeff" + rollback, "byte-order mark"},
		"rollback with CRLF":      {crlf(rollback), "CRLF"},
		"rollback with BOM, CRLF": {"\ufeff" + crlf(rollback), "byte-order mark"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var errs []error
			if strings.HasPrefix(name, "result") {
				_, _, err := Resume(path)
				errs = append(errs, err)
			} else {
				rf, err := OpenRollback(path)
				if rf != nil {
					rf.Close()
				}
				errs = append(errs, err)
				if tc.why != "CRLF" { // encoding/csv reads CRLF: only the append refuses it
					_, err = ReadRollback(path)
					errs = append(errs, err)
				}
			}
			for _, err := range errs {
				if err == nil || !strings.Contains(err.Error(), "saved again by a spreadsheet (") || !strings.Contains(err.Error(), tc.why) {
					t.Errorf("got %v, want a refusal saying the file looks saved again by a spreadsheet (%s)", err, tc.why)
				}
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Errorf("the file was changed: %q", b)
			}
		})
	}
}

package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRollbackFileAppendsAcrossOpensAndDropsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv.rollback.csv")
	rf, err := OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(RollbackRow{Customer: "c", User: "ann@contoso.com", RemoveSku: "e5"}); err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(RollbackRow{Customer: "c", User: "bob@contoso.com", Sku: "e3", RemoveSku: "e5", ExcludedPlans: []string{"p1", "p2"}}); err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(RollbackRow{Customer: "c", User: "x"}); err == nil {
		t.Fatal("a row naming no SKU was written")
	}
	rf.Close()
	// A crash mid-row leaves a torn line: reopening cuts it and appends after.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("c,carol@contoso.com,e")
	f.Close()
	rf, err = OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	rf.Write(RollbackRow{Customer: "c", User: "dan@contoso.com", Sku: "e3"})
	rf.Close()
	b, _ := os.ReadFile(path)
	want := "customer,user,sku,remove_sku,excluded_plans\n" +
		"c,ann@contoso.com,,e5,\n" +
		"c,bob@contoso.com,e3,e5,p1;p2\n" +
		"c,dan@contoso.com,e3,,\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
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
}

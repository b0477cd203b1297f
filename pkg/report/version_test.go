package report_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

var headerLineV1 = strings.Join(report.HeaderV1, ",") + "\n"

// v1File is a result file as bulkassign wrote it before row keys, cut at no row.
const v1Rows = "2,c1,ana@contoso.com,SPE_E5,06ebc4ee,,group1,succeeded,201,,,1,r-1,c-1,2025-03-14T09:26:53Z,\n" +
	"3,c1,bob@contoso.com,SPE_E5,,,,failed,404,,\"user not found,\nreally\",2,,,,b0b\n"

func TestHeaderV2AppendsTwoColumnsAfterUserID(t *testing.T) {
	if got := strings.Join(report.Header, ","); got != strings.Join(report.HeaderV1, ",")+",excluded_plans,row_key" {
		t.Fatalf("Header = %s", got)
	}
	if len(report.HeaderV1) != 16 || report.HeaderV1[15] != "user_id" {
		t.Fatalf("HeaderV1 = %v", report.HeaderV1)
	}
}

func TestReadVersion1(t *testing.T) {
	rs, v, err := report.ReadVersion(strings.NewReader(headerLineV1 + v1Rows))
	if err != nil {
		t.Fatal(err)
	}
	if v != report.Version1 {
		t.Fatalf("version %d, want 1", v)
	}
	want := []report.Result{
		{Line: 2, Customer: "c1", User: "ana@contoso.com", Sku: "SPE_E5", SkuID: "06ebc4ee", LicenseGroup: "group1",
			Status: report.StatusSucceeded, HTTPStatus: 201, Attempts: 1, RequestID: "r-1", CorrelationID: "c-1",
			FinishedAt: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)},
		{Line: 3, Customer: "c1", User: "bob@contoso.com", Sku: "SPE_E5", Status: report.StatusFailed, HTTPStatus: 404,
			ErrorMessage: "user not found,\nreally", Attempts: 2, UserID: "b0b"},
	}
	equalResults(t, "version 1 rows", rs, want)

	data, _ := writeAll(t, want)
	if _, v, err := report.ReadVersion(bytes.NewReader(data)); err != nil || v != report.Version2 {
		t.Fatalf("a new file reads as version %d, %v", v, err)
	}
	if _, v, err := report.ReadVersion(strings.NewReader("line,cust")); err != nil || v != 0 {
		t.Fatalf("a torn header reads as version %d, %v; want 0", v, err)
	}
}

// TestReadVersion1TornTail cuts a version 1 file at every offset: its torn tail is
// dropped as a version 2 one's is, and a 16-column row is whole in it.
func TestReadVersion1TornTail(t *testing.T) {
	data := headerLineV1 + v1Rows
	first := len(headerLineV1) + strings.Index(v1Rows, "\n") + 1
	for cut := 0; cut <= len(data); cut++ {
		rs, err := report.Read(strings.NewReader(data[:cut]))
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		want := 0
		switch {
		case cut == len(data):
			want = 2
		case cut >= first:
			want = 1
		}
		if len(rs) != want {
			t.Fatalf("cut at %d: %d rows, want %d", cut, len(rs), want)
		}
	}
}

func TestReadRejectsColumnsOfTheOtherVersion(t *testing.T) {
	// A 16-column row under the new header (or an 18-column one under the old) is not a
	// torn row when another follows it.
	row := strings.SplitAfter(v1Rows, "\n")[0]
	if _, err := report.Read(strings.NewReader(headerLine + row + row)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("got %v, want an error naming line 2", err)
	}
	data, _ := writeAll(t, awkwardResults()[:1])
	row2 := string(data[len(headerLine):])
	if _, err := report.Read(strings.NewReader(headerLineV1 + row2 + row2)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("got %v, want an error naming line 2", err)
	}
}

func TestTornHeaderOfEitherVersionHoldsNoRows(t *testing.T) {
	for _, h := range []string{headerLine, headerLineV1} {
		for cut := 0; cut < len(h); cut++ {
			rs, v, err := report.ReadVersion(strings.NewReader(h[:cut]))
			if err != nil || len(rs) != 0 || v != 0 {
				t.Fatalf("header cut to %q: %v, version %d, %v", h[:cut], rs, v, err)
			}
		}
	}
	// One byte off either header is not a torn header.
	bad := strings.Replace(headerLine, "row_key", "row_kez", 1)
	if _, err := report.Read(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "not a bulkassign result file") {
		t.Fatalf("got %v", err)
	}
}

func TestResumeRefusesVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	content := headerLineV1 + v1Rows + "4,c1,torn"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := report.Resume(path)
	if !errors.Is(err, report.ErrOldFormat) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "older bulkassign") || !strings.Contains(err.Error(), "new output") {
		t.Fatalf("got %v, want ErrOldFormat naming %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != content {
		t.Fatalf("Resume changed a version 1 file: %q", data)
	}
}

func TestResumeRewritesATornHeaderAsVersion2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := os.WriteFile(path, []byte(headerLineV1[:len(headerLineV1)-1]), 0o644); err != nil {
		t.Fatal(err)
	}
	f, rs, err := report.Resume(path)
	if err != nil || len(rs) != 0 {
		t.Fatalf("%v, %v", rs, err)
	}
	if err := f.Write(newRows()[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), headerLine) {
		t.Fatalf("file %q", data)
	}
}

func TestUnchangedIsAStatus(t *testing.T) {
	if !report.StatusUnchanged.Valid() || report.Status("unchanged ").Valid() {
		t.Fatal("Valid")
	}
	want := []report.Result{{Line: 2, Status: report.StatusUnchanged}}
	data, _ := writeAll(t, want)
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, "unchanged row", got, want)
	err = report.NewAppender(&bytes.Buffer{}).Write(report.Result{Line: 3, Status: "done"})
	if err == nil || !strings.Contains(err.Error(), "succeeded, unchanged, failed, skipped, planned") {
		t.Fatalf("got %v", err)
	}
}

func TestRowKey(t *testing.T) {
	k := report.RowKey("C1", "Ana@Contoso.com", "SPE_E5", "ENTERPRISEPACK", "p1;p2")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(k) {
		t.Fatalf("key %q is not 16 lower-case hex characters", k)
	}
	same := []string{
		report.RowKey(" c1 ", "ana@contoso.com", "spe_e5", "enterprisepack ", " P2 ;; p1;"),
		report.RowKey("c1", "ANA@CONTOSO.COM", "SPE_E5", "ENTERPRISEPACK", "p2;p1;p2"),
	}
	for i, s := range same {
		if s != k {
			t.Errorf("variant %d: key %s, want %s (case, space, order and empty plans do not count)", i, s, k)
		}
	}
	differ := map[string]string{
		"excluded plans edited":    report.RowKey("c1", "ana@contoso.com", "SPE_E5", "ENTERPRISEPACK", "p1"),
		"no excluded plans":        report.RowKey("c1", "ana@contoso.com", "SPE_E5", "ENTERPRISEPACK", ""),
		"another user":             report.RowKey("c1", "bob@contoso.com", "SPE_E5", "ENTERPRISEPACK", "p1;p2"),
		"another customer":         report.RowKey("c2", "ana@contoso.com", "SPE_E5", "ENTERPRISEPACK", "p1;p2"),
		"assign and remove swap":   report.RowKey("c1", "ana@contoso.com", "ENTERPRISEPACK", "SPE_E5", "p1;p2"),
		"fields run into another":  report.RowKey("c1", "ana@contoso.comSPE_E5", "", "ENTERPRISEPACK", "p1;p2"),
		"plans joined differently": report.RowKey("c1", "ana@contoso.com", "SPE_E5", "ENTERPRISEPACK", "p1p2"),
	}
	seen := map[string]string{k: "original"}
	for name, key := range differ {
		if other, ok := seen[key]; ok {
			t.Errorf("%s: same key as %s", name, other)
		}
		seen[key] = name
	}
}

func TestRowKeyIsStable(t *testing.T) {
	// The key is part of the file format: a change of the formula makes every resumed
	// file look edited. Computed by hand: sha256 of "c1\x00u\x00s\x00\x00a;b", 8 bytes.
	if got := report.RowKey("C1", "u", "s", "", "b;a"); got != "de8b569b79c4d1ab" {
		t.Fatalf("RowKey = %s, want de8b569b79c4d1ab", got)
	}
}

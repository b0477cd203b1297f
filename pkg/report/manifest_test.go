package report_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func sampleManifest() report.Manifest {
	sum := sha256.Sum256([]byte("customer,user,sku\n"))
	return report.Manifest{Format: 1, Input: "in.csv", InputSHA256: hex.EncodeToString(sum[:]), InputRows: 2000,
		Customer: "contoso.onmicrosoft.com", API: "partnercenter", Created: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)}
}

func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	output := filepath.Join(dir, "out.csv")
	m := sampleManifest()
	if err := report.WriteManifest(output, m); err != nil {
		t.Fatal(err)
	}
	if report.ManifestPath(output) != output+".manifest.json" {
		t.Fatal(report.ManifestPath(output))
	}
	if _, err := os.Stat(output); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("WriteManifest touched the result file itself: %v", err)
	}
	b, err := os.ReadFile(output + ".manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"format": 1.0, "input": "in.csv", "input_sha256": m.InputSHA256, "input_rows": 2000.0,
		"customer": "contoso.onmicrosoft.com", "api": "partnercenter", "created": "2025-03-14T09:26:53Z"}
	if !reflect.DeepEqual(raw, want) {
		t.Fatalf("manifest JSON %v, want %v", raw, want)
	}
	got, err := report.ReadManifest(output)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("read back %+v, want %+v", got, m)
	}
	// Rewriting replaces it and leaves no temporary file behind.
	m.InputRows = 3
	m.Created = time.Time{}
	if err := report.WriteManifest(output, m); err != nil {
		t.Fatal(err)
	}
	got, _ = report.ReadManifest(output)
	if got.InputRows != 3 || got.Created.IsZero() {
		t.Fatalf("rewritten manifest %+v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %v", entries)
	}
}

func TestReadManifestErrors(t *testing.T) {
	dir := t.TempDir()
	output := filepath.Join(dir, "out.csv")
	if _, err := report.ReadManifest(output); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), output+".manifest.json") {
		t.Fatalf("missing manifest: %v", err)
	}
	for content, want := range map[string]string{
		"not json":                            "not a bulkassign manifest",
		`{"format":2,"input_sha256":"00"}`:    "newer bulkassign",
		`{"format":1}`:                        "not a bulkassign manifest",
		`{"format":1,"input_sha256":"ABCD"}`:  "not a bulkassign manifest",
		`{"input":"x","input_sha256":"abcd"}`: "not a bulkassign manifest",
	} {
		os.WriteFile(output+".manifest.json", []byte(content), 0o644)
		if _, err := report.ReadManifest(output); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", content, err, want)
		}
	}
}

func TestFileSHA256(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte("customer,user,sku\n"), 0o644)
	got, err := report.FileSHA256(path)
	if err != nil || got != sampleManifest().InputSHA256 {
		t.Fatalf("%s, %v", got, err)
	}
	if _, err := report.FileSHA256(path + ".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%v", err)
	}
}

// resumeFixture is an earlier run's rows for lines 2-6 (line 3 twice: failed, then
// succeeded on resume) and the input's keys per line.
func resumeFixture() ([]report.Result, map[int]string) {
	keys := map[int]string{}
	var rows []report.Result
	for line := 2; line <= 6; line++ {
		user := "u" + string(rune('a'+line)) + "@contoso.com"
		k := report.RowKey("c", user, "E5", "", "")
		keys[line] = k
		rows = append(rows, report.Result{Line: line, User: user, Status: report.StatusFailed, RowKey: k})
	}
	rows = append(rows, report.Result{Line: 3, User: "ud@contoso.com", Status: report.StatusSucceeded, RowKey: keys[3]})
	keys[7] = report.RowKey("c", "not-yet-sent@contoso.com", "E5", "", "")
	return rows, keys
}

func TestCheckResumeSameInput(t *testing.T) {
	rows, keys := resumeFixture()
	m := sampleManifest()
	now := m
	now.Input = "../elsewhere/in.csv" // the same file given another way
	now.Created = time.Now()
	now.Customer = " CONTOSO.onmicrosoft.com"
	if err := report.CheckResume(m, now, rows, keys); err != nil {
		t.Fatal(err)
	}
}

func TestCheckResumeSettings(t *testing.T) {
	rows, keys := resumeFixture()
	m := sampleManifest()
	now := m
	now.API = "graph"
	now.Customer = "fabrikam"
	err := report.CheckResume(m, now, rows, keys)
	var me *report.ResumeMismatchError
	if !errors.As(err, &me) || len(me.Settings) != 2 || me.InputChanged {
		t.Fatalf("got %#v", err)
	}
	for _, want := range []string{`api was "partnercenter", now "graph"`, `customer was "contoso.onmicrosoft.com", now "fabrikam"`,
		"same input and settings", "use a new output"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestCheckResumeEditedInput(t *testing.T) {
	rows, keys := resumeFixture()
	m := sampleManifest()
	now := m
	now.InputSHA256 = strings.Repeat("0", 64)
	keys[3] = report.RowKey("c", "ud@contoso.com", "E5", "", "plan1") // excluded plans edited
	keys[5] = keys[6]                                                 // rows reordered
	keys[6] = keys[2]
	delete(keys, 4) // a line gone
	err := report.CheckResume(m, now, rows, keys)
	var me *report.ResumeMismatchError
	if !errors.As(err, &me) || !me.InputChanged {
		t.Fatalf("got %v", err)
	}
	if !reflect.DeepEqual(me.Changed, []int{3, 5, 6}) || !reflect.DeepEqual(me.Missing, []int{4}) {
		t.Fatalf("changed %v, missing %v", me.Changed, me.Missing)
	}
	for _, want := range []string{"lines 3, 5 and 6 differ", "line 4 of the earlier run is no longer in the input", "use a new output"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestCheckResumeChangeInLinesNotYetSent(t *testing.T) {
	rows, keys := resumeFixture()
	m := sampleManifest()
	now := m
	now.InputSHA256 = strings.Repeat("1", 64)
	now.InputRows = 2001
	keys[8] = "added"
	err := report.CheckResume(m, now, rows, keys)
	var me *report.ResumeMismatchError
	if !errors.As(err, &me) || len(me.Changed)+len(me.Missing) != 0 || !reflect.DeepEqual(me.Unwritten, []int{7, 8}) ||
		!strings.Contains(err.Error(), "lines not yet sent changed (among lines 7 and 8, which the earlier run wrote no result for); it had 2000 rows, now 2001") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckResumeWithoutManifest(t *testing.T) {
	rows, keys := resumeFixture()
	now := sampleManifest()
	if err := report.CheckResume(report.Manifest{}, now, rows, keys); err != nil {
		t.Fatalf("rows match, no manifest: %v", err)
	}
	keys[2] = "other"
	rows = append(rows, report.Result{Line: 9, Status: report.StatusFailed}) // no key: not compared
	var me *report.ResumeMismatchError
	if err := report.CheckResume(report.Manifest{}, now, rows, keys); !errors.As(err, &me) || !reflect.DeepEqual(me.Changed, []int{2}) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckResumeNamesManyLinesCompactly(t *testing.T) {
	var rows []report.Result
	for line := 2; line < 1002; line++ {
		rows = append(rows, report.Result{Line: line, Status: report.StatusSucceeded, RowKey: "k"})
	}
	m := sampleManifest()
	now := m
	now.InputSHA256 = strings.Repeat("2", 64)
	keys := map[int]string{}
	for line := 2; line < 1002; line += 2 {
		keys[line] = "other"
	}
	err := report.CheckResume(m, now, rows, keys)
	if err == nil || len(err.Error()) > 500 || !strings.Contains(err.Error(), "lines 2, 4, 6, 8, 10 and 495 more differ from what the earlier run wrote there") {
		t.Fatalf("got %v", err)
	}
}

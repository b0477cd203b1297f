package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func newRows() []report.Result {
	return []report.Result{
		{Line: 20, Customer: "c2", User: "new1@contoso.com", Sku: "SPE_E5", Status: report.StatusSucceeded, HTTPStatus: 201, Attempts: 1},
		{Line: 21, Customer: "c2", User: "new2@contoso.com", Sku: "SPE_E5", Status: report.StatusFailed,
			ErrorMessage: "multi\nline, \"quoted\"", Attempts: 2},
	}
}

func readFile(t *testing.T, path string) []report.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline: %q", path, data)
	}
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return got
}

func TestCreateWritesHeaderAndRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	f, err := report.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path() != path {
		t.Fatalf("Path() = %q, want %q", f.Path(), path)
	}
	data, _ := os.ReadFile(path)
	if string(data) != headerLine {
		t.Fatalf("after Create the file holds %q, want the header", data)
	}
	rs := awkwardResults()
	for i, r := range rs {
		if err := f.Write(r); err != nil {
			t.Fatal(err)
		}
		// Each row is on disk as soon as Write returns: nothing is held back in a buffer.
		equalResults(t, fmt.Sprintf("file after row %d", i), readFile(t, path), rs[:i+1])
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o600 != 0o600 || perm&^0o644 != 0 {
		t.Fatalf("mode %v, want 0644 (less the umask)", perm)
	}
}

func TestCreateHeaderOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	f, err := report.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != headerLine {
		t.Fatalf("got %q, want only the header", data)
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.csv")
	if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := report.Create(path)
	if err == nil {
		t.Fatal("Create overwrote an existing file")
	}
	for _, want := range []string{path, "resume that run", "another path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("error %v is not fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "precious" {
		t.Fatalf("the existing file was changed: %q", data)
	}
}

func TestCreateRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := report.Create(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("got %v, want an error naming %s as a directory", err, dir)
	}
	_, _, err = report.Resume(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("Resume: got %v, want an error naming %s as a directory", err, dir)
	}
}

func TestCreateUnwritableLocation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "out.csv")
	_, err := report.Create(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
	if strings.Count(err.Error(), path) != 1 {
		t.Errorf("error %q names the path more than once", err)
	}
}

func TestResumeMissingFileCreatesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	f, prior, err := report.Resume(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(prior) != 0 {
		t.Fatalf("rows from a missing file: %v", prior)
	}
	for _, r := range newRows() {
		if err := f.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	equalResults(t, "resumed missing file", readFile(t, path), newRows())
}

func TestResumeForeignHeader(t *testing.T) {
	for name, content := range map[string]string{
		"other csv":     "user,sku\nana@contoso.com,SPE_E5\n",
		"short line":    "hello\n",
		"no newline":    "hello",
		"header in bom": "\ufeff" + headerLine,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "input.csv")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := report.Resume(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a bulkassign result file") {
				t.Fatalf("got %v, want an error naming %s as not a result file", err, path)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Fatalf("a foreign file was changed: %q", data)
			}
		})
	}
}

// TestResumeTornTail cuts a result file at every byte offset, as a kill at any moment
// could, and checks that Resume keeps exactly the complete rows, truncates the torn
// tail, and appends after it a file that reads back whole.
func TestResumeTornTail(t *testing.T) {
	rs := awkwardResults()
	data, ends := writeAll(t, rs)
	path := filepath.Join(t.TempDir(), "out.csv")
	for cut := 0; cut <= len(data); cut++ {
		var want []report.Result
		keep := len(headerLine)
		for i, e := range ends {
			if e <= cut {
				want = append(want, rs[i])
				keep = e
			}
		}
		// Read on its own drops the torn tail as well.
		got, err := report.Read(bytes.NewReader(data[:cut]))
		if err != nil {
			t.Fatalf("cut at %d: Read: %v", cut, err)
		}
		equalResults(t, fmt.Sprintf("cut at %d: Read", cut), got, want)

		if err := os.WriteFile(path, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		f, prior, err := report.Resume(path)
		if err != nil {
			t.Fatalf("cut at %d: Resume: %v", cut, err)
		}
		equalResults(t, fmt.Sprintf("cut at %d: Resume rows", cut), prior, want)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != int64(keep) {
			t.Fatalf("cut at %d: file is %d bytes after Resume, want %d (the end of the last complete row)", cut, st.Size(), keep)
		}
		for _, r := range newRows() {
			if err := f.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		equalResults(t, fmt.Sprintf("cut at %d: file after appending", cut), readFile(t, path), append(want, newRows()...))
	}
}

func TestResumeTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	f, err := report.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rs := awkwardResults()
	for _, r := range rs[:3] {
		if err := f.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	for round, batch := range [][]report.Result{rs[3:5], rs[5:]} {
		f, _, err := report.Resume(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, r := range batch {
			if err := f.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	equalResults(t, "after two resumes", readFile(t, path), rs)
}

func TestReadMalformedMiddleRow(t *testing.T) {
	good, _ := writeAll(t, awkwardResults()[:1])
	row := string(good[len(headerLine):])
	for _, tc := range []struct {
		name, bad, want string
	}{
		{"too few fields", "3,c,u,s\n", "line 3"},
		{"unknown status", strings.Replace(row, "succeeded", "done", 1), "line 3"},
		{"line not a number", "x" + row[1:], "line 3"},
		{"bad time", strings.Replace(row, "2025-03-14T", "yesterday", 1), "line 3"},
		{"bare quote", "3,c,u\"x,,,,,planned,,,,0,,,\n", "line 3"},
		{"quote left open", "3,\"c,u,,,,,planned,,,,0,,,\n", "line 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := headerLine + row + tc.bad + row + row
			_, err := report.Read(strings.NewReader(content))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
			path := filepath.Join(t.TempDir(), "out.csv")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err = report.Resume(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resume: got %v, want an error naming %s and %s", err, path, tc.want)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Fatal("Resume changed a malformed file")
			}
		})
	}
}

func TestReadBadLastRowWithNewlineIsAnError(t *testing.T) {
	good, _ := writeAll(t, awkwardResults()[:1])
	row := string(good[len(headerLine):])
	// Complete (newline and all fields) but wrong: not a torn write, so not dropped.
	content := headerLine + row + strings.Replace(row, "succeeded", "done", 1)
	if _, err := report.Read(strings.NewReader(content)); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("got %v, want an error naming line 3", err)
	}
}

func TestReadDropsLastRowWithWrongFieldCount(t *testing.T) {
	good, _ := writeAll(t, awkwardResults()[:1])
	got, err := report.Read(strings.NewReader(string(good) + "3,c,u\n"))
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, "rows", got, awkwardResults()[:1])
}

func TestReadEmpty(t *testing.T) {
	for _, content := range []string{"", "line,cus"} {
		got, err := report.Read(strings.NewReader(content))
		if err != nil || len(got) != 0 {
			t.Fatalf("Read(%q) = %v, %v; want no rows", content, got, err)
		}
	}
}

func TestResumeKeyAndSucceeded(t *testing.T) {
	if report.ResumeKey(" C1 ", "Ana@Contoso.com", "spe_e5", "") != report.ResumeKey("c1", "ana@contoso.com ", "SPE_E5", " ") {
		t.Fatal("keys differ in case or space only, but do not match")
	}
	if report.ResumeKey("c1", "u", "a", "") == report.ResumeKey("c1", "u", "", "a") {
		t.Fatal("assigning a SKU and removing it share a key")
	}
	if report.ResumeKey("c1", "u", "a b", "") == report.ResumeKey("c1", "u a", "b", "") {
		t.Fatal("fields run into each other")
	}
	rs := []report.Result{
		{Customer: "c1", User: "Ana@contoso.com", Sku: "E5", RemoveSku: "E3", Status: report.StatusSucceeded},
		{Customer: "c1", User: "bob@contoso.com", Sku: "E5", Status: report.StatusFailed},
		{Customer: "c1", User: "cy@contoso.com", Sku: "E5", Status: report.StatusSkipped},
		{Customer: "c1", User: "di@contoso.com", Sku: "E5", Status: report.StatusPlanned},
	}
	done := report.Succeeded(rs)
	if len(done) != 1 || !done[report.ResumeKey("C1", "ana@contoso.com", "e5", "e3")] {
		t.Fatalf("Succeeded = %v, want only ana's row", done)
	}
}

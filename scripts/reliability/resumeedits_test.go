//go:build reliability

package reliability

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// edit is one way the input is changed between a killed run and its --resume.
type edit struct {
	name  string
	input func(rows []jobRow) []jobRow // the edited rows (nil: the job's input as it is)
	path  string                       // another file ("": the input, edited in place)
	extra []string                     // more flags of the resume
	lines []int                        // the lines the refusal must name (nil: see says)
	says  string                       // what the refusal must say instead, lower case
}

// TestResumeEdits: a job killed part way, then resumed with an edited input, five
// ways: one written line's excluded_plans changed; two written lines swapped; another
// file (the same rows for another domain's users); another --customer; a line not yet
// written changed. Each resume must exit 2, naming the lines that changed (or saying
// the customer differs, or that lines not yet sent changed), send the API nothing and
// leave the result, rollback and manifest files as they were. The unedited input then
// resumes and finishes the job exactly.
func TestResumeEdits(t *testing.T) {
	s := newSetup(t)
	f := s.startFake(t, s.dir, latencyFlags()...)
	output := filepath.Join(s.dir, "result.csv")
	counter := &rowCounter{path: output}
	first := startTool(t, f.fakeServer, filepath.Join(s.dir, "run-first.log"), s.bin, s.runArgs(output, false)...)
	if killed, _ := killAfter(t, first, f.fakeServer, counter, len(s.job.Rows)/3, 0); !killed {
		t.Fatalf("the first run ended before its kill (exit %d)", exitCode(first.err))
	}
	written := map[int]bool{}
	for _, r := range report.Final(readOutput(t, output)) {
		written[r.Line] = true
	}
	// Written lines to edit: an E5 row without exclusions, two rows of other users.
	pick := func(from int, ok func(i int, r jobRow) bool) int {
		for i := from; i < len(s.job.Rows); i++ {
			if written[i+2] && ok(i, s.job.Rows[i]) {
				return i
			}
		}
		t.Fatalf("no written line fits (%d lines written)", len(written))
		return -1
	}
	plansAt := pick(0, func(_ int, r jobRow) bool { return r.Sku == partE5 && r.Excluded == "" && r.RemoveSku == "" })
	a := pick(plansAt+1, func(_ int, r jobRow) bool { return r.Sku == partE5 })
	b := pick(a+1, func(_ int, r jobRow) bool { return r.User != s.job.Rows[a].User && r.Sku != s.job.Rows[a].Sku })
	unwritten := -1
	for i := len(s.job.Rows) - 1; i >= 0; i-- {
		if !written[i+2] && s.job.Rows[i].Sku == partE5 && s.job.Rows[i].Excluded == "" {
			unwritten = i
			break
		}
	}
	if unwritten < 0 {
		t.Fatal("every E5 line was written before the kill")
	}
	var allWritten []int
	for l := range written {
		allWritten = append(allWritten, l)
	}
	slices.Sort(allWritten)
	other := filepath.Join(s.dir, "other.csv")
	edits := []edit{
		{name: "excluded plans of a written line", lines: []int{plansAt + 2},
			input: func(rs []jobRow) []jobRow { rs[plansAt].Excluded = "SWAY"; return rs }},
		{name: "two written lines swapped", lines: []int{a + 2, b + 2},
			input: func(rs []jobRow) []jobRow { rs[a], rs[b] = rs[b], rs[a]; return rs }},
		{name: "another file", path: other, lines: allWritten,
			input: func(rs []jobRow) []jobRow {
				for i := range rs {
					rs[i].User = strings.Replace(rs[i].User, "@contoso.", "@fabrikam.", 1)
				}
				return rs
			}},
		{name: "another customer", extra: []string{"--customer", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}, says: "customer was"},
		{name: "a line not yet written", says: "not yet sent",
			input: func(rs []jobRow) []jobRow { rs[unwritten].Excluded = "SWAY"; return rs }},
	}
	original, err := os.ReadFile(s.input)
	if err != nil {
		t.Fatal(err)
	}
	var figures []string
	for _, e := range edits {
		figures = append(figures, s.resumeEdited(t, f, output, original, e))
	}
	if err := os.WriteFile(s.input, original, 0o644); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(s.dir, "run-last.log")
	r := startTool(t, f.fakeServer, last, s.bin, s.runArgs(output, true)...)
	code := r.wait(t, 15*time.Minute)
	if code != 0 {
		t.Fatalf("the unedited input's resume exited with %d; log:\n%s", code, tail(last, 20))
	}
	o := s.checkFinalState(t, f, output)
	rollback := s.checkRollback(t, f, output)
	t.Logf("FIGURES resume-edits: rows=%d lines_written_before_the_kill=%d %s unedited_resume_exit=%d lines_succeeded=%d lines_unchanged=%d lines_lost=%d lines_duplicated=%d rollback=(%s)",
		len(s.job.Rows), len(written), strings.Join(figures, " "), code, o.Succeeded, o.Unchanged, o.Lost, o.Duplicated, rollback)
}

var rowsNow = regexp.MustCompile(`rows, now (\d+)`)

// resumeEdited resumes output with the edited input and checks the refusal.
func (s *setup) resumeEdited(t *testing.T, f *jobFake, output string, original []byte, e edit) string {
	t.Helper()
	input := s.input
	if e.path != "" {
		input = e.path
	}
	data := original
	if e.input != nil {
		j := s.job
		j.Rows = e.input(slices.Clone(s.job.Rows))
		var b bytes.Buffer
		if err := j.writeCSV(&b); err != nil {
			t.Fatal(err)
		}
		data = b.Bytes()
	}
	if err := os.WriteFile(input, data, 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.WriteFile(s.input, original, 0o644) }()
	files := []string{output, report.RollbackPath(output), report.ManifestPath(output)}
	before := make([][]byte, len(files))
	for i, p := range files {
		before[i], _ = os.ReadFile(p)
	}
	requests := f.stats().Requests
	logPath := filepath.Join(s.dir, "resume-"+strings.ReplaceAll(e.name, " ", "-")+".log")
	r := startTool(t, f.fakeServer, logPath, s.bin, s.runInput(input, output, true, e.extra...)...)
	code := r.wait(t, 2*time.Minute)
	msg := strings.TrimSpace(tail(logPath, 3))
	if code != 2 {
		t.Errorf("%s: the resume exited with %d, want 2; it printed:\n%s", e.name, code, msg)
	}
	switch {
	case e.lines != nil:
		if want := report.LinesText(e.lines, 5); !strings.Contains(msg, want) {
			t.Errorf("%s: the message does not name %s:\n%s", e.name, want, msg)
		}
	case !strings.Contains(strings.ToLower(msg), e.says):
		t.Errorf("%s: the message does not say %q:\n%s", e.name, e.says, msg)
	}
	// A count of rows the message gives must be the edited input's.
	if m := rowsNow.FindStringSubmatch(msg); m != nil && m[1] != fmt.Sprint(bytes.Count(data, []byte("\n"))-1) {
		t.Errorf("%s: the message says the input now has %s rows; it has %d", e.name, m[1], bytes.Count(data, []byte("\n"))-1)
	}
	sent := f.stats().Requests - requests
	if sent != 0 {
		t.Errorf("%s: the refused resume sent %d requests", e.name, sent)
	}
	for i, p := range files {
		if after, _ := os.ReadFile(p); !bytes.Equal(after, before[i]) {
			t.Errorf("%s: the refused resume changed %s", e.name, p)
		}
	}
	t.Logf("%s: exit %d, %d requests sent: %s", e.name, code, sent, msg)
	return fmt.Sprintf("%q=(exit %d, requests %d)", e.name, code, sent)
}

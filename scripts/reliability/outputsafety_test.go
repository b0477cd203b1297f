//go:build reliability

package reliability

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

var (
	flagFsizeBlocks = flag.Int("fsize-blocks", 1000, "TestOutputSafety: the shell's ulimit -f for the run (blocks of 512 bytes in dash, 1024 in bash): past the rows of lines already done, which are written first")
	flagTmpfsSize   = flag.String("tmpfs-size", "256k", "TestOutputSafety: the size of the tmpfs that fills up")
)

// TestOutputSafety makes the output unwritable part way through the job, two ways:
//
//   - file size limit: the run goes through `sh -c 'ulimit -f N; exec bulkassign ...'`,
//     so that writes past N blocks fail with EFBIG (Go ignores SIGXFSZ);
//   - disk full: the output is on a small tmpfs (needs root to mount; skipped
//     otherwise), so that writes fail with ENOSPC.
//
// Then the run must stop with exit code 1; what was written must read back with
// report.Read (complete rows, at most a torn last line) and resume with report.Resume;
// every row written must be succeeded or unchanged; the updates applied but not written
// must be at most --concurrency (the run stops sending at the first failed write); and
// a resumed run on a writable copy (the result file with its manifest and rollback
// file) must finish the job with every line succeeded or unchanged once, the ledger
// exact, sending none of the updates applied without a row again (the plan finds them
// made), and a rollback file that restores the ledger of the start.
func TestOutputSafety(t *testing.T) {
	s := newSetup(t)
	t.Run("file size limit", func(t *testing.T) {
		dir := filepath.Join(s.dir, "fsize")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f := s.startFake(t, dir, latencyFlags()...)
		output := filepath.Join(dir, "result.csv")
		script := fmt.Sprintf(`ulimit -f %d && exec "$0" "$@"`, *flagFsizeBlocks)
		logPath := filepath.Join(dir, "run.log")
		r := startTool(t, f.fakeServer, logPath, "/bin/sh", append([]string{"-c", script, s.bin}, s.runArgs(output, false)...)...)
		s.checkStopped(t, f, dir, output, logPath, r, fmt.Sprintf("ulimit -f %d", *flagFsizeBlocks))
	})
	t.Run("disk full", func(t *testing.T) {
		dir := filepath.Join(s.dir, "tmpfs")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+*flagTmpfsSize, "tmpfs", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot mount a %s tmpfs (it needs root): %v %s", *flagTmpfsSize, err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v %s", dir, err, out)
			}
		})
		work := filepath.Join(s.dir, "tmpfs-work") // the fake's log and the run's log live off the tmpfs
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		f := s.startFake(t, work, latencyFlags()...)
		output := filepath.Join(dir, "result.csv")
		logPath := filepath.Join(work, "run.log")
		r := startTool(t, f.fakeServer, logPath, s.bin, s.runArgs(output, false)...)
		s.checkStopped(t, f, work, output, logPath, r, "tmpfs size="+*flagTmpfsSize)
	})
}

// checkStopped checks a run whose output became unwritable, then finishes the job
// from a writable copy of its output.
func (s *setup) checkStopped(t *testing.T, f *jobFake, work, output, logPath string, r *toolRun, how string) {
	t.Helper()
	if code := r.wait(t, 10*time.Minute); code != 1 {
		t.Errorf("the run exited with %d, want 1; log %s:\n%s", code, logPath, tail(logPath, 30))
	}
	logText, _ := os.ReadFile(logPath)
	if !bytes.Contains(logText, []byte("unwritable")) {
		t.Errorf("the run's output does not say the output was unwritable; log:\n%s", tail(logPath, 30))
	}
	raw, err := os.ReadFile(output)
	if err != nil {
		t.Fatal(err)
	}
	torn := len(raw) > 0 && raw[len(raw)-1] != '\n'
	fi, err := os.Stat(output)
	if err != nil {
		t.Fatal(err)
	}
	stoppedAt := fi.ModTime()

	// What was written reads back, complete rows only.
	results := readOutput(t, output)
	counts := map[report.Status]int{}
	written := map[string]bool{} // request IDs of the updates whose rows were written
	for _, res := range results {
		counts[res.Status]++
		if res.Status == report.StatusSucceeded {
			written[strings.ToLower(res.RequestID)] = true
		}
	}
	if counts[report.StatusSucceeded]+counts[report.StatusUnchanged] != len(results) || counts[report.StatusSucceeded] == 0 {
		t.Errorf("rows written: %v; want only succeeded or unchanged rows, at least one succeeded", counts)
	}
	if len(results) >= len(s.job.Rows) {
		t.Fatalf("all %d rows were written: the output never became unwritable (%s); raise the job or lower the limit", len(results), how)
	}
	// It resumes: Resume drops the torn line and appends after the last complete row.
	copyPath := filepath.Join(work, "resumed.csv")
	if err := os.WriteFile(copyPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, report.RollbackPath(output), report.RollbackPath(copyPath))
	copyFile(t, report.ManifestPath(output), report.ManifestPath(copyPath))
	if _, err := report.ReadManifest(copyPath); err != nil {
		t.Errorf("the manifest of the stopped run: %v", err)
	}
	file, prior, err := report.Resume(copyPath)
	if err != nil {
		t.Fatalf("resume the output: %v", err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	if len(prior) != len(results) {
		t.Errorf("Resume read %d rows, Read %d", len(prior), len(results))
	}
	kept, _ := os.ReadFile(copyPath)
	if want := bytes.LastIndexByte(raw, '\n') + 1; len(kept) != want {
		t.Errorf("Resume left %d bytes, want the %d up to the last complete row", len(kept), want)
	}

	// The run stopped sending: at most the requests in flight at the failed write were
	// applied without their rows reaching the file.
	st := f.stats()
	log := f.requests()
	f.save(work)
	lostInFlight := st.Applied - len(written)
	if lostInFlight < 0 || lostInFlight > *flagConcurrency {
		t.Errorf("%d updates applied, %d written as succeeded: %d applied without a row, want 0 to --concurrency %d",
			st.Applied, len(written), lostInFlight, *flagConcurrency)
	}
	postsAfter := 0
	for _, q := range log {
		if q.Method == "POST" && q.At.After(stoppedAt) {
			postsAfter++
		}
	}
	notWritten := len(s.job.Rows) - len(results)
	t.Logf("stopped (%s): exit %d, %d bytes, torn last line %v, %d rows read back (%v), %d rows never written; "+
		"%d updates applied, %d with rows written, %d applied without a row; %d POSTs arrived after the output's last write",
		how, exitCode(r.err), len(raw), torn, len(results), counts, notWritten, st.Applied, len(written), lostInFlight, postsAfter)
	t.Logf("the run's summary says: %s", strings.Join(summaryLines(logText), " | "))

	// A resumed run on the writable copy finishes the job, sending each row once more at most.
	resumeLog := filepath.Join(work, "resume.log")
	r2 := startTool(t, f.fakeServer, resumeLog, s.bin, s.runArgs(copyPath, true)...)
	if code := r2.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("the resumed run exited with %d; log %s:\n%s", code, resumeLog, tail(resumeLog, 30))
	}
	o := s.checkFinalState(t, f, copyPath)
	after := f.requests()
	repeats := repeatedPosts(after)
	if repeats > lostInFlight {
		t.Errorf("the resumed run repeated %d updates; only %d were applied without a row", repeats, lostInFlight)
	}
	checkNoToken(t, logPath, resumeLog, copyPath, report.RollbackPath(copyPath))
	rollback := s.checkRollback(t, f, copyPath)
	t.Logf("FIGURES output-safety (%s): exit=%d rows_written=%d torn_last_line=%v rows_not_written=%d applied_without_row=%d bound=%d "+
		"posts_after_last_write=%d resumed_exit=0 repeated_posts_on_resume=%d (found made by the resumed plan: %d lines) lines_lost_after_resume=%d lines_duplicated_after_resume=%d rollback=(%s)",
		how, exitCode(r.err), len(results), torn, notWritten, lostInFlight, *flagConcurrency, postsAfter, repeats, o.UnchangedLate, o.Lost, o.Duplicated, rollback)
}

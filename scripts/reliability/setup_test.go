//go:build reliability

package reliability

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// setup is what every scenario against the fake starts from: the binary, the job's
// catalogue, input, users and holdings files in a work directory.
//
// The fake knows the job's users from a users file (--users), each with the object ID
// the job gives it, active, usage location US, and what some of them hold from a
// holdings file (--holds). fake-server seeds every customer it serves with the users
// of the sample files, so a customer without a user list (where every user exists) is
// not what fake-server serves; and a list is also the real service's behaviour (an
// unknown user is a 404), with the IDs the tool addresses users by known to the suite,
// which maps the rollback file's object IDs back to the job's users.
type setup struct {
	dir       string
	bin       string
	skus      []partnercenter.SubscribedSku
	catalogue string // path of the catalogue file
	job       job
	input     string // path of the input CSV
	users     string // path of the users file
	holds     string // path of the holdings file
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{dir: workDir(t)}
	s.bin = buildTool(t, s.dir)
	var err error
	if s.skus, err = jobCatalogue(); err != nil {
		t.Fatal(err)
	}
	if s.job, err = newJob(*flagRows, s.skus); err != nil {
		t.Fatal(err)
	}
	b, err := catalogueJSON(s.skus)
	if err != nil {
		t.Fatal(err)
	}
	s.catalogue = s.write(t, "catalogue.json", func(w io.Writer) error { _, err := w.Write(b); return err })
	s.input = s.write(t, "input.csv", s.job.writeCSV)
	s.users = s.write(t, "users.csv", s.job.writeUsersCSV)
	s.holds = s.write(t, "holds.csv", s.job.writeHoldsCSV)
	return s
}

// write writes a file of the work directory and returns its path.
func (s *setup) write(t *testing.T, name string, f func(io.Writer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// jobFake is a fake serving the job's users, with its state before any run.
type jobFake struct {
	*fakeServer
	ledger0 ledger // every user's holdings at the start (the samples' users too)
	units0  []pcfake.SkuUnits
}

// startFake starts a fake for the job (its logs in dir) with the extra flags, and
// checks that the job's users hold what the job says they hold before any run.
func (s *setup) startFake(t *testing.T, dir string, extra ...string) *jobFake {
	t.Helper()
	f := startFake(t, s.bin, dir, s.catalogue, append([]string{"--users", s.users, "--holds", s.holds}, extra...)...)
	jf := &jobFake{fakeServer: f, ledger0: s.job.normalise(f.holdings()), units0: f.units()}
	if err := compareLedgers("the fake at the start", s.job.expect(jf.ledger0, s.job.Held), jf.ledger0); err != nil {
		t.Fatal(err)
	}
	return jf
}

// latencyFlags are the fake's flags for the suite's latency.
func latencyFlags() []string {
	return []string{"--latency", flagLatency.String(), "--jitter", (*flagLatency / 2).String()}
}

// runArgs are the arguments of `bulkassign run` for the job's input, writing output.
func (s *setup) runArgs(output string, resume bool, extra ...string) []string {
	return s.runInput(s.input, output, resume, extra...)
}

// runInput are the arguments of `bulkassign run` for an input, writing output.
func (s *setup) runInput(input, output string, resume bool, extra ...string) []string {
	args := []string{"run", "--customer", customerID, "--input", input, "--output", output,
		"--rate", fmt.Sprint(*flagRate), "--burst", fmt.Sprint(*flagBurst),
		"--concurrency", fmt.Sprint(*flagConcurrency), "--read-rate", fmt.Sprint(*flagReadRate), "--log-level", "warn"}
	if resume {
		args = append(args, "--resume")
	}
	return append(args, extra...)
}

// checkFinalState runs every check of the end state: the output (each line succeeded
// or unchanged, once), the ledger (each user holds what the input asked; nobody else
// changed) and the units (each SKU moved by its holders). It returns the output's counts.
func (s *setup) checkFinalState(t *testing.T, f *jobFake, output string) outcome {
	t.Helper()
	results := readOutput(t, output)
	for _, err := range []error{
		checkOutput(s.job, results),
		compareLedgers("ledger", s.job.expect(f.ledger0, s.job.Want), s.job.normalise(f.holdings())),
		checkUnits(s.job.unitsMoved(), f.units0, f.units()),
	} {
		if err != nil {
			t.Error(err)
		}
	}
	return outcomes(s.job, results)
}

// checkRollback checks the rollback file beside output, twice: read back
// (report.ReadRollback), its rows applied in memory to what the job leaves must give
// every user what it held before (the updates missing from it are counted); then run
// as an input against the fake, it must restore the ledger and the units of the start
// exactly. It changes the fake's state: call it last. It returns the figure.
func (s *setup) checkRollback(t *testing.T, f *jobFake, output string) string {
	t.Helper()
	path := report.RollbackPath(output)
	rows, err := report.ReadRollback(path)
	if err != nil {
		t.Errorf("the rollback file does not read back: %v", err)
		return "unreadable: " + err.Error()
	}
	missing, err := s.job.rollbackGaps(rows)
	if err != nil {
		t.Error(err)
	}
	if missing > 0 {
		t.Errorf("the rollback file fails to undo the updates of %d users (it is written ahead of each update)", missing)
	}
	logPath := output + ".rolled-back.log"
	r := startTool(t, f.fakeServer, logPath, s.bin, s.runInput(path, output+".rolled-back.csv", false)...)
	code := r.wait(t, 10*time.Minute)
	if code != 0 {
		t.Errorf("running the rollback file exited with %d; log %s:\n%s", code, logPath, tail(logPath, 30))
	}
	restored := "yes"
	for _, err := range []error{
		compareLedgers("ledger after the rollback", s.job.expect(f.ledger0, s.job.Held), s.job.normalise(f.holdings())),
		checkUnits(nil, f.units0, f.units()),
	} {
		if err != nil {
			restored = "no"
			t.Error(err)
		}
	}
	return fmt.Sprintf("rows=%d updates_missing=%d rollback_run_exit=%d ledger_restored=%s", len(rows), missing, code, restored)
}

// killAfter kills a run with SIGKILL once the output holds target complete rows and
// then jitter has passed, unless it exits first. It reports whether it killed it,
// with the fake's requests in flight just before the kill.
func killAfter(t *testing.T, r *toolRun, f *fakeServer, counter *rowCounter, target int, jitter time.Duration) (killed bool, inFlight int) {
	t.Helper()
	for counter.rows() < target {
		select {
		case <-r.exited:
			return false, 0
		case <-time.After(5 * time.Millisecond):
		}
	}
	select {
	case <-r.exited:
		return false, 0
	case <-time.After(jitter):
	}
	inFlight = f.stats().InFlight
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	if code := r.wait(t, time.Minute); code != -1 {
		return false, inFlight // it ended on its own just before the kill landed
	}
	return true, inFlight
}

// summaryField returns the value of a "Name: value" line of the tool's text summary in
// its log, "?" when there is none.
func summaryField(logPath, name string) string {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return "?"
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `:\s*(.*)$`).FindSubmatch(b)
	if m == nil {
		return "?"
	}
	return strings.TrimSpace(string(m[1]))
}

// summaryLines picks the lines of the tool's text summary that say how the run ended.
func summaryLines(log []byte) []string {
	var out []string
	for _, line := range strings.Split(string(log), "\n") {
		for _, p := range []string{"Rows:", "Lines:", "Stopped", "Stop", "Resume", "bulkassign:"} {
			if strings.HasPrefix(strings.TrimSpace(line), p) {
				out = append(out, strings.TrimSpace(line))
				break
			}
		}
	}
	return out
}

// copyFile copies src to dst, when src exists.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if os.IsNotExist(err) {
		return
	}
	if err == nil {
		err = os.WriteFile(dst, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

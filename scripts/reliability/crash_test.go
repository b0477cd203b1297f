//go:build reliability

package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// kill is one SIGKILL of the crash test.
type kill struct {
	mode       string // "early": a random moment in the run's first 2s (planning); "rows": after some rows
	rowsBefore int    // complete rows in the output when the run started
	rowsAtKill int    // complete rows in the output just before the kill
	after      time.Duration
	inFlight   int  // requests the fake was serving just before the kill
	lockLeft   bool // the killed run's lock file was still there after the kill
}

// TestCrashResume runs the job against the fake with latency, kills the tool with
// SIGKILL at random moments (-kills, 20 by default), resumes it with --resume after
// each, lets the last run finish, and checks: every input line's final outcome is
// succeeded or unchanged, with exactly one such row per line; every user holds exactly
// what the input asked for and every SKU's units moved by exactly its holders; the
// repeated posts (updates applied again) are counted, against a bound of kills ×
// --concurrency (the plan reads what users hold, so an update applied but not recorded
// is found unchanged and not sent: near 0 is expected); no run is blocked by the lock
// file a killed run left; and the rollback file undoes every update: run as an input,
// it restores the ledger of the start.
//
// Kill moments: one in four falls anywhere in a run's first 2s (reading the users,
// the first requests); the others fall after a random number of rows were written
// (up to twice the rows left divided by the kills left plus two, so that kills spread
// over the whole job), plus up to 50ms.
func TestCrashResume(t *testing.T) {
	s := newSetup(t)
	seed := suiteSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	f := s.startFake(t, s.dir, append(latencyFlags(), "--seed", fmt.Sprint(seed%1000003))...)
	output := filepath.Join(s.dir, "result.csv")
	counter := &rowCounter{path: output}

	var (
		kills []kill
		logs  []string
		start = time.Now()
	)
	for len(kills) < *flagKills {
		_, err := os.Stat(output)
		resume := err == nil
		logPath := filepath.Join(s.dir, fmt.Sprintf("run-%02d.log", len(logs)+1))
		logs = append(logs, logPath)

		k := kill{mode: "rows", rowsBefore: counter.rows()}
		left := *flagKills - len(kills)
		target := k.rowsBefore
		var jitter time.Duration
		if rng.IntN(4) == 0 {
			k.mode = "early"
			jitter = uniform(rng, 0, 2*time.Second)
		} else {
			target += rng.IntN(2*(len(s.job.Rows)-k.rowsBefore)/(left+2) + 1)
			jitter = uniform(rng, 0, 50*time.Millisecond)
		}
		r := startTool(t, f.fakeServer, logPath, s.bin, s.runArgs(output, resume)...)
		killed, inFlight := killAfter(t, r, f.fakeServer, counter, target, jitter)
		if !killed {
			t.Fatalf("run %d (%s) exited with %d before kill %d (target %d rows, %d written); log %s:\n%s",
				len(logs), k.mode, exitCode(r.err), len(kills)+1, target, counter.rows(), logPath, tail(logPath, 30))
		}
		k.inFlight, k.rowsAtKill, k.after = inFlight, counter.rows(), time.Since(r.started)
		_, err = os.Stat(report.LockPath(output))
		k.lockLeft = err == nil
		kills = append(kills, k)
		t.Logf("kill %2d (%-5s) after %6s: %4d rows written before, %4d at the kill, %d requests in flight at the fake, lock file left %v",
			len(kills), k.mode, k.after.Round(time.Millisecond), k.rowsBefore, k.rowsAtKill, k.inFlight, k.lockLeft)
	}

	// The last run finishes the job.
	logPath := filepath.Join(s.dir, fmt.Sprintf("run-%02d.log", len(logs)+1))
	logs = append(logs, logPath)
	beforeLast := counter.rows()
	r := startTool(t, f.fakeServer, logPath, s.bin, s.runArgs(output, true)...)
	if code := r.wait(t, 15*time.Minute); code != 0 {
		t.Fatalf("the last run exited with %d; log %s:\n%s", code, logPath, tail(logPath, 30))
	}
	elapsed := time.Since(start)

	o := s.checkFinalState(t, f, output)
	st := f.stats()
	log := f.requests()
	f.save(s.dir)
	repeats := repeatedPosts(log)
	bound := len(kills) * *flagConcurrency
	if repeats > bound {
		t.Errorf("%d repeated posts, more than kills × concurrency = %d × %d = %d", repeats, len(kills), *flagConcurrency, bound)
	}
	if st.Reapplied > repeats {
		t.Errorf("the fake counted %d identical bodies applied again, more than the %d repeated posts found in its log", st.Reapplied, repeats)
	}
	if st.Failed+st.Dropped+st.Throttled != 0 {
		t.Errorf("the fake injected faults in a crash-only test: %+v", st)
	}
	checkNoToken(t, append(logs, output, report.RollbackPath(output), f.log)...)

	inFlight, early, beforeRows, locksLeft := 0, 0, 0, 0
	for _, k := range kills {
		inFlight += k.inFlight
		if k.mode == "early" {
			early++
		}
		if k.rowsAtKill == k.rowsBefore {
			beforeRows++
		}
		if k.lockLeft {
			locksLeft++
		}
	}
	rollback := s.checkRollback(t, f, output)
	t.Logf("FIGURES crash: rows=%d kills=%d (early %d, before the run's first row %d) lock_files_left_by_kills=%d runs=%d "+
		"lines_succeeded=%d lines_unchanged=%d (held before %d, found made after a kill %d) lines_lost=%d lines_duplicated=%d "+
		"repeated_posts=%d (identical bodies %d) bound=%d (kills %d x concurrency %d) in_flight_at_kills=%d "+
		"posts=%d applied=%d changes_planned=%d reads=%d last_run_rows=%d elapsed=%s seed=%d rollback=(%s)",
		len(s.job.Rows), len(kills), early, beforeRows, locksLeft, len(logs),
		o.Succeeded, o.Unchanged, o.Unchanged-o.UnchangedLate, o.UnchangedLate, o.Lost, o.Duplicated,
		repeats, st.Reapplied, bound, len(kills), *flagConcurrency, inFlight,
		st.Posts, st.Applied, s.job.changes(licenseGroups(s.skus)), st.Reads, len(s.job.Rows)-beforeLast, elapsed.Round(time.Second), seed, rollback)
}

//go:build reliability

package reliability

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

var (
	flagRaces    = flag.Int("races", 3, "TestConcurrentResumes: times two resumes start together after a kill")
	flagRaceRate = flag.Float64("race-rate", 20, "TestConcurrentResumes: the --rate of the two resumes that race (slow, so that the loser meets a running winner)")
)

// race is one start of two resumes together.
type race struct {
	lockLeft     bool          // a killed run's lock file was there when they started
	winner       int           // PID of the run that took the lock
	loserExit    int           // the loser's exit code
	loserAfter   time.Duration // from its start to its exit
	namesPID     bool          // the loser's message names the winner's PID
	namesOutput  bool          // and the output
	correlations int           // distinct MS-CorrelationIds of the requests the fake got meanwhile
}

// TestConcurrentResumes: a job killed part way, then two `--resume` runs started
// together on the same output (a scheduler and an admin by hand): one runs, the other
// exits 2 at once, naming the output and the PID of the run holding it, having sent
// nothing (every request the fake gets meanwhile carries the winner's
// MS-CorrelationId). The winner is then killed too, leaving its lock file, and the
// pair starts again (-races times); a lock file left by a SIGKILLed run never blocks.
// A last resume finishes the job. Then the result file and the rollback file read back
// (report.Read, report.ReadRollback), every line has one succeeded or unchanged
// outcome (no line has two from the two runs), the ledger and units are exact, and the
// rollback file restores the ledger of the start.
func TestConcurrentResumes(t *testing.T) {
	s := newSetup(t)
	f := s.startFake(t, s.dir, latencyFlags()...)
	output := filepath.Join(s.dir, "result.csv")
	counter := &rowCounter{path: output}
	logs := []string{filepath.Join(s.dir, "run-first.log")}
	first := startTool(t, f.fakeServer, logs[0], s.bin, s.runArgs(output, false)...)
	if killed, _ := killAfter(t, first, f.fakeServer, counter, len(s.job.Rows)/5, 0); !killed {
		t.Fatalf("the first run ended before its kill (exit %d); log:\n%s", exitCode(first.err), tail(logs[0], 30))
	}

	var races []race
	kills := 1
	for n := 1; n <= *flagRaces; n++ {
		rc, runs := s.race(t, f, output, n, &logs)
		races = append(races, rc)
		// Kill the winner once it has written some rows: its lock file stays behind.
		var winner *toolRun
		for _, r := range runs {
			if r.cmd.Process.Pid == rc.winner {
				winner = r
			}
		}
		if winner == nil {
			t.Fatalf("race %d: no run took the lock", n)
		}
		if killed, _ := killAfter(t, winner, f.fakeServer, counter, counter.rows()+10, 0); killed {
			kills++
		} else if code := exitCode(winner.err); code != 0 {
			t.Fatalf("race %d: the winner exited with %d; log %s:\n%s", n, code, winner.log, tail(winner.log, 30))
		}
		t.Logf("race %d: %+v", n, rc)
	}
	last := filepath.Join(s.dir, "run-last.log")
	logs = append(logs, last)
	r := startTool(t, f.fakeServer, last, s.bin, s.runArgs(output, true)...)
	if code := r.wait(t, 15*time.Minute); code != 0 {
		t.Fatalf("the last resume exited with %d; log:\n%s", code, tail(last, 30))
	}
	if _, err := os.Stat(report.LockPath(output)); err == nil {
		t.Errorf("the lock file %s is still there after the last run ended", report.LockPath(output))
	}

	o := s.checkFinalState(t, f, output)
	st := f.stats()
	repeats := repeatedPosts(f.requests())
	f.save(s.dir)
	if bound := kills * *flagConcurrency; repeats > bound {
		t.Errorf("%d updates sent again, more than kills × concurrency = %d", repeats, bound)
	}
	checkNoToken(t, append(logs, output, report.RollbackPath(output))...)
	rollback := s.checkRollback(t, f, output)
	var slowest time.Duration
	refused, named, stale := 0, 0, 0
	for _, rc := range races {
		slowest = max(slowest, rc.loserAfter)
		if rc.loserExit == 2 {
			refused++
		}
		if rc.namesPID && rc.namesOutput {
			named++
		}
		if rc.lockLeft {
			stale++
		}
	}
	t.Logf("FIGURES lock: rows=%d races=%d losers_refused_exit_2=%d losers_naming_output_and_pid=%d slowest_loser_exit=%s "+
		"races_started_over_a_killed_runs_lock_file=%d kills=%d lines_succeeded=%d lines_unchanged=%d lines_lost=%d lines_duplicated=%d "+
		"updates_sent_again=%d (identical bodies %d) race_rate=%v rollback=(%s)",
		len(s.job.Rows), len(races), refused, named, slowest.Round(time.Millisecond), stale, kills,
		o.Succeeded, o.Unchanged, o.Lost, o.Duplicated, repeats, st.Reapplied, *flagRaceRate, rollback)
}

// race starts two resumes on output together and checks the loser: exit 2 within
// seconds, naming the output and the winner's PID, and no request of its own.
func (s *setup) race(t *testing.T, f *jobFake, output string, n int, logs *[]string) (race, [2]*toolRun) {
	t.Helper()
	var rc race
	_, err := os.Stat(report.LockPath(output))
	rc.lockLeft = err == nil
	began := time.Now() // requests that arrived since are the pair's (the fake logs a killed run's last ones late)
	args := s.runArgs(output, true, "--rate", fmt.Sprint(*flagRaceRate))
	var runs [2]*toolRun
	for i := range runs {
		path := filepath.Join(s.dir, fmt.Sprintf("race-%d-%c.log", n, 'a'+i))
		*logs = append(*logs, path)
		runs[i] = startTool(t, f.fakeServer, path, s.bin, args...)
	}
	var loser, winner *toolRun
	select {
	case <-runs[0].exited:
		loser, winner = runs[0], runs[1]
	case <-runs[1].exited:
		loser, winner = runs[1], runs[0]
	case <-time.After(time.Minute):
		t.Fatalf("race %d: neither resume ended within a minute: both run (or wait)", n)
	}
	rc.winner = winner.cmd.Process.Pid
	rc.loserExit = exitCode(loser.err)
	rc.loserAfter = loser.ended.Sub(loser.started)
	msg := loser.output()
	rc.namesPID = strings.Contains(msg, fmt.Sprintf("process %d", rc.winner))
	rc.namesOutput = strings.Contains(msg, output)
	select {
	case <-winner.exited:
		t.Fatalf("race %d: both resumes ended (exit %d and %d): the winner did not run on; logs:\n%s\n%s",
			n, rc.loserExit, exitCode(winner.err), tail(loser.log, 10), tail(winner.log, 10))
	default:
	}
	if rc.loserExit != 2 || !rc.namesPID || !rc.namesOutput {
		t.Errorf("race %d: the second resume exited %d after %s; want 2, naming %s and process %d; it printed:\n%s",
			n, rc.loserExit, rc.loserAfter, output, rc.winner, msg)
	}
	if rc.loserAfter > 10*time.Second {
		t.Errorf("race %d: the second resume took %s to give up; want at once", n, rc.loserAfter)
	}
	// Once the winner has sent something, see whose requests the fake got.
	var since []pcfake.Request
	for deadline := time.Now().Add(30 * time.Second); len(since) == 0 && time.Now().Before(deadline); {
		select {
		case <-winner.exited:
			deadline = time.Now()
		case <-time.After(20 * time.Millisecond):
		}
		since = since[:0]
		for _, q := range f.requests() {
			if !q.At.Before(began) {
				since = append(since, q)
			}
		}
	}
	ids := map[string]int{}
	for _, q := range since {
		ids[strings.ToLower(q.CorrelationID)]++
	}
	rc.correlations = len(ids)
	if rc.correlations != 1 {
		t.Errorf("race %d: the fake got requests of %d runs since the pair started (requests per MS-CorrelationId: %v); want the winner's alone", n, len(ids), ids)
	}
	return rc, runs
}

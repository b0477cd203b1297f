//go:build reliability

package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kill is one SIGKILL of the crash test.
type kill struct {
	mode       string // "early": a random moment in the run's first 150ms; "rows": after some rows
	rowsBefore int    // complete rows in the output when the run started
	rowsAtKill int    // complete rows in the output just before the kill
	after      time.Duration
	inFlight   int // requests the fake was serving just before the kill
}

// TestCrashResume runs the job against the fake with latency, kills the tool with
// SIGKILL at random moments (-kills, 20 by default), resumes it with --resume after
// each, lets the last run finish, and checks: every input row succeeded exactly once
// in the output; every user holds exactly the licenses the input asked for; no unit
// was consumed twice; and the repeated posts, updates applied again because a kill
// lost the first answer (or the row of it), are at most kills × --concurrency.
//
// Kill moments: one in four falls anywhere in a run's first 150ms (planning, the
// first requests); the others fall after a random number of rows were written
// (up to twice the rows left divided by the kills left plus two, so that kills spread
// over the whole job), plus up to 50ms.
func TestCrashResume(t *testing.T) {
	s := newSetup(t)
	seed := suiteSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	f := startFake(t, s.bin, s.dir, s.catalogue,
		"--latency", flagLatency.String(), "--jitter", (*flagLatency / 2).String(), "--seed", fmt.Sprint(seed%1000003))
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
			jitter = uniform(rng, 0, 150*time.Millisecond)
		} else {
			target += rng.IntN(2*(len(s.job.Rows)-k.rowsBefore)/(left+2) + 1)
			jitter = uniform(rng, 0, 50*time.Millisecond)
		}

		r := startTool(t, f, logPath, s.bin, s.runArgs(output, resume)...)
		began := time.Now()
		exitedEarly := false
	poll:
		for counter.rows() < target {
			select {
			case <-r.exited:
				exitedEarly = true
				break poll
			case <-time.After(5 * time.Millisecond):
			}
		}
		if !exitedEarly {
			select {
			case <-r.exited:
				exitedEarly = true
			case <-time.After(jitter):
			}
		}
		if !exitedEarly {
			k.inFlight = f.stats().InFlight
			k.rowsAtKill = counter.rows()
			k.after = time.Since(began)
			_ = r.cmd.Process.Signal(syscall.SIGKILL)
		}
		code := r.wait(t, time.Minute)
		if code != -1 {
			// The run ended on its own before the kill landed.
			t.Fatalf("run %d (%s) exited with %d before kill %d (target %d rows, %d written); log %s:\n%s",
				len(logs), k.mode, code, len(kills)+1, target, counter.rows(), logPath, tail(logPath, 30))
		}
		kills = append(kills, k)
		t.Logf("kill %2d (%-5s) after %6s: %4d rows written before, %4d at the kill, %d requests in flight at the fake",
			len(kills), k.mode, k.after.Round(time.Millisecond), k.rowsBefore, k.rowsAtKill, k.inFlight)
	}

	// The last run finishes the job.
	logPath := filepath.Join(s.dir, fmt.Sprintf("run-%02d.log", len(logs)+1))
	logs = append(logs, logPath)
	beforeLast := counter.rows()
	r := startTool(t, f, logPath, s.bin, s.runArgs(output, true)...)
	if code := r.wait(t, 15*time.Minute); code != 0 {
		t.Fatalf("the last run exited with %d; log %s:\n%s", code, logPath, tail(logPath, 30))
	}
	elapsed := time.Since(start)

	s.checkFinalState(t, f, output)
	results := readOutput(t, output)
	succeeded, lost, duplicated := outputCounts(s.job, results)
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
	checkNoToken(t, append(logs, output, f.log)...)

	inFlight, early, beforeRows := 0, 0, 0
	for _, k := range kills {
		inFlight += k.inFlight
		if k.mode == "early" {
			early++
		}
		if k.rowsAtKill == k.rowsBefore {
			beforeRows++
		}
	}
	t.Logf("FIGURES crash: rows=%d kills=%d (early %d, before the run's first row %d) runs=%d rows_succeeded_once=%d rows_lost=%d rows_duplicated=%d "+
		"repeated_posts=%d (identical bodies %d) bound=%d (kills %d x concurrency %d) in_flight_at_kills=%d "+
		"posts=%d applied=%d updates_planned=%d last_run_rows=%d elapsed=%s seed=%d rollback_file=(%s)",
		len(s.job.Rows), len(kills), early, beforeRows, len(logs), succeeded, lost, duplicated,
		repeats, st.Reapplied, bound, len(kills), *flagConcurrency, inFlight,
		st.Posts, st.Applied, updatesOf(s.job, licenseGroups(s.skus)), len(s.job.Rows)-beforeLast, elapsed.Round(time.Second), seed, rollbackFigure(t, s.job, output))
}

// updatesOf is the number of LicenseUpdates the job needs: one per user and license
// group; groups maps product SKU IDs (lower case) to their group (licenseGroups).
func updatesOf(j job, groups map[string]string) int {
	n := 0
	for _, skus := range j.Want {
		seen := map[string]bool{}
		for id := range skus {
			seen[groups[strings.ToLower(id)]] = true
		}
		n += len(seen)
	}
	return n
}

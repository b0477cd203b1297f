//go:build reliability

package reliability

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

var (
	flagFailRate  = flag.Float64("fail-rate", 0.05, "TestFaults: the fake's --fail-rate (5xx, not applied)")
	flagDropRate  = flag.Float64("drop-rate", 0.03, "TestFaults: the fake's --drop-rate (applied, connection dropped)")
	flagSpikeRate = flag.Float64("spike-rate", 0.02, "TestFaults: the fake's --spike-rate")
	flagSpike     = flag.Duration("spike", time.Second, "TestFaults: the fake's --spike")
	flagFakeRate  = flag.Float64("fake-rate", 0, "TestFaults: the fake's --rate (0: half the tool's --rate)")
)

// TestFaults runs the job once against a fake that fails a share of calls (reads and
// writes) with 500 or 503, drops a share of connections after applying the update,
// throttles below the tool's rate with 429 and Retry-After, and adds latency spikes.
// Every line must end succeeded or unchanged (held before the run), none failed; the
// ledger and units must be exact; retries must reuse their MS-RequestId: the fake
// applied no body twice (Stats.Reapplied is 0) and the POSTs of each user and license
// group carry one request ID; and the rollback file, run as an input, must restore the
// ledger of the start.
func TestFaults(t *testing.T) {
	s := newSetup(t)
	seed := suiteSeed(t)
	fakeRate := *flagFakeRate
	if fakeRate <= 0 {
		fakeRate = *flagRate / 2
	}
	f := s.startFake(t, s.dir, append(latencyFlags(),
		"--fail-rate", fmt.Sprint(*flagFailRate), "--drop-rate", fmt.Sprint(*flagDropRate),
		"--rate", fmt.Sprint(fakeRate), "--burst", fmt.Sprint(*flagBurst),
		"--spike-rate", fmt.Sprint(*flagSpikeRate), "--spike", flagSpike.String(),
		"--seed", fmt.Sprint(seed%1000003))...)
	output := filepath.Join(s.dir, "result.csv")
	logPath := filepath.Join(s.dir, "run.log")

	start := time.Now()
	r := startTool(t, f.fakeServer, logPath, s.bin, s.runArgs(output, false)...)
	code := r.wait(t, 20*time.Minute)
	elapsed := time.Since(start)
	if code != 0 {
		t.Errorf("the run exited with %d, want 0; log %s:\n%s", code, logPath, tail(logPath, 40))
	}

	o := s.checkFinalState(t, f, output)
	counts := map[report.Status]int{}
	for _, res := range report.Final(readOutput(t, output)) {
		counts[res.Status]++
	}
	st := f.stats()
	log := f.requests()
	f.save(s.dir)
	if st.Reapplied != 0 {
		t.Errorf("the fake applied %d bodies again under a new request ID: a retry did not reuse its MS-RequestId", st.Reapplied)
	}
	if err := checkRequestIDs(log, licenseGroups(s.skus)); err != nil {
		t.Error(err)
	}
	// The faults happened, or the test proved nothing.
	if *flagFailRate > 0 && st.Failed == 0 || *flagDropRate > 0 && st.Dropped == 0 || st.Throttled == 0 {
		t.Errorf("faults asked for did not happen: %d 5xx, %d drops, %d 429s", st.Failed, st.Dropped, st.Throttled)
	}
	checkNoToken(t, logPath, output, report.RollbackPath(output), f.log)

	ids := map[string]bool{}
	posts := 0
	for _, q := range log {
		if q.Method == "POST" {
			posts++
			ids[strings.ToLower(q.RequestID)] = true
		}
	}
	rollback := s.checkRollback(t, f, output)
	t.Logf("FIGURES faults: rows=%d succeeded=%d unchanged=%d failed=%d skipped=%d lost=%d duplicated=%d exit=%d changes=%d posts=%d "+
		"post_retries=%d (posts less distinct request IDs) tool_retries=%s requests=%d reads=%d "+
		"injected_5xx=%d drops=%d throttled_429=%d (reads %d, writes %d) replayed=%d reapplied=%d fake_rate=%v tool_rate=%v spike_rate=%v spike=%v elapsed=%s seed=%d rollback=(%s)",
		len(s.job.Rows), counts[report.StatusSucceeded], counts[report.StatusUnchanged], counts[report.StatusFailed], counts[report.StatusSkipped],
		o.Lost, o.Duplicated, code, s.job.changes(licenseGroups(s.skus)), posts, posts-len(ids), summaryField(logPath, "Retries"), st.Requests, st.Reads,
		st.Failed, st.Dropped, st.Throttled, st.ReadsThrottled, st.WritesThrottled, st.Replayed, st.Reapplied, fakeRate, *flagRate, *flagSpikeRate, *flagSpike,
		elapsed.Round(time.Second), seed, rollback)
}

package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestFreshRunRefusesAnEarlierRollbackFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		e.file("result.csv.rollback.csv", "customer,user,sku,remove_sku,excluded_plans\nc,u@x.com,,e5,\n")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitUsage || !strings.Contains(e.stderr.String(), "rollback.csv exists") {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent")
		}
	})
}

func TestResumeRefusesAForeignRollbackFileBeforeSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		e.file("result.csv.rollback.csv", "name,email\n")
		code := e.run(t.Context(), nil, "run", "--resume", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitUsage || !strings.Contains(e.stderr.String(), "rollback.csv exists") {
			t.Fatalf("exit %d: %s", code, e.stderr.String())
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent")
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("an output file was created")
		}
	})
}

// TestResumeWithAForeignRollbackFileSendsNothingUnrecorded: an earlier session's
// rollback file replaced by something else stops the resumed run before any update
// goes out without its undo rows.
func TestResumeWithAForeignRollbackFileSendsNothingUnrecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(200*time.Millisecond, 0))
		out := e.path("result.csv")
		in := e.file("in.csv", usersCSV(40, "ENTERPRISEPACK"))
		ctx, cancel := context.WithCancel(t.Context())
		signalAfterFirstPost(e, time.Second, cancel, 0, nil)
		if code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", in, "--output", out); code != ExitInterrupted {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		e.hook(nil)
		sent := len(e.posts())
		e.file("result.csv.rollback.csv", "name,email\n")
		code := e.run(t.Context(), nil, "run", "--resume", "--customer", testCustomer, "--input", in, "--output", out)
		if code != ExitRowsFailed {
			t.Fatalf("resume with a foreign rollback file: exit %d, want 1 (stopped early)\n%s", code, e.all())
		}
		if n := len(e.posts()); n != sent {
			t.Fatalf("%d updates sent without their rollback rows", n-sent)
		}
		contains(t, "output", e.all(), "not a bulkassign rollback file", "nothing was sent")
		if b, _ := os.ReadFile(report.RollbackPath(out)); string(b) != "name,email\n" {
			t.Fatalf("the foreign file was changed: %q", b)
		}
	})
}

func TestResumeOfAMissingOutputLeavesNothingOnAnInputError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("new.csv")
		code := e.run(t.Context(), nil, "run", "--resume", "--customer", testCustomer, "--input", "testdata/badinput/unknown-sku.csv", "--output", out)
		if code != ExitUsage {
			t.Fatalf("exit %d", code)
		}
		for _, p := range []string{out, report.ManifestPath(out), report.LockPath(out)} {
			if _, err := os.Stat(p); err == nil {
				t.Fatalf("%s was left behind", p)
			}
		}
	})
}

func TestSummaryJSONIsRefusedOverTheOutputAndWrittenOnUsageErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		for _, over := range []string{out, "../../samples/onboarding.csv", report.RollbackPath(out)} {
			code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out, "--summary-json", over)
			if code != ExitUsage || e.fake.Stats().Requests != 0 {
				t.Fatalf("summary over %s: exit %d", over, code)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("an output was written")
		}
		summary := e.path("s.json")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out,
			"--rate", "0", "--summary-json", summary)
		if code != ExitUsage {
			t.Fatalf("exit %d", code)
		}
		if s := e.summary(summary); s["exit_code"] != float64(ExitUsage) || !strings.Contains(s["stop_reason"].(string), "--rate") {
			t.Fatalf("summary after a usage error: %v", s)
		}
	})
}

// TestNoPostStartsAfterTheSignal: a stop holds back every update not yet sent.
func TestNoPostStartsAfterTheSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(300*time.Millisecond, 100*time.Millisecond))
		ctx, cancel := context.WithCancel(t.Context())
		cancelledAt := signalAfterFirstPost(e, 3*time.Second, cancel, 0, nil)
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(100, "ENTERPRISEPACK")),
			"--output", e.path("result.csv"), "--rate", "50")
		if code != ExitInterrupted {
			t.Fatalf("exit %d", code)
		}
		late, early := 0, 0
		for _, p := range e.posts() {
			if p.At.After(*cancelledAt) {
				late++
			} else {
				early++
			}
		}
		if late > 0 || early == 0 || early == 100 {
			t.Fatalf("%d POSTs started after the signal, %d before", late, early)
		}
		if strings.Contains(e.stdout.String(), "not in the rollback file") {
			t.Fatalf("updates never sent are reported as left out of the rollback:\n%s", e.stdout.String())
		}
		// Every update sent has its undo row, written ahead of it; an update stopped
		// between its row and its sending leaves a row that undoes nothing.
		rb, err := report.ReadRollback(report.RollbackPath(e.path("result.csv")))
		if err != nil || len(rb) < early || len(rb) > early+8 {
			t.Fatalf("%d rollback rows for %d updates sent: %v", len(rb), early, err)
		}
		undone := map[string]bool{}
		for _, r := range rb {
			undone[strings.ToLower(r.User)] = true
		}
		for _, p := range e.posts() {
			if !undone[strings.ToLower(p.User)] {
				t.Errorf("update of %s sent without its rollback row", p.User)
			}
		}
	})
}

func TestSimulateAcceptsACustomerInCapitals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		code := e.run(t.Context(), nil, "plan", "--simulate", "--customer", strings.ToUpper(pcfake.DefaultCustomerID), "--input", "../../samples/onboarding.csv")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
	})
}

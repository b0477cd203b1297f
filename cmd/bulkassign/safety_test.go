package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
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
		if code != ExitUsage || !strings.Contains(e.stderr.String(), "not a bulkassign rollback file") {
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

func TestResumeOfAMissingOutputLeavesNothingOnAnInputError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("new.csv")
		code := e.run(t.Context(), nil, "run", "--resume", "--customer", testCustomer, "--input", "testdata/badinput/unknown-sku.csv", "--output", out)
		if code != ExitUsage {
			t.Fatalf("exit %d", code)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("a header-only output was left behind")
		}
	})
}

func TestSummaryJSONIsRefusedOverTheOutputAndWrittenOnUsageErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out, "--summary-json", out)
		if code != ExitUsage || e.fake.Stats().Requests != 0 {
			t.Fatalf("summary over the output: exit %d", code)
		}
		summary := e.path("s.json")
		code = e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out,
			"--rate", "0", "--summary-json", summary)
		if code != ExitUsage {
			t.Fatalf("exit %d", code)
		}
		var s map[string]any
		b, err := os.ReadFile(summary)
		if err != nil || json.Unmarshal(b, &s) != nil || s["exit_code"] != float64(ExitUsage) || !strings.Contains(s["stop_reason"].(string), "--rate") {
			t.Fatalf("summary after a usage error: %v %s", err, b)
		}
	})
}

// TestNoPostStartsAfterTheSignal: with the rollback's license reads (the default), a
// stop must still hold back every update not yet sent.
func TestNoPostStartsAfterTheSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(300*time.Millisecond, 100*time.Millisecond))
		ctx, cancel := context.WithCancel(t.Context())
		var cancelledAt time.Time
		time.AfterFunc(3*time.Second, func() { cancelledAt = time.Now(); cancel() })
		code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(100, "ENTERPRISEPACK")),
			"--output", e.path("result.csv"), "--rate", "50")
		if code != ExitInterrupted {
			t.Fatalf("exit %d", code)
		}
		late := 0
		for _, p := range e.posts() {
			if p.At.After(cancelledAt) {
				late++
			}
		}
		if late > 0 {
			t.Fatalf("%d POSTs started after the signal", late)
		}
		if strings.Contains(e.stdout.String(), "not in the rollback file") {
			t.Fatalf("updates never sent are reported as left out of the rollback:\n%s", e.stdout.String())
		}
	})
}

func TestSimulateAcceptsACustomerInCapitals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		code := e.run(t.Context(), nil, "plan", "--simulate", "--customer", strings.ToUpper(pcfake.DefaultCustomerID), "--input", "../../samples/onboarding.csv")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.stdout.String())
		}
	})
}

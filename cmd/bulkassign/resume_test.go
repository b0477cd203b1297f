package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestSecondRunOnTheSameOutputIsRefused: while a run holds its output, another run on
// it exits 2 at once, naming the file and the holder's process.
func TestSecondRunOnTheSameOutputIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(time.Minute, 0))
		out := e.path("result.csv")
		first := &env{t: t, fake: e.fake, dir: e.dir, vars: e.vars, transport: e.transport}
		done := make(chan int)
		go func() {
			done <- first.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		}()
		time.Sleep(10 * time.Second) // the first run is reading the catalogue
		synctest.Wait()
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitUsage {
			t.Fatalf("second run: exit %d, want 2\n%s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), out, fmt.Sprint(os.Getpid()))
		if code := <-done; code != ExitOK {
			t.Fatalf("first run: exit %d\n%s", code, first.all())
		}
		if len(e.posts()) != 11 {
			t.Fatalf("%d POSTs: the second run sent something", len(e.posts()))
		}
		// The lock is gone with its run; the output can be resumed.
		if _, err := os.Stat(report.LockPath(out)); err == nil {
			t.Fatal("the lock file outlived its run")
		}
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--output", out, "--resume"); code != ExitOK {
			t.Fatalf("resume after the first run: exit %d\n%s", code, e.all())
		}
		// Every line was done: the resume says so, not that the input is empty.
		contains(t, "stdout", e.stdout.String(), "Nothing to do: every line of the input is done in "+out)
		if strings.Contains(e.all(), "the input has no rows") {
			t.Errorf("a resume of a finished run said the input has no rows:\n%s", e.all())
		}
	})
}

func TestFreshRunWritesTheManifest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		in := "../../samples/onboarding.csv"
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		m, err := report.ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		sum, _ := report.FileSHA256(in)
		if m.Input != in || m.InputSHA256 != sum || m.InputRows != 12 || m.Customer != testCustomer || m.API != "partnercenter" || m.Created.IsZero() {
			t.Fatalf("manifest %+v", m)
		}
	})
}

// interruptedRun runs in for a few updates and stops it, leaving a result file to
// resume; it returns the updates sent.
func interruptedRun(t *testing.T, e *env, in, out string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	signalAfterFirstPost(e, 1500*time.Millisecond, cancel, 0, nil)
	if code := e.run(ctx, nil, "run", "--customer", testCustomer, "--input", in, "--output", out, "--rate", "2"); code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s", code, e.all())
	}
	e.hook(nil)
	n := len(e.posts())
	if n == 0 || n >= 10 {
		t.Fatalf("%d updates sent before the stop", n)
	}
	return n
}

// TestResumeRefusesAnotherInputOrCustomer: a result file goes with its input and
// settings; a resume with others names what changed and sends nothing.
func TestResumeRefusesAnotherInputOrCustomer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(50*time.Millisecond, 0))
		rows := strings.Split(strings.TrimSpace(usersCSV(10, "ENTERPRISEPACK")), "\n")
		in := e.file("in.csv", strings.Join(rows, "\n")+"\n")
		out := e.path("result.csv")
		sent := interruptedRun(t, e, in, out)
		before, _ := os.ReadFile(out)

		edited := append([]string(nil), rows...)
		edited[1] = "user00001@contoso.com,ENTERPRISEPREMIUM" // line 2, already sent
		reordered := append([]string{rows[0], rows[2], rows[1]}, rows[3:]...)
		cases := []struct {
			name, input, customer string
			says                  []string
		}{
			{"edited", e.file("edited.csv", strings.Join(edited, "\n")+"\n"), testCustomer, []string{"line 2"}},
			{"reordered", e.file("reordered.csv", strings.Join(reordered, "\n")+"\n"), testCustomer, []string{"lines 2 and 3"}},
			{"another file", "../../samples/onboarding.csv", testCustomer, []string{"lines 2-11 differ", "it had 10 rows, now 12"}},
			{"another customer", in, "11111111-2222-4333-8444-555555555555", []string{"customer", testCustomer, "11111111-2222-4333-8444-555555555555"}},
		}
		for _, c := range cases {
			code := e.run(t.Context(), nil, "run", "--resume", "--customer", c.customer, "--input", c.input, "--output", out)
			if code != ExitUsage {
				t.Fatalf("%s: exit %d, want 2\n%s", c.name, code, e.all())
			}
			contains(t, c.name, e.stderr.String(), c.says...)
			if n := len(e.posts()); n != sent {
				t.Fatalf("%s: %d updates sent", c.name, n-sent)
			}
			if b, _ := os.ReadFile(out); string(b) != string(before) {
				t.Fatalf("%s: the result file was changed", c.name)
			}
		}
		// The same input: only the lines not yet done are sent.
		if code := e.run(t.Context(), nil, "run", "--resume", "--customer", testCustomer, "--input", in, "--output", out); code != ExitOK {
			t.Fatalf("resume: exit %d\n%s", code, e.all())
		}
		if n := len(e.posts()); n != 10 {
			t.Fatalf("%d updates in all, want 10: a finished line was sent again or one was left out", n)
		}
		final := report.Final(e.results(out))
		for _, r := range final {
			if r.Status != report.StatusSucceeded {
				t.Fatalf("line %d: %s", r.Line, r.Status)
			}
		}
		if len(final) != 10 {
			t.Fatalf("%d lines", len(final))
		}
	})
}

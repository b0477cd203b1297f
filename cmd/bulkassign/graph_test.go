package main

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestGraphSimulatedRunIsUndoneByItsRollback: --api graph --simulate runs the
// migration against a local Microsoft Graph; the rollback file, run against it in
// turn, swaps every user back.
func TestGraphSimulatedRunIsUndoneByItsRollback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.vars = map[string]string{}
		out := e.path("result.csv")
		if code := e.run(t.Context(), nil, "run", "--simulate", "--api", "graph", "--input", "../../samples/migration.csv", "--output", out); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		contains(t, "summary", e.stdout.String(), "API:             graph", "Lines:           40: 40 succeeded")
		for _, r := range e.results(out) {
			if r.Status != report.StatusSucceeded || r.SkuID != skuE5 {
				t.Fatalf("row %+v", r)
			}
		}
		e.rollbackSwapsBack(out, 40)
		// The simulated Graph of this second run is seeded from the rollback file: its
		// users hold E5, and the rollback gives them E3 back.
		back := e.path("rolled-back.csv")
		if code := e.run(t.Context(), nil, "run", "--simulate", "--api", "graph", "--input", report.RollbackPath(out), "--output", back); code != ExitOK {
			t.Fatalf("rollback run: exit %d\n%s", code, e.all())
		}
		for _, r := range e.results(back) {
			if r.Status != report.StatusSucceeded || !strings.EqualFold(r.SkuID, skuE3) {
				t.Fatalf("rollback run row %+v", r)
			}
		}
	})
}

// TestGraphProductNames: Graph knows SKUs by part number and ID; --product-names lets
// rows name them (and their plans) as Microsoft's table does, and without it the
// refusal says so.
func TestGraphProductNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		in := e.file("in.csv", "user,sku,excluded_plans\nann@contoso.com,Office 365 E3,Sway\n")
		if code := e.run(t.Context(), nil, "plan", "--simulate", "--api", "graph", "--input", in); code != ExitUsage {
			t.Fatalf("without a names table: exit %d, want 2\n%s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), `line 2: sku "Office 365 E3": unknown SKU`, "--product-names")
		names := "testdata/graph/product-names.csv"
		if code := e.run(t.Context(), nil, "plan", "--simulate", "--api", "graph", "--product-names", names, "--input", in); code != ExitOK {
			t.Fatalf("with --product-names: exit %d\n%s", code, e.all())
		}
		contains(t, "plan", e.stdout.String(), "Office 365 E3", "1 to send in 1 requests")
		if code := e.run(t.Context(), nil, "plan", "--simulate", "--product-names", names, "--input", in); code != ExitUsage {
			t.Fatalf("--product-names with Partner Center: exit %d, want 2", code)
		}
		contains(t, "stderr", e.stderr.String(), "--product-names")
		if code := e.run(t.Context(), nil, "plan", "--simulate", "--api", "graph", "--product-names", e.path("missing.csv"), "--input", in); code != ExitUsage {
			t.Fatalf("a missing names file: exit %d, want 2", code)
		}
		contains(t, "stderr", e.stderr.String(), "missing.csv", "--product-names")
	})
}

// TestGraphAgainstTheFakeServer: fake-server --api graph serves a local Graph whose
// tenant token the plan signs in with ($GRAPH_ACCESS_TOKEN, $GRAPH_BASE_URL), and the
// plan reads the sample users it holds.
func TestGraphAgainstTheFakeServer(t *testing.T) {
	fs := startFakeServer(t, "--api", "graph")
	contains(t, "fake-server", fs.stdout.String(), "graphfake: a local Microsoft Graph", "GRAPH_ACCESS_TOKEN=")
	var stdout, stderr syncBuffer
	vars := map[string]string{EnvGraphBaseURL: "http://" + fs.addr + "/", EnvGraphToken: job.GraphToken(testCustomer)}
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }, Transport: fs.transport}
	err := m.Run(t.Context(), []string{"plan", "--api", "graph", "--customer", testCustomer, "--input", "../../samples/migration.csv"})
	if ExitCode(err) != ExitOK {
		t.Fatalf("plan: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	contains(t, "plan", stdout.String(), "40 to send", "0 skipped")
	contains(t, "plan", stderr.String(), "Reading 40 user(s)")
}

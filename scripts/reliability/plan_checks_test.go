package reliability

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// planJob plans the job's input with the real planner, reading its users from an
// in-memory directory where they hold j.Held.
func planJob(t *testing.T, j job, skus []partnercenter.SubscribedSku) *planner.Plan {
	t.Helper()
	var in bytes.Buffer
	if err := j.writeCSV(&in); err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(in.Bytes(), []byte("\n")); lines != len(j.Rows)+1 {
		t.Fatalf("input has %d lines, want %d", lines, len(j.Rows)+1)
	}
	return planInput(t, j, skus, in.Bytes(), j.Held)
}

// planInput plans an input with the real planner, reading the job's users from an
// in-memory directory where they hold what held says.
func planInput(t *testing.T, j job, skus []partnercenter.SubscribedSku, input []byte, held ledger) *planner.Plan {
	t.Helper()
	dir := plannertest.NewDirectory()
	var users []client.User
	for _, u := range j.Users {
		cu := plannertest.ActiveUser(j.IDs[u], u)
		for _, id := range slices.Sorted(maps.Keys(held[u])) {
			cu.Licenses = append(cu.Licenses, client.License{SkuID: strings.ToUpper(id), DisabledPlans: held[u][id]})
		}
		users = append(users, cu)
	}
	dir.Set(customerID, users...)
	var p *planner.Plan
	var err error
	func() {
		// A panic of the planner fails this test alone, not every test of the package.
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("planner.Build panicked planning %d bytes for %d users: %v\n%s", len(input), len(j.Users), v, debug.Stack())
			}
		}()
		p, err = planner.Build(context.Background(), bytes.NewReader(input), plannertest.NewCatalogue(neutralSkus(skus)),
			planner.Options{DefaultCustomer: customerID, Users: dir})
	}()
	if err != nil {
		t.Fatalf("plan the input: %v", err)
	}
	return p
}

// apply returns the ledger l after a plan's changes, and the plan's undo rows.
func (j job) apply(l ledger, p *planner.Plan) (ledger, []report.RollbackRow) {
	out := l.clone()
	var undo []report.RollbackRow
	for i := range p.NumChanges() {
		c := p.Change(i)
		user := j.userOf(c.User)
		h := out[user]
		if h == nil {
			h = holding{}
			out[user] = h
		}
		for _, id := range c.Remove {
			delete(h, strings.ToLower(id))
		}
		for _, a := range c.Assign {
			h[strings.ToLower(a.SkuID)] = canonPlans(a.DisabledPlans)
		}
		undo = append(undo, c.Undo...)
	}
	return out.trim(), undo
}

// TestRollbackFileRunRestores is the suite's rollback check without the binary: the
// job's plan's undo rows, written as the run writes them (report.OpenRollback) and
// planned as an input against users holding what the job leaves them, must give every
// user back what it held before the job. It is what the end-to-end scenarios check
// when they run the rollback file against the fake.
func TestRollbackFileRunRestores(t *testing.T) {
	j, skus := testJob(t, 600)
	after, undo := j.apply(j.Held, planJob(t, j, skus))
	path := filepath.Join(t.TempDir(), "result.csv.rollback.csv")
	rf, err := report.OpenRollback(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range undo {
		if err := rf.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := rf.Close(); err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := planInput(t, j, skus, input, after)
	restored, _ := j.apply(after, p)
	if err := compareLedgers("the job's users after its rollback file ran", j.Held.clone().trim(), restored); err != nil {
		var kept []string
		for i := range p.NumRows() {
			if r := p.Row(i); r.Status == planner.StatusUnchanged && r.RemoveSku == "" && len(kept) < 3 {
				kept = append(kept, r.User+" "+r.SkuName+": "+r.Reason)
			}
		}
		t.Fatalf("%v\nrows of the rollback file planned unchanged, e.g.: %s", err, strings.Join(kept, "; "))
	}
}

package reliability

import (
	"bytes"
	"context"
	"encoding/csv"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// These tests run without the reliability tag: they show that the suite's checks pass
// a run that did what it should and catch every kind of loss or duplication they
// look for, so that a green reliability run means something.

func testJob(t *testing.T, n int) (job, []client.SubscribedSku) {
	t.Helper()
	skus, err := jobCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	j, err := newJob(n, skus)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Rows) != n {
		t.Fatalf("newJob(%d) made %d rows", n, len(j.Rows))
	}
	return j, skus
}

// TestJobPlansAsWanted plans the job's input with the real planner: every row is
// planned, and the updates the planner would send give each user exactly job.Want.
func TestJobPlansAsWanted(t *testing.T) {
	j, skus := testJob(t, 5000)
	var in bytes.Buffer
	if err := j.writeCSV(&in); err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(in.Bytes(), []byte("\n")); lines != 5001 {
		t.Fatalf("input has %d lines, want 5001", lines)
	}
	p, err := planner.Build(context.Background(), &in, plannertest.NewCatalogue(skus), planner.Options{DefaultCustomer: customerID})
	if err != nil {
		t.Fatalf("plan the job: %v", err)
	}
	if p.NumRows() != 5000 {
		t.Fatalf("plan has %d rows", p.NumRows())
	}
	for i := range p.NumRows() {
		if r := p.Row(i); r.Status != planner.StatusPlanned || r.Line != i+2 {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
	got := map[string]map[string][]string{}
	groups := map[string]int{}
	for i := range p.NumUpdates() {
		u := p.Update(i)
		groups[u.LicenseGroup]++
		user := strings.ToLower(u.User)
		if got[user] == nil {
			got[user] = map[string][]string{}
		}
		for _, a := range u.Body.LicensesToAssign {
			plans := slices.Clone(a.ExcludedPlans)
			sort.Strings(plans)
			if len(plans) == 0 {
				plans = nil
			}
			got[user][a.SkuID] = plans
		}
	}
	if err := checkHoldings(j, got); err != nil {
		t.Fatalf("the planner's updates differ from job.Want: %v", err)
	}
	// Every kind of user is there: group 2 updates, two-row updates, exclusions, swaps.
	if groups["group2"] == 0 || p.NumUpdates() >= p.NumRows() {
		t.Fatalf("%d updates for %d rows, per group %v: the job lacks a kind of user", p.NumUpdates(), p.NumRows(), groups)
	}
	var excl, swaps int
	for _, r := range j.Rows {
		if r.Excluded != "" {
			excl++
		}
		if r.RemoveSku != "" {
			swaps++
		}
	}
	if excl == 0 || swaps == 0 {
		t.Fatalf("%d rows with excluded plans, %d swaps", excl, swaps)
	}
}

// perfectResults are the results of a run that did everything once.
func perfectResults(j job) []report.Result {
	out := make([]report.Result, len(j.Rows))
	for i, r := range j.Rows {
		out[i] = report.Result{Line: i + 2, Customer: customerID, User: r.User, Sku: r.Sku, RemoveSku: r.RemoveSku, Status: report.StatusSucceeded, HTTPStatus: 201}
	}
	// A resumed run writes in no particular order.
	slices.Reverse(out)
	return out
}

func TestCheckOutput(t *testing.T) {
	j, _ := testJob(t, 50)
	if err := checkOutput(j, perfectResults(j)); err != nil {
		t.Fatalf("a perfect output: %v", err)
	}
	if ok, lost, dup := outputCounts(j, perfectResults(j)); ok != 50 || lost != 0 || dup != 0 {
		t.Fatalf("outputCounts of a perfect output = %d, %d, %d", ok, lost, dup)
	}
	rs := perfectResults(j)
	rs[0].Status = report.StatusFailed
	rs = append(rs[2:], rs[5], rs[0])
	if ok, lost, dup := outputCounts(j, rs); ok != 47 || lost != 2 || dup != 1 {
		t.Fatalf("outputCounts of one failed, one missing, one twice = %d, %d, %d; want 47, 2, 1", ok, lost, dup)
	}
	for name, spoil := range map[string]func([]report.Result) []report.Result{
		"a row lost":    func(rs []report.Result) []report.Result { return rs[1:] },
		"a row twice":   func(rs []report.Result) []report.Result { return append(rs, rs[7]) },
		"a row failed":  func(rs []report.Result) []report.Result { rs[3].Status = report.StatusFailed; return rs },
		"a row skipped": func(rs []report.Result) []report.Result { rs[3].Status = report.StatusSkipped; return rs },
		"another user":  func(rs []report.Result) []report.Result { rs[4].User = "someone@else"; return rs },
		"another SKU":   func(rs []report.Result) []report.Result { rs[4].Sku = "AAD_PREMIUM"; return rs },
		"no such line":  func(rs []report.Result) []report.Result { return append(rs, report.Result{Line: 99}) },
	} {
		if err := checkOutput(j, spoil(perfectResults(j))); err == nil {
			t.Errorf("%s: checkOutput found nothing", name)
		}
	}
}

// perfectHoldings is the ledger of a run that did everything, with users spelt in
// another case and plan IDs in another order, as the fake may keep them.
func perfectHoldings(j job) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for user, skus := range j.Want {
		m := map[string][]string{}
		for id, plans := range skus {
			p := slices.Clone(plans)
			slices.Reverse(p)
			m[strings.ToUpper(id)] = p
		}
		out[strings.ToUpper(user)] = m
	}
	return out
}

func TestCheckHoldings(t *testing.T) {
	j, skus := testJob(t, 50)
	if err := checkHoldings(j, perfectHoldings(j)); err != nil {
		t.Fatalf("a perfect ledger: %v", err)
	}
	// Users of each kind, found by their rows.
	find := func(f func(jobRow) bool) string {
		for _, r := range j.Rows {
			if f(r) {
				return strings.ToUpper(r.User)
			}
		}
		t.Fatal("the job lacks a kind of user")
		return ""
	}
	const e3, e5, minecraft = "6FD2C87F-B296-42F0-B197-1E91E994B900", "C7DF2760-2C81-4EF7-B578-5B5392B571DF", "984DF360-9A74-4647-8CF8-696749F6247A"
	swapper := find(func(r jobRow) bool { return r.RemoveSku != "" })
	excluder := find(func(r jobRow) bool { return r.Excluded != "" })
	gamer := find(func(r jobRow) bool { return strings.Contains(r.Sku, "Minecraft") })
	for name, spoil := range map[string]func(map[string]map[string][]string){
		"a user missing":       func(h map[string]map[string][]string) { delete(h, swapper) },
		"a SKU missing":        func(h map[string]map[string][]string) { delete(h[swapper], e5) },
		"an extra SKU":         func(h map[string]map[string][]string) { h[swapper][skus[0].ProductSku.ID] = nil },
		"an extra user":        func(h map[string]map[string][]string) { h["stranger@contoso.com"] = map[string][]string{e5: nil} },
		"plans not excluded":   func(h map[string]map[string][]string) { h[excluder][e5] = nil },
		"a plan left off":      func(h map[string]map[string][]string) { h[swapper][e5] = []string{"x"} },
		"one plan too few off": func(h map[string]map[string][]string) { h[excluder][e5] = h[excluder][e5][:1] },
		"the swap's E3 kept":   func(h map[string]map[string][]string) { h[swapper][e3] = nil },
		"a group 2 SKU missed": func(h map[string]map[string][]string) { delete(h[gamer], minecraft) },
	} {
		h := perfectHoldings(j)
		spoil(h)
		if err := checkHoldings(j, h); err == nil {
			t.Errorf("%s: checkHoldings found nothing", name)
		}
	}
}

func TestCheckUnits(t *testing.T) {
	j, skus := testJob(t, 50)
	perfect := func() []pcfake.SkuUnits {
		n := j.holders()
		var out []pcfake.SkuUnits
		for _, s := range skus {
			id := s.ProductSku.ID
			out = append(out, pcfake.SkuUnits{SkuID: strings.ToUpper(id), Available: s.AvailableUnits - n[id], Consumed: s.ConsumedUnits + n[id]})
		}
		return out
	}
	if err := checkUnits(j, skus, perfect()); err != nil {
		t.Fatalf("perfect units: %v", err)
	}
	if j.holders()[skus[5].ProductSku.ID] == 0 {
		t.Fatal("the job assigns no E5")
	}
	for name, spoil := range map[string]func([]pcfake.SkuUnits) []pcfake.SkuUnits{
		"a unit consumed twice": func(u []pcfake.SkuUnits) []pcfake.SkuUnits { u[5].Consumed++; u[5].Available--; return u },
		"a unit not consumed":   func(u []pcfake.SkuUnits) []pcfake.SkuUnits { u[5].Consumed--; u[5].Available++; return u },
		"a SKU missing":         func(u []pcfake.SkuUnits) []pcfake.SkuUnits { return u[1:] },
	} {
		if err := checkUnits(j, skus, spoil(perfect())); err == nil {
			t.Errorf("%s: checkUnits found nothing", name)
		}
	}
}

func TestRepeatedPosts(t *testing.T) {
	post := func(user, id string, status int, assign []string, remove ...string) pcfake.Request {
		r := pcfake.Request{Method: "POST", User: user, RequestID: id, Status: status}
		for _, s := range assign {
			r.Body.LicensesToAssign = append(r.Body.LicensesToAssign, client.LicenseAssignment{SkuID: s})
		}
		r.Body.LicensesToRemove = remove
		return r
	}
	log := []pcfake.Request{
		{Method: "GET", Status: 200},
		post("a", "r1", 201, []string{"E5"}, "E3"),
		post("a", "R1", 201, []string{"E5"}, "E3"), // a replay of r1: not applied again
		post("b", "r2", 0, []string{"E5"}),         // the client went away: not applied
		post("b", "r3", 201, []string{"E5"}),       // b's first applied update
		post("a", "r4", 201, []string{"e5"}, "e3"), // sent again after a kill: a repeat
		post("c", "r5", 201, []string{"E3", "WIN"}),
		post("c", "r6", 201, []string{"WIN"}), // half of c's update again: a repeat
		post("c", "r7", 201, []string{"WIN", "AAD"}),
		post("d", "r8", 400, []string{"E5"}),
		post("d", "r9", 201, []string{"E5"}),
	}
	if n := repeatedPosts(log); n != 2 {
		t.Fatalf("repeatedPosts = %d, want 2 (r4, r6)", n)
	}
}

func TestCheckRequestIDs(t *testing.T) {
	groups := map[string]string{"e5": "group1", "e3": "group1", "mc": "group2"}
	post := func(user, id, sku string) pcfake.Request {
		r := pcfake.Request{Method: "POST", User: user, RequestID: id}
		if sku != "" {
			r.Body.LicensesToAssign = []client.LicenseAssignment{{SkuID: sku}}
		}
		return r
	}
	good := []pcfake.Request{
		post("a", "r1", "E5"), post("a", "r1", ""), post("A", "R1", "E5"), // retried after a 429, then replayed
		post("a", "r2", "MC"), // another license group: another update
		post("b", "r3", "E3"),
		{Method: "GET", RequestID: "r9"},
	}
	if err := checkRequestIDs(good, groups); err != nil {
		t.Fatalf("one request ID per update: %v", err)
	}
	bad := append(slices.Clone(good), post("b", "r4", "E3"))
	if err := checkRequestIDs(bad, groups); err == nil {
		t.Fatal("a retry under a new request ID went unnoticed")
	}
	if err := checkRequestIDs(append(slices.Clone(good), post("b", "r3", "XX")), groups); err == nil {
		t.Fatal("a SKU in no license group went unnoticed")
	}
	if got := licenseGroups([]client.SubscribedSku{{ProductSku: client.ProductSku{ID: "ABC", LicenseGroupID: "Group2"}}}); !maps.Equal(got, map[string]string{"abc": "group2"}) {
		t.Fatalf("licenseGroups = %v", got)
	}
}

func TestRollbackGaps(t *testing.T) {
	j, _ := testJob(t, 50)
	perfect := func() [][]string {
		rows := [][]string{report.RollbackHeader}
		for user, skus := range j.Want {
			for id := range skus {
				rows = append(rows, []string{customerID, strings.ToUpper(user), "", strings.ToUpper(id), ""})
			}
		}
		return rows
	}
	encode := func(rows [][]string) *bytes.Buffer {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		return &b
	}
	if m, a, err := rollbackGaps(j, encode(perfect())); m != 0 || a != 0 || err != nil {
		t.Fatalf("a complete rollback: %d missing, %d assigning, %v", m, a, err)
	}
	rows := perfect()
	rows = append(rows[:3], rows[5:]...)                                     // two removals lost
	rows = append(rows, []string{customerID, "x@contoso.com", "E3", "", ""}) // gives back what nobody had
	if m, a, err := rollbackGaps(j, encode(rows)); m != 2 || a != 1 || err != nil {
		t.Fatalf("rollbackGaps = %d missing, %d assigning, %v; want 2, 1", m, a, err)
	}
	if _, _, err := rollbackGaps(j, strings.NewReader("user,sku\n")); err == nil {
		t.Fatal("a file with another header was read as a rollback file")
	}
}

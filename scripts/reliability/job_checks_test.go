package reliability

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// These tests run without the reliability tag (CI runs them): they show that the job
// is what its documentation says, as the real planner plans it, and that the suite's
// checks pass a run that did what it should and catch every kind of loss, duplication
// or wrong state they look for, so that a green reliability run means something.

func testJob(t *testing.T, n int) (job, []partnercenter.SubscribedSku) {
	t.Helper()
	skus, err := jobCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	j, err := newJob(n, skus)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Rows) != n || len(j.Unchanged) != n {
		t.Fatalf("newJob(%d) made %d rows, %d unchanged flags", n, len(j.Rows), len(j.Unchanged))
	}
	return j, skus
}

// TestJobPlansAsWanted plans the job with the real planner against users holding
// j.Held, both ways the planner reads users (looked up one by one for a small file, a
// listing of the directory for one of more than 500 users): the rows j.Unchanged marks
// are unchanged and the others planned; the changes turn Held into Want; their undo
// rows turn Want back into Held; and every kind of user is there.
func TestJobPlansAsWanted(t *testing.T) {
	for name, rows := range map[string]int{"lookups": 600, "listing": 2000} {
		t.Run(name, func(t *testing.T) { checkJobPlan(t, rows) })
	}
}

func checkJobPlan(t *testing.T, rows int) {
	j, skus := testJob(t, rows)
	p := planJob(t, j, skus)
	if p.NumRows() != len(j.Rows) || !p.UsersRead {
		t.Fatalf("plan has %d rows, users read %v", p.NumRows(), p.UsersRead)
	}
	for i := range p.NumRows() {
		r := p.Row(i)
		want := planner.StatusPlanned
		if j.Unchanged[i] {
			want = planner.StatusUnchanged
		}
		if r.Status != want || r.Line != i+2 {
			t.Fatalf("row %d: %+v; want line %d %s", i, r, i+2, want)
		}
	}
	got, undo := j.apply(j.Held, p)
	groups := map[string]int{}
	for i := range p.NumChanges() {
		groups[p.Change(i).Group]++
	}
	if err := compareLedgers("the planner's changes against job.Want", j.Want, got); err != nil {
		t.Fatal(err)
	}
	if n, err := j.rollbackGaps(undo); n != 0 || err != nil {
		t.Fatalf("the plan's undo rows leave %d users unrestored: %v", n, err)
	}
	if want := j.changes(licenseGroups(skus)); p.NumChanges() != want {
		t.Fatalf("plan has %d changes, job.changes says %d", p.NumChanges(), want)
	}
	c := p.Counts()
	var excl, swaps int
	for _, r := range j.Rows {
		if r.Excluded != "" {
			excl++
		}
		if r.RemoveSku != "" {
			swaps++
		}
	}
	if groups["group2"] == 0 || c[planner.StatusUnchanged] == 0 || excl == 0 || swaps == 0 || p.NumChanges() >= c[planner.StatusPlanned] {
		t.Fatalf("the job lacks a kind of user: %d changes for %v, per group %v, %d exclusions, %d swaps", p.NumChanges(), c, groups, excl, swaps)
	}
	moved, e3Holders := j.unitsMoved(), 0
	for _, h := range j.Want {
		if _, ok := h[j.SkuIDs[partE3]]; ok {
			e3Holders++
		}
	}
	if moved[j.SkuIDs[partE3]] >= e3Holders || moved[j.SkuIDs[partE5]] <= 0 || moved[j.SkuIDs[partAAD]] != 0 {
		t.Fatalf("units moved %v, %d holding E3 after: want units of E3 freed by the swaps, E5 taken, AAD untouched", moved, e3Holders)
	}
}

// perfectResults are the results of a run that did everything once, in the order a
// resumed run may write them.
func perfectResults(j job) []report.Result {
	out := make([]report.Result, len(j.Rows))
	for i, r := range j.Rows {
		st := report.StatusSucceeded
		if j.Unchanged[i] {
			st = report.StatusUnchanged
		}
		out[i] = report.Result{Line: i + 2, Customer: customerID, User: r.User, Sku: r.Sku, RemoveSku: r.RemoveSku, Status: st, HTTPStatus: 201}
	}
	slices.Reverse(out)
	return out
}

// lineOf returns the index in perfectResults of the first line that f accepts.
func lineOf(t *testing.T, j job, rs []report.Result, f func(i int) bool) int {
	t.Helper()
	for k, r := range rs {
		if f(r.Line - 2) {
			return k
		}
	}
	t.Fatal("the job lacks a kind of line")
	return -1
}

func TestCheckOutput(t *testing.T) {
	j, _ := testJob(t, 60)
	if err := checkOutput(j, perfectResults(j)); err != nil {
		t.Fatalf("a perfect output: %v", err)
	}
	pre := 0
	for _, u := range j.Unchanged {
		if u {
			pre++
		}
	}
	if o := outcomes(j, perfectResults(j)); o != (outcome{Succeeded: 60 - pre, Unchanged: pre}) {
		t.Fatalf("outcomes of a perfect output = %+v", o)
	}
	// A resumed run: a line failed then succeeded, another found unchanged after a kill.
	rs := perfectResults(j)
	a := lineOf(t, j, rs, func(i int) bool { return !j.Unchanged[i] })
	b := lineOf(t, j, rs[a+1:], func(i int) bool { return !j.Unchanged[i] }) + a + 1
	failed := rs[a]
	failed.Status = report.StatusFailed
	rs = append([]report.Result{failed}, rs...)
	rs[b+1].Status = report.StatusUnchanged
	if err := checkOutput(j, rs); err != nil {
		t.Fatalf("a failure then a success, and a change found made: %v", err)
	}
	if o := outcomes(j, rs); o.Retried != 1 || o.UnchangedLate != 1 || o.Lost != 0 || o.Duplicated != 0 {
		t.Fatalf("outcomes = %+v; want 1 retried, 1 unchanged late", o)
	}
	plain := lineOf(t, j, perfectResults(j), func(i int) bool { return !j.Unchanged[i] })
	held := lineOf(t, j, perfectResults(j), func(i int) bool { return j.Unchanged[i] })
	for name, spoil := range map[string]func([]report.Result) []report.Result{
		"a row lost":        func(rs []report.Result) []report.Result { return append(rs[:plain], rs[plain+1:]...) },
		"a line done twice": func(rs []report.Result) []report.Result { return append(rs, rs[7]) },
		"succeeded, then unchanged": func(rs []report.Result) []report.Result {
			u := rs[plain]
			u.Status = report.StatusUnchanged
			return append(rs, u)
		},
		"a line ends failed": func(rs []report.Result) []report.Result {
			f := rs[plain]
			f.Status = report.StatusFailed
			return append(rs, f)
		},
		"a line only failed": func(rs []report.Result) []report.Result { rs[plain].Status = report.StatusFailed; return rs },
		"a line skipped":     func(rs []report.Result) []report.Result { rs[plain].Status = report.StatusSkipped; return rs },
		"a held line sent":   func(rs []report.Result) []report.Result { rs[held].Status = report.StatusSucceeded; return rs },
		"a held line failed earlier": func(rs []report.Result) []report.Result {
			f := rs[held]
			f.Status = report.StatusFailed
			return append([]report.Result{f}, rs...)
		},
		"another user": func(rs []report.Result) []report.Result { rs[4].User = "someone@else"; return rs },
		"another SKU":  func(rs []report.Result) []report.Result { rs[4].Sku = "AAD_PREMIUM"; return rs },
		"no such line": func(rs []report.Result) []report.Result { return append(rs, report.Result{Line: 99}) },
	} {
		rs := spoil(perfectResults(j))
		if err := checkOutput(j, rs); err == nil {
			t.Errorf("%s: checkOutput found nothing", name)
		}
	}
	rs = perfectResults(j)
	rs = append(append(rs[:plain], rs[plain+1:]...), rs[3])
	if o := outcomes(j, rs); o.Lost != 1 || o.Duplicated != 1 {
		t.Fatalf("outcomes of one line lost, one twice = %+v", o)
	}
}

// fakeLedger is the ledger of the fake at the start (sample users included) with the
// job's users holding users, spelt as the fake may: object IDs or names, any case,
// plans in another order.
func fakeLedger(j job, users ledger) map[string]map[string][]string {
	out := map[string]map[string][]string{"Migrated.User01@contoso.onmicrosoft.com": {"6FD2C87F-B296-42F0-B197-1E91E994B900": nil}}
	for k, u := range j.Users {
		m := map[string][]string{}
		for id, plans := range users[u] {
			p := slices.Clone(plans)
			slices.Reverse(p)
			m[strings.ToUpper(id)] = p
		}
		name := strings.ToUpper(u)
		if k%2 == 0 {
			name = strings.ToUpper(j.IDs[u])
		}
		out[name] = m
	}
	return out
}

func TestCheckLedger(t *testing.T) {
	j, skus := testJob(t, 60)
	base := j.normalise(fakeLedger(j, j.Held))
	if err := compareLedgers("start", j.expect(base, j.Held), base); err != nil {
		t.Fatalf("the ledger at the start: %v", err)
	}
	want := j.expect(base, j.Want)
	if err := compareLedgers("ledger", want, j.normalise(fakeLedger(j, j.Want))); err != nil {
		t.Fatalf("a perfect ledger: %v", err)
	}
	find := func(f func(u string) bool) string {
		for _, u := range j.Users {
			if f(u) {
				return u
			}
		}
		t.Fatal("the job lacks a kind of user")
		return ""
	}
	e3, e5, mc := j.SkuIDs[partE3], j.SkuIDs[partE5], j.SkuIDs[partMinecraft]
	swapper := find(func(u string) bool { _, ok := j.Held[u][e3]; return ok })
	excluder := find(func(u string) bool { return len(j.Want[u][e5]) == 2 })
	gamer := find(func(u string) bool { _, ok := j.Want[u][mc]; return ok })
	for name, spoil := range map[string]func(l ledger){
		"a user missing":        func(l ledger) { delete(l, swapper) },
		"a SKU missing":         func(l ledger) { delete(l[swapper], e5) },
		"an extra SKU":          func(l ledger) { l[swapper][strings.ToLower(skus[0].ProductSku.ID)] = nil },
		"an extra user":         func(l ledger) { l["stranger@contoso.com"] = holding{e5: nil} },
		"a sample user changed": func(l ledger) { delete(l, "migrated.user01@contoso.onmicrosoft.com") },
		"plans not excluded":    func(l ledger) { l[excluder][e5] = nil },
		"a plan left off":       func(l ledger) { l[swapper][e5] = []string{"x"} },
		"one plan too few off":  func(l ledger) { l[excluder][e5] = l[excluder][e5][:1] },
		"the swap's E3 kept":    func(l ledger) { l[swapper][e3] = nil },
		"a group 2 SKU missed":  func(l ledger) { delete(l[gamer], mc) },
		"an untouched SKU taken": func(l ledger) {
			delete(l[find(func(u string) bool { return len(j.Held[u]) > 0 && len(j.Want[u]) == 3 })], j.SkuIDs[partAAD])
		},
	} {
		l := j.normalise(fakeLedger(j, j.Want))
		spoil(l)
		if err := compareLedgers("ledger", want, l); err == nil {
			t.Errorf("%s: compareLedgers found nothing", name)
		}
	}
}

func TestCheckUnits(t *testing.T) {
	j, skus := testJob(t, 60)
	moved := j.unitsMoved()
	var before []pcfake.SkuUnits
	for _, s := range skus {
		before = append(before, pcfake.SkuUnits{SkuID: s.ProductSku.ID, SkuPartNumber: s.ProductSku.SkuPartNumber, Available: 100, Consumed: 7})
	}
	perfect := func() []pcfake.SkuUnits {
		var out []pcfake.SkuUnits
		for _, b := range before {
			n := moved[strings.ToLower(b.SkuID)]
			out = append(out, pcfake.SkuUnits{SkuID: strings.ToUpper(b.SkuID), Available: b.Available - n, Consumed: b.Consumed + n})
		}
		return out
	}
	if err := checkUnits(moved, before, perfect()); err != nil {
		t.Fatalf("perfect units: %v", err)
	}
	e5 := slices.IndexFunc(before, func(u pcfake.SkuUnits) bool { return u.SkuPartNumber == partE5 })
	for name, spoil := range map[string]func([]pcfake.SkuUnits) []pcfake.SkuUnits{
		"a unit consumed twice": func(u []pcfake.SkuUnits) []pcfake.SkuUnits { u[e5].Consumed++; u[e5].Available--; return u },
		"a unit not consumed":   func(u []pcfake.SkuUnits) []pcfake.SkuUnits { u[e5].Consumed--; u[e5].Available++; return u },
		"a unit not freed":      func(u []pcfake.SkuUnits) []pcfake.SkuUnits { return checkUnitsNoFree(u, before, j) },
		"a SKU missing":         func(u []pcfake.SkuUnits) []pcfake.SkuUnits { return u[1:] },
	} {
		if err := checkUnits(moved, before, spoil(perfect())); err == nil {
			t.Errorf("%s: checkUnits found nothing", name)
		}
	}
}

// checkUnitsNoFree spoils units as if the swaps had freed no E3.
func checkUnitsNoFree(u, before []pcfake.SkuUnits, j job) []pcfake.SkuUnits {
	for i := range u {
		if strings.EqualFold(u[i].SkuID, j.SkuIDs[partE3]) {
			u[i].Consumed, u[i].Available = before[i].Consumed, before[i].Available
		}
	}
	return u
}

// TestRollbackGaps: the undo rows of a perfect plan restore every user; rows lost,
// rows that give back the wrong plans or remove what a user held before do not.
func TestRollbackGaps(t *testing.T) {
	j, skus := testJob(t, 60)
	p := planJob(t, j, skus)
	var rows []report.RollbackRow
	for i := range p.NumChanges() {
		rows = append(rows, p.Change(i).Undo...)
	}
	if n, err := j.rollbackGaps(rows); n != 0 || err != nil {
		t.Fatalf("a complete rollback: %d users unrestored, %v", n, err)
	}
	// Rows written twice (a change written ahead, not sent, planned again) are harmless.
	if n, err := j.rollbackGaps(append(slices.Clone(rows), rows[:5]...)); n != 0 || err != nil {
		t.Fatalf("a rollback with repeated rows: %d users unrestored, %v", n, err)
	}
	swap := slices.IndexFunc(rows, func(r report.RollbackRow) bool { return r.Sku != "" && r.RemoveSku != "" })
	plans := slices.IndexFunc(rows, func(r report.RollbackRow) bool { return r.Sku != "" && r.RemoveSku == "" })
	if swap < 0 || plans < 0 {
		t.Fatalf("the undo rows lack a swap back or a plans restore: %+v", rows)
	}
	for name, spoil := range map[string]func([]report.RollbackRow) []report.RollbackRow{
		"two rows lost":      func(rs []report.RollbackRow) []report.RollbackRow { return append(rs[:3], rs[5:]...) },
		"a swap half undone": func(rs []report.RollbackRow) []report.RollbackRow { rs[swap].Sku = ""; return rs },
		"plans not restored": func(rs []report.RollbackRow) []report.RollbackRow { rs[plans].ExcludedPlans = []string{"x"}; return rs },
		"a held SKU removed": func(rs []report.RollbackRow) []report.RollbackRow { rs[plans].RemoveSku = rs[plans].Sku; return rs },
		"another user undone": func(rs []report.RollbackRow) []report.RollbackRow {
			rs[0].User = j.IDs[j.Users[len(j.Users)-1]]
			return rs
		},
		"an extra SKU removed": func(rs []report.RollbackRow) []report.RollbackRow { rs[0].RemoveSku = j.SkuIDs[partAAD]; return rs },
	} {
		if n, err := j.rollbackGaps(spoil(slices.Clone(rows))); n == 0 && err == nil {
			t.Errorf("%s: rollbackGaps found nothing", name)
		}
	}
}

func TestRepeatedPosts(t *testing.T) {
	post := func(user, id string, status int, assign []string, remove ...string) pcfake.Request {
		r := pcfake.Request{Method: "POST", User: user, RequestID: id, Status: status}
		for _, s := range assign {
			r.Body.LicensesToAssign = append(r.Body.LicensesToAssign, partnercenter.LicenseAssignment{SkuID: s})
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
			r.Body.LicensesToAssign = []partnercenter.LicenseAssignment{{SkuID: sku}}
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
	cat := []partnercenter.SubscribedSku{{ProductSku: partnercenter.ProductSku{ID: "ABC", LicenseGroupID: "Group2"}}}
	if got := licenseGroups(cat); !maps.Equal(got, map[string]string{"abc": "group2"}) {
		t.Fatalf("licenseGroups = %v", got)
	}
}

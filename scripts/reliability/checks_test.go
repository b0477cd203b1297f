package reliability

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// problems collects what a check found, keeping the first few in full.
type problems struct {
	list  []string
	count int
}

const maxListed = 10

func (p *problems) addf(format string, args ...any) {
	p.count++
	if len(p.list) < maxListed {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

// err is nil when nothing was found, else an error listing the first problems.
func (p *problems) err(what string) error {
	if p.count == 0 {
		return nil
	}
	more := ""
	if p.count > len(p.list) {
		more = fmt.Sprintf("\n\t... and %d more", p.count-len(p.list))
	}
	return fmt.Errorf("%s: %d problem(s):\n\t%s%s", what, p.count, strings.Join(p.list, "\n\t"), more)
}

// done reports whether a result row finished its line: succeeded, or unchanged.
func done(s report.Status) bool {
	return s == report.StatusSucceeded || s == report.StatusUnchanged
}

// outcome counts what a result file says of the job's lines.
type outcome struct {
	Succeeded int // lines whose final outcome is succeeded
	Unchanged int // lines whose final outcome is unchanged
	// UnchangedLate counts, among Unchanged, the lines that needed a change before any
	// run: a session applied it and was killed before writing the row, and a resumed
	// plan read the user and found the change made.
	UnchangedLate int
	Retried       int // lines with a failed or skipped row before their final one
	Lost          int // lines without a succeeded or unchanged row
	Duplicated    int // lines with more than one succeeded or unchanged row
}

// outcomes counts the lines of the job in a result file's rows.
func outcomes(j job, results []report.Result) outcome {
	var o outcome
	ok := make([]int, len(j.Rows))
	other := make([]int, len(j.Rows))
	for _, r := range results {
		if i := r.Line - 2; i >= 0 && i < len(j.Rows) {
			if done(r.Status) {
				ok[i]++
			} else {
				other[i]++
			}
		}
	}
	for _, r := range report.Final(results) {
		i := r.Line - 2
		if i < 0 || i >= len(j.Rows) || !done(r.Status) {
			continue
		}
		if r.Status == report.StatusSucceeded {
			o.Succeeded++
		} else {
			o.Unchanged++
			if !j.Unchanged[i] {
				o.UnchangedLate++
			}
		}
		if other[i] > 0 {
			o.Retried++
		}
	}
	for i := range ok {
		switch {
		case ok[i] == 0:
			o.Lost++
		case ok[i] > 1:
			o.Duplicated++
		}
	}
	return o
}

// checkOutput checks a result file's rows against the job: every input line has
// exactly one succeeded or unchanged row, which is its final outcome (report.Final),
// for the right user and SKU; a line whose state held before any run is unchanged
// in every row (nothing was sent for it); and no row names a line the input lacks.
func checkOutput(j job, results []report.Result) error {
	var p problems
	ok := make([]int, len(j.Rows))
	for _, r := range results {
		i := r.Line - 2
		if i < 0 || i >= len(j.Rows) {
			p.addf("result for line %d, which is no input row: %+v", r.Line, r)
			continue
		}
		row := j.Rows[i]
		if !strings.EqualFold(r.User, row.User) || !strings.EqualFold(r.Sku, row.Sku) {
			p.addf("line %d: result for %s %s, the input has %s %s", r.Line, r.User, r.Sku, row.User, row.Sku)
		}
		if done(r.Status) {
			ok[i]++
			if ok[i] == 2 {
				p.addf("line %d has more than one succeeded or unchanged row", r.Line)
			}
		}
		if j.Unchanged[i] && r.Status != report.StatusUnchanged {
			p.addf("line %d (%s %s) held before any run, yet its row is %s", r.Line, row.User, row.Sku, r.Status)
		}
	}
	final := map[int]report.Result{}
	for _, r := range report.Final(results) {
		final[r.Line] = r
	}
	for i := range j.Rows {
		r, has := final[i+2]
		switch {
		case !has:
			p.addf("line %d (%s %s) has no result", i+2, j.Rows[i].User, j.Rows[i].Sku)
		case !done(r.Status):
			p.addf("line %d (%s %s) ends %s %d %s %s", r.Line, j.Rows[i].User, j.Rows[i].Sku, r.Status, r.HTTPStatus, r.ErrorCode, r.ErrorMessage)
		}
	}
	return p.err("output")
}

// normalise turns a ledger as the fake shows it (users by principal name or object ID
// in any case, SKU and plan IDs in any case and order) into a ledger of the job's
// spelling; users holding nothing are left out.
func (j job) normalise(got map[string]map[string][]string) ledger {
	out := ledger{}
	for user, skus := range got {
		h := out[j.userOf(user)]
		if h == nil {
			h = holding{}
		}
		for id, plans := range skus {
			h[strings.ToLower(id)] = canonPlans(plans)
		}
		if len(h) > 0 {
			out[j.userOf(user)] = h
		}
	}
	return out
}

// canonPlans lower-cases and sorts plan IDs; none is nil.
func canonPlans(plans []string) []string {
	if len(plans) == 0 || len(plans) == 1 && strings.EqualFold(plans[0], "none") { // planner.NoPlansExcluded
		return nil
	}
	out := make([]string, len(plans))
	for i, p := range plans {
		out[i] = strings.ToLower(p)
	}
	sort.Strings(out)
	return out
}

// expect is the whole ledger a check expects: base (the fake's at the start, its
// sample users included) with the job's users holding what users says.
func (j job) expect(base, users ledger) ledger {
	out := base.clone()
	for _, u := range j.Users {
		delete(out, u)
		if h := users[u]; len(h) > 0 {
			out[u] = maps.Clone(h)
		}
	}
	return out
}

// compareLedgers lists every difference between the ledger wanted and the one found.
func compareLedgers(what string, want, got ledger) error {
	var p problems
	for _, user := range slices.Sorted(maps.Keys(want)) {
		w, g := want[user], got[user]
		for _, id := range slices.Sorted(maps.Keys(w)) {
			gp, held := g[id]
			switch {
			case !held:
				p.addf("%s lacks %s", user, id)
			case !slices.Equal(gp, w[id]):
				p.addf("%s holds %s without plans %v; want without %v", user, id, gp, w[id])
			}
		}
		for _, id := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[id]; !ok {
				p.addf("%s holds %s, which it should not", user, id)
			}
		}
	}
	for _, user := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[user]; !ok {
			p.addf("%s holds %v but should hold nothing", user, got[user])
		}
	}
	return p.err(what)
}

// checkUnits checks the fake's units against those at the start: each SKU consumed
// exactly moved[id] more units (see job.unitsMoved) and has as many fewer available.
func checkUnits(moved map[string]int, before, after []pcfake.SkuUnits) error {
	var p problems
	now := map[string]pcfake.SkuUnits{}
	for _, u := range after {
		now[strings.ToLower(u.SkuID)] = u
	}
	for _, b := range before {
		id := strings.ToLower(b.SkuID)
		u, ok := now[id]
		if !ok {
			p.addf("SKU %s (%s) missing from the fake's units", id, b.SkuPartNumber)
			continue
		}
		n := moved[id]
		if u.Consumed != b.Consumed+n || u.Available != b.Available-n {
			p.addf("SKU %s: %d available, %d consumed; want %d and %d (%+d units): %+d units off",
				b.SkuPartNumber, u.Available, u.Consumed, b.Available-n, b.Consumed+n, n, u.Consumed-b.Consumed-n)
		}
	}
	return p.err("units")
}

// undoRows applies rollback rows to a ledger as a run of the rollback file would: for
// each user, the removals of all its rows, then its assignments with their plans. It
// returns the ledger after, and the rows that name a user or a SKU twice in opposite
// ways (a run would refuse the file).
func (j job) undoRows(l ledger, rows []report.RollbackRow) (ledger, error) {
	var p problems
	out := l.clone()
	type ops struct {
		assign map[string][]string
		remove map[string]bool
	}
	byUser := map[string]*ops{}
	var order []string
	for _, r := range rows {
		u := j.userOf(r.User)
		o := byUser[u]
		if o == nil {
			o = &ops{assign: map[string][]string{}, remove: map[string]bool{}}
			byUser[u] = o
			order = append(order, u)
		}
		if id := strings.ToLower(r.RemoveSku); id != "" {
			o.remove[id] = true
		}
		if id := strings.ToLower(r.Sku); id != "" {
			plans := canonPlans(r.ExcludedPlans)
			if prev, ok := o.assign[id]; ok && !slices.Equal(prev, plans) {
				p.addf("lines %v: %s gets %s back with plans %v and %v", r.Lines, u, id, prev, plans)
			}
			o.assign[id] = plans
		}
	}
	for _, u := range order {
		o := byUser[u]
		h := out[u]
		if h == nil {
			h = holding{}
		}
		for id := range o.remove {
			if _, both := o.assign[id]; both {
				p.addf("%s: the rollback both removes and assigns %s", u, id)
			}
			delete(h, id)
		}
		maps.Copy(h, o.assign)
		if len(h) == 0 {
			delete(out, u)
		} else {
			out[u] = h
		}
	}
	return out, p.err("rollback rows")
}

// rollbackGaps counts the users of the job that rollback rows, applied to what the job
// leaves them (Want), would not bring back to what they held before (Held): the
// updates missing from the rollback file (or undone wrongly).
func (j job) rollbackGaps(rows []report.RollbackRow) (int, error) {
	after, err := j.undoRows(j.Want, rows)
	n := 0
	for _, u := range j.Users {
		if compareLedgers("", ledger{u: j.Held[u]}.trim(), ledger{u: after[u]}.trim()) != nil {
			n++
		}
	}
	return n, err
}

// trim drops users holding nothing.
func (l ledger) trim() ledger {
	for u, h := range l {
		if len(h) == 0 {
			delete(l, u)
		}
	}
	return l
}

// repeatedPosts counts the licenseupdates POSTs that were applied (answered 201, not a
// replay of an earlier request ID) although every change they carried had already been
// applied for that user by an earlier POST: updates sent again. It reads a log without
// dropped connections (a dropped POST is applied but logged with status 0).
func repeatedPosts(log []pcfake.Request) int {
	answered := map[string]bool{}
	applied := map[string]map[string]bool{} // user -> "assign SKU" / "remove SKU"
	n := 0
	for _, r := range log {
		if r.Method != "POST" || r.Status != 201 {
			continue
		}
		id := strings.ToLower(r.RequestID)
		if answered[id] {
			continue // a replay: answered from the first time, not applied again
		}
		answered[id] = true
		user := strings.ToLower(r.User)
		if applied[user] == nil {
			applied[user] = map[string]bool{}
		}
		var ops []string
		for _, a := range r.Body.LicensesToAssign {
			ops = append(ops, "assign "+strings.ToLower(a.SkuID))
		}
		for _, id := range r.Body.LicensesToRemove {
			ops = append(ops, "remove "+strings.ToLower(id))
		}
		repeat := len(ops) > 0
		for _, op := range ops {
			if !applied[user][op] {
				repeat = false
			}
			applied[user][op] = true
		}
		if repeat {
			n++
		}
	}
	return n
}

// checkRequestIDs checks that every update went out under one MS-RequestId, however
// many attempts it took: the licenseupdates POSTs of one user and license group (one
// change of the plan) all carry the same request ID. groups maps product SKU IDs (lower
// case) to their license group; a POST's group is that of the SKUs in its body. POSTs
// refused before their body was read (429, 401) are left out.
func checkRequestIDs(log []pcfake.Request, groups map[string]string) error {
	var p problems
	ids := map[string]map[string]bool{}
	var keys []string
	for _, r := range log {
		if r.Method != "POST" {
			continue
		}
		var skus []string
		for _, a := range r.Body.LicensesToAssign {
			skus = append(skus, a.SkuID)
		}
		skus = append(skus, r.Body.LicensesToRemove...)
		if len(skus) == 0 {
			continue
		}
		group := groups[strings.ToLower(skus[0])]
		if group == "" {
			p.addf("request %s for %s names SKU %s, which is in no license group", r.RequestID, r.User, skus[0])
			continue
		}
		key := strings.ToLower(r.User) + " " + group
		if ids[key] == nil {
			ids[key] = map[string]bool{}
			keys = append(keys, key)
		}
		ids[key][strings.ToLower(r.RequestID)] = true
	}
	for _, k := range keys {
		if len(ids[k]) != 1 {
			p.addf("%s: %d request IDs", k, len(ids[k]))
		}
	}
	return p.err("request IDs")
}

// licenseGroups maps the product SKU IDs of a catalogue (lower case) to their license group.
func licenseGroups(skus []partnercenter.SubscribedSku) map[string]string {
	m := make(map[string]string, len(skus))
	for _, s := range skus {
		m[strings.ToLower(s.ProductSku.ID)] = strings.ToLower(s.ProductSku.LicenseGroupID)
	}
	return m
}

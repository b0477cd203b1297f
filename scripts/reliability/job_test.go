package reliability

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/samples"
)

// This file holds what the end-to-end tests share and that runs without a binary: the
// job every scenario runs, and the checks of a run's output, ledger and request log.
// job_checks_test.go shows that each check catches what it looks for.

// customerID is the customer the jobs run for.
const customerID = pcfake.DefaultCustomerID

// jobUnits is the number of available units the job's catalogue gives every SKU:
// enough for every row, so that every row is assignable.
const jobUnits = 10000

// Part numbers of the sample catalogue's SKUs that the job assigns.
const (
	partE3        = "ENTERPRISEPACK"
	partE5        = "ENTERPRISEPREMIUM"
	partWinE5     = "WIN_ENT_E5"
	partMinecraft = "CFQ7TTC0K5DR/0002" // license group 2
)

// jobCatalogue returns the sample catalogue with jobUnits available units for every
// SKU (consumed units as in the sample).
func jobCatalogue() ([]client.SubscribedSku, error) {
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(samples.Catalogue))
	if err != nil {
		return nil, fmt.Errorf("load the sample catalogue: %w", err)
	}
	for i := range skus {
		skus[i].AvailableUnits = jobUnits
		skus[i].ActiveUnits = jobUnits + skus[i].ConsumedUnits
		skus[i].TotalUnits = skus[i].ActiveUnits
	}
	return skus, nil
}

// catalogueJSON encodes a catalogue as `bulkassign fake-server --catalogue` reads it.
func catalogueJSON(skus []client.SubscribedSku) ([]byte, error) {
	return json.MarshalIndent(skus, "", "  ")
}

// jobRow is one input row as written in the CSV.
type jobRow struct {
	User, Sku, RemoveSku, Excluded string
}

// job is an input file and what Partner Center must hold once it has run.
type job struct {
	Rows []jobRow
	// Want is, per user (lower case), the product SKU IDs the user must hold and the
	// excluded service plan IDs of each, sorted (nil: every plan).
	Want map[string]map[string][]string
}

// newJob makes a job of n rows for the catalogue skus (see jobCatalogue). Users come in
// five kinds, in turn:
//
//   - three of every five users get Office 365 E5 in one row; of those, every tenth
//     user leaves SWAY and YAMMER_ENTERPRISE off, and another tenth swaps E3 for E5
//     (the E3 removal frees nothing: the user never held it);
//   - one gets E3 and Windows 10 E5: two rows, one request (both license group 1);
//   - one gets E5 and Minecraft (license group 2): two rows, two requests.
//
// The last user may get fewer rows, so that the file has exactly n rows.
func newJob(n int, skus []client.SubscribedSku) (job, error) {
	byPart := map[string]client.SubscribedSku{}
	for _, s := range skus {
		byPart[s.ProductSku.SkuPartNumber] = s
	}
	for _, p := range []string{partE3, partE5, partWinE5, partMinecraft} {
		if _, ok := byPart[p]; !ok {
			return job{}, fmt.Errorf("the catalogue has no SKU %s", p)
		}
	}
	var excluded []string
	for _, p := range byPart[partE5].ServicePlans {
		if p.ServiceName == "SWAY" || p.ServiceName == "YAMMER_ENTERPRISE" {
			excluded = append(excluded, p.ID)
		}
	}
	if len(excluded) != 2 {
		return job{}, fmt.Errorf("E5 lacks the SWAY or YAMMER_ENTERPRISE service plan")
	}
	sort.Strings(excluded)
	minecraftName := byPart[partMinecraft].ProductSku.Name

	j := job{Want: map[string]map[string][]string{}}
	add := func(user, part, name, remove, excl string, plans []string) {
		if len(j.Rows) >= n {
			return
		}
		if name == "" {
			name = part
		}
		j.Rows = append(j.Rows, jobRow{User: user, Sku: name, RemoveSku: remove, Excluded: excl})
		if j.Want[user] == nil {
			j.Want[user] = map[string][]string{}
		}
		j.Want[user][byPart[part].ProductSku.ID] = plans
	}
	for i := 1; len(j.Rows) < n; i++ {
		user := fmt.Sprintf("user%05d@contoso.onmicrosoft.com", i)
		switch i % 5 {
		case 0, 1, 2:
			switch i % 10 {
			case 0:
				add(user, partE5, "", "", "SWAY;YAMMER_ENTERPRISE", excluded)
			case 1:
				add(user, partE5, "", partE3, "", nil)
			default:
				add(user, partE5, "", "", "", nil)
			}
		case 3:
			add(user, partE3, "", "", "", nil)
			add(user, partWinE5, "", "", "", nil)
		case 4:
			add(user, partE5, "", "", "", nil)
			add(user, partMinecraft, minecraftName, "", "", nil)
		}
	}
	return j, nil
}

// writeCSV writes the job's input file: a header, then one line per row, so that row i
// (from 0) is on file line i+2.
func (j job) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"user", "sku", "remove_sku", "excluded_plans"}); err != nil {
		return err
	}
	for _, r := range j.Rows {
		if err := cw.Write([]string{r.User, r.Sku, r.RemoveSku, r.Excluded}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// holders counts, per product SKU ID, the users that must hold it.
func (j job) holders() map[string]int {
	n := map[string]int{}
	for _, skus := range j.Want {
		for id := range skus {
			n[id]++
		}
	}
	return n
}

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

// checkOutput checks a run's result rows against the job: every input row exactly
// once, succeeded, for the right user and SKU, and nothing else.
func checkOutput(j job, results []report.Result) error {
	var p problems
	seen := make([]int, len(j.Rows))
	for _, r := range results {
		i := r.Line - 2
		if i < 0 || i >= len(j.Rows) {
			p.addf("result for line %d, which is no input row: %+v", r.Line, r)
			continue
		}
		seen[i]++
		if seen[i] == 2 {
			p.addf("line %d has more than one result", r.Line)
		}
		row := j.Rows[i]
		if !strings.EqualFold(r.User, row.User) || !strings.EqualFold(r.Sku, row.Sku) {
			p.addf("line %d: result for %s %s, the input has %s %s", r.Line, r.User, r.Sku, row.User, row.Sku)
		}
		if r.Status != report.StatusSucceeded {
			p.addf("line %d (%s %s): %s %d %s %s", r.Line, row.User, row.Sku, r.Status, r.HTTPStatus, r.ErrorCode, r.ErrorMessage)
		}
	}
	for i, n := range seen {
		if n == 0 {
			p.addf("line %d (%s %s) has no result", i+2, j.Rows[i].User, j.Rows[i].Sku)
		}
	}
	return p.err("output")
}

// outputCounts counts, against the job, the input rows with exactly one succeeded
// result, the rows without a succeeded result (lost) and the rows with more than one
// result (duplicated).
func outputCounts(j job, results []report.Result) (succeeded, lost, duplicated int) {
	n := make([]int, len(j.Rows))
	ok := make([]int, len(j.Rows))
	for _, r := range results {
		if i := r.Line - 2; i >= 0 && i < len(j.Rows) {
			n[i]++
			if r.Status == report.StatusSucceeded {
				ok[i]++
			}
		}
	}
	for i := range n {
		switch {
		case ok[i] == 0:
			lost++
		case n[i] == 1:
			succeeded++
		}
		if n[i] > 1 {
			duplicated++
		}
	}
	return succeeded, lost, duplicated
}

// rollbackGaps reads a rollback file (report.RollbackHeader) written for the job, whose
// users held nothing before, and counts the licenses it would fail to take back (an
// assigned SKU without a row removing it) and the rows that would assign something
// (nobody held anything to give back). A file that is not a rollback CSV is an error.
func rollbackGaps(j job, r io.Reader) (missing, assigning int, err error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return 0, 0, fmt.Errorf("read the rollback header: %w", err)
	}
	if !slices.Equal(header, report.RollbackHeader) {
		return 0, 0, fmt.Errorf("rollback header %q, want %q", header, report.RollbackHeader)
	}
	removes := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("read the rollback file: %w", err)
		}
		if rec[2] != "" {
			assigning++
		}
		if rec[3] != "" {
			removes[strings.ToLower(rec[1])+" "+strings.ToLower(rec[3])] = true
		}
	}
	for user, skus := range j.Want {
		for id := range skus {
			if !removes[strings.ToLower(user)+" "+strings.ToLower(id)] {
				missing++
			}
		}
	}
	return missing, assigning, nil
}

// checkHoldings checks the fake's ledger against the job: every user holds exactly the
// SKUs the input asked for, with the excluded plans asked for, and nobody else holds
// anything.
func checkHoldings(j job, got map[string]map[string][]string) error {
	var p problems
	lower := make(map[string]map[string][]string, len(got))
	for user, skus := range got {
		m := make(map[string][]string, len(skus))
		for id, plans := range skus {
			var norm []string
			for _, pl := range plans {
				norm = append(norm, strings.ToLower(pl))
			}
			sort.Strings(norm)
			m[strings.ToLower(id)] = norm
		}
		lower[strings.ToLower(user)] = m
	}
	users := make([]string, 0, len(j.Want))
	for u := range j.Want {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, user := range users {
		want := j.Want[user]
		have, ok := lower[user]
		if !ok {
			p.addf("%s holds nothing; want %v", user, want)
			continue
		}
		for id, plans := range want {
			hp, held := have[strings.ToLower(id)]
			switch {
			case !held:
				p.addf("%s lacks %s", user, id)
			case !slices.Equal(hp, lowerAll(plans)):
				p.addf("%s holds %s without plans %v; want without %v", user, id, hp, plans)
			}
		}
		for id := range have {
			if _, wanted := want[id]; !wanted && !wantsFold(want, id) {
				p.addf("%s holds %s, which the input did not ask for", user, id)
			}
		}
		delete(lower, user)
	}
	for user, skus := range lower {
		p.addf("%s holds %v but is not in the input", user, skus)
	}
	return p.err("ledger")
}

func lowerAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

func wantsFold(want map[string][]string, id string) bool {
	for w := range want {
		if strings.EqualFold(w, id) {
			return true
		}
	}
	return false
}

// checkUnits checks the fake's units against the catalogue it started from: each SKU
// consumed exactly one unit per user who must hold it, no more.
func checkUnits(j job, before []client.SubscribedSku, after []pcfake.SkuUnits) error {
	var p problems
	holders := j.holders()
	now := map[string]pcfake.SkuUnits{}
	for _, u := range after {
		now[strings.ToLower(u.SkuID)] = u
	}
	for _, s := range before {
		id := s.ProductSku.ID
		u, ok := now[strings.ToLower(id)]
		if !ok {
			p.addf("SKU %s (%s) missing from the fake's units", id, s.ProductSku.SkuPartNumber)
			continue
		}
		n := holders[id]
		if u.Consumed != s.ConsumedUnits+n || u.Available != s.AvailableUnits-n {
			p.addf("SKU %s: %d available, %d consumed; want %d and %d (%d users assigned): %+d units consumed more than once",
				s.ProductSku.SkuPartNumber, u.Available, u.Consumed, s.AvailableUnits-n, s.ConsumedUnits+n, n, u.Consumed-s.ConsumedUnits-n)
		}
	}
	return p.err("units")
}

// repeatedPosts counts the licenseupdates POSTs that were applied (answered 201, not a
// replay of an earlier request ID) although every change they carried had already been
// applied for that user by an earlier POST: the updates a kill made the tool send
// again. It reads a log without dropped connections (a dropped POST is applied but
// logged with status 0).
func repeatedPosts(log []pcfake.Request) int {
	answered := map[string]bool{}
	done := map[string]map[string]bool{} // user -> "assign SKU" / "remove SKU"
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
		if done[user] == nil {
			done[user] = map[string]bool{}
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
			if !done[user][op] {
				repeat = false
			}
			done[user][op] = true
		}
		if repeat {
			n++
		}
	}
	return n
}

// checkRequestIDs checks that every update went out under one MS-RequestId, however
// many attempts it took: the licenseupdates POSTs of one user and license group (one
// update of the plan) all carry the same request ID. groups maps product SKU IDs (lower
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
func licenseGroups(skus []client.SubscribedSku) map[string]string {
	m := make(map[string]string, len(skus))
	for _, s := range skus {
		m[strings.ToLower(s.ProductSku.ID)] = strings.ToLower(s.ProductSku.LicenseGroupID)
	}
	return m
}

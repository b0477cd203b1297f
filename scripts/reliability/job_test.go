package reliability

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/samples"
)

// This file holds the job every scenario runs and what Partner Center must hold before
// and after it; checks_test.go holds the checks of a run's output, ledger, request log
// and rollback file, and job_checks_test.go shows that each check catches what it looks
// for. None of them needs the binary.

// customerID is the customer the jobs run for.
const customerID = pcfake.DefaultCustomerID

// jobUnits is the number of available units the job's catalogue gives every SKU:
// enough for every row, so that every row is assignable.
const jobUnits = 10000

// Part numbers of the sample catalogue's SKUs that the job uses.
const (
	partE3        = "ENTERPRISEPACK"
	partE5        = "ENTERPRISEPREMIUM"
	partWinE5     = "WIN_ENT_E5"
	partAAD       = "AAD_PREMIUM"
	partMinecraft = "CFQ7TTC0K5DR/0002" // license group 2
)

// jobCatalogue returns the sample catalogue with jobUnits available units for every
// SKU (consumed units as in the sample).
func jobCatalogue() ([]partnercenter.SubscribedSku, error) {
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
func catalogueJSON(skus []partnercenter.SubscribedSku) ([]byte, error) {
	return json.MarshalIndent(skus, "", "  ")
}

// neutralSkus is the catalogue as the planner sees it (the unit tests plan with it).
func neutralSkus(skus []partnercenter.SubscribedSku) []client.Sku {
	out := make([]client.Sku, 0, len(skus))
	for _, s := range skus {
		sku := client.Sku{ID: s.ProductSku.ID, Name: s.ProductSku.Name, PartNumber: s.ProductSku.SkuPartNumber,
			Group: strings.ToLower(s.ProductSku.LicenseGroupID), Total: s.TotalUnits, Consumed: s.ConsumedUnits, Available: s.AvailableUnits}
		for _, p := range s.ServicePlans {
			sku.Plans = append(sku.Plans, client.ServicePlan{ID: p.ID, Name: p.ServiceName, DisplayName: p.DisplayName})
		}
		out = append(out, sku)
	}
	return out
}

// jobRow is one input row as written in the CSV.
type jobRow struct {
	User, Sku, RemoveSku, Excluded string
}

// holding is what one user holds: product SKU IDs (lower case) and the excluded service
// plan IDs of each (lower case, sorted; nil: every plan).
type holding map[string][]string

// ledger is what every user of a customer holds, by user principal name (lower case).
type ledger map[string]holding

func (l ledger) clone() ledger {
	out := make(ledger, len(l))
	for u, h := range l {
		out[u] = maps.Clone(h)
	}
	return out
}

// job is an input file, the users it names (the fake's --users), what they hold before
// any run (--holds) and what they must hold after it.
type job struct {
	Rows []jobRow
	// Users are the users the input names (lower-case principal names), in order,
	// and IDs their object IDs.
	Users []string
	IDs   map[string]string
	byID  map[string]string // object ID -> principal name
	Held  ledger            // before any run; users holding nothing are left out
	Want  ledger            // after the job; users holding nothing are left out
	// Unchanged says, per row, that what the row asks for already holds before any run:
	// the plan finds it unchanged and nothing is sent for it.
	Unchanged []bool
	// SkuIDs are the product SKU IDs (lower case) of the parts the job uses, by part number.
	SkuIDs map[string]string
}

// userID is the object ID the job gives its i-th user.
func userID(i int) string { return fmt.Sprintf("5eed0000-0000-4000-8000-%012d", i) }

// newJob makes a job of n rows for the catalogue skus (see jobCatalogue). Users come in
// ten kinds, by their number modulo 10:
//
//	0      E5 without SWAY and YAMMER_ENTERPRISE; every other one holds E5 with every
//	       plan already (the change only leaves the two plans off; no unit moves)
//	1      swaps E3 for E5 (remove_sku), holding E3 before: a unit of E3 is freed
//	2      E5, which the user already holds: unchanged from the start, nothing sent
//	5 6 7  E5
//	3 8    E3 and Windows 10 E5: two rows, one request (license group 1); kind 8
//	       holds Windows E5 already, so its second row is unchanged
//	4 9    E5 and Minecraft (license group 2): two rows, two requests; kind 9 also
//	       holds Azure AD Premium, which nothing touches
//
// The last user may get fewer rows, so that the file has exactly n rows.
func newJob(n int, skus []partnercenter.SubscribedSku) (job, error) {
	j := job{IDs: map[string]string{}, byID: map[string]string{}, Held: ledger{}, Want: ledger{}, SkuIDs: map[string]string{}}
	byPart := map[string]partnercenter.SubscribedSku{}
	for _, s := range skus {
		byPart[s.ProductSku.SkuPartNumber] = s
	}
	for _, p := range []string{partE3, partE5, partWinE5, partAAD, partMinecraft} {
		s, ok := byPart[p]
		if !ok {
			return job{}, fmt.Errorf("the catalogue has no SKU %s", p)
		}
		j.SkuIDs[p] = strings.ToLower(s.ProductSku.ID)
	}
	var excluded []string
	for _, p := range byPart[partE5].ServicePlans {
		if p.ServiceName == "SWAY" || p.ServiceName == "YAMMER_ENTERPRISE" {
			excluded = append(excluded, strings.ToLower(p.ID))
		}
	}
	if len(excluded) != 2 {
		return job{}, fmt.Errorf("E5 lacks the SWAY or YAMMER_ENTERPRISE service plan")
	}
	sort.Strings(excluded)
	e3, e5, win, aad, mc := j.SkuIDs[partE3], j.SkuIDs[partE5], j.SkuIDs[partWinE5], j.SkuIDs[partAAD], j.SkuIDs[partMinecraft]
	minecraftName := byPart[partMinecraft].ProductSku.Name

	for i := 1; len(j.Rows) < n; i++ {
		user := fmt.Sprintf("user%05d@contoso.onmicrosoft.com", i)
		held := holding{}
		var rows []jobRow
		switch i % 10 {
		case 0:
			rows = []jobRow{{User: user, Sku: partE5, Excluded: "SWAY;YAMMER_ENTERPRISE"}}
			if i%20 == 0 {
				held[e5] = nil
			}
		case 1:
			rows = []jobRow{{User: user, Sku: partE5, RemoveSku: partE3}}
			held[e3] = nil
		case 2:
			rows = []jobRow{{User: user, Sku: partE5}}
			held[e5] = nil
		case 5, 6, 7:
			rows = []jobRow{{User: user, Sku: partE5}}
		case 3, 8:
			rows = []jobRow{{User: user, Sku: partE3}, {User: user, Sku: partWinE5}}
			if i%10 == 8 {
				held[win] = nil
			}
		case 4, 9:
			rows = []jobRow{{User: user, Sku: partE5}, {User: user, Sku: minecraftName}}
			if i%10 == 9 {
				held[aad] = nil
			}
		}
		j.Users = append(j.Users, user)
		j.IDs[user] = userID(i)
		j.byID[userID(i)] = user
		if len(held) > 0 {
			j.Held[user] = maps.Clone(held)
		}
		for _, r := range rows {
			if len(j.Rows) == n {
				break
			}
			idOf := func(name string) string {
				if name == minecraftName {
					return mc
				}
				return j.SkuIDs[name]
			}
			var plans []string
			if r.Excluded != "" {
				plans = excluded
			}
			sku, remove := idOf(r.Sku), idOf(r.RemoveSku)
			hp, has := held[sku]
			_, hasRemove := held[remove]
			j.Unchanged = append(j.Unchanged, has && slices.Equal(hp, plans) && (remove == "" || !hasRemove))
			j.Rows = append(j.Rows, r)
			if remove != "" {
				delete(held, remove)
			}
			held[sku] = plans
		}
		j.Want[user] = held
	}
	return j, nil
}

// writeCSV writes the job's input file: a header, then one line per row, so that row i
// (from 0) is on file line i+2.
func (j job) writeCSV(w io.Writer) error {
	return writeRecords(w, []string{"user", "sku", "remove_sku", "excluded_plans"}, len(j.Rows), func(i int) []string {
		r := j.Rows[i]
		return []string{r.User, r.Sku, r.RemoveSku, r.Excluded}
	})
}

// writeUsersCSV writes the users file of `fake-server --users`: every user of the job,
// active, usage location US, with the object ID the job gave it.
func (j job) writeUsersCSV(w io.Writer) error {
	return writeRecords(w, []string{"user_principal_name", "id", "usage_location", "state"}, len(j.Users), func(i int) []string {
		return []string{j.Users[i], j.IDs[j.Users[i]], "US", "active"}
	})
}

// writeHoldsCSV writes the holdings file of `fake-server --holds`: what the job's users
// hold before any run.
func (j job) writeHoldsCSV(w io.Writer) error {
	type hold struct{ user, sku, plans string }
	var hs []hold
	for _, u := range j.Users {
		for _, id := range slices.Sorted(maps.Keys(j.Held[u])) {
			hs = append(hs, hold{u, id, strings.Join(j.Held[u][id], ";")})
		}
	}
	return writeRecords(w, []string{"customer", "user", "sku", "excluded_plans"}, len(hs), func(i int) []string {
		return []string{customerID, hs[i].user, hs[i].sku, hs[i].plans}
	})
}

// writeRecords writes a CSV: the header, then n records.
func writeRecords(w io.Writer, header []string, n int, rec func(int) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range n {
		if err := cw.Write(rec(i)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// userOf maps an object ID or a principal name of the job's users to the principal name
// (lower case); any other name is returned lower-cased.
func (j job) userOf(name string) string {
	name = strings.ToLower(name)
	if j.byID == nil {
		return name
	}
	if u, ok := j.byID[name]; ok {
		return u
	}
	return name
}

// unitsMoved is, per product SKU ID (lower case), the units the job consumes: the
// users who must hold it after, less those who held it before.
func (j job) unitsMoved() map[string]int {
	n := map[string]int{}
	for _, l := range []struct {
		l    ledger
		sign int
	}{{j.Want, 1}, {j.Held, -1}} {
		for _, h := range l.l {
			for id := range h {
				n[id] += l.sign
			}
		}
	}
	return n
}

// changes is the number of requests the job needs from the start: one per user and
// license group whose rows are not all unchanged. groups maps product SKU IDs (lower
// case) to their license group.
func (j job) changes(groups map[string]string) int {
	need := map[string]bool{}
	for i, r := range j.Rows {
		if !j.Unchanged[i] {
			need[strings.ToLower(r.User)+" "+groups[j.skuID(r.Sku)]] = true
		}
	}
	return len(need)
}

// skuID is the product SKU ID (lower case) of a SKU as the job's rows name it.
func (j job) skuID(name string) string {
	if id, ok := j.SkuIDs[name]; ok {
		return id
	}
	return j.SkuIDs[partMinecraft] // the only SKU the rows name by product name
}

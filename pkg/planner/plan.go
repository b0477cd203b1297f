package planner

import (
	"fmt"
	"slices"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// Status is what the plan intends for one input row.
type Status string

const (
	// StatusPlanned rows are carried by a Change and will be sent.
	StatusPlanned Status = "planned"
	// StatusUnchanged rows ask for what the user already has: nothing is sent.
	StatusUnchanged Status = "unchanged"
	// StatusSkipped rows will not be sent; Row.Reason says why.
	StatusSkipped Status = "skipped"
)

// Shortfall says what to do when a customer has fewer available units of a SKU than
// the plan needs.
type Shortfall string

const (
	// ShortfallAbort plans nothing: Build returns the plan with a *ShortfallError.
	ShortfallAbort Shortfall = "abort"
	// ShortfallPartial grants rows in file order while units last and skips the rest.
	ShortfallPartial Shortfall = "partial"
)

// Row is one data row of the input file as planned.
type Row struct {
	Line          int    // the file line the row starts on (1 is the header)
	Customer      string // the row's customer ID, or the default customer
	User          string // object ID or user principal name, as in the file (trimmed)
	UserID        string // the user's object ID when the plan read the user, or the file gave one; else ""
	Sku           string // the SKU to assign as written in the file (trimmed); "" if none
	SkuID         string // its product SKU ID; "" if none
	SkuName       string // its product name (or part number); "" if none
	RemoveSku     string // the SKU to remove as written in the file (trimmed); "" if none
	RemoveSkuID   string // its product SKU ID; "" if none
	RemoveSkuName string // its product name (or part number); "" if none
	ExcludedPlans string // the excluded_plans cell as written (trimmed)
	// ExcludedPlanIDs are the service plan IDs the row leaves off, nil when none.
	ExcludedPlanIDs []string
	LicenseGroup    string // the SKUs' license group ("group1", "group2"; "" where the API has none)
	Status          Status
	Reason          string // why the row is skipped or unchanged; "" when planned
	Change          int    // index of the Change that carries the row; -1 when none
}

// Key is the row's report.RowKey: what a resumed run compares to tell an edited row.
func (r Row) Key() string {
	return report.RowKey(r.Customer, r.User, r.Sku, r.RemoveSku, r.ExcludedPlans)
}

// Result is the row's line of the result CSV before anything is sent: status planned,
// unchanged, or skipped with the reason.
func (r Row) Result() report.Result {
	res := r.Outcome()
	res.RowKey = r.Key()
	return res
}

// Outcome is Result without the row key (which hashes the row): enough to count the
// row in a report.Summary.
func (r Row) Outcome() report.Result {
	res := report.Result{
		Line:          r.Line,
		Customer:      r.Customer,
		User:          r.User,
		Sku:           r.Sku,
		SkuID:         r.SkuID,
		RemoveSku:     r.RemoveSku,
		LicenseGroup:  r.LicenseGroup,
		Status:        report.StatusPlanned,
		ErrorMessage:  r.Reason,
		UserID:        r.UserID,
		ExcludedPlans: r.ExcludedPlans,
	}
	switch r.Status {
	case StatusSkipped:
		res.Status = report.StatusSkipped
	case StatusUnchanged:
		res.Status = report.StatusUnchanged
	}
	return res
}

// Change is one request: every change the plan makes to one user of one customer in
// one license group, the rows it carries, and the rows of a rollback file that undo
// it, from what the plan read the user held (none when users were not read).
type Change struct {
	client.Change
	Rows []int // indexes (for Plan.Row) of the rows this change carries, in file order
	Undo []report.RollbackRow
}

// Capacity is the capacity check of one SKU of one customer.
type Capacity struct {
	Customer      string
	SkuID         string
	SkuName       string
	SkuPartNumber string
	LicenseGroup  string
	Available     int // units free before the run
	Requested     int // rows that assign it (merged duplicates once; rows skipped for their user not counted)
	Held          int // of those, rows whose user already holds it: no seat needed
	Needed        int // seats the plan takes: Requested - Held (an upper bound when users were not read)
	Granted       int // seats the plan will use: Needed, or fewer under ShortfallPartial
	Freed         int // units the plan's removals free (shown apart, never counted as available)
	LeftAfter     int // Available - Granted + Freed
	Shortfall     int // Needed - Available when positive, else 0
}

// Warning is something the planner noticed and worked around. Line is 0 for the file as a whole.
type Warning struct {
	Line    int
	Message string
}

// Plan is everything known before a single license is assigned: every input row
// resolved and checked, the changes that carry them, and the capacity per SKU. Rows and
// changes are read through accessors so that a plan of a million rows stays compact in
// memory: each accessor builds its value afresh, so callers may keep or change what
// they get without affecting the plan.
type Plan struct {
	Customers []string   // every customer of the plan's rows, in order of first appearance
	Capacity  []Capacity // one per customer and SKU the file assigns or removes
	Warnings  []Warning
	Resumed   int // rows left out because an earlier run already succeeded with them
	// UsersRead says whether the plan read the users and what they hold. Without it,
	// capacity counts are upper bounds and changes carry no undo rows.
	UsersRead bool
	Reads     ReadStats

	tables
	updStart  []int32 // change i carries updRows[updStart[i]:updStart[i+1]]
	updRows   []int32 // row indexes, grouped by change, in file order within each
	updLoc    []bool  // change i sets the usage location (Options.UsageLocation)
	location  string
	shortfall bool
}

// NumRows reports how many input data rows the plan holds.
func (p *Plan) NumRows() int { return p.rows.len() }

// Row returns row i, in file order. It panics if i is out of range.
func (p *Plan) Row(i int) Row {
	if i < 0 || i >= p.rows.len() {
		panic(fmt.Sprintf("planner: row %d out of range [0, %d)", i, p.rows.len()))
	}
	r := p.rows.at(i)
	row := Row{
		Line:         int(r.line),
		Customer:     p.custSpell[r.cust].text,
		User:         p.users.str(r.user, r.userLen),
		LicenseGroup: p.groups[r.group],
		Status:       StatusPlanned,
		Change:       int(r.update),
	}
	if r.assign >= 0 {
		a := &p.assigns[r.assign]
		s := &p.skus[a.sku]
		row.Sku, row.SkuID, row.SkuName, row.ExcludedPlans = a.text, s.id, s.title(), a.exclText
		if a.excl >= 0 {
			row.ExcludedPlanIDs = slices.Clone(p.excl[a.excl].ids)
		}
	}
	if r.remove >= 0 {
		v := &p.removes[r.remove]
		s := &p.skus[v.sku]
		row.RemoveSku, row.RemoveSkuID, row.RemoveSkuName = v.text, s.id, s.title()
	}
	if r.aux > 0 {
		row.UserID = p.userID(&p.userRecs[r.aux-1])
	} else if client.IsGUID(row.User) {
		row.UserID = row.User
	}
	row.Status, row.Reason = p.status(r, &row)
	return row
}

// status is a row's status and its reason.
func (p *Plan) status(r *rowRec, row *Row) (Status, string) {
	switch {
	case r.flags&flagUserNotFound != 0:
		return StatusSkipped, fmt.Sprintf("user not found: %s is not a user of customer %s", row.User, row.Customer)
	case r.flags&flagUserInactive != 0:
		return StatusSkipped, fmt.Sprintf("user not active: %s is %s", row.User, p.states[p.userRecs[r.aux-1].state])
	case r.flags&flagNoUsageLocation != 0:
		return StatusSkipped, fmt.Sprintf("no usage location: %s has none; set one (or give the run a usage location) before assigning licenses", row.User)
	case r.flags&flagInherited != 0:
		return StatusSkipped, fmt.Sprintf("license inherited from a group: %s holds %s through a group; remove it from the group", row.User, row.RemoveSkuName)
	case r.flags&flagSkipped != 0:
		return StatusSkipped, p.skus[p.assigns[r.assign].sku].reason
	case r.update < 0 && p.UsersRead && r.noop():
		return StatusUnchanged, p.unchangedReason(r, row)
	}
	return StatusPlanned, ""
}

// unchangedReason says why a row needs nothing sent.
func (p *Plan) unchangedReason(r *rowRec, row *Row) string {
	switch {
	case r.assign >= 0 && r.remove >= 0:
		return fmt.Sprintf("already done: %s holds %s and not %s", row.User, row.SkuName, row.RemoveSkuName)
	case r.assign >= 0:
		return fmt.Sprintf("already done: %s holds %s", row.User, row.SkuName)
	}
	return fmt.Sprintf("already done: %s does not hold %s", row.User, row.RemoveSkuName)
}

// NumChanges reports how many requests the plan sends.
func (p *Plan) NumChanges() int { return max(0, len(p.updStart)-1) }

// Change returns request i, in the order of their first rows. It assigns each SKU of
// its rows that the user lacks (or holds with other plans than a row names) once, and
// removes each SKU its rows remove that the user holds once, in the order of the rows.
// It panics if i is out of range.
func (p *Plan) Change(i int) Change {
	if i < 0 || i >= p.NumChanges() {
		panic(fmt.Sprintf("planner: change %d out of range [0, %d)", i, p.NumChanges()))
	}
	rows := p.updRows[p.updStart[i]:p.updStart[i+1]]
	first := p.rows.at(int(rows[0]))
	c := Change{Rows: make([]int, len(rows))}
	c.Customer = p.Customers[p.custSpell[first.cust].cust]
	c.User = p.users.str(first.user, first.userLen)
	if first.aux > 0 {
		if id := p.userID(&p.userRecs[first.aux-1]); id != "" {
			c.User = id
		}
	}
	c.Group = p.groups[first.group]
	if p.updLoc[i] {
		c.UsageLocation = p.location
	}
	for j, ri := range rows {
		c.Rows[j] = int(ri)
		r := p.rows.at(int(ri))
		if s := p.assignSku(r); s >= 0 && r.flags&flagAssignHeld == 0 {
			id := p.skus[s].id
			if !slices.ContainsFunc(c.Assign, func(a client.Assignment) bool { return a.SkuID == id }) {
				a := client.Assignment{SkuID: id}
				if e := p.assigns[r.assign].excl; e >= 0 {
					a.DisabledPlans = slices.Clone(p.excl[e].ids)
				}
				c.Assign = append(c.Assign, a)
			}
		}
		if s := p.removeSku(r); s >= 0 && r.flags&flagRemoveNotHeld == 0 {
			if id := p.skus[s].id; !slices.Contains(c.Remove, id) {
				c.Remove = append(c.Remove, id)
			}
		}
	}
	if p.UsersRead && first.aux > 0 {
		c.Undo = p.undo(&c, &p.userRecs[first.aux-1])
	}
	return c
}

// ChangesPerGroup reports how many requests the plan sends per license group.
func (p *Plan) ChangesPerGroup() map[string]int {
	var n [256]int // by group index: a map lookup per change would cost more
	for i := range p.NumChanges() {
		n[p.rows.at(int(p.updRows[p.updStart[i]])).group]++
	}
	m := make(map[string]int)
	for g, c := range n {
		if c > 0 {
			m[p.groups[g]] += c
		}
	}
	return m
}

// Counts reports how many rows the plan holds per status.
func (p *Plan) Counts() map[Status]int {
	var planned, unchanged, skipped int
	for i := range p.rows.len() {
		switch p.statusOf(p.rows.at(i)) {
		case StatusPlanned:
			planned++
		case StatusUnchanged:
			unchanged++
		default:
			skipped++
		}
	}
	m := make(map[Status]int, 3)
	for st, c := range map[Status]int{StatusPlanned: planned, StatusUnchanged: unchanged, StatusSkipped: skipped} {
		if c > 0 {
			m[st] = c
		}
	}
	return m
}

// Status is the status of row i (0 <= i < NumRows()), Row(i).Status, told from the
// row's flags without building the row.
func (p *Plan) Status(i int) Status {
	return p.statusOf(p.rows.at(i))
}

func (p *Plan) statusOf(r *rowRec) Status {
	switch {
	case r.flags&flagsSkip != 0:
		return StatusSkipped
	case r.update < 0 && p.UsersRead && r.noop():
		return StatusUnchanged
	}
	return StatusPlanned
}

// SkuNames maps each lower-cased product SKU ID of the plan's catalogues to its name.
func (p *Plan) SkuNames() map[string]string {
	m := make(map[string]string, len(p.skus))
	for i := range p.skus {
		m[lower(p.skus[i].id)] = p.skus[i].title()
	}
	return m
}

// Shortfall reports whether some SKU falls short: the plan needs more units than the
// customer has available. Under ShortfallPartial the plan skips the rows that do not
// fit; under ShortfallAbort Build also returned a *ShortfallError.
func (p *Plan) Shortfall() bool { return p.shortfall }

// ChangeOrder returns the indexes of the plan's changes taking the customers in turn
// (the first change of each customer, then the second of each...), so that a run
// over several customers whose limits are per customer keeps every one of them busy.
// Within a customer the changes keep their order.
func (p *Plan) ChangeOrder() []int32 {
	n := p.NumChanges()
	byCust := make([][]int32, len(p.customers))
	for i := range n {
		c := p.custSpell[p.rows.at(int(p.updRows[p.updStart[i]])).cust].cust
		byCust[c] = append(byCust[c], int32(i))
	}
	order := make([]int32, 0, n)
	for k := 0; len(order) < n; k++ {
		for _, cs := range byCust {
			if k < len(cs) {
				order = append(order, cs[k])
			}
		}
	}
	return order
}

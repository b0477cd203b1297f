package planner

import (
	"fmt"
	"slices"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Status is what the plan intends for one input row.
type Status string

const (
	// StatusPlanned rows are carried by an Update and will be sent.
	StatusPlanned Status = "planned"
	// StatusSkipped rows will not be sent; Row.Reason says why.
	StatusSkipped Status = "skipped"
)

// Shortfall says what to do when a customer has fewer available units of a SKU than
// the plan requests.
type Shortfall string

const (
	// ShortfallAbort plans nothing: Build returns the plan with a *ShortfallError.
	ShortfallAbort Shortfall = "abort"
	// ShortfallPartial grants rows in file order while units last and skips the rest.
	ShortfallPartial Shortfall = "partial"
)

// Row is one data row of the input file as planned.
type Row struct {
	Line            int    // the file line the row starts on (1 is the header)
	Customer        string // the row's customer ID, or the default customer
	User            string // object ID or user principal name, as in the file (trimmed)
	UserID          string // the user's object ID when Options.Users lists the user; else User if it is an object ID, else ""
	Sku             string // the SKU to assign as written in the file (trimmed); "" if none
	SkuID           string // its product SKU ID; "" if none
	RemoveSku       string // the SKU to remove as written in the file (trimmed); "" if none
	RemoveSkuID     string // its product SKU ID; "" if none
	ExcludedPlanIDs []string
	LicenseGroup    string // "group1" or "group2", as the catalogue spells it
	Status          Status
	Reason          string // why the row is skipped (its user, or a shortfall); "" when planned
	Update          int    // index of the Update that carries the row; -1 when skipped
}

// Update is one LicenseUpdate request: every planned change of one user of one customer
// in one license group.
type Update struct {
	Customer     string // the customer ID as the file first writes it (Plan.Customers)
	User         string // the user as the update's first row writes it (users match in any case)
	LicenseGroup string // "group1" or "group2", as the catalogue spells it
	Body         client.LicenseUpdate
	Rows         []int // indexes (for Plan.Row) of the rows this update carries, in file order
}

// Capacity is the capacity check of one SKU of one customer.
type Capacity struct {
	Customer      string
	SkuID         string
	SkuName       string
	SkuPartNumber string
	LicenseGroup  string
	Available     int // availableUnits before the run
	Requested     int // units the file's assignments need (users who already hold it are not known here; rows skipped for their user need none)
	Granted       int // units the plan will use: Requested, or fewer under ShortfallPartial
	Freed         int // units the file's removals free (shown apart, never counted as available)
	LeftAfter     int // Available - Granted + Freed
	Shortfall     int // Requested - Available when positive, else 0
}

// Warning is something the planner noticed and worked around. Line is 0 for the file as a whole.
type Warning struct {
	Line    int
	Message string
}

// Plan is everything known before a single license is assigned: every input row
// resolved and checked, the requests that carry them, and the capacity per SKU.
// Rows and updates are read through accessors so that a plan of a million rows stays
// compact in memory: each accessor builds its value afresh, so callers may keep or
// change what they get without affecting the plan.
type Plan struct {
	Customers []string   // every customer of the plan's rows, in order of first appearance
	Capacity  []Capacity // one per customer and SKU the file assigns or removes
	Warnings  []Warning
	Resumed   int // rows left out because an earlier run already succeeded with them
	// UsersListed is, with Options.Users, how many users each customer's listing returned,
	// in the order of Customers; nil when users were not checked.
	UsersListed []int

	tables
	updStart  []int32 // update i carries updRows[updStart[i]:updStart[i+1]]
	updRows   []int32 // row indexes, grouped by update, in file order within each
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
		Update:       int(r.update),
	}
	if r.assign >= 0 {
		a := &p.assigns[r.assign]
		row.Sku = a.text
		row.SkuID = p.skus[a.sku].id
		if a.excl >= 0 {
			row.ExcludedPlanIDs = slices.Clone(p.excl[a.excl].ids)
		}
	}
	if r.remove >= 0 {
		v := &p.removes[r.remove]
		row.RemoveSku = v.text
		row.RemoveSkuID = p.skus[v.sku].id
	}
	if r.aux > 0 {
		row.UserID = p.userID(&p.userRecs[r.aux-1])
	} else if isGUID(row.User) {
		row.UserID = row.User
	}
	if r.flags&flagsSkip != 0 {
		row.Status = StatusSkipped
		switch {
		case r.flags&flagUserNotFound != 0:
			row.Reason = fmt.Sprintf("user not found: %s is not a user of customer %s", row.User, row.Customer)
		case r.flags&flagUserInactive != 0:
			row.Reason = fmt.Sprintf("user not active: %s is %s", row.User, p.states[p.userRecs[r.aux-1].state])
		case r.flags&flagNoUsageLocation != 0:
			row.Reason = fmt.Sprintf("no usage location: %s has none; set one before assigning licenses", row.User)
		default:
			row.Reason = p.skus[p.assigns[r.assign].sku].reason
		}
	}
	return row
}

// NumUpdates reports how many LicenseUpdate requests the plan sends.
func (p *Plan) NumUpdates() int { return max(0, len(p.updStart)-1) }

// Update returns request i, in the order of their first rows. Its body assigns each SKU
// of its rows once (with the row's excluded plans, nil when none) and removes each SKU
// once, in the order of the rows. It panics if i is out of range.
func (p *Plan) Update(i int) Update {
	if i < 0 || i >= p.NumUpdates() {
		panic(fmt.Sprintf("planner: update %d out of range [0, %d)", i, p.NumUpdates()))
	}
	rows := p.updRows[p.updStart[i]:p.updStart[i+1]]
	first := p.rows.at(int(rows[0]))
	u := Update{
		Customer:     p.Customers[p.custSpell[first.cust].cust],
		User:         p.users.str(first.user, first.userLen),
		LicenseGroup: p.groups[first.group],
		Rows:         make([]int, len(rows)),
	}
	for j, ri := range rows {
		u.Rows[j] = int(ri)
		r := p.rows.at(int(ri))
		if r.assign >= 0 {
			a := &p.assigns[r.assign]
			id := p.skus[a.sku].id
			if !slices.ContainsFunc(u.Body.LicensesToAssign, func(l client.LicenseAssignment) bool { return l.SkuID == id }) {
				la := client.LicenseAssignment{SkuID: id}
				if a.excl >= 0 {
					la.ExcludedPlans = slices.Clone(p.excl[a.excl].ids)
				}
				u.Body.LicensesToAssign = append(u.Body.LicensesToAssign, la)
			}
		}
		if r.remove >= 0 {
			if id := p.skus[p.removes[r.remove].sku].id; !slices.Contains(u.Body.LicensesToRemove, id) {
				u.Body.LicensesToRemove = append(u.Body.LicensesToRemove, id)
			}
		}
	}
	return u
}

// RequestsPerGroup reports how many updates the plan sends per license group.
func (p *Plan) RequestsPerGroup() map[string]int {
	m := make(map[string]int)
	for i := range p.NumUpdates() {
		m[p.groups[p.rows.at(int(p.updRows[p.updStart[i]])).group]]++
	}
	return m
}

// Shortfall reports whether some SKU falls short: the file requests more units than the
// customer has available. Under ShortfallPartial the plan skips the rows that do not fit;
// under ShortfallAbort Build also returned a *ShortfallError.
func (p *Plan) Shortfall() bool { return p.shortfall }

package planner

import (
	"slices"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// undo returns the rows of a rollback file that undo change c of user u, from what the
// plan read the user held: an assignment of a SKU the user did not hold becomes its
// removal; one the user held with other plans, an assignment with the plans as they
// were; a removal, an assignment with the plans the user had; a swap is swapped back in
// one row. Nothing the change does not do is undone, and a license the user held
// before is never removed.
func (p *Plan) undo(c *Change, u *userRec) []report.RollbackRow {
	byID := p.customers[p.custSpell[p.rows.at(c.Rows[0]).cust].cust].byID
	held := func(id string) ([]string, bool) {
		s, ok := byID[lower(id)]
		if !ok {
			return nil, false
		}
		h := p.heldOf(u, s)
		if h == nil {
			return nil, false
		}
		if h.excl < 0 {
			// Every plan on, said so: a row naming no plans would keep whatever plans
			// the user has by then.
			return []string{NoPlansExcluded}, true
		}
		return slices.Clone(p.excl[h.excl].ids), true
	}
	var removes []string
	var restores []report.RollbackRow
	for _, a := range c.Assign {
		ex, had := held(a.SkuID)
		switch {
		case !had:
			removes = append(removes, a.SkuID)
		case canonPlans(planIDs(ex)) != canonPlans(a.DisabledPlans):
			restores = append(restores, report.RollbackRow{Customer: c.Customer, User: c.User, Sku: a.SkuID, ExcludedPlans: ex})
		}
	}
	for _, id := range c.Remove {
		if ex, had := held(id); had {
			restores = append(restores, report.RollbackRow{Customer: c.Customer, User: c.User, Sku: id, ExcludedPlans: ex})
		}
	}
	rows := make([]report.RollbackRow, 0, max(len(removes), len(restores)))
	for i, r := range restores {
		if i < len(removes) {
			r.RemoveSku = removes[i]
		}
		rows = append(rows, r)
	}
	for _, id := range removes[min(len(removes), len(restores)):] {
		rows = append(rows, report.RollbackRow{Customer: c.Customer, User: c.User, RemoveSku: id})
	}
	p.nameUndo(c, rows)
	return rows
}

// nameUndo gives undo rows the lines of the change they undo and their SKUs' names, for
// people reading the rollback file.
func (p *Plan) nameUndo(c *Change, rows []report.RollbackRow) {
	lines := make([]int, len(c.Rows))
	for i, ri := range c.Rows {
		lines[i] = int(p.rows.at(ri).line)
	}
	byID := p.customers[p.custSpell[p.rows.at(c.Rows[0]).cust].cust].byID
	name := func(id string) string {
		if s, ok := byID[lower(id)]; ok {
			return p.skus[s].title()
		}
		return ""
	}
	for i := range rows {
		rows[i].Lines = lines
		rows[i].SkuName = name(rows[i].Sku)
		rows[i].RemoveSkuName = name(rows[i].RemoveSku)
	}
}

// planIDs is the service plan IDs of an excluded_plans list: none for NoPlansExcluded.
func planIDs(ex []string) []string {
	if len(ex) == 1 && ex[0] == NoPlansExcluded {
		return nil
	}
	return ex
}

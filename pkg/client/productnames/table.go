package productnames

import (
	"cmp"
	"slices"
)

// Product is one licensable product (SKU) of Microsoft's table: what Graph's
// subscribedSku calls skuId and skuPartNumber, with the display name admins know.
// See https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference.
type Product struct {
	ID         string // the GUID (Graph's skuId), lower case
	PartNumber string // String_Id (Graph's skuPartNumber), e.g. ENTERPRISEPACK
	Name       string // Product_Display_Name, e.g. Office 365 E3
	Plans      []Plan // its service plans, in the table's order, each once, spelled as its first row of each spells it
}

// Plan is one service plan of a product (Graph's servicePlanInfo).
type Plan struct {
	ID           string // Service_Plan_Id, lower case
	Name         string // Service_Plan_Name, e.g. EXCHANGE_S_ENTERPRISE
	FriendlyName string // Service_Plans_Included_Friendly_Names, e.g. Exchange Online (Plan 2); may be ""
}

// Table is a parsed copy of Microsoft's product names table. It is read-only once made,
// so one Table serves any number of goroutines. Every text in it is trimmed, with runs of
// whitespace (non-breaking spaces included) made one space; lookups ignore case and the
// same whitespace differences. What its methods return are copies the caller may change.
type Table struct {
	rows        int
	products    []Product        // sorted by name, then ID
	byID        map[string]int   // GUID -> index in products
	byPart      map[string][]int // folded part number -> indexes
	byName      map[string][]int // folded display name (every one a product's rows gave) -> indexes
	plans       map[string]Plan  // plan ID -> the plan as most rows spell it
	plansByName map[string][]string
}

// Len returns the number of products.
func (t *Table) Len() int { return len(t.products) }

// Rows returns the number of data rows the table was read from (one per product and plan).
func (t *Table) Rows() int { return t.rows }

// ByID returns the product whose GUID (Graph's skuId) is skuID, in any case, with or
// without braces.
func (t *Table) ByID(skuID string) (Product, bool) {
	id, ok := queryID(skuID)
	if !ok {
		return Product{}, false
	}
	i, ok := t.byID[id]
	if !ok {
		return Product{}, false
	}
	return t.product(i), true
}

// ByPartNumber returns the product whose String_Id (Graph's skuPartNumber) is part, in
// any case. ok is false when no product has it, and also when several do (Microsoft's
// table gives MCOPSTN5 to two GUIDs): Lookup returns every one of them, and ByID,
// with the skuId Graph gives beside the part number, tells them apart.
func (t *Table) ByPartNumber(part string) (Product, bool) {
	idx := t.byPart[fold(part)]
	if len(idx) != 1 {
		return Product{}, false
	}
	return t.product(idx[0]), true
}

// Lookup returns every product whose display name, part number or GUID is
// nameOrPartOrID, ignoring case and whitespace differences: an exact match, not a search.
// Several products can share a display name; they come back sorted like Products.
// A product whose rows gave it more than one display name is found by each of them.
// It returns nil when nothing matches.
func (t *Table) Lookup(nameOrPartOrID string) []Product {
	k := fold(nameOrPartOrID)
	if k == "" {
		return nil
	}
	idx := slices.Concat(t.byName[k], t.byPart[k])
	if id, ok := queryID(k); ok {
		if i, ok := t.byID[id]; ok {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	out := make([]Product, len(idx))
	for n, i := range idx {
		out[n] = t.product(i)
	}
	return out
}

// Plan returns the service plan whose ID is planID, in any case. The table spells some
// plans differently from one product to another; Plan gives the spelling most rows use.
func (t *Table) Plan(planID string) (Plan, bool) {
	id, ok := queryID(planID)
	if !ok {
		return Plan{}, false
	}
	p, ok := t.plans[id]
	return p, ok
}

// PlansNamed returns every service plan whose Service_Plan_Name or friendly name, in
// any of the spellings the table gives it, is name, ignoring case and whitespace
// differences; each plan comes once, spelled as Plan gives it, sorted by name then ID; nil if none.
func (t *Table) PlansNamed(name string) []Plan {
	ids := t.plansByName[fold(name)]
	if len(ids) == 0 {
		return nil
	}
	out := make([]Plan, len(ids))
	for i, id := range ids {
		out[i] = t.plans[id]
	}
	slices.SortFunc(out, func(a, b Plan) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Products returns every product, sorted by display name (ignoring case), then name,
// then GUID: the list to suggest from when an admin's name matches nothing.
func (t *Table) Products() []Product {
	out := make([]Product, len(t.products))
	for i := range t.products {
		out[i] = t.product(i)
	}
	return out
}

// product returns products[i] with its own copy of the plans.
func (t *Table) product(i int) Product {
	p := t.products[i]
	p.Plans = slices.Clone(p.Plans)
	return p
}

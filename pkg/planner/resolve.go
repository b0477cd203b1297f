package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// customerInfo is one customer of the plan and its catalogue, as the Catalogue read
// returned it.
type customerInfo struct {
	id    string             // as first written in the file (or the default customer)
	skus  []int32            // indexes into builder.skus
	byKey map[string][]int32 // product SKU ID, names and part number, in lower case
	byID  map[string]int32   // lower-cased SKU ID -> index into skus

	// The customer's variants by spelling: assigns by sku and excluded_plans cells,
	// removes by remove_sku cell (indexes into builder.assigns and builder.removes).
	assigns map[string]map[string]int32
	removes map[string]int32
}

// skuInfo is one SKU of one customer's catalogue.
type skuInfo struct {
	cust      int32
	id        string
	name      string
	part      string
	group     uint8
	available int
	plans     []client.ServicePlan

	used      bool   // assigned or removed by some row
	requested int    // rows that assign it (merged duplicates once)
	held      int    // of those, rows whose user already holds it
	needed    int    // seats the plan takes: rows whose user does not hold it
	granted   int    // seats granted: needed, or fewer under ShortfallPartial
	freed     int    // units the plan's removals free
	reason    string // the skip reason under ShortfallPartial
}

// label names the SKU in messages: "Office 365 Enterprise E3" (ENTERPRISEPACK).
func (s *skuInfo) label() string {
	return (&client.Sku{ID: s.id, Name: s.name, PartNumber: s.part}).Label()
}

// title is the SKU's name, else its part number, else its ID: for tables.
func (s *skuInfo) title() string {
	switch {
	case s.name != "":
		return s.name
	case s.part != "":
		return s.part
	}
	return s.id
}

// resolveSku finds the SKU value names in the customer's catalogue: by product SKU ID,
// product name or part number, in any case. It returns a problem (without a line) when
// the value names no SKU or more than one.
func (b *builder) resolveSku(cust int32, column, value string) (int32, *Problem) {
	c := &b.customers[cust]
	matches := c.byKey[strings.ToLower(value)]
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		p := newProblem(0, column, value, "unknown SKU for customer %s; %s", c.id, b.skuSuggestion(c, value))
		return -1, &p
	}
	labels := make([]string, len(matches))
	for i, m := range matches {
		s := &b.skus[m]
		labels[i] = fmt.Sprintf("%q (%s, ID %s)", s.title(), s.part, s.id)
	}
	p := newProblem(0, column, value, "ambiguous for customer %s: it names %s; use the part number or the product SKU ID",
		c.id, joinOr(labels, "and"))
	return -1, &p
}

// skuSuggestion proposes the customer's SKUs closest to value.
func (b *builder) skuSuggestion(c *customerInfo, value string) string {
	if len(c.skus) == 0 {
		return "the customer has no subscribed SKUs that can be assigned"
	}
	cands := make([]candidate, len(c.skus))
	for i, si := range c.skus {
		s := &b.skus[si]
		cands[i] = candidate{label: s.label(), keys: []string{s.name, s.part}}
		if s.name == "" {
			cands[i].keys = []string{s.part}
		}
	}
	return suggest(value, cands, "the customer has")
}

// resolvePlans resolves the excluded_plans cell of a row assigning sku: service plans
// separated by ";", each by service name, display name or ID. It returns the plan IDs in
// the order written, without repeats, or the problems found.
func (b *builder) resolvePlans(sku int32, cell string) ([]string, []Problem) {
	s := &b.skus[sku]
	var ids []string
	var problems []Problem
	for item := range strings.SplitSeq(cell, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var found []int
		for i, p := range s.plans {
			if strings.EqualFold(item, p.ID) || strings.EqualFold(item, p.Name) || p.DisplayName != "" && strings.EqualFold(item, p.DisplayName) {
				found = append(found, i)
			}
		}
		switch len(found) {
		case 1:
			if id := s.plans[found[0]].ID; !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		case 0:
			cands := make([]candidate, len(s.plans))
			for i, p := range s.plans {
				cands[i] = candidate{label: planLabel(p), keys: []string{p.DisplayName, p.Name}}
			}
			hint := "it has no service plans"
			if len(cands) > 0 {
				hint = suggest(item, cands, "its plans are")
			}
			problems = append(problems, newProblem(0, "excluded_plans", item, "unknown service plan of %s; %s", s.label(), hint))
		default:
			labels := make([]string, len(found))
			for i, f := range found {
				p := s.plans[f]
				labels[i] = fmt.Sprintf("%q (%s, ID %s)", p.DisplayName, p.Name, p.ID)
			}
			problems = append(problems, newProblem(0, "excluded_plans", item, "ambiguous service plan of %s: it names %s; use the service name or ID",
				s.label(), joinOr(labels, "and")))
		}
	}
	return ids, problems
}

// planLabel names a service plan in messages: "Sway" (SWAY), or its service name alone.
func planLabel(p client.ServicePlan) string {
	if p.DisplayName == "" {
		return p.Name
	}
	return fmt.Sprintf("%q (%s)", p.DisplayName, p.Name)
}

// addProblems records a variant's problems at line.
func (b *builder) addProblems(line int, ps []Problem) {
	for _, p := range ps {
		p.Line = line
		b.problems = append(b.problems, p)
	}
}

// spelling returns the index of a customer spelling, adding it if new.
func (b *builder) spelling(text string) int32 {
	if b.lastSpell >= 0 && b.custSpell[b.lastSpell].text == text {
		return b.lastSpell // most rows name the customer of the row before
	}
	if i, ok := b.custSpellIdx[text]; ok {
		b.lastSpell = i
		return i
	}
	text = strings.Clone(text)
	i := int32(len(b.custSpell))
	b.custSpell = append(b.custSpell, custSpelling{text: text, valid: client.IsGUID(text), cust: -1})
	b.custSpellIdx[text] = i
	b.lastSpell = i
	return i
}

// customer returns the customer of a (valid) spelling, fetching its catalogue the first
// time the customer appears: one call per customer, whatever the spelling's case.
func (b *builder) customer(spell int32) (int32, error) {
	cs := &b.custSpell[spell]
	if cs.cust >= 0 {
		return cs.cust, nil
	}
	key := strings.ToLower(cs.text)
	if c, ok := b.customerIdx[key]; ok {
		cs.cust = c
		return c, nil
	}
	if b.cat == nil {
		return -1, fmt.Errorf("get subscribed skus for customer %s: no catalogue", cs.text)
	}
	skus, err := b.cat.Catalogue(b.ctx, cs.text)
	if err != nil {
		return -1, fmt.Errorf("get subscribed skus for customer %s: %w", cs.text, err)
	}
	c := int32(len(b.customers))
	info := customerInfo{id: cs.text, byKey: make(map[string][]int32), byID: make(map[string]int32)}
	for _, s := range skus {
		id := strings.TrimSpace(s.ID)
		if _, dup := info.byID[strings.ToLower(id)]; id == "" || dup {
			continue // not assignable, or listed twice
		}
		g, err := b.licenseGroup(s.Group)
		if err != nil {
			return -1, fmt.Errorf("get subscribed skus for customer %s: %w", cs.text, err)
		}
		si := int32(len(b.skus))
		b.skus = append(b.skus, skuInfo{
			cust: c, id: id, name: s.Name, part: s.PartNumber,
			group: g, available: s.Available, plans: s.Plans,
		})
		info.skus = append(info.skus, si)
		info.byID[strings.ToLower(id)] = si
		for _, k := range append([]string{id, s.Name, s.PartNumber}, s.Aliases...) {
			k = strings.ToLower(strings.TrimSpace(k))
			if k != "" && !slices.Contains(info.byKey[k], si) {
				info.byKey[k] = append(info.byKey[k], si)
			}
		}
	}
	b.customers = append(b.customers, info)
	b.customerIdx[key] = c
	cs.cust = c
	return c, nil
}

// licenseGroup interns a license group as the catalogue spells it, in lower case.
func (b *builder) licenseGroup(g string) (uint8, error) {
	g = strings.ToLower(strings.TrimSpace(g))
	if i, ok := b.groupIdx[g]; ok {
		return i, nil
	}
	if len(b.groups) == 256 {
		return 0, fmt.Errorf("more than 256 license groups")
	}
	i := uint8(len(b.groups))
	b.groups = append(b.groups, g)
	b.groupIdx[g] = i
	return i, nil
}

// assignVariant resolves (once per spelling) the SKU and excluded plans of an assignment.
func (b *builder) assignVariant(cust int32, sku, excl string) int32 {
	c := &b.customers[cust]
	byExcl := c.assigns[sku]
	if i, ok := byExcl[excl]; ok {
		return i
	}
	sku, excl = strings.Clone(sku), strings.Clone(excl)
	if byExcl == nil {
		if c.assigns == nil {
			c.assigns = make(map[string]map[string]int32)
		}
		byExcl = make(map[string]int32)
		c.assigns[sku] = byExcl
	}
	v := assignVariant{text: sku, exclText: excl, sku: -1, excl: -1}
	if s, p := b.resolveSku(cust, colSku, sku); p != nil {
		v.problems = append(v.problems, *p)
	} else if strings.EqualFold(strings.TrimSpace(excl), NoPlansExcluded) {
		v.sku = s
		v.excl = b.internNoPlans()
	} else if ids, ps := b.resolvePlans(s, excl); len(ps) > 0 {
		v.problems = ps
	} else {
		v.sku = s
		v.excl = b.internPlans(ids)
	}
	i := int32(len(b.assigns))
	b.assigns = append(b.assigns, v)
	byExcl[excl] = i
	return i
}

// removeVariant resolves (once per spelling) the SKU of a removal.
func (b *builder) removeVariant(cust int32, rem string) int32 {
	c := &b.customers[cust]
	if i, ok := c.removes[rem]; ok {
		return i
	}
	rem = strings.Clone(rem)
	if c.removes == nil {
		c.removes = make(map[string]int32)
	}
	v := removeVariant{text: rem, sku: -1}
	if s, p := b.resolveSku(cust, colRemoveSku, rem); p != nil {
		v.problems = append(v.problems, *p)
	} else {
		v.sku = s
	}
	i := int32(len(b.removes))
	b.removes = append(b.removes, v)
	c.removes[rem] = i
	return i
}

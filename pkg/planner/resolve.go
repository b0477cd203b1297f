package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// customerInfo is one customer of the plan and its catalogue, as the subscribedskus
// call returned it.
type customerInfo struct {
	id    string             // as first written in the file (or --customer)
	skus  []int32            // indexes into builder.skus
	byKey map[string][]int32 // product SKU ID, name and part number, in lower case
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

	used      bool // assigned or removed by some row
	requested int
	granted   int
	freed     int
	reason    string // the skip reason under ShortfallPartial
}

// label names the SKU in messages: "Office 365 Enterprise E3" (ENTERPRISEPACK).
func (s *skuInfo) label() string { return fmt.Sprintf("%q (%s)", s.name, s.part) }

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
		labels[i] = fmt.Sprintf("%q (%s, ID %s)", s.name, s.part, s.id)
	}
	p := newProblem(0, column, value, "ambiguous for customer %s: it names %s; use the part number or the product SKU ID",
		c.id, joinOr(labels, "and"))
	return -1, &p
}

// skuSuggestion proposes the customer's SKUs closest to value.
func (b *builder) skuSuggestion(c *customerInfo, value string) string {
	if len(c.skus) == 0 {
		return "the customer has no subscribed SKUs in license groups 1 and 2"
	}
	cands := make([]candidate, len(c.skus))
	for i, si := range c.skus {
		s := &b.skus[si]
		cands[i] = candidate{label: s.label(), keys: []string{s.name, s.part}}
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
			if strings.EqualFold(item, p.ID) || strings.EqualFold(item, p.ServiceName) || strings.EqualFold(item, p.DisplayName) {
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
				cands[i] = candidate{label: fmt.Sprintf("%q (%s)", p.DisplayName, p.ServiceName), keys: []string{p.DisplayName, p.ServiceName}}
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
				labels[i] = fmt.Sprintf("%q (%s, ID %s)", p.DisplayName, p.ServiceName, p.ID)
			}
			problems = append(problems, newProblem(0, "excluded_plans", item, "ambiguous service plan of %s: it names %s; use the service name or ID",
				s.label(), joinOr(labels, "and")))
		}
	}
	return ids, problems
}

// candidate is something a misspelt value may have meant: keys are the spellings
// compared, label is how a suggestion shows it.
type candidate struct {
	label string
	keys  []string
}

// maxSuggestions is how many close names a suggestion offers.
const maxSuggestions = 3

// maxListed is how many names a suggestion lists when none is close.
const maxListed = 6

// suggest returns "did you mean A, B or C?" with up to three candidates close to value
// (case-insensitive): first those whose name contains value, then those within an edit
// distance of half their length or that start with a near spelling of value (within a
// third of its length), nearest first; after the first, a candidate is offered
// only if it contains value, is as near as the first, or is within two edits. With none
// close it lists the candidates after intro.
func suggest(value string, cands []candidate, intro string) string {
	v := []rune(strings.ToLower(value))
	type scored struct {
		label    string
		dist     int
		contains bool
	}
	var nearby []scored
	for _, c := range cands {
		best := scored{label: c.label, dist: -1}
		for _, k := range c.keys {
			if k == "" {
				continue
			}
			kl := strings.ToLower(k)
			kr := []rune(kl)
			d := editDistance(v, kr)
			contains := len(v) >= 2 && strings.Contains(kl, string(v))
			if !contains && 2*d > max(len(v), len(kr)) && (len(v) < 3 || prefixDistance(v, kr) > len(v)/3) {
				continue
			}
			if best.dist < 0 || contains && !best.contains || contains == best.contains && d < best.dist {
				best.dist, best.contains = d, contains
			}
		}
		if best.dist >= 0 {
			nearby = append(nearby, best)
		}
	}
	if len(nearby) == 0 {
		labels := make([]string, 0, maxListed)
		for i, c := range cands {
			if i == maxListed {
				labels = append(labels, fmt.Sprintf("%d more", len(cands)-maxListed))
				break
			}
			labels = append(labels, c.label)
		}
		return intro + " " + joinOr(labels, "and")
	}
	slices.SortStableFunc(nearby, func(a, b scored) int {
		if a.contains != b.contains {
			if a.contains {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.dist, b.dist)
	})
	picked := []string{nearby[0].label}
	for _, s := range nearby[1:] {
		if len(picked) == maxSuggestions {
			break
		}
		if s.contains || s.dist <= nearby[0].dist || s.dist <= 2 {
			picked = append(picked, s.label)
		}
	}
	return "did you mean " + joinOr(picked, "or") + "?"
}

// joinOr joins items as "a", "a or b", "a, b or c" (with word for "or").
func joinOr(items []string, word string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + word + " " + items[len(items)-1]
}

// prefixDistance is the least edit distance between v and a start of k of about v's
// length: how far v is from a misspelt beginning of k ("Yamer" for "Yammer Enterprise").
func prefixDistance(v, k []rune) int {
	best := len(v)
	for l := max(1, len(v)-1); l <= min(len(k), len(v)+1); l++ {
		best = min(best, editDistance(v, k[:l]))
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b []rune) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}

package planner

import (
	"fmt"
	"slices"
	"strings"
)

// finish counts capacity, applies the shortfall policy, numbers the changes in the
// order of their first rows that send something and returns the plan.
func (b *builder) finish(policy Shortfall) *Plan {
	shortfall := b.countSeats()
	if shortfall && policy == ShortfallPartial {
		b.grantInFileOrder()
	}
	start, updRows, updLoc := b.layOut()
	b.countFreed(start, updRows)

	slices.SortStableFunc(b.warnings, func(x, y Warning) int { return x.Line - y.Line })
	p := &Plan{
		Warnings:  b.warnings,
		Resumed:   b.resumed,
		UsersRead: b.opts.Users != nil,
		Reads:     b.reads,
		tables:    b.tables,
		updStart:  start,
		updRows:   updRows,
		updLoc:    updLoc,
		location:  b.opts.UsageLocation,
		shortfall: shortfall,
	}
	p.users.freeze()
	p.userIDs.freeze()
	p.Customers = make([]string, len(b.customers))
	for i, c := range b.customers {
		p.Customers[i] = c.id
	}
	p.Capacity = b.capacity(p.Customers)
	for i := range p.customers {
		p.customers[i].byKey = nil // only needed while resolving
	}
	return p
}

// countSeats counts, per SKU, the rows that assign it, those whose user holds it
// already, and the seats the others need; it reports whether some SKU falls short.
func (b *builder) countSeats() (shortfall bool) {
	for i := range b.rows.len() {
		r := b.rows.at(i)
		if s := b.assignSku(r); s >= 0 {
			sk := &b.skus[s]
			sk.used = true
			if r.flags&(flagDupAssign|flagsUserSkip) == 0 {
				sk.requested++
				if r.needsSeat() {
					sk.needed++
				} else {
					sk.held++
				}
			}
		}
		if s := b.removeSku(r); s >= 0 {
			b.skus[s].used = true
		}
	}
	for i := range b.skus {
		s := &b.skus[i]
		if s.used && s.needed > s.available {
			shortfall = true
			s.reason = fmt.Sprintf("insufficient licenses: %s has %d available, %d needed", s.title(), s.available, s.needed)
		}
		s.granted = s.needed
	}
	return shortfall
}

// grantInFileOrder grants the seats of each SKU to the rows that need one, in file
// order, while units last, and skips the rest (a merged duplicate with its first row).
func (b *builder) grantInFileOrder() {
	for i := range b.skus {
		b.skus[i].granted = 0
	}
	for i := range b.rows.len() {
		r := b.rows.at(i)
		s := b.assignSku(r)
		switch {
		case s < 0 || r.flags&flagsUserSkip != 0:
		case r.flags&flagDupAssign != 0:
			r.flags |= b.rows.at(int(r.aux)).flags & flagSkipped
		case !r.needsSeat():
		case b.skus[s].granted < b.skus[s].available:
			b.skus[s].granted++
		default:
			r.flags |= flagSkipped
		}
	}
}

// sends reports whether row r is carried by a change: not skipped, and (when users
// were read) with some part that does not already hold.
func (b *builder) sends(r *rowRec) bool {
	return r.flags&flagsSkip == 0 && (b.opts.Users == nil || !r.noop())
}

// layOut numbers the changes by their first rows that send something, lays out their
// rows in file order, and records which changes set the usage location. Each row's
// update becomes its change's index (-1 for none) and its aux the index + 1 of its user.
func (b *builder) layOut() (start, updRows []int32, updLoc []bool) {
	n := b.rows.len()
	newIdx := make([]int32, b.nUpdates)
	for i := range newIdx {
		newIdx[i] = -1
	}
	nUpd, sent := int32(0), 0
	for i := range n {
		r := b.rows.at(i)
		if !b.sends(r) {
			continue
		}
		sent++
		if newIdx[r.update] < 0 {
			newIdx[r.update] = nUpd
			nUpd++
		}
	}
	start = make([]int32, nUpd+1)
	updLoc = make([]bool, nUpd)
	for i := range n {
		r := b.rows.at(i)
		rec := int32(0)
		if b.updUser != nil {
			rec = b.updUser[r.update]
		}
		r.aux = uint32(rec)
		if !b.sends(r) {
			r.update = -1
			continue
		}
		r.update = newIdx[r.update]
		start[r.update+1]++
		if rec > 0 && b.userRecs[rec-1].noLocation && r.assign >= 0 && r.flags&flagAssignHeld == 0 {
			updLoc[r.update] = true
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	fill := newIdx[:nUpd] // reuse: the next free slot of each change
	copy(fill, start[:nUpd])
	updRows = make([]int32, sent)
	for i := range n {
		if r := b.rows.at(i); r.update >= 0 {
			updRows[fill[r.update]] = int32(i)
			fill[r.update]++
		}
	}
	return start, updRows, updLoc
}

// countFreed counts the units the plan's removals free: each SKU a change removes,
// once per change.
func (b *builder) countFreed(start, updRows []int32) {
	var seen []int32
	for u := range len(start) - 1 {
		seen = seen[:0]
		for _, ri := range updRows[start[u]:start[u+1]] {
			r := b.rows.at(int(ri))
			if s := b.removeSku(r); s >= 0 && r.flags&flagRemoveNotHeld == 0 && !slices.Contains(seen, s) {
				seen = append(seen, s)
				b.skus[s].freed++
			}
		}
	}
}

// capacity lists the SKUs the file assigns or removes, by customer, name, part number
// and ID.
func (b *builder) capacity(customers []string) []Capacity {
	var used []int32
	for i := range b.skus {
		if b.skus[i].used {
			used = append(used, int32(i))
		}
	}
	slices.SortFunc(used, func(x, y int32) int {
		a, c := &b.skus[x], &b.skus[y]
		if a.cust != c.cust {
			return int(a.cust - c.cust)
		}
		if d := strings.Compare(a.title(), c.title()); d != 0 {
			return d
		}
		if d := strings.Compare(a.part, c.part); d != 0 {
			return d
		}
		return strings.Compare(a.id, c.id)
	})
	out := make([]Capacity, len(used))
	for i, si := range used {
		s := &b.skus[si]
		out[i] = Capacity{
			Customer:      customers[s.cust],
			SkuID:         s.id,
			SkuName:       s.title(),
			SkuPartNumber: s.part,
			LicenseGroup:  b.groups[s.group],
			Available:     s.available,
			Requested:     s.requested,
			Held:          s.held,
			Needed:        s.needed,
			Granted:       s.granted,
			Freed:         s.freed,
			LeftAfter:     s.available - s.granted + s.freed,
			Shortfall:     max(0, s.needed-s.available),
		}
	}
	return out
}

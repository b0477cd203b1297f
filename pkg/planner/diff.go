package planner

import "fmt"

// mergeByUser merges the name groups that the reads found to be one user in one license
// group (the file names the user by object ID in some rows and by principal name in
// others): their rows become one change, checked as one, so that a user asked both to
// get and to lose a SKU is a problem however the rows name the user. Groups of users
// not found stay as they are.
func (b *builder) mergeByUser() {
	nGroups := len(b.groups)
	first := make([]int32, len(b.userRecs)*nGroups) // (user, license group) -> first name group + 1
	target := make([]int32, b.nUpdates)             // name group -> the name group it merges into
	head := b.heads()
	var merged []int32 // targets that took another name group
	for i := range b.rows.len() {
		r := b.rows.at(i)
		u := r.update
		if head[u] != int32(i) {
			continue
		}
		target[u] = u
		rec := b.updUser[u]
		if rec == 0 {
			continue
		}
		k := int(rec-1)*nGroups + int(r.group)
		if t := first[k] - 1; t >= 0 {
			target[u] = t
			if len(merged) == 0 || merged[len(merged)-1] != t {
				merged = append(merged, t)
			}
			f := b.rows.at(int(head[t]))
			b.warnings = append(b.warnings, Warning{Line: int(r.line), Message: fmt.Sprintf(
				"line %d names the same user as line %d (%s is %s): their changes are merged into one request",
				r.line, f.line, b.users.bytes(r.user, r.userLen), b.users.bytes(f.user, f.userLen))})
			continue
		}
		first[k] = u + 1
	}
	if len(merged) == 0 {
		return
	}
	isMerged := make(map[int32]bool, len(merged))
	for _, t := range merged {
		isMerged[t] = true
	}
	members := make(map[int32][]int32, len(merged))
	for i := range b.rows.len() {
		r := b.rows.at(i)
		r.update = target[r.update]
		if isMerged[r.update] {
			r.flags &^= flagDupAssign | flagDupRemove
			members[r.update] = append(members[r.update], int32(i))
		}
	}
	b.recheck(merged, members)
}

// recheck checks the rows of merged changes as one, keeping the warnings the first
// check already gave once.
func (b *builder) recheck(merged []int32, members map[int32][]int32) {
	type said struct {
		line int
		msg  string
	}
	before := len(b.warnings)
	seen := make(map[said]bool, before)
	for _, w := range b.warnings {
		seen[said{w.Line, w.Message}] = true
	}
	for _, t := range merged {
		b.checkUpdate(members[t])
	}
	kept := b.warnings[:before]
	for _, w := range b.warnings[before:] {
		if k := (said{w.Line, w.Message}); !seen[k] {
			seen[k] = true
			kept = append(kept, w)
		}
	}
	b.warnings = kept
}

// diff compares every row with what its user holds: a row whose user was not found,
// is not active, lacks the usage location an assignment needs (and the plan sets none)
// or holds through a group the license the row removes is skipped; the part of a row
// that already holds (the SKU held as asked, the SKU to remove not held) is flagged so
// that nothing is sent for it; a SKU held with other plans than the row names is an
// update that takes no seat.
func (b *builder) diff() {
	for i := range b.rows.len() {
		r := b.rows.at(i)
		rec := b.updUser[r.update]
		if rec == 0 {
			r.flags |= flagUserNotFound
			continue
		}
		u := &b.userRecs[rec-1]
		if u.state >= 0 {
			r.flags |= flagUserInactive
			continue
		}
		if s := b.assignSku(r); s >= 0 {
			switch h := b.heldOf(u, s); {
			case h == nil:
			case h.inherited, b.assigns[r.assign].excl < 0, b.heldCanon(h) == b.exclCanon(r):
				// Held as asked: a row that names no plans asks for the SKU, not for a
				// change of the plans the user has.
				r.flags |= flagAssignHeld
			default:
				r.flags |= flagPlansChange
			}
		}
		if s := b.removeSku(r); s >= 0 {
			switch h := b.heldOf(u, s); {
			case h == nil:
				r.flags |= flagRemoveNotHeld
			case h.inherited:
				r.flags |= flagInherited
				continue
			}
		}
		if r.assign >= 0 && r.flags&flagAssignHeld == 0 && u.noLocation && b.opts.UsageLocation == "" {
			r.flags |= flagNoUsageLocation
		}
	}
}

// heldCanon is the canonical form of the plans a held license lacks.
func (b *builder) heldCanon(h *heldRec) string {
	if h.excl < 0 {
		return ""
	}
	return b.excl[h.excl].canon
}

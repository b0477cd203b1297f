package planner

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
)

// matchUpdates gives every row its update: rows of one customer, user (in any case) and
// license group share one. The rows are sorted by the 32-bit hash of that key that
// appendRow computed, and by row within a hash (rows keep file order within a key),
// and each run of equal hashes is split by the key itself. Sorting keeps the work
// sequential in memory, where a map from key to update would miss the cache on every row.
func (b *builder) matchUpdates() {
	n := b.rows.len()
	keys := sortedKeys(n, func(i int) uint32 { return b.rows.at(i).aux })

	var heads []int32 // the first row of each distinct key in the run
	var byKey map[string]int32
	var run []int64     // update<<32 | row of each row in the run
	var members []int32 // the rows of one update, in file order
	for start := 0; start < n; {
		end := start + 1
		for end < n && keys[end]>>32 == keys[start]>>32 {
			end++
		}
		if end-start == 1 {
			b.rows.at(int(uint32(keys[start]))).update = b.nUpdates
			b.nUpdates++
			start = end
			continue
		}
		// Split the run by key: by comparing with each key seen in the run while they are
		// few (hashes rarely collide), by a map when many rows' hashes collide.
		heads = heads[:0]
		clear(byKey)
		run = run[:0]
		first := b.nUpdates
		for _, k := range keys[start:end] {
			i := int32(uint32(k))
			r := b.rows.at(int(i))
			var u int32
			if len(heads) < 16 {
				j := slices.IndexFunc(heads, func(h int32) bool { return b.sameKey(b.rows.at(int(h)), r) })
				if j < 0 {
					j = len(heads)
					heads = append(heads, i)
					b.nUpdates++
				}
				u = first + int32(j)
			} else {
				if byKey == nil {
					byKey = make(map[string]int32)
				}
				if len(byKey) == 0 {
					for j, h := range heads {
						byKey[b.fullKey(b.rows.at(int(h)))] = first + int32(j)
					}
				}
				key := b.fullKey(r)
				var ok bool
				if u, ok = byKey[key]; !ok {
					u = b.nUpdates
					b.nUpdates++
					byKey[key] = u
				}
			}
			r.update = u
			run = append(run, int64(u)<<32|int64(i))
		}
		// Check each update's rows, in file order.
		slices.Sort(run)
		for lo := 0; lo < len(run); {
			hi := lo + 1
			for hi < len(run) && run[hi]>>32 == run[lo]>>32 {
				hi++
			}
			members = members[:0]
			for _, m := range run[lo:hi] {
				members = append(members, int32(uint32(m)))
			}
			b.checkUpdate(members)
			lo = hi
		}
		start = end
	}
	if n >= collectAfter {
		// The sort's 8 bytes a row are garbage now: collected here, what comes next
		// (the layout, the reads) reuses them instead of growing the heap by as much.
		// The tables are pointer-free, so a collection takes about a millisecond.
		runtime.GC()
	}
}

// collectAfter is how many rows make matchUpdates collect its scratch.
const collectAfter = 1 << 18

// fullKey is the matching key of a row as a string: customer, license group and user
// folded to lower case.
func (b *builder) fullKey(r *rowRec) string {
	return fmt.Sprintf("%d\x00%d\x00%s", b.custSpell[r.cust].cust, r.group, strings.ToLower(string(b.users.bytes(r.user, r.userLen))))
}

// sameKey reports whether rows r and o have the same customer, license group and user
// (folded to lower case).
func (b *builder) sameKey(r, o *rowRec) bool {
	return b.custSpell[r.cust].cust == b.custSpell[o.cust].cust && r.group == o.group &&
		sameUser(b.users.bytes(r.user, r.userLen), string(b.users.bytes(o.user, o.userLen)))
}

// skuUse is what the rows of one update accepted so far do with one SKU.
type skuUse struct {
	sku       int32
	assignRow int32 // the first row that assigns it, or -1
	removeRow int32 // the first row that removes it, or -1
}

// checkUpdate checks the rows of one update, in file order, against the rows before
// them. A row that assigns or removes a SKU an earlier row already does is a duplicate:
// it is merged (flagged, with a warning) and stays in the update. A row that removes
// what an earlier row assigns, assigns what an earlier row removes, or assigns it with
// other excluded plans, is a problem.
func (b *builder) checkUpdate(members []int32) {
	uses := b.uses[:0]
	use := func(sku int32) *skuUse {
		for i := range uses {
			if uses[i].sku == sku {
				return &uses[i]
			}
		}
		uses = append(uses, skuUse{sku: sku, assignRow: -1, removeRow: -1})
		return &uses[len(uses)-1]
	}
	for _, i := range members {
		r := b.rows.at(int(i))
		aSku, rSku := b.assignSku(r), b.removeSku(r)
		line := int(r.line)
		bad := false
		var flags uint16
		dupOf, dupLabel := int32(-1), ""
		if aSku >= 0 {
			u := use(aSku)
			if u.assignRow >= 0 {
				o := b.rows.at(int(u.assignRow))
				if b.exclCanon(o) != b.exclCanon(r) {
					b.problems = append(b.problems, newProblem(line, colExcludedPlans, b.assigns[r.assign].exclText,
						"line %d gives this user %s with other excluded_plans; give both rows the same excluded_plans", o.line, b.skus[aSku].label()))
					bad = true
				} else {
					flags |= flagDupAssign
					dupOf, dupLabel = u.assignRow, b.skus[aSku].label()
				}
			}
			if u.removeRow >= 0 {
				b.problems = append(b.problems, newProblem(line, colSku, b.assigns[r.assign].text,
					"line %d removes %s from this user: a user cannot both get and lose a SKU", b.rows.at(int(u.removeRow)).line, b.skus[aSku].label()))
				bad = true
			}
		}
		if rSku >= 0 {
			u := use(rSku)
			if u.removeRow >= 0 {
				flags |= flagDupRemove
				if dupOf < 0 {
					dupOf, dupLabel = u.removeRow, b.skus[rSku].label()
				}
			}
			if u.assignRow >= 0 {
				b.problems = append(b.problems, newProblem(line, colRemoveSku, b.removes[r.remove].text,
					"line %d assigns %s to this user: a user cannot both get and lose a SKU", b.rows.at(int(u.assignRow)).line, b.skus[rSku].label()))
				bad = true
			}
		}
		if bad {
			continue
		}
		if aSku >= 0 {
			if u := use(aSku); u.assignRow < 0 {
				u.assignRow = i
			} else {
				r.aux = uint32(u.assignRow)
			}
		}
		if rSku >= 0 {
			if u := use(rSku); u.removeRow < 0 {
				u.removeRow = i
			}
		}
		r.flags |= flags
		if dupOf >= 0 {
			o := b.rows.at(int(dupOf))
			b.warnings = append(b.warnings, Warning{Line: line,
				Message: fmt.Sprintf("duplicate of line %d (same customer, user and SKU %s): lines %d and %d are merged into one request",
					o.line, dupLabel, o.line, line)})
		}
	}
	b.uses = uses
}

// sortedKeys returns hash(i)<<32 | i for i below n, in order: by hash and, among
// equal hashes, by i. The keys are counted into buckets by the top bits of their hash
// and placed in them in order of i, then each bucket (a few keys) is sorted: no scratch
// as large as the keys.
func sortedKeys(n int, hash func(i int) uint32) []uint64 {
	shift := 32 - min(16, max(1, bits.Len(uint(n))))
	ends := make([]int32, 1<<(32-shift))
	for i := range n {
		ends[hash(i)>>shift]++
	}
	sum := int32(0)
	for d, c := range ends {
		ends[d] = sum // the bucket's start, until it is filled
		sum += c
	}
	keys := make([]uint64, n)
	for i := range n {
		h := hash(i)
		keys[ends[h>>shift]] = uint64(h)<<32 | uint64(i)
		ends[h>>shift]++
	}
	lo := int32(0)
	for _, hi := range ends {
		if hi-lo > 1 {
			slices.Sort(keys[lo:hi])
		}
		lo = hi
	}
	return keys
}

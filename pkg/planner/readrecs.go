package planner

import (
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// This file records what the reads find: users matched to the rows that name them,
// their states, the licenses they hold and the sets of plans those lack.

// match takes usr for every name group whose name is usr's object ID or principal name
// (in any case) and that no user took before. The first time usr takes a group it is
// recorded with what it holds. The caller holds r.mu.
func (r *customerReads) match(usr *client.User) error {
	rec := int32(0)
	for i, key := range [...]string{strings.TrimSpace(usr.ID), strings.TrimSpace(usr.PrincipalName)} {
		if key == "" || i == 0 && !r.byID || i == 1 && !r.byName {
			continue
		}
		for ri := range r.names.candidates(key) {
			row := r.b.rows.at(int(ri))
			if r.b.updUser[row.update] != 0 || !sameUser(r.b.users.bytes(row.user, row.userLen), key) {
				continue
			}
			if rec == 0 {
				i, err := r.b.addUserRec(usr, r.c)
				if err != nil {
					return err
				}
				rec = i + 1
			}
			r.b.updUser[row.update] = rec
			if upn, ok := r.upn[row.update]; ok {
				r.missing--
				if upn {
					r.missingUPN--
				}
			}
		}
	}
	return nil
}

// addUserRec records a user that rows name and returns its index in userRecs.
func (b *builder) addUserRec(u *client.User, cust int32) (int32, error) {
	id := strings.TrimSpace(u.ID)
	if len(id) > maxField {
		id = "" // no object ID is that long; Row.UserID stays empty rather than carry it
	}
	rec := userRec{noLocation: strings.TrimSpace(u.UsageLocation) == "", state: -1}
	var err error
	if g, ok := packGUID(id); ok {
		rec.packed = true
		rec.id, err = b.userIDs.add(string(g[:]))
	} else {
		rec.idLen = uint16(len(id))
		rec.id, err = b.userIDs.add(id)
	}
	if err != nil {
		return 0, err
	}
	if !u.Active() {
		rec.state = b.internState(shorten(strings.TrimSpace(u.State)))
	}
	b.userRecs = append(b.userRecs, rec)
	i := int32(len(b.userRecs) - 1)
	if u.LicensesKnown {
		b.setHeld(i, cust, u.Licenses)
	}
	return i, nil
}

// internState returns the index of a user state in tables.states.
func (b *builder) internState(st string) int32 {
	for i, s := range b.states {
		if s == st {
			return int32(i)
		}
	}
	b.states = append(b.states, strings.Clone(st))
	return int32(len(b.states) - 1)
}

// setHeld records what user rec of customer cust holds: the licenses of SKUs of the
// customer's catalogue (others cannot concern the plan).
func (b *builder) setHeld(rec, cust int32, lics []client.License) {
	u := &b.userRecs[rec]
	u.known, u.held, u.nHeld = true, int32(len(b.held)), 0
	byID := b.customers[cust].byID
	for _, l := range lics {
		s, ok := byID[lower(strings.TrimSpace(l.SkuID))]
		if !ok || u.nHeld == 1<<16-1 {
			continue
		}
		b.held = append(b.held, heldRec{sku: s, excl: b.internPlans(l.DisabledPlans), inherited: l.Inherited})
		u.nHeld++
	}
}

// internPlans returns the index in excl of a set of service plan IDs, -1 for none.
func (b *builder) internPlans(ids []string) int32 {
	if len(ids) == 0 {
		return -1
	}
	return b.internSet(ids)
}

// internNoPlans is the set of an assignment that asks for every plan on
// (NoPlansExcluded): empty, yet unlike -1 compared with the plans a user holds.
func (b *builder) internNoPlans() int32 {
	return b.internSet(nil)
}

// internSet returns the index of the set of service plans ids, adding it once.
func (b *builder) internSet(ids []string) int32 {
	canon := canonPlans(ids)
	if i, ok := b.exclIdx[canon]; ok {
		return i
	}
	i := int32(len(b.excl))
	b.excl = append(b.excl, exclSet{ids: append([]string(nil), ids...), canon: canon})
	b.exclIdx[canon] = i
	return i
}

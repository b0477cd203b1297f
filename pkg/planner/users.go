package planner

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// UserDirectory lists a customer's users a page at a time; *client.Client satisfies it.
// With Options.Users set, Build calls ListUsersPages once per customer of the plan, to
// skip rows whose user does not exist, is not active or (for rows that assign a SKU) has
// no usage location: Partner Center would refuse them anyway. ListUsersPages calls page
// with each page of users in listing order and returns the listing's error, or page's
// error wrapped; Build keeps nothing of a page but what it needs about the users that
// rows name, so that a directory of a million users is never held in memory.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
type UserDirectory interface {
	ListUsersPages(ctx context.Context, customerID string, pageSize int, page func([]client.User) error) (*client.Response, error)
}

// userRec is a listed user that some row names. A row's aux holds its index + 1 once
// the plan is finished.
type userRec struct {
	id         uint32 // arena reference (tables.userIDs) of the object ID
	idLen      uint16
	noLocation bool  // the user has no usage location
	state      int32 // index into tables.states when the user is not active, else -1
}

// nameSet is the names the rows of one customer give their users, one for each
// build-time update, made searchable by a 32-bit hash of the name folded to lower case,
// so that each user of a listing can be looked up by object ID and by user principal name
// as its page arrives. It refers to the names in the builder's arena and copies none.
type nameSet struct {
	arena *arena
	names []wantedName
	// slots is an open-addressing table with linear probing, at most half full: each
	// used slot holds hash<<32 | (the index + 1 of a name with that hash); 0 is empty.
	slots []uint64
	mask  uint32
}

// wantedName is one name of a nameSet.
type wantedName struct {
	ref  uint32 // arena reference
	n    uint16 // length in bytes
	next int32  // the index + 1 of another name with the same hash, 0 for none
}

// newNameSet indexes n names, name(k) for k in [0, n), each an arena reference and length.
func newNameSet(a *arena, n int, name func(k int) (ref uint32, length uint16)) *nameSet {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	s := &nameSet{arena: a, names: make([]wantedName, n), slots: make([]uint64, size), mask: uint32(size - 1)}
	for k := range n {
		ref, length := name(k)
		s.names[k] = wantedName{ref: ref, n: length}
		h := uint32(foldHash(a.bytes(ref, length)) >> 32)
		for i := h & s.mask; ; i = (i + 1) & s.mask {
			e := s.slots[i]
			if e == 0 {
				s.slots[i] = uint64(h)<<32 | uint64(k+1)
				break
			}
			if uint32(e>>32) == h { // chain k behind the slot's name
				first := int(uint32(e)) - 1
				s.names[k].next = s.names[first].next
				s.names[first].next = int32(k + 1)
				break
			}
		}
	}
	return s
}

// candidates returns the index + 1 of the first name whose hash is key's, or 0; the
// others follow through wantedName.next. Only names equal to key once folded to lower
// case (see sameUser) name the user: different names may share a hash.
func (s *nameSet) candidates(key string) int32 {
	h := uint32(foldHash(key) >> 32)
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		e := s.slots[i]
		if e == 0 {
			return 0
		}
		if uint32(e>>32) == h {
			return int32(uint32(e))
		}
	}
}

// bytes returns name k.
func (s *nameSet) bytes(k int32) []byte {
	w := &s.names[k]
	return s.arena.bytes(w.ref, w.n)
}

// matchUser takes u, the next user of a customer's listing, for every name of names that
// is its object ID or user principal name (in any case, surrounding space ignored) and
// that no user listed before it took. found holds, per name, the index + 1 in userRecs of
// the user that took it, 0 while none has. The first time u takes a name it is recorded
// in userRecs; a user that takes no name costs nothing.
func (b *builder) matchUser(u *client.User, names *nameSet, found []int32, stateIdx map[string]int32) error {
	rec := int32(0)
	for _, key := range [...]string{strings.TrimSpace(u.ID), strings.TrimSpace(u.UserPrincipalName)} {
		if key == "" {
			continue
		}
		for k := names.candidates(key); k != 0; k = names.names[k-1].next {
			if found[k-1] != 0 || !sameUser(names.bytes(k-1), key) {
				continue
			}
			if rec == 0 {
				r, err := b.addUserRec(u, stateIdx)
				if err != nil {
					return err
				}
				rec = r + 1
			}
			found[k-1] = rec
		}
	}
	return nil
}

// foldHash hashes s folded to lower case as strings.ToLower folds it (so that names
// sameUser finds equal hash equally): 64-bit FNV-1a, then mixed so that the high 32 bits
// depend on every byte.
func foldHash[T string | []byte](s T) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			rest := strings.ToLower(string(s[i:]))
			for j := 0; j < len(rest); j++ {
				h = (h ^ uint64(rest[j])) * fnvPrime
			}
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	// The finalizer of MurmurHash3.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// checkUsers lists each customer's users once, in the order of Plan.Customers, and flags
// every row whose user is not listed, not active, or (for a row that assigns a SKU) has
// no usage location. The rows of one build-time update share customer and user, so the
// user is looked up once per update: the names of a customer's updates are indexed first,
// then each page of the listing is matched against them as it arrives and dropped. Of the
// listing only the users that rows name are kept, and of those only what the plan needs.
func (b *builder) checkUsers() error {
	n := b.rows.len()
	nUpd := int(b.nUpdates)
	head := make([]int32, nUpd) // the first row of each build-time update
	for i := range head {
		head[i] = -1
	}
	for i := range n {
		if r := b.rows.at(i); head[r.update] < 0 {
			head[r.update] = int32(i)
		}
	}
	// The updates of each customer, in the order of their first rows.
	start := make([]int32, len(b.customers)+1)
	for _, h := range head {
		start[b.custSpell[b.rows.at(int(h)).cust].cust+1]++
	}
	for c := 1; c < len(start); c++ {
		start[c] += start[c-1]
	}
	order := make([]int32, nUpd)
	fill := make([]int32, len(b.customers))
	copy(fill, start)
	for i := range n {
		r := b.rows.at(i)
		if head[r.update] == int32(i) {
			c := b.custSpell[r.cust].cust
			order[fill[c]] = r.update
			fill[c]++
		}
	}

	b.updUser = make([]int32, nUpd)
	b.usersListed = make([]int, len(b.customers))
	stateIdx := make(map[string]int32)
	var lastUpd []int32 // per userRecs entry: 1 + the latest update that names the user, 0 before the first
	var prevUpd []int32 // per update: 1 + the update before it that names the same user, 0 if none
	for c := range b.customers {
		upds := order[start[c]:start[c+1]]
		if len(upds) == 0 {
			continue
		}
		id := b.customers[c].id
		names := newNameSet(&b.users, len(upds), func(k int) (uint32, uint16) {
			h := b.rows.at(int(head[upds[k]]))
			return h.user, h.userLen
		})
		found := make([]int32, len(upds)) // per update of upds: the index + 1 in userRecs of its user, 0 when not listed
		listed := 0
		_, err := b.opts.Users.ListUsersPages(b.ctx, id, 0, func(page []client.User) error {
			listed += len(page)
			for i := range page {
				if err := b.matchUser(&page[i], names, found, stateIdx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("list users of customer %s: %w", id, err)
		}
		b.usersListed[c] = listed
		lastUpd = append(lastUpd, make([]int32, len(b.userRecs)-len(lastUpd))...)
		for k, u := range upds {
			rec := found[k] - 1
			if rec < 0 {
				continue
			}
			if lastUpd[rec] != 0 {
				// The user was named before, by an update of another license group or under
				// another name (object ID and user principal name).
				if prevUpd == nil {
					prevUpd = make([]int32, nUpd)
				}
				h := b.rows.at(int(head[u]))
				prevUpd[u] = lastUpd[rec]
				for o := lastUpd[rec] - 1; ; {
					if f := b.rows.at(int(head[o])); f.group == h.group {
						b.warnings = append(b.warnings, Warning{Line: int(h.line), Message: fmt.Sprintf(
							"line %d names the same user as line %d (%s is %s): their changes are sent as separate requests; name each user one way throughout the file",
							h.line, f.line, b.users.bytes(h.user, h.userLen), b.users.bytes(f.user, f.userLen))})
						break
					}
					if prevUpd[o] == 0 {
						break
					}
					o = prevUpd[o] - 1
				}
			}
			lastUpd[rec] = u + 1
			b.updUser[u] = rec + 1
		}
	}

	for i := range n {
		r := b.rows.at(i)
		switch rec := b.updUser[r.update]; {
		case rec == 0:
			r.flags |= flagUserNotFound
		case b.userRecs[rec-1].state >= 0:
			r.flags |= flagUserInactive
		case b.userRecs[rec-1].noLocation && r.assign >= 0:
			r.flags |= flagNoUsageLocation
		}
	}
	return nil
}

// addUserRec records a listed user that rows name and returns its index in userRecs.
func (b *builder) addUserRec(u *client.User, stateIdx map[string]int32) (int32, error) {
	id := strings.TrimSpace(u.ID)
	if len(id) > maxField {
		id = "" // no object ID is that long; Row.UserID stays empty rather than carry it
	}
	ref, err := b.userIDs.add(id)
	if err != nil {
		return 0, err
	}
	rec := userRec{id: ref, idLen: uint16(len(id)), noLocation: strings.TrimSpace(u.UsageLocation) == "", state: -1}
	if st := strings.TrimSpace(u.State); st != "" && !strings.EqualFold(st, "active") {
		st = shorten(st)
		i, ok := stateIdx[st]
		if !ok {
			i = int32(len(b.states))
			st = strings.Clone(st)
			b.states = append(b.states, st)
			stateIdx[st] = i
		}
		rec.state = i
	}
	b.userRecs = append(b.userRecs, rec)
	return int32(len(b.userRecs) - 1), nil
}

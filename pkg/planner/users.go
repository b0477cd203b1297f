package planner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// UserDirectory lists a customer's users; *client.Client satisfies it. With
// Options.Users set, Build calls ListUsers once per customer of the plan, to skip rows
// whose user does not exist, is not active or (for rows that assign a SKU) has no usage
// location: Partner Center would refuse them anyway.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
type UserDirectory interface {
	ListUsers(ctx context.Context, customerID string, pageSize int) ([]client.User, *client.Response, error)
}

// userRec is a listed user that some row names. A row's aux holds its index + 1 once
// the plan is finished.
type userRec struct {
	id         uint32 // arena reference (tables.userIDs) of the object ID
	idLen      uint16
	noLocation bool  // the user has no usage location
	state      int32 // index into tables.states when the user is not active, else -1
}

// directory is one customer's user listing made searchable by object ID and by user
// principal name, both folded to lower case: each key as a 32-bit hash and a reference to
// its user, sorted by hash. It holds no copy of any name. Looking names up in bulk is a
// merge of two sorted lists, so that memory is read in order rather than at random, which
// matters with a million users.
type directory struct {
	users []client.User
	keys  []uint64 // hash<<32 | index<<1 | 1 for the object ID; by hash, in listing order within a hash
}

// maxDirectory is the most users a listing may hold: the index of a user and the kind of
// its key fit in 32 bits.
const maxDirectory = 1<<31 - 1

func newDirectory(users []client.User) *directory {
	keys := make([]uint64, 0, 2*len(users))
	for i := range users {
		if id := strings.TrimSpace(users[i].ID); id != "" {
			keys = append(keys, foldHash(id)>>32<<32|uint64(i)<<1|1)
		}
		if upn := strings.TrimSpace(users[i].UserPrincipalName); upn != "" {
			keys = append(keys, foldHash(upn)>>32<<32|uint64(i)<<1)
		}
	}
	sortByHigh32(keys) // stable: a key listed twice is found where it is first listed
	return &directory{users: users, keys: keys}
}

// findAll looks up n names, name(k) for k in [0, n), and returns for each the listing
// index + 1 of the first listed user whose object ID or user principal name it is (in
// any case), or 0. The names' hashes are sorted and merged with the keys, then each name
// is compared with the keys of its hash, in the order of k: name(k) is called twice for
// each k, in increasing k both times.
func (d *directory) findAll(n int, name func(k int) []byte) []int32 {
	queries := make([]uint64, n)
	for k := range n {
		queries[k] = foldHash(name(k))>>32<<32 | uint64(k)
	}
	sortByHigh32(queries)
	// cand is, for each name, 0 when no key has its hash; the key + 1 when only one has
	// (almost always); else -(the position in keys of the first of those keys + 1).
	cand := make([]int64, n)
	i := 0
	for _, q := range queries {
		h := q >> 32
		for i < len(d.keys) && d.keys[i]>>32 < h {
			i++
		}
		switch {
		case i == len(d.keys) || d.keys[i]>>32 != h:
		case i+1 == len(d.keys) || d.keys[i+1]>>32 != h:
			cand[uint32(q)] = int64(uint32(d.keys[i])) + 1
		default:
			cand[uint32(q)] = -int64(i) - 1
		}
	}
	found := make([]int32, n)
	for k, c := range cand {
		switch {
		case c > 0:
			if d.names(name(k), uint32(c-1)) {
				found[k] = int32(uint32(c-1)>>1) + 1
			}
		case c < 0:
			user := name(k)
			first := int(-c - 1)
			for _, key := range d.keys[first:] {
				if key>>32 != d.keys[first]>>32 {
					break
				}
				if d.names(user, uint32(key)) {
					found[k] = int32(uint32(key)>>1) + 1
					break
				}
			}
		}
	}
	return found
}

// names reports whether user is the key e (index<<1 | 1 for the object ID) names, in any case.
func (d *directory) names(user []byte, e uint32) bool {
	u := &d.users[e>>1]
	s := u.UserPrincipalName
	if e&1 != 0 {
		s = u.ID
	}
	return sameUser(user, strings.TrimSpace(s))
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
// user is looked up once per update. Only one customer's listing is held at a time.
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
	var lastUpd []int32 // per userRecs entry: the latest update that names the user
	var prevUpd []int32 // per update: 1 + the update before it that names the same user, 0 if none
	for c := range b.customers {
		upds := order[start[c]:start[c+1]]
		if len(upds) == 0 {
			continue
		}
		id := b.customers[c].id
		users, _, err := b.opts.Users.ListUsers(b.ctx, id, 0)
		if err != nil {
			return fmt.Errorf("list users of customer %s: %w", id, err)
		}
		if len(users) > maxDirectory {
			return fmt.Errorf("list users of customer %s: %d users, more than the planner can index", id, len(users))
		}
		b.usersListed[c] = len(users)
		found := newDirectory(users).findAll(len(upds), func(k int) []byte {
			h := b.rows.at(int(head[upds[k]]))
			return b.users.bytes(h.user, h.userLen)
		})
		recOf := make([]int32, len(users)) // index + 1 into userRecs of each listed user a row names
		b.userRecs = slices.Grow(b.userRecs, min(len(upds), len(users)))
		for k, u := range upds {
			if found[k] == 0 {
				continue
			}
			h := b.rows.at(int(head[u]))
			i := found[k] - 1
			if recOf[i] == 0 {
				rec, err := b.addUserRec(&users[i], stateIdx)
				if err != nil {
					return fmt.Errorf("list users of customer %s: %w", id, err)
				}
				recOf[i] = rec + 1
				lastUpd = append(lastUpd, u)
			} else {
				// The user was named before, by an update of another license group or under
				// another name (object ID and user principal name).
				if prevUpd == nil {
					prevUpd = make([]int32, nUpd)
				}
				rec := recOf[i] - 1
				prevUpd[u] = lastUpd[rec] + 1
				for o := lastUpd[rec]; ; {
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
				lastUpd[rec] = u
			}
			b.updUser[u] = recOf[i]
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

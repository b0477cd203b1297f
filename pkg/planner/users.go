package planner

import (
	"context"
	"fmt"
	"iter"
	"slices"
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
	id         uint32 // arena reference (tables.userIDs) of the object ID: its text, or its 16 bytes when packed
	idLen      uint16 // the length of the text; 0 when packed
	packed     bool   // the object ID is a GUID in lower case, kept as its 16 bytes
	noLocation bool   // the user has no usage location
	state      int32  // index into tables.states when the user is not active, else -1
}

// userID returns the object ID of a listed user once the plan is finished.
func (t *tables) userID(u *userRec) string {
	if u.packed {
		return unpackGUID(t.userIDs.str(u.id, 16))
	}
	return t.userIDs.str(u.id, u.idLen)
}

// packGUID returns the 16 bytes of s when s is a GUID written in lower case
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), which unpackGUID turns back into s.
func packGUID(s string) (b [16]byte, ok bool) {
	if len(s) != 36 {
		return b, false
	}
	j := 0
	for i := 0; i < 36; i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return b, false
			}
			continue
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return b, false
		}
		b[j/2] |= c << (4 * (1 - j%2))
		j++
	}
	return b, true
}

// unpackGUID returns the GUID whose 16 bytes packGUID made, in lower case.
func unpackGUID(b string) string {
	const digits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = digits[b[i]>>4], digits[b[i]&15]
		j += 2
	}
	return string(out[:])
}

// nameIndex is the names the rows of one customer give their users, one for each of the
// customer's build-time updates, made searchable by a 32-bit hash of the name folded to
// lower case, so that each user of a listing can be looked up by object ID and by user
// principal name as its page arrives. It holds no copy of any name: it is an
// open-addressing table with linear probing, at most two-thirds full, of one key per
// update (hash<<32 | the update's first row + 1; 0 marks an empty slot), about 12 bytes
// an update. A lookup reads one or two cache lines, wherever the name lies in the file.
type nameIndex struct {
	slots []uint64
}

// newNameIndex indexes the names of n rows, row(k) for k in [0, n) being the index of a
// row in rows, whose user names live in users.
func newNameIndex(rows *chunked[rowRec], users *arena, n int, row func(k int) int32) *nameIndex {
	x := &nameIndex{slots: make([]uint64, n+n/2+1)}
	for k := range n {
		ri := row(k)
		r := rows.at(int(ri))
		h := uint32(foldHash(users.bytes(r.user, r.userLen)) >> 32)
		i := x.home(h)
		for x.slots[i] != 0 {
			i = x.next(i)
		}
		x.slots[i] = uint64(h)<<32 | uint64(uint32(ri)+1)
	}
	return x
}

// home is the first slot a hash may occupy: h scaled to the table's size.
func (x *nameIndex) home(h uint32) int { return int(uint64(h) * uint64(len(x.slots)) >> 32) }

// next is the slot after i, wrapping around.
func (x *nameIndex) next(i int) int {
	if i++; i == len(x.slots) {
		return 0
	}
	return i
}

// candidates yields the rows whose names hash as key does: those whose names may be key.
// Only those equal to key once folded to lower case (see sameUser) are: different names
// may share a hash.
func (x *nameIndex) candidates(key string) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		h := uint32(foldHash(key) >> 32)
		for i := x.home(h); x.slots[i] != 0; i = x.next(i) {
			if e := x.slots[i]; uint32(e>>32) == h && !yield(int32(uint32(e)-1)) {
				return
			}
		}
	}
}

// matchUser takes usr, the next user of a customer's listing, for every update of names
// whose user name is usr's object ID or user principal name (in any case, surrounding
// space ignored) and that no user listed before took: b.updUser holds, per update, the
// index + 1 in userRecs of the user that took it, 0 while none has. The first time usr
// takes an update it is recorded in userRecs; a user that takes none costs nothing.
func (b *builder) matchUser(usr *client.User, names *nameIndex, stateIdx map[string]int32) error {
	rec := int32(0)
	for _, key := range [...]string{strings.TrimSpace(usr.ID), strings.TrimSpace(usr.UserPrincipalName)} {
		if key == "" {
			continue
		}
		for ri := range names.candidates(key) {
			r := b.rows.at(int(ri))
			if b.updUser[r.update] != 0 || !sameUser(b.users.bytes(r.user, r.userLen), key) {
				continue
			}
			if rec == 0 {
				r, err := b.addUserRec(usr, stateIdx)
				if err != nil {
					return err
				}
				rec = r + 1
			}
			b.updUser[r.update] = rec
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
		names := newNameIndex(&b.rows, &b.users, len(upds), func(k int) int32 { return head[upds[k]] })
		// Each update takes at most one user, and each user recorded takes an update.
		b.userRecs = slices.Grow(b.userRecs, len(upds))
		listed := 0
		_, err := b.opts.Users.ListUsersPages(b.ctx, id, 0, func(page []client.User) error {
			listed += len(page)
			for i := range page {
				if err := b.matchUser(&page[i], names, stateIdx); err != nil {
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
		for _, u := range upds {
			rec := b.updUser[u] - 1
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

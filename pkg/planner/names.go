package planner

import (
	"iter"
	"strings"
	"unicode/utf8"
)

// userID returns the object ID of a listed user once the plan is finished.
func (t *tables) userID(u *userRec) string {
	if u.packed {
		return unpackGUID(t.userIDs.str(u.id, 16))
	}
	return t.userIDs.str(u.id, u.idLen)
}

// buildingUserID is userID while the plan is built, before the arena is frozen.
func (t *tables) buildingUserID(u *userRec) string {
	if u.packed {
		return unpackGUID(string(t.userIDs.bytes(u.id, 16)))
	}
	return string(t.userIDs.bytes(u.id, u.idLen))
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

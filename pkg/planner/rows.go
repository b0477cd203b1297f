package planner

import (
	"errors"
	"unsafe"
)

// The plan of a million rows must stay small and cheap for the garbage collector: rows,
// users and what they hold are fixed-size records without pointers, kept in chunks so
// that growing never copies (or doubles) the whole table, and user names live in a byte
// arena. Everything a row refers to lives in tables, which the builder fills and the
// plan keeps.

// rowRec is one row of the input, compact and without pointers.
type rowRec struct {
	line    int32
	user    uint32 // arena reference of the user as written
	userLen uint16
	flags   uint16
	group   uint8
	cust    int32 // index into custSpell
	assign  int32 // index into assigns, or -1
	remove  int32 // index into removes, or -1
	// update is, while building, the row's name group (its customer, license group and
	// user as written, in any case); once users are read, its change group; in the
	// finished plan, the index of the Change that carries it, or -1.
	update int32
	// aux is, while reading, a 32-bit hash of the row's customer, license group and user
	// (folded to lower case); after grouping, for a row with flagDupAssign, the index of
	// the earlier row that assigns the same SKU; in the finished plan, the index + 1 of
	// the row's user in userRecs, or 0 when the user was not read or not found.
	aux uint32
}

// Row flags.
const (
	flagDupAssign       uint16 = 1 << iota // an earlier row of the change assigns the same SKU
	flagDupRemove                          // an earlier row of the change removes the same SKU
	flagSkipped                            // skipped for shortfall
	flagUserNotFound                       // skipped: the customer has no such user
	flagUserInactive                       // skipped: the user is not active
	flagNoUsageLocation                    // skipped: the row assigns a SKU and the user has no usage location
	flagInherited                          // skipped: the row removes a license the user holds through a group
	flagAssignHeld                         // the user holds the SKU the row assigns, as the row asks: nothing to assign
	flagRemoveNotHeld                      // the user does not hold the SKU the row removes: nothing to remove
	flagPlansChange                        // the user holds the SKU the row assigns, with other plans: an update, no seat

	flagsUserSkip = flagUserNotFound | flagUserInactive | flagNoUsageLocation | flagInherited
	flagsSkip     = flagSkipped | flagsUserSkip
)

// noop reports whether the row needs nothing sent: each of its parts already holds.
func (r *rowRec) noop() bool {
	return (r.assign < 0 || r.flags&flagAssignHeld != 0) && (r.remove < 0 || r.flags&flagRemoveNotHeld != 0)
}

// needsSeat reports whether the row takes a unit of the SKU it assigns: the user does
// not hold it (or was not read), and no earlier row of the change already took it.
func (r *rowRec) needsSeat() bool {
	return r.assign >= 0 && r.flags&(flagAssignHeld|flagPlansChange|flagDupAssign|flagsUserSkip) == 0
}

// custSpelling is one way the file writes a customer ID.
type custSpelling struct {
	text  string
	valid bool
	cust  int32 // index into customers once the customer's catalogue is fetched, else -1
}

// assignVariant is one resolved (customer, sku, excluded_plans) spelling.
type assignVariant struct {
	text     string // the sku as written, trimmed
	exclText string // the excluded_plans cell as written, trimmed
	sku      int32  // -1 when it does not resolve
	excl     int32  // index into excl, -1 when none
	problems []Problem
}

// removeVariant is one resolved (customer, remove_sku) spelling.
type removeVariant struct {
	text     string
	sku      int32
	problems []Problem
}

// exclSet is a set of service plans: a row's excluded_plans, or the plans a user lacks.
type exclSet struct {
	ids   []string // service plan IDs in the order written
	canon string   // the IDs sorted, lower case, for comparing
}

// userRec is a user the reads found that some row names. A row's aux holds its index
// + 1 once the plan is finished.
type userRec struct {
	id         uint32 // arena reference (tables.userIDs) of the object ID: its text, or its 16 bytes when packed
	idLen      uint16 // the length of the text; 0 when packed
	packed     bool   // the object ID is a GUID in lower case, kept as its 16 bytes
	noLocation bool   // the user has no usage location
	known      bool   // what the user holds was read
	state      int32  // index into tables.states when the user is not active, else -1
	held       int32  // the user's licenses are held[held : held+nHeld]
	nHeld      uint16
}

// heldRec is one license a user holds, of a SKU of the customer's catalogue.
type heldRec struct {
	sku       int32 // index into skus
	excl      int32 // index into excl of the plans the user lacks, -1 for none
	inherited bool  // held through a group
}

// tables are what rows refer to; the builder fills them and the plan keeps them.
type tables struct {
	rows      chunked[rowRec]
	users     arena
	custSpell []custSpelling
	customers []customerInfo
	skus      []skuInfo
	groups    []string
	assigns   []assignVariant
	removes   []removeVariant
	excl      []exclSet

	// With reads: the users that rows name, their object IDs, states (other than
	// active) and licenses.
	userRecs []userRec
	userIDs  arena
	states   []string
	held     []heldRec
}

func (t *tables) assignSku(r *rowRec) int32 {
	if r.assign < 0 {
		return -1
	}
	return t.assigns[r.assign].sku
}

func (t *tables) removeSku(r *rowRec) int32 {
	if r.remove < 0 {
		return -1
	}
	return t.removes[r.remove].sku
}

func (t *tables) exclCanon(r *rowRec) string {
	if r.assign < 0 || t.assigns[r.assign].excl < 0 {
		return ""
	}
	return t.excl[t.assigns[r.assign].excl].canon
}

// heldOf returns what user u holds of SKU sku, nil if nothing.
func (t *tables) heldOf(u *userRec, sku int32) *heldRec {
	for i := u.held; i < u.held+int32(u.nHeld); i++ {
		if t.held[i].sku == sku {
			return &t.held[i]
		}
	}
	return nil
}

const (
	chunkShift = 16
	chunkLen   = 1 << chunkShift
	chunkMask  = chunkLen - 1
)

// chunked is an append-only table of T in chunks of chunkLen.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) len() int { return c.n }

// add appends v and returns its index.
func (c *chunked[T]) add(v T) int {
	if c.n&chunkMask == 0 && c.n>>chunkShift == len(c.chunks) {
		size := chunkLen
		if len(c.chunks) == 0 {
			size = 64 // small files stay small; the first chunk grows by append
		}
		c.chunks = append(c.chunks, make([]T, 0, size))
	}
	last := len(c.chunks) - 1
	c.chunks[last] = append(c.chunks[last], v)
	c.n++
	return c.n - 1
}

// at returns a pointer to element i.
func (c *chunked[T]) at(i int) *T { return &c.chunks[i>>chunkShift][i&chunkMask] }

const (
	arenaShift = 20 // 1 MiB chunks
	arenaLen   = 1 << arenaShift
	arenaMask  = arenaLen - 1
	maxArena   = 1 << (32 - arenaShift)
)

var errTooLarge = errors.New("input too large: user names exceed 4 GiB")

// arena holds short strings back to back. While building, strings are appended to byte
// chunks; freeze turns each chunk into one string so that reading a string back does not
// allocate. A reference is the chunk number and offset packed into 32 bits.
type arena struct {
	chunks [][]byte
	frozen []string
}

// add stores s (at most arenaLen bytes) and returns its reference.
func (a *arena) add(s string) (uint32, error) {
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1])+len(s) > arenaLen {
		if n == maxArena {
			return 0, errTooLarge
		}
		size := arenaLen
		if n == 0 {
			size = 4 << 10
		}
		a.chunks = append(a.chunks, make([]byte, 0, size))
		n++
	}
	off := len(a.chunks[n-1])
	a.chunks[n-1] = append(a.chunks[n-1], s...)
	return uint32(n-1)<<arenaShift | uint32(off), nil
}

// bytes returns the stored bytes of a reference while building.
func (a *arena) bytes(ref uint32, n uint16) []byte {
	off := int(ref & arenaMask)
	return a.chunks[ref>>arenaShift][off : off+int(n)]
}

// freeze turns each chunk into a string that shares its bytes, so that a plan of a
// million rows does not copy its names at the end: the arena gives up the chunks, and
// nothing writes to them again.
func (a *arena) freeze() {
	a.frozen = make([]string, len(a.chunks))
	for i, c := range a.chunks {
		a.frozen[i] = unsafe.String(unsafe.SliceData(c), len(c))
		a.chunks[i] = nil
	}
	a.chunks = nil
}

// str returns a stored string after freeze.
func (a *arena) str(ref uint32, n uint16) string {
	off := int(ref & arenaMask)
	return a.frozen[ref>>arenaShift][off : off+int(n)]
}

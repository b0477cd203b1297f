package planner

import (
	"errors"
	"unsafe"
)

// The plan of a million rows must stay small and cheap for the garbage collector: rows
// and updates are fixed-size records without pointers, kept in chunks so that growing
// never copies (or doubles) the whole table, and user names live in a byte arena.

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

package planner

import (
	"errors"
	"io"
)

// readAheadBlock is how much readAhead reads at a time, and readAheadBlocks how many
// blocks it holds: read but not yet taken, being taken, and being read.
const (
	readAheadBlock  = 256 << 10
	readAheadBlocks = 3
)

// readAhead reads its reader in another goroutine, a few blocks ahead of whoever
// reads it, so that reading the input (a file, and the fingerprint job.Input takes of
// it) runs beside parsing and planning on another core. It returns the same bytes and,
// after them, the same error.
type readAhead struct {
	full chan aheadBlock // blocks read, in order
	free chan []byte     // buffers to read into
	quit chan struct{}   // closed by close: stop reading
	cur  []byte          // the block being taken
	buf  []byte          // cur's buffer, to give back
	err  error           // the error after the blocks taken so far
}

// aheadBlock is one block read and the error that ended it, if any.
type aheadBlock struct {
	b   []byte
	err error
}

// newReadAhead starts reading r. Call close when done, even before the end.
func newReadAhead(r io.Reader) *readAhead {
	a := &readAhead{
		full: make(chan aheadBlock, readAheadBlocks),
		free: make(chan []byte, readAheadBlocks),
		quit: make(chan struct{}),
	}
	for range readAheadBlocks {
		a.free <- make([]byte, readAheadBlock)
	}
	go a.run(r)
	return a
}

// run fills free buffers from r, one Read each, until r fails or ends, or close is
// called.
func (a *readAhead) run(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.quit:
			return
		}
		n, err := r.Read(buf)
		a.full <- aheadBlock{b: buf[:n], err: err} // never blocks: a buffer per slot
		if err != nil {
			return
		}
	}
}

func (a *readAhead) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)]
		}
		select {
		case blk := <-a.full:
			a.cur, a.buf, a.err = blk.b, blk.b, blk.err
		case <-a.quit: // closed: a reader still reading (recordQueue's) stops too
			return 0, errReadStopped
		}
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// errReadStopped is what a readAhead returns once closed.
var errReadStopped = errors.New("read input: stopped")

// close stops reading: the goroutine ends once the Read in progress, if any, returns.
func (a *readAhead) close() {
	close(a.quit)
}

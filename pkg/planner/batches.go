package planner

import (
	"encoding/csv"
	"errors"
	"io"
)

// batchLen is how many records a batch carries, and batches how many batches go round.
const (
	batchLen = 1024
	batches  = 4
)

// recordQueue parses records in another goroutine, a few batches ahead of whoever
// takes them, so that parsing runs beside validating and resolving on another core.
// It hands over the records and errors a recordReader returns, in order, and stops
// parsing after an error that is not a *csv.ParseError, as the reader cannot go on.
type recordQueue struct {
	full chan *recordBatch // batches parsed, in order
	free chan *recordBatch // batches to parse into
	quit chan struct{}     // closed by close: stop parsing
	cur  *recordBatch      // the batch being taken
	i, f int               // the next record of cur and its first field
}

// recordBatch is up to batchLen records: their fields, their lines and errors.
type recordBatch struct {
	buf    []byte   // the fields' bytes
	fields []string // the fields of all records, pointing into buf
	recs   []batchRec
}

// batchRec is one record of a batch: its fields end at fields[end], it starts on line.
type batchRec struct {
	line int
	end  int
	err  error
}

// newRecordQueue starts parsing the records of cr.
func newRecordQueue(cr *recordReader) *recordQueue {
	q := &recordQueue{
		full: make(chan *recordBatch, batches),
		free: make(chan *recordBatch, batches),
		quit: make(chan struct{}),
	}
	for range batches {
		q.free <- &recordBatch{buf: make([]byte, 0, 128<<10)}
	}
	go q.run(cr)
	return q
}

// run fills batches until the input ends or fails, or close is called.
func (q *recordQueue) run(cr *recordReader) {
	for {
		var b *recordBatch
		select {
		case b = <-q.free:
		case <-q.quit:
			return
		}
		stop := b.fill(cr)
		q.full <- b // never blocks: a slot per batch
		if stop {
			return
		}
	}
}

// fill parses up to batchLen records into b, the reader adding each record's bytes and
// fields after the last's in b's buffers; stop says the reader cannot go on.
func (b *recordBatch) fill(cr *recordReader) (stop bool) {
	cr.buf, cr.fields, b.recs = b.buf[:0], b.fields[:0], b.recs[:0]
	defer func() { b.buf, b.fields, cr.buf, cr.fields = cr.buf, cr.fields, nil, nil }()
	for len(b.recs) < batchLen {
		before := len(cr.fields)
		_, err := cr.readOn()
		if err != nil {
			cr.fields = cr.fields[:before] // a record with an error is taken without fields
			b.recs = append(b.recs, batchRec{line: cr.line(), end: len(cr.fields), err: err})
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return true
			}
			continue
		}
		b.recs = append(b.recs, batchRec{line: cr.line(), end: len(cr.fields)})
	}
	return false
}

// next returns the next record, the line it starts on, and its error (io.EOF at the
// end). Its fields are valid until the next call; after an error other than a
// *csv.ParseError there is nothing more to take.
func (q *recordQueue) next() ([]string, int, error) {
	for q.cur == nil || q.i == len(q.cur.recs) {
		if q.cur != nil {
			q.free <- q.cur
		}
		q.cur, q.i, q.f = <-q.full, 0, 0
	}
	r := q.cur.recs[q.i]
	fields := q.cur.fields[q.f:r.end]
	q.i, q.f = q.i+1, r.end
	if r.err != nil && r.err != io.EOF {
		return nil, r.line, r.err
	}
	return fields, r.line, r.err
}

// close stops parsing.
func (q *recordQueue) close() {
	close(q.quit)
}

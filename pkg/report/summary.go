package report

import (
	"strings"
	"time"
)

// Summary is what a run did, for people (WriteText) and for programs (its JSON form,
// with the snake_case field names given in the tags; Elapsed is "elapsed_seconds", a
// number of seconds). It counts input lines: Seed it with the final outcomes an
// earlier run left in the result file (see Final), then Add each result of this run;
// a line's later result replaces its earlier one. The caller fills in the rest.
type Summary struct {
	Counts            map[Status]int            `json:"counts"`      // lines per status
	BySku             map[string]map[Status]int `json:"by_sku"`      // lines per SKU label (see Add) and status
	ByCustomer        map[string]map[Status]int `json:"by_customer"` // lines per customer and status
	Capacity          []CapacityRow             `json:"capacity"`
	Elapsed           time.Duration             `json:"-"`
	Requests          int                       `json:"requests"`            // requests answered, reads and updates
	RequestsPerSecond float64                   `json:"requests_per_second"` // 0: derived from Requests and Elapsed
	Updates           int                       `json:"updates"`             // write requests (license updates) answered
	UpdatesPerSecond  float64                   `json:"updates_per_second"`  // 0: derived from Updates and Elapsed
	Reads             int                       `json:"reads"`               // read requests (users' licenses) answered
	ReadsPerSecond    float64                   `json:"reads_per_second"`    // 0: derived from Reads and Elapsed
	Throttled         int                       `json:"throttled"`           // 429 responses
	Retries           int                       `json:"retries"`
	UsageLocationsSet int                       `json:"usage_locations_set"` // users given a usage location first
	UpperBound        bool                      `json:"upper_bound"`         // users were not read: counts are upper bounds
	API               string                    `json:"api"`                 // "partnercenter" or "graph"
	CorrelationID     string                    `json:"correlation_id"`      // the correlation ID of every call of the run
	Output            string                    `json:"output"`              // the result CSV
	Interrupted       bool                      `json:"interrupted"`
	StopReason        string                    `json:"stop_reason"`    // why the run stopped early; "" if it did not
	ResumeCommand     string                    `json:"resume_command"` // the command that continues the run
	ExitCode          int                       `json:"exit_code"`
	Rollback          string                    `json:"rollback"`         // the rollback file; "" without one
	RollbackRows      int                       `json:"rollback_rows"`    // rows written to it by this run
	RollbackOmitted   int                       `json:"rollback_omitted"` // updates sent without rollback rows: their users' licenses could not be read
	// SkuNames maps lower-cased product SKU IDs to product names; when set, lines count
	// per SKU under its name, however the input wrote it. Set it before Seed and Add.
	// Not part of the JSON.
	SkuNames map[string]string `json:"-"`

	lines     lineTable
	skuOf     map[skuCells]uint32 // a row's SKU cells -> the number of its label
	skus      labels
	customers labels
	states    labels // statuses, known ones first: a lineState's status is an index here
}

// Seed counts the final outcomes of an earlier run (one row per line, as Final
// returns them), so that a resumed run's summary counts every line of the input.
func (s *Summary) Seed(finals []Result) {
	for _, r := range finals {
		s.Add(r)
	}
}

// Add counts one result: its line's status overall, per SKU and per customer. When
// the line was counted before (seeded, or an earlier result of this run), its earlier
// status, SKU and customer counts are taken back first: the summary counts each line
// once, at its latest outcome.
//
// The SKU label is the product name SkuNames gives the row's SKU ID (or its SKU as
// written, when that is an ID), else the SKU to assign as written in the input (its ID
// when the name is empty), or "remove X" for a row that only removes SKU X, X named the
// same way. SKU labels and customers that differ only in case or surrounding space
// count as one, under their first spelling.
func (s *Summary) Add(r Result) {
	if s.states.index == nil {
		for _, st := range statuses {
			s.states.id(string(st))
		}
	}
	next := lineState{
		status:   uint8(min(s.states.rawID(string(r.Status), strings.Clone), 255)),
		sku:      s.skuID(r),
		customer: s.customers.rawID(r.Customer, text),
	}
	if prev := s.lines.get(r.Line); prev.status != 0 {
		s.count(prev, -1)
	}
	s.lines.set(r.Line, next)
	s.count(next, +1)
}

// count adds d to the tallies of one line's state.
func (s *Summary) count(ls lineState, d int) {
	st := Status(s.states.names[ls.status-1])
	if s.Counts == nil {
		s.Counts = make(map[Status]int)
	}
	s.Counts[st] += d
	if s.Counts[st] == 0 {
		delete(s.Counts, st)
	}
	s.BySku = tally(s.BySku, s.skus.names[ls.sku-1], st, d)
	s.ByCustomer = tally(s.ByCustomer, s.customers.names[ls.customer-1], st, d)
}

// tally adds d to m[label][st], dropping counts that come to zero.
func tally(m map[string]map[Status]int, label string, st Status, d int) map[string]map[Status]int {
	if m == nil {
		m = make(map[string]map[Status]int)
	}
	c := m[label]
	if c == nil {
		c = make(map[Status]int)
		m[label] = c
	}
	c[st] += d
	if c[st] == 0 {
		delete(c, st)
		if len(c) == 0 {
			delete(m, label)
		}
	}
	return m
}

// Reserve makes room for the lines up to last (an input's last line), so that Add
// takes no memory as results come in. Lines beyond it are still counted.
func (s *Summary) Reserve(last int) {
	if last >= cap(s.lines.dense) && last < maxDenseLine {
		grown := make([]lineState, len(s.lines.dense), last+1)
		copy(grown, s.lines.dense)
		s.lines.dense = grown
	}
}

// Rows returns the number of lines counted, whatever their status.
func (s *Summary) Rows() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// skuCells are the cells of a result that its SKU label comes from.
type skuCells struct{ id, sku, remove string }

// skuID is the number of the row's SKU label, worked out once per spelling.
func (s *Summary) skuID(r Result) uint32 {
	k := skuCells{r.SkuID, r.Sku, r.RemoveSku}
	if n, ok := s.skuOf[k]; ok {
		return n
	}
	if s.skuOf == nil {
		s.skuOf = make(map[skuCells]uint32)
	}
	n := s.skus.id(s.skuLabel(r))
	s.skuOf[k] = n
	return n
}

// skuLabel names the row's SKU: by its product name when SkuNames knows its ID (so
// that one SKU written three ways counts once), else as written.
func (s *Summary) skuLabel(r Result) string {
	if name := s.skuName(r.SkuID); name != "" {
		return name
	}
	switch {
	case strings.TrimSpace(r.Sku) != "":
		if name := s.skuName(r.Sku); name != "" {
			return name
		}
		return text(r.Sku)
	case strings.TrimSpace(r.SkuID) != "":
		return text(r.SkuID)
	case strings.TrimSpace(r.RemoveSku) != "":
		if name := s.skuName(r.RemoveSku); name != "" {
			return "remove " + name
		}
		return "remove " + text(r.RemoveSku)
	}
	return "-"
}

// skuName is the product name SkuNames gives the SKU ID id, or "".
func (s *Summary) skuName(id string) string {
	id = keyPart(id)
	if name := s.SkuNames[id]; id != "" && strings.TrimSpace(name) != "" {
		return text(name)
	}
	return ""
}

// labels numbers strings from 1, folding those that differ only in case: a line's
// state holds a number, not a string.
type labels struct {
	names []string          // number-1 -> the first spelling
	index map[string]uint32 // folded -> number
	raw   map[string]uint32 // a value as given -> number (see rawID)
}

// rawID is id(clean(v)), worked out once per value as given.
func (l *labels) rawID(v string, clean func(string) string) uint32 {
	if n, ok := l.raw[v]; ok {
		return n
	}
	if l.raw == nil {
		l.raw = make(map[string]uint32)
	}
	n := l.id(clean(v))
	l.raw[v] = n
	return n
}

// id returns label's number, giving it the next one when it is new.
func (l *labels) id(label string) uint32 {
	folded := strings.ToLower(label)
	if n, ok := l.index[folded]; ok {
		return n
	}
	if l.index == nil {
		l.index = make(map[string]uint32)
	}
	l.names = append(l.names, label)
	n := uint32(len(l.names))
	l.index[folded] = n
	return n
}

// lineState is what the summary remembers of one line: the numbers of its status,
// SKU label and customer (0: the line is not counted). 12 bytes a line.
type lineState struct {
	sku, customer uint32
	status        uint8
}

// maxDenseLine bounds the slice of line states; lines beyond it (which no input of
// sensible size has) go to a map, so that a stray line number costs no memory.
const maxDenseLine = 1 << 24

// lineTable holds a lineState per line number: a slice indexed by line.
type lineTable struct {
	dense  []lineState
	sparse map[int]lineState
}

func (t *lineTable) get(line int) lineState {
	if line >= 0 && line < len(t.dense) {
		return t.dense[line]
	}
	return t.sparse[line]
}

func (t *lineTable) set(line int, ls lineState) {
	if line < 0 || line >= maxDenseLine {
		if t.sparse == nil {
			t.sparse = make(map[int]lineState)
		}
		t.sparse[line] = ls
		return
	}
	if line >= len(t.dense) {
		if line >= cap(t.dense) {
			grown := make([]lineState, line+1, max(2*cap(t.dense), line+1, 1024))
			copy(grown, t.dense)
			t.dense = grown
		}
		t.dense = t.dense[:line+1]
	}
	t.dense[line] = ls
}

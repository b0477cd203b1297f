package planner

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// Catalogue is the one read per customer the planner always makes: the customer's
// SKUs with their free units and service plans. Every client.Backend is one.
type Catalogue interface {
	Catalogue(ctx context.Context, customer string) ([]client.Sku, error)
}

// Options are the settings of Build.
type Options struct {
	// DefaultCustomer is the customer ID of rows without a customer value.
	DefaultCustomer string
	// Shortfall is what to do when a SKU falls short; "" means ShortfallAbort.
	Shortfall Shortfall
	// Done reports whether an earlier run already finished a row (it succeeded, or was
	// found unchanged), given the row's line and its report.RowKey (of its customer, the
	// default customer when it has none, and its user, sku, remove_sku and
	// excluded_plans as written, trimmed). Such rows are left out of the plan and counted
	// in Plan.Resumed. Done is called once per valid row, from Build's goroutine; nil
	// means no row is done.
	Done func(line int, key string) bool
	// Users, when set, is where the plan reads the users of the file and what they hold
	// (see ReadUsers): the plan is then a diff, and its rollback exact. nil plans every
	// row as a change and every assignment as a seat taken: counts are upper bounds,
	// and the plan has no rollback.
	Users client.Directory
	// UsageLocation, when set (a two-letter country code), is given to users who have
	// none, before their assignment, instead of skipping their rows.
	UsageLocation string
	// ReadConcurrency is how many reads of a customer may be in flight at once, and how
	// many customers are read at once; below 1 means 8. The directory's limiter sets
	// the pace.
	ReadConcurrency int
	// OnReads, when set, is told what the reads of each customer will be before they
	// start, and OnReadProgress how many have been made, from time to time; never two
	// calls at once.
	OnReads        func(ReadEstimate)
	OnReadProgress func(ReadProgress)
}

// ReadEstimate is what the reads of one customer will be.
type ReadEstimate struct {
	Customer string
	Users    int // distinct users the file names
	// Reads is the requests the chosen way takes at most: Lookup says whether users
	// are looked up by name, or found in a listing of the directory.
	Reads  int
	Lookup bool
}

// ReadProgress is how far the reads have got.
type ReadProgress struct {
	Customer   string
	Users      int // users of the customer looked for
	Found      int // users found so far
	Reads      int // requests made so far, this customer
	ReadsTotal int // ReadEstimate.Reads
}

// ReadStats sums up the reads a plan made.
type ReadStats struct {
	Reads   int           // requests made to read users and what they hold
	Users   int           // distinct users looked for
	Found   int           // of those, found
	Elapsed time.Duration // time spent reading
}

// builder reads the input and builds a plan.
type builder struct {
	tables
	ctx  context.Context
	cat  Catalogue
	opts Options

	problems []Problem
	warnings []Warning
	resumed  int

	hasSku      bool // the file has a sku column
	hasCustomer bool // the file has a customer column
	headerCols  int

	custSpellIdx map[string]int32
	lastSpell    int32 // the spelling last looked up, -1 for none
	customerIdx  map[string]int32
	groupIdx     map[string]uint8
	exclIdx      map[string]int32 // canon -> index into excl, for the plans users lack

	// visit, when set, is handed every valid row's cells by line, and nothing is
	// resolved or planned (RowKeys, Rows). The cells are valid only during the call.
	visit func(line int, c *rowCells)

	nUpdates int32    // name groups, numbered by matchUpdates
	uses     []skuUse // scratch for checkUpdate

	// With reads: per name group, the index + 1 in userRecs of its user, 0 when not
	// found; and what the reads cost.
	updUser []int32
	reads   ReadStats
	readMu  sync.Mutex // guards the user tables, updUser and reads while customers' reads run concurrently
}

// Build reads the input CSV from r and plans it: every row validated and resolved
// against its customer's catalogue (one Catalogue read per customer); with
// Options.Users, the users of the file read with what they hold (see ReadUsers), rows
// whose desired state already holds planned as unchanged, rows the service would refuse
// planned as skipped, one user's rows merged however the file names the user; changes
// grouped into one Change per customer, user and license group; capacity checked per
// SKU on the seats the plan takes.
//
// Build returns an *InputError listing every problem of the file, each with its line,
// when any row cannot be planned (a user asked both to get and to lose a SKU is one,
// also when two rows name the user two ways); a catalogue failure wrapped as "get
// subscribed skus for customer <id>: ..."; a read failure wrapped as "read users of
// customer <id>: ..."; and under ShortfallAbort, when some SKU falls short, the full plan
// together with a *ShortfallError. In every one of these cases nothing may be sent.
func Build(ctx context.Context, r io.Reader, cat Catalogue, opts Options) (*Plan, error) {
	policy := opts.Shortfall
	switch policy {
	case "":
		policy = ShortfallAbort
	case ShortfallAbort, ShortfallPartial:
	default:
		return nil, fmt.Errorf("plan input: unknown shortfall policy %q: want %q or %q", opts.Shortfall, ShortfallAbort, ShortfallPartial)
	}
	b := newBuilder(ctx, cat, opts)
	if d := b.opts.DefaultCustomer; d != "" && !client.IsGUID(d) {
		return nil, &InputError{Problems: []Problem{newProblem(0, "customer", d, "the default customer is not a customer ID: want a GUID such as %s", exampleGUID)}}
	}
	if l := b.opts.UsageLocation; l != "" && !client.IsCountryCode(l) {
		return nil, &InputError{Problems: []Problem{newProblem(0, "usage location", l, "not a two-letter country code such as US or DE")}}
	}
	if err := b.read(r); err != nil {
		return nil, err
	}
	b.matchUpdates() // over the rows without problems: reports contradictions among them too
	if err := b.inputError(); err != nil {
		return nil, err
	}
	if opts.Users != nil {
		if err := b.readUsers(); err != nil {
			return nil, err
		}
		b.mergeByUser() // one user named two ways: contradictions are problems too
		if err := b.inputError(); err != nil {
			return nil, err
		}
		b.diff()
	} else {
		b.warnUnmatchedNames()
	}
	p := b.finish(policy)
	if p.shortfall && policy == ShortfallAbort {
		short := &ShortfallError{}
		for _, c := range p.Capacity {
			if c.Shortfall > 0 {
				short.Capacity = append(short.Capacity, c)
			}
		}
		return p, short
	}
	return p, nil
}

func newBuilder(ctx context.Context, cat Catalogue, opts Options) *builder {
	b := &builder{
		ctx:          ctx,
		cat:          cat,
		opts:         opts,
		custSpellIdx: make(map[string]int32),
		customerIdx:  make(map[string]int32),
		groupIdx:     make(map[string]uint8),
		exclIdx:      make(map[string]int32),
		lastSpell:    -1,
	}
	b.opts.DefaultCustomer = strings.TrimSpace(opts.DefaultCustomer)
	b.opts.UsageLocation = strings.ToUpper(strings.TrimSpace(opts.UsageLocation))
	if b.opts.ReadConcurrency < 1 {
		b.opts.ReadConcurrency = 8
	}
	return b
}

// inputError returns the problems found so far, in line order, as an *InputError.
func (b *builder) inputError() error {
	if len(b.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(b.problems, func(x, y Problem) int { return x.Line - y.Line })
	return &InputError{Problems: b.problems}
}

// warnUnmatchedNames says, when users are not read, that a file naming users both by
// object ID and by principal name may name one user twice.
func (b *builder) warnUnmatchedNames() {
	var guid, upn bool
	for i := range b.rows.len() {
		r := b.rows.at(i)
		if client.IsGUID(b.users.bytes(r.user, r.userLen)) {
			guid = true
		} else {
			upn = true
		}
		if guid && upn {
			b.warnings = append(b.warnings, Warning{Message: "users were not read: principal names and object IDs were not matched, " +
				"so a user the file names both ways gets a request for each name"})
			return
		}
	}
}

// RowKeys reads the input CSV from r as Build does and returns the report.RowKey of
// every row without problems, by line (rows without a customer take defaultCustomer).
// It reads no catalogue: a resumed run uses it to tell which lines of an edited input
// changed.
func RowKeys(ctx context.Context, r io.Reader, defaultCustomer string) (map[int]string, error) {
	keys := make(map[int]string)
	err := visitRows(ctx, r, defaultCustomer, func(line int, c *rowCells) {
		keys[line] = report.RowKey(c.cust, c.user, c.sku, c.rem, c.excl)
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Rows reads the input CSV from r as Build does (its header, encodings and
// separators) and calls f, in file order, with the line, customer and user of every
// row without problems; rows without a customer take defaultCustomer. It reads no
// catalogue. The strings are f's to keep.
func Rows(ctx context.Context, r io.Reader, defaultCustomer string, f func(line int, customer, user string)) error {
	return visitRows(ctx, r, defaultCustomer, func(line int, c *rowCells) {
		f(line, strings.Clone(c.cust), strings.Clone(c.user))
	})
}

// visitRows reads the input as Build does and hands visit every valid row's cells.
func visitRows(ctx context.Context, r io.Reader, defaultCustomer string, visit func(line int, c *rowCells)) error {
	b := newBuilder(ctx, nil, Options{DefaultCustomer: defaultCustomer})
	b.visit = visit
	return b.read(r)
}

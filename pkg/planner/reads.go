package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// lookupReadsMax is the most reads a customer's users are looked up with before a
// listing of the directory is tried: a small file in a large tenant never lists it.
const lookupReadsMax = 1000

// errEnoughPages stops a listing that costs more than looking the rest up would.
var errEnoughPages = errors.New("listing stopped: looking the remaining users up is cheaper")

// readUsers reads, for each customer, the users its rows name and what they hold: by
// lookups when they cost at most lookupReadsMax reads, else from a listing of the
// directory, stopped as soon as it has cost more than looking up the users still
// missing would (so that it never costs more than twice the cheaper way). Users a
// lookup by principal name may have missed are looked for in a listing when the
// directory says such lookups are uncertain; users still missing in the listing of
// deleted users. Each found user is recorded once with what it holds; b.updUser maps
// every name group to its user. Customers are read concurrently, up to
// ReadConcurrency at once (a directory whose budgets are per customer, as Graph's per
// tenant, reads them side by side), each with up to ReadConcurrency reads in flight.
func (b *builder) readUsers() error {
	start := time.Now()

	head := b.heads()
	order, from := b.groupsByCustomer(head)
	b.updUser = make([]int32, b.nUpdates)
	g, ctx := errgroup.WithContext(b.ctx)
	g.SetLimit(b.opts.ReadConcurrency)
	for c := range b.customers {
		upds := order[from[c]:from[c+1]]
		if len(upds) == 0 {
			continue
		}
		g.Go(func() error {
			// Another customer's reads failed, or the plan was stopped, before this
			// customer's turn came: it is neither indexed, announced nor read.
			var r *customerReads
			err := ctx.Err()
			if err == nil {
				r = newCustomerReads(ctx, b, int32(c), upds, head)
				err = r.run()
			}
			if err != nil {
				return fmt.Errorf("read users of customer %s: %w", b.customers[c].id, err)
			}
			b.readMu.Lock()
			defer b.readMu.Unlock()
			b.reads.Users += len(r.distinct)
			b.reads.Found += len(r.distinct) - r.missing
			b.reads.Reads += int(r.reads.Load())
			return nil
		})
	}
	err := g.Wait()
	b.reads.Elapsed = time.Since(start)
	return err
}

// groupsByCustomer returns the name groups of each customer, in the order of their
// first rows (head[g] is group g's first row, as heads returns): order[from[c]:from[c+1]]
// are customer c's.
func (b *builder) groupsByCustomer(head []int32) (order, from []int32) {
	from = make([]int32, len(b.customers)+1)
	for _, h := range head {
		from[b.custSpell[b.rows.at(int(h)).cust].cust+1]++
	}
	for c := 1; c < len(from); c++ {
		from[c] += from[c-1]
	}
	order = make([]int32, len(head))
	fill := append([]int32(nil), from[:len(b.customers)]...)
	for i := range b.rows.len() {
		r := b.rows.at(i)
		if head[r.update] == int32(i) {
			c := b.custSpell[r.cust].cust
			order[fill[c]] = r.update
			fill[c]++
		}
	}
	return order, from
}

// heads returns the first row of each name group.
func (b *builder) heads() []int32 {
	head := make([]int32, b.nUpdates)
	for i := range head {
		head[i] = -1
	}
	for i := range b.rows.len() {
		if r := b.rows.at(i); head[r.update] < 0 {
			head[r.update] = int32(i)
		}
	}
	return head
}

// customerReads reads the users of one customer. Its fields are its own; b's tables
// are shared with the other customers' reads, under mu (b.readMu).
type customerReads struct {
	b        *builder
	ctx      context.Context
	c        int32
	id       string
	dir      client.Directory
	costs    client.ReadCosts
	upds     []int32 // the customer's name groups
	head     []int32 // first row of each name group (all of them)
	names    *nameIndex
	distinct []int32 // the name groups whose name no earlier group of the customer has
	estimate int

	// upn says, for each group of distinct, whether its name is a principal name (not an
	// object ID); missing and missingUPN count those no user took yet.
	upn                 map[int32]bool
	missing, missingUPN int

	// byID and byName say whether the file names some of the customer's users by object
	// ID, and some by principal name: a listed user is looked up only by the keys the
	// file uses, one hash lookup each.
	byID, byName bool

	mu       *sync.Mutex // b.readMu: guards b's user tables, updUser and the counts above
	reads    atomic.Int64
	upnFound bool // a lookup by principal name found a user
}

func newCustomerReads(ctx context.Context, b *builder, c int32, upds, head []int32) *customerReads {
	r := &customerReads{b: b, ctx: ctx, c: c, id: b.customers[c].id, dir: b.opts.Users, upds: upds, head: head, mu: &b.readMu}
	r.costs = r.dir.ReadCosts()
	r.costs.LookupBatch = max(r.costs.LookupBatch, 1)
	r.costs.LookupReads = max(r.costs.LookupReads, 1)
	r.costs.PageSize = max(r.costs.PageSize, 1)
	r.names = newNameIndex(&b.rows, &b.users, len(upds), func(k int) int32 { return r.head[upds[k]] })
	r.upn = make(map[int32]bool)
	for k, u := range upds {
		if r.firstOfName(k) {
			r.distinct = append(r.distinct, u)
			h := b.rows.at(int(r.head[u]))
			isID := client.IsGUID(b.users.bytes(h.user, h.userLen))
			r.byID, r.byName = r.byID || isID, r.byName || !isID
			r.upn[u] = !isID
			r.missing++
			if !isID {
				r.missingUPN++
			}
		}
	}
	return r
}

// firstOfName reports whether name group upds[k] is the first of the customer's
// groups with its name (groups of other license groups share it).
func (r *customerReads) firstOfName(k int) bool {
	h := r.b.rows.at(int(r.head[r.upds[k]]))
	name := r.b.users.bytes(h.user, h.userLen)
	for ri := range r.names.candidates(string(name)) {
		o := r.b.rows.at(int(ri))
		if ri < r.head[r.upds[k]] && sameUser(r.b.users.bytes(o.user, o.userLen), string(name)) {
			return false
		}
	}
	return true
}

// lookupCost is the reads that looking up n users takes.
func (r *customerReads) lookupCost(n int) int {
	return (n + r.costs.LookupBatch - 1) / r.costs.LookupBatch * r.costs.LookupReads
}

func (r *customerReads) run() error {
	n := len(r.distinct)
	lookup := r.lookupCost(n) <= lookupReadsMax
	r.estimate = r.lookupCost(n)
	if !lookup {
		r.estimate *= 2 // the listing stops before it costs more than the lookups would
	}
	if f := r.b.opts.OnReads; f != nil {
		r.mu.Lock()
		f(ReadEstimate{Customer: r.id, Users: n, Reads: r.estimate, Lookup: lookup})
		r.mu.Unlock()
	}
	complete := false
	if !lookup {
		var err error
		if complete, err = r.list(false, true); err != nil {
			return err
		}
	}
	if !complete {
		if err := r.lookupMissing(); err != nil {
			return err
		}
	}
	if r.costs.NameLookupsUncertain && !complete && !r.upnFound && r.missingNames(true) > 0 {
		if _, err := r.list(false, false); err != nil {
			return err
		}
	}
	if r.missingNames(false) > 0 {
		if _, err := r.list(true, false); err != nil {
			return err
		}
	}
	return r.readLicenses()
}

// list matches a listing of the directory (or of its deleted users) against the names
// not found yet. With stopEarly it stops once it has cost more than looking the
// missing users up would; complete reports whether it went to the end.
func (r *customerReads) list(deleted, stopEarly bool) (complete bool, err error) {
	perName := float64(r.costs.LookupReads) / float64(r.costs.LookupBatch)
	if !r.costs.ListingHasLicenses {
		perName-- // a user found in a listing still needs its licenses read
	}
	pages := 0
	err = r.dir.ListUsers(r.ctx, r.id, deleted, func(users []client.User) error {
		pages++
		r.reads.Add(1)
		r.mu.Lock()
		defer r.mu.Unlock()
		for i := range users {
			if deleted {
				users[i].State = client.UserInactive // whatever the listing says: it lists the deleted
			}
			if err := r.match(&users[i]); err != nil {
				return err
			}
		}
		r.progress()
		missing := r.missingLocked(false)
		if missing == 0 && !deleted {
			return errEnoughPages
		}
		if stopEarly && float64(pages) > float64(missing)*perName {
			return errEnoughPages
		}
		return nil
	})
	if errors.Is(err, errEnoughPages) {
		return r.missingNames(false) == 0, nil
	}
	return err == nil, err
}

// lookupMissing looks up, concurrently, the names not found yet.
func (r *customerReads) lookupMissing() error {
	var batch []string
	g, ctx := errgroup.WithContext(r.ctx)
	g.SetLimit(r.b.opts.ReadConcurrency)
	send := func(names []string) {
		g.Go(func() error {
			users, err := r.dir.LookupUsers(ctx, r.id, names)
			r.reads.Add(int64(r.costs.LookupReads))
			if err != nil {
				return err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			for i := range users {
				if foundByName(names, &users[i]) {
					r.upnFound = true // lookups by principal name work here
				}
				if err := r.match(&users[i]); err != nil {
					return err
				}
			}
			r.progress()
			return nil
		})
	}
	for _, u := range r.distinct {
		r.mu.Lock()
		found := r.b.updUser[u] != 0
		r.mu.Unlock()
		if found {
			continue
		}
		h := r.b.rows.at(int(r.head[u]))
		batch = append(batch, string(r.b.users.bytes(h.user, h.userLen)))
		if len(batch) == r.costs.LookupBatch {
			send(batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		send(batch)
	}
	return g.Wait()
}

// foundByName reports whether a lookup of names found u by its principal name, not by
// its object ID.
func foundByName(names []string, u *client.User) bool {
	byName := false
	for _, n := range names {
		switch {
		case client.IsGUID(n) && strings.EqualFold(n, strings.TrimSpace(u.ID)):
			return false
		case !client.IsGUID(n) && strings.EqualFold(n, strings.TrimSpace(u.PrincipalName)):
			byName = true
		}
	}
	return byName
}

// readLicenses reads what each found user holds when the read that found it did not.
func (r *customerReads) readLicenses() error {
	type toRead struct {
		rec int32
		id  string
	}
	var todo []toRead
	seen := make(map[int32]bool)
	r.mu.Lock()
	for _, u := range r.upds {
		rec := r.b.updUser[u] - 1
		if rec < 0 || seen[rec] || r.b.userRecs[rec].known || r.b.userRecs[rec].state >= 0 {
			continue // not found, read already, or deleted: its rows are skipped whatever it holds
		}
		seen[rec] = true
		todo = append(todo, toRead{rec, r.b.buildingUserID(&r.b.userRecs[rec])})
	}
	r.mu.Unlock()
	g, ctx := errgroup.WithContext(r.ctx)
	g.SetLimit(r.b.opts.ReadConcurrency)
	for _, t := range todo {
		g.Go(func() error {
			lics, err := r.dir.UserLicenses(ctx, r.id, t.id)
			r.reads.Add(1)
			if err != nil {
				return err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			r.b.setHeld(t.rec, r.c, lics)
			r.progress()
			return nil
		})
	}
	return g.Wait()
}

// missingNames counts the distinct names not found yet; with upnOnly, only those that
// are not object IDs.
func (r *customerReads) missingNames(upnOnly bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.missingLocked(upnOnly)
}

func (r *customerReads) missingLocked(upnOnly bool) int {
	if upnOnly {
		return r.missingUPN
	}
	return r.missing
}

// progress reports the reads so far. The caller holds r.mu.
func (r *customerReads) progress() {
	if f := r.b.opts.OnReadProgress; f != nil {
		f(ReadProgress{Customer: r.id, Users: len(r.distinct), Found: len(r.distinct) - r.missingLocked(false),
			Reads: int(r.reads.Load()), ReadsTotal: r.estimate})
	}
}

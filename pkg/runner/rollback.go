package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// LicenseReader reads what licenses a customer's users hold; *client.Client
// satisfies it.
//
// See https://learn.microsoft.com/partner-center/developer/check-which-licenses-are-assigned-to-a-user
type LicenseReader interface {
	GetSubscribedSkus(ctx context.Context, customerID string, groups ...client.LicenseGroupID) ([]client.SubscribedSku, *client.Response, error)
	UserLicenses(ctx context.Context, customerID, user string, groups ...client.LicenseGroupID) ([]client.License, *client.Response, error)
}

// Prior is what the users of a run held before the run: to the API a license a user
// already held looks the same as one the run assigned, so the rollback file is
// written from this, never from the results alone. Its Poster reads a user's licenses
// (one GET, paced like every other call) just before the user's first update is
// sent, so reads and updates interleave and an interrupted run keeps its progress.
// It is safe for concurrent use.
type Prior struct {
	r       LicenseReader
	mu      sync.Mutex
	users   map[string]*priorUser     // by userKey
	plans   map[string]*customerPlans // by lower-cased customer ID
	unknown int
}

// priorUser is one user's licenses, read once: done is closed when the read ended.
// (Waiters block on a channel, not a mutex, so that a testing/synctest bubble sees
// them as durably blocked.)
type priorUser struct {
	done  chan struct{}
	held  map[string][]string // lower-cased SKU ID -> excluded plan IDs
	known bool
}

// customerPlans is one customer's SKUs' service plans, read once.
type customerPlans struct {
	done  chan struct{}
	plans map[string][]string // lower-cased SKU ID -> the SKU's service plan IDs
	err   error
}

// NewPrior returns a Prior that reads through r.
func NewPrior(r LicenseReader) *Prior {
	return &Prior{r: r, users: map[string]*priorUser{}, plans: map[string]*customerPlans{}}
}

// Unknown reports how many users' licenses could not be read.
func (p *Prior) Unknown() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unknown
}

func userKey(customer, user string) string {
	return strings.ToLower(customer) + "\x00" + strings.ToLower(user)
}

// Poster wraps post: before a user's first update it reads what the user holds.
func (p *Prior) Poster(post Poster) Poster { return priorPoster{p: p, next: post} }

type priorPoster struct {
	p    *Prior
	next Poster
}

func (pp priorPoster) UpdateLicenses(ctx context.Context, customerID, user string, u client.LicenseUpdate) (*client.LicenseUpdate, *client.Response, error) {
	pp.p.read(ctx, customerID, user)
	return pp.next.UpdateLicenses(ctx, customerID, user, u)
}

// read reads the user's licenses once; a failure leaves the user unknown. Callers for
// the same user wait for the first one's read.
func (p *Prior) read(ctx context.Context, customer, user string) {
	k := userKey(customer, user)
	p.mu.Lock()
	u := p.users[k]
	first := u == nil
	if first {
		u = &priorUser{done: make(chan struct{})}
		p.users[k] = u
	}
	p.mu.Unlock()
	if !first {
		select {
		case <-u.done:
		case <-ctx.Done():
		}
		return
	}
	defer close(u.done)
	plans, err := p.servicePlans(ctx, customer)
	var lics []client.License
	if err == nil {
		lics, _, err = p.r.UserLicenses(ctx, customer, user, client.Group1, client.Group2)
	}
	if err != nil {
		p.mu.Lock()
		p.unknown++
		p.mu.Unlock()
		return
	}
	held := make(map[string][]string, len(lics))
	for _, l := range lics {
		id := strings.ToLower(l.ProductSku.ID)
		has := make(map[string]bool, len(l.ServicePlans))
		for _, sp := range l.ServicePlans {
			has[strings.ToLower(sp.ID)] = true
		}
		var excluded []string
		for _, planID := range plans[id] {
			if !has[strings.ToLower(planID)] {
				excluded = append(excluded, planID)
			}
		}
		held[id] = excluded
	}
	p.mu.Lock()
	u.held, u.known = held, true
	p.mu.Unlock()
}

// servicePlans returns the service plans of the customer's SKUs (a user's excluded
// plans are the SKU's plans the user's license lacks), with one GET per customer.
func (p *Prior) servicePlans(ctx context.Context, customer string) (map[string][]string, error) {
	k := strings.ToLower(customer)
	p.mu.Lock()
	cp := p.plans[k]
	first := cp == nil
	if first {
		cp = &customerPlans{done: make(chan struct{})}
		p.plans[k] = cp
	}
	p.mu.Unlock()
	if !first {
		select {
		case <-cp.done:
			return cp.plans, cp.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer close(cp.done)
	skus, _, err := p.r.GetSubscribedSkus(ctx, customer, client.Group1, client.Group2)
	if err != nil {
		// A failed read is tried again by the next user of this customer.
		cp.err = fmt.Errorf("get subscribed skus for customer %s: %w", customer, err)
		p.mu.Lock()
		delete(p.plans, k)
		p.mu.Unlock()
		return nil, cp.err
	}
	cp.plans = make(map[string][]string, len(skus))
	for _, s := range skus {
		ids := make([]string, 0, len(s.ServicePlans))
		for _, sp := range s.ServicePlans {
			ids = append(ids, sp.ID)
		}
		cp.plans[strings.ToLower(s.ProductSku.ID)] = ids
	}
	return cp.plans, nil
}

// Undo returns the rollback rows that undo row, given what its user held before:
// an assignment of a SKU the user did not hold becomes its removal; one the user held
// with other excluded plans becomes an assignment with the plans as they were; a
// removal of a SKU the user held becomes its assignment, excluded plans kept; a swap
// is swapped back. known is false when the user's licenses could not be read.
func (p *Prior) Undo(row planner.Row) (rows []report.RollbackRow, known bool) {
	p.mu.Lock()
	u := p.users[userKey(row.Customer, row.User)]
	var held map[string][]string
	if u != nil && u.known {
		held = u.held
	}
	p.mu.Unlock()
	if held == nil {
		return nil, false
	}
	var assign, restore *report.RollbackRow
	if row.SkuID != "" {
		ex, had := held[strings.ToLower(row.SkuID)]
		switch {
		case !had:
			assign = &report.RollbackRow{Customer: row.Customer, User: row.User, RemoveSku: row.SkuID}
		case !samePlans(ex, row.ExcludedPlanIDs):
			assign = &report.RollbackRow{Customer: row.Customer, User: row.User, Sku: row.SkuID, ExcludedPlans: ex}
		}
	}
	if row.RemoveSkuID != "" {
		if ex, had := held[strings.ToLower(row.RemoveSkuID)]; had {
			restore = &report.RollbackRow{Customer: row.Customer, User: row.User, Sku: row.RemoveSkuID, ExcludedPlans: ex}
		}
	}
	switch {
	case assign != nil && restore != nil && assign.Sku == "":
		restore.RemoveSku = assign.RemoveSku // a swap back in one row
		rows = append(rows, *restore)
	default:
		for _, r := range []*report.RollbackRow{assign, restore} {
			if r != nil {
				rows = append(rows, *r)
			}
		}
	}
	return rows, true
}

func samePlans(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = lowerSorted(a), lowerSorted(b)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func lowerSorted(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	sort.Strings(out)
	return out
}

// RollbackWriter receives rollback rows; *report.RollbackFile is one.
type RollbackWriter interface {
	Write(report.RollbackRow) error
}

// RollbackSink is a Sink that, after writing a result to the next Sink, writes the
// rollback rows that undo it when it succeeded. The rollback file is opened on the
// first such row, so a run that changed nothing writes none.
type RollbackSink struct {
	next    Sink
	plan    *planner.Plan
	prior   *Prior
	open    func() (RollbackWriter, error)
	w       RollbackWriter
	written int // rollback rows written
	omitted int // succeeded rows left out: their users' licenses were unknown
}

// NewRollbackSink wraps next; open opens the rollback file when the first row needs it.
func NewRollbackSink(next Sink, plan *planner.Plan, prior *Prior, open func() (RollbackWriter, error)) *RollbackSink {
	return &RollbackSink{next: next, plan: plan, prior: prior, open: open}
}

// Write writes r to the next Sink, then its rollback rows. A rollback that cannot be
// written is an output failure: the run stops.
func (s *RollbackSink) Write(r report.Result) error {
	if err := s.next.Write(r); err != nil {
		return err
	}
	if r.Status != report.StatusSucceeded {
		return nil
	}
	row, ok := s.rowAt(r.Line)
	if !ok {
		return nil
	}
	rows, known := s.prior.Undo(row)
	if !known {
		s.omitted++
		return nil
	}
	for _, rb := range rows {
		if s.w == nil {
			w, err := s.open()
			if err != nil {
				return err
			}
			s.w = w
		}
		if err := s.w.Write(rb); err != nil {
			return err
		}
		s.written++
	}
	return nil
}

// Written reports how many rollback rows were written.
func (s *RollbackSink) Written() int { return s.written }

// Omitted reports how many succeeded rows are not in the rollback file because their
// users' licenses could not be read before the run.
func (s *RollbackSink) Omitted() int { return s.omitted }

// rowAt finds the plan row of a file line (rows are in file order).
func (s *RollbackSink) rowAt(line int) (planner.Row, bool) {
	n := s.plan.NumRows()
	i := sort.Search(n, func(i int) bool { return s.plan.Row(i).Line >= line })
	if i < n {
		if row := s.plan.Row(i); row.Line == line {
			return row, true
		}
	}
	return planner.Row{}, false
}

package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
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

// Prior is what the users of a run held before the run, and the writer of the
// rollback file. To the API a license a user already held looks the same as one the
// run assigned, so the rollback is written from what each user held, never from the
// results alone.
//
// Its Poster, before each update is sent, reads the user's licenses (once per user:
// one GET, paced like every other call, on a context of its own so that the read does
// not count as the update being sent) and writes the rows that undo the update to the
// rollback file, then sends the update. Writing ahead means that an update whose
// answer was lost (a crash, a dropped connection, an abort) is still undone; the
// price is that the file may also hold rows undoing updates that failed, which are
// no-ops: removing a license the user does not hold, or assigning one the user holds
// with the plans it has. It is safe for concurrent use.
type Prior struct {
	r       LicenseReader
	open    func() (RollbackWriter, error)
	mu      sync.Mutex
	users   map[string]*priorUser     // by userKey
	plans   map[string]*customerPlans // by lower-cased customer ID
	unknown int
	w       RollbackWriter
	werr    error
	written int
	omitted int
}

// NewPrior returns a Prior that reads through r and writes the rollback file that
// open opens, on the first row that needs it (a run that changes nothing writes none).
func NewPrior(r LicenseReader, open func() (RollbackWriter, error)) *Prior {
	return &Prior{r: r, open: open, users: map[string]*priorUser{}, plans: map[string]*customerPlans{}}
}

// Unknown reports how many users' licenses could not be read.
func (p *Prior) Unknown() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unknown
}

// Written reports how many rollback rows were written.
func (p *Prior) Written() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

// Omitted reports how many updates were sent without rollback rows because their
// users' licenses could not be read.
func (p *Prior) Omitted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.omitted
}

func userKey(customer, user string) string {
	return strings.ToLower(customer) + "\x00" + strings.ToLower(user)
}

// errRollbackUnwritable marks an update not sent because its rollback rows could not
// be written; Run stops with ErrOutputUnwritable.
var errRollbackUnwritable = errors.New("rollback file unwritable")

// Poster wraps post: before each update it reads what the user holds and writes the
// rows that undo the update.
func (p *Prior) Poster(post Poster) Poster { return priorPoster{p: p, next: post} }

type priorPoster struct {
	p    *Prior
	next Poster
}

func (pp priorPoster) UpdateLicenses(ctx context.Context, customerID, user string, u client.LicenseUpdate) (*client.LicenseUpdate, *client.Response, error) {
	readCtx := ctx
	if st, ok := ctx.Value(sendKey{}).(*sendState); ok {
		// The read has its own state: its going out must not mark the update as sent,
		// or a stop would no longer hold the update back.
		readCtx = withSendState(ctx, &sendState{run: st.run})
	}
	pp.p.read(readCtx, customerID, user)
	if st, ok := ctx.Value(sendKey{}).(*sendState); ok && st.run.Err() != nil {
		// The run stopped during the read: the update will not be sent (the pacer
		// refuses it), so it needs no rollback row and is not counted as left out.
		return pp.next.UpdateLicenses(ctx, customerID, user, u)
	}
	if err := pp.p.writeUndo(customerID, user, u); err != nil {
		return nil, &client.Response{}, err
	}
	return pp.next.UpdateLicenses(ctx, customerID, user, u)
}

// writeUndo writes the rows that undo u, from what the user held before.
func (p *Prior) writeUndo(customer, user string, u client.LicenseUpdate) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pu := p.users[userKey(customer, user)]
	if pu == nil || !pu.known {
		p.omitted++
		return nil
	}
	for _, row := range undo(customer, user, pu.held, u) {
		if p.werr != nil {
			return p.werr
		}
		if p.w == nil {
			w, err := p.open()
			if err != nil {
				p.werr = fmt.Errorf("%w: %w", errRollbackUnwritable, err)
				return p.werr
			}
			p.w = w
		}
		if err := p.w.Write(row); err != nil {
			p.werr = fmt.Errorf("%w: %w", errRollbackUnwritable, err)
			return p.werr
		}
		p.written++
	}
	return nil
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

// undo returns the rows that undo update u of a user who held held before it: an
// assignment of a SKU the user did not hold becomes its removal; one the user held
// with other excluded plans becomes an assignment with the plans as they were; a
// removal of a SKU the user held becomes its assignment, excluded plans kept; a swap
// is swapped back in one row. A license the user held before is never removed.
func undo(customer, user string, held map[string][]string, u client.LicenseUpdate) []report.RollbackRow {
	var removes []string
	var restores []report.RollbackRow
	for _, a := range u.LicensesToAssign {
		ex, had := held[strings.ToLower(a.SkuID)]
		switch {
		case !had:
			removes = append(removes, a.SkuID)
		case !samePlans(ex, a.ExcludedPlans):
			restores = append(restores, report.RollbackRow{Customer: customer, User: user, Sku: a.SkuID, ExcludedPlans: ex})
		}
	}
	for _, id := range u.LicensesToRemove {
		if ex, had := held[strings.ToLower(id)]; had {
			restores = append(restores, report.RollbackRow{Customer: customer, User: user, Sku: id, ExcludedPlans: ex})
		}
	}
	rows := make([]report.RollbackRow, 0, max(len(removes), len(restores)))
	for i, r := range restores {
		if i < len(removes) {
			r.RemoveSku = removes[i]
		}
		rows = append(rows, r)
	}
	for _, id := range removes[min(len(removes), len(restores)):] {
		rows = append(rows, report.RollbackRow{Customer: customer, User: user, RemoveSku: id})
	}
	return rows
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

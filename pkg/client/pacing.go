package client

import (
	"context"
	"math"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// Budget is the pace of one kind of call: at most Rate calls a second (Unlimited for
// no pace of its own, only the 429 gate), bursts of Burst.
type Budget struct {
	Rate  float64
	Burst int
}

// PacingConfig says how calls are paced. The APIs limit reads and writes separately,
// so each has its own budget, which adapts to its own 429s.
type PacingConfig struct {
	Read, Write Budget
	// PerTenant gives each tenant budgets of its own (Graph limits per app and tenant);
	// otherwise one pair of budgets serves every customer (Partner Center).
	PerTenant bool
	// AppWrite, when its Rate is set, caps the writes of every tenant together (Graph's
	// limit per app across tenants); it does not adapt.
	AppWrite Budget
}

// Pacing is a Limiter that paces each call on the budget of its Kind (and, with
// PerTenant, of its Tenant): one adaptive Pacer per budget, made when first needed and
// kept for the rest of the run. A budget is never made twice, so the pace it learned,
// ceiling included, carries on to the next customer's calls (on Partner Center, one
// write budget for every customer) and to a tenant's later calls (on Graph).
type Pacing struct {
	cfg PacingConfig
	app *rate.Limiter

	mu     sync.Mutex
	pacers map[budgetKey]*Pacer
}

type budgetKey struct {
	kind   Kind
	tenant string
}

// NewPacing returns a Pacing for cfg.
func NewPacing(cfg PacingConfig) *Pacing {
	p := &Pacing{cfg: cfg, pacers: map[budgetKey]*Pacer{}}
	if r := cfg.AppWrite.Rate; r > 0 && !math.IsInf(r, 1) {
		p.app = rate.NewLimiter(rate.Limit(r), max(cfg.AppWrite.Burst, 1))
	}
	return p
}

// Pacer returns the pacer of a kind of call for tenant ("" without PerTenant), making
// it when first asked.
func (p *Pacing) Pacer(kind Kind, tenant string) *Pacer {
	k := budgetKey{kind: kind}
	if p.cfg.PerTenant {
		k.tenant = strings.ToLower(tenant)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc := p.pacers[k]; pc != nil {
		return pc
	}
	b := p.cfg.Read
	if kind == Write {
		b = p.cfg.Write
	}
	pc := NewPacer(b.Rate, b.Burst)
	p.pacers[k] = pc
	return pc
}

// Wait waits for the call's budget, then for the app's write budget.
func (p *Pacing) Wait(ctx context.Context, call *Call) error {
	kind, tenant := Read, ""
	if call != nil {
		kind, tenant = call.Kind, call.Tenant
	}
	if kind == Envelope {
		return ctx.Err()
	}
	if err := p.Pacer(kind, tenant).Wait(ctx, call); err != nil {
		return err
	}
	if kind == Write && p.app != nil {
		return p.app.Wait(ctx)
	}
	return nil
}

// Observe hands the attempt to its budget's pacer.
func (p *Pacing) Observe(call *Call, a Attempt) {
	kind, tenant := a.Kind, a.Tenant
	if call != nil {
		kind, tenant = call.Kind, call.Tenant
	}
	if kind == Envelope {
		return
	}
	p.Pacer(kind, tenant).Observe(call, a)
}

// Stats sums the attempts, 429s and retries of every budget of a kind.
func (p *Pacing) Stats(kind Kind) (attempts, throttled, retries int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, pc := range p.pacers {
		if k.kind == kind {
			attempts += pc.Attempts()
			throttled += pc.Throttled()
			retries += pc.Retries()
		}
	}
	return attempts, throttled, retries
}

package graphfake

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Budget is one throttling budget: Limit units (resource units or writes) per Window,
// refilled continuously (a token bucket of Limit tokens refilled at Limit/Window). A
// Limit of 0 or less turns the budget off.
type Budget struct {
	Limit  int
	Window time.Duration
}

func (b Budget) on() bool { return b.Limit > 0 }

// Limits are the fake's throttling budgets. DefaultLimits gives the identity and
// access limits of https://learn.microsoft.com/graph/throttling-limits; the zero
// Limits throttles nothing. A request is admitted only if every budget it draws on
// can pay for it; a refused request pays nothing and gets 429 with Retry-After, the
// whole seconds (at least 1) until the scarcest budget can pay.
type Limits struct {
	// Reads is the resource units (RU) an app may spend on one tenant per window,
	// used when ReadsBySize is false.
	Reads Budget
	// ReadsBySize sizes the per app and tenant RU budget by the tenant's users, per
	// 10 s: 3,500 below 50 users, 5,000 up to 500, 8,000 above.
	ReadsBySize bool
	// AppReads is the RU an app may spend across all tenants: 150,000 per 20 s.
	AppReads Budget
	// Writes is the writes an app may make in one tenant: 3,000 per 150 s.
	Writes Budget
	// AppWrites is the writes an app may make across all tenants: 35,000 per 5 min.
	AppWrites Budget
	// TenantWrites is the writes all apps together may make in one tenant: 18,000
	// per 5 min.
	TenantWrites Budget
	// RPS and Burst are a plain ceiling on Graph requests (each batch item counts),
	// whatever the app or tenant: RPS a second in bursts of Burst (at least 1). RPS 0
	// turns it off. It plays a ceiling the client must discover, and its 429s carry
	// no x-ms-throttle-scope header.
	RPS   float64
	Burst int
}

// DefaultLimits returns the limits of the throttling-limits page: reads by tenant
// size, 150,000 RU per 20 s per app, 3,000 writes per 150 s per app and tenant,
// 35,000 per 5 min per app, 18,000 per 5 min per tenant, and no RPS ceiling.
func DefaultLimits() Limits {
	return Limits{
		ReadsBySize:  true,
		AppReads:     Budget{150_000, 20 * time.Second},
		Writes:       Budget{3_000, 150 * time.Second},
		AppWrites:    Budget{35_000, 5 * time.Minute},
		TenantWrites: Budget{18_000, 5 * time.Minute},
	}
}

func (l Limits) validate() error {
	var errs []error
	for name, b := range map[string]Budget{"Reads": l.Reads, "AppReads": l.AppReads, "Writes": l.Writes,
		"AppWrites": l.AppWrites, "TenantWrites": l.TenantWrites} {
		if b.on() && b.Window <= 0 {
			errs = append(errs, fmt.Errorf("%s: a limit of %d needs a window above 0, not %v", name, b.Limit, b.Window))
		}
	}
	if l.RPS < 0 || math.IsNaN(l.RPS) || math.IsInf(l.RPS, 0) {
		errs = append(errs, fmt.Errorf("RPS %v is not a finite number from 0", l.RPS))
	}
	return errors.Join(errs...)
}

// readsBySize is the per app and tenant RU budget for a tenant of n users.
func readsBySize(n int) Budget {
	switch {
	case n < 50:
		return Budget{3_500, 10 * time.Second}
	case n <= 500:
		return Budget{5_000, 10 * time.Second}
	}
	return Budget{8_000, 10 * time.Second}
}

// cost is what one Graph request costs: resource units, and writes.
type cost struct {
	ru, writes int
}

// charge is one budget a request draws on.
type charge struct {
	key         string  // the bucket
	scope, info string  // x-ms-throttle-scope and -information when it refuses
	capacity    float64 // tokens when full
	rate        float64 // tokens a second
	n           float64
}

// bucketState is a budget's tokens as of last, refilled at rate up to capacity.
type bucketState struct {
	tokens, capacity, rate float64
	last                   time.Time
}

// refill brings a bucket's tokens up to now.
func (st *bucketState) refill(now time.Time) {
	st.tokens = min(st.capacity, st.tokens+now.Sub(st.last).Seconds()*st.rate)
	st.last = now
}

// charges lists the budgets a request of app in tenant (of users users) draws on.
// The caller holds thrMu.
func (s *Server) charges(app, tenantID string, users int, c cost) []charge {
	l := s.limits
	var out []charge
	add := func(key, scope, info string, b Budget, n int) {
		if b.on() && n > 0 && b.Window > 0 {
			out = append(out, charge{key, scope, info, float64(b.Limit), float64(b.Limit) / b.Window.Seconds(), float64(n)})
		}
	}
	if l.RPS > 0 {
		out = append(out, charge{key: "rps", capacity: float64(max(l.Burst, 1)), rate: l.RPS, n: 1})
	}
	reads := l.Reads
	if l.ReadsBySize {
		reads = readsBySize(users)
	}
	add("r|"+app+"|"+tenantID, "Tenant_Application/ReadWrite/"+app+"/"+tenantID, "ResourceUnitLimitExceeded", reads, c.ru)
	add("ar|"+app, "Application/ReadWrite/"+app+"/"+tenantID, "ResourceUnitLimitExceeded", l.AppReads, c.ru)
	add("w|"+app+"|"+tenantID, "Tenant_Application/Write/"+app+"/"+tenantID, "WriteLimitExceeded", l.Writes, c.writes)
	add("aw|"+app, "Application/Write/"+app+"/"+tenantID, "WriteLimitExceeded", l.AppWrites, c.writes)
	add("tw|"+tenantID, "Tenant/Write/"+app+"/"+tenantID, "WriteLimitExceeded", l.TenantWrites, c.writes)
	return out
}

// verdict is what admit decided: admitted (with the share of the most used Graph
// budget, for x-ms-throttle-limit-percentage), or refused with the whole seconds (at
// least 1) until the scarcest budget can pay, and that budget's scope.
type verdict struct {
	ok          bool
	usage       float64
	retryAfter  int
	scope, info string
}

// admit charges a request of app in tenant to every budget it draws on, or to none.
func (s *Server) admit(app, tenantID string, users int, c cost) verdict {
	s.thrMu.Lock()
	defer s.thrMu.Unlock()
	now := time.Now()
	chs := s.charges(app, tenantID, users, c)
	wait := 0.0
	var scope, info string
	for _, ch := range chs {
		st := s.buckets[ch.key]
		if st == nil {
			st = &bucketState{tokens: ch.capacity, capacity: ch.capacity, rate: ch.rate, last: now}
			s.buckets[ch.key] = st
		}
		st.refill(now)
		st.capacity, st.rate = ch.capacity, ch.rate
		st.tokens = min(st.tokens, st.capacity)
		need := min(ch.n, ch.capacity)
		if st.tokens < need {
			if w := (need - st.tokens) / ch.rate; w > wait {
				wait, scope, info = w, ch.scope, ch.info
			}
		}
	}
	if wait > 0 {
		return verdict{retryAfter: max(1, int(math.Ceil(wait-1e-9))), scope: scope, info: info}
	}
	v := verdict{ok: true}
	for _, ch := range chs {
		st := s.buckets[ch.key]
		st.tokens -= min(ch.n, ch.capacity)
		if ch.scope != "" {
			v.usage = max(v.usage, 1-st.tokens/ch.capacity)
		}
	}
	return v
}

// SetLimits changes the throttling budgets while the fake serves (for example to
// lower the ceiling mid-run). Budgets already in use keep their tokens, cut to the new
// capacity. It returns an error, changing nothing, for an invalid Limits.
func (s *Server) SetLimits(l Limits) error {
	if err := l.validate(); err != nil {
		return fmt.Errorf("set limits: %w", err)
	}
	s.thrMu.Lock()
	defer s.thrMu.Unlock()
	// Settle every bucket at the old rates; the new ones apply from now on.
	now := time.Now()
	for _, st := range s.buckets {
		st.refill(now)
	}
	s.limits = l
	return nil
}

// SetRateLimit changes only the plain ceiling (Limits.RPS and Burst); rps 0 or less
// removes it. See SetLimits.
func (s *Server) SetRateLimit(rps float64, burst int) {
	l := s.Limits()
	l.RPS, l.Burst = max(rps, 0), burst
	if math.IsNaN(rps) || math.IsInf(rps, 0) {
		l.RPS = 0
	}
	_ = s.SetLimits(l) // valid by construction
}

// Limits returns the throttling budgets in force.
func (s *Server) Limits() Limits {
	s.thrMu.Lock()
	defer s.thrMu.Unlock()
	return s.limits
}

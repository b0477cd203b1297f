package graphfake

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
)

// WithLimits replaces every throttling budget (see Limits; DefaultLimits is the
// default, the zero Limits throttles nothing).
func WithLimits(l Limits) Option {
	return func(s *Server) error {
		if err := l.validate(); err != nil {
			return fmt.Errorf("WithLimits: %w", err)
		}
		s.limits = l
		return nil
	}
}

// WithoutThrottling turns every throttling budget off.
func WithoutThrottling() Option {
	return func(s *Server) error {
		s.limits = Limits{}
		return nil
	}
}

// budgetOption sets one budget, checking it.
func budgetOption(name string, n int, window time.Duration, set func(*Limits, Budget)) Option {
	return func(s *Server) error {
		if n > 0 && window <= 0 {
			return fmt.Errorf("%s: a limit of %d needs a window above 0, not %v", name, n, window)
		}
		set(&s.limits, Budget{n, window})
		return nil
	}
}

// WithWriteLimit sets the writes an app may make in one tenant per window (default
// 3,000 per 150 s); n 0 turns the budget off.
func WithWriteLimit(n int, window time.Duration) Option {
	return budgetOption("WithWriteLimit", n, window, func(l *Limits, b Budget) { l.Writes = b })
}

// WithAppWriteLimit sets the writes an app may make across all tenants per window
// (default 35,000 per 5 min); n 0 turns the budget off.
func WithAppWriteLimit(n int, window time.Duration) Option {
	return budgetOption("WithAppWriteLimit", n, window, func(l *Limits, b Budget) { l.AppWrites = b })
}

// WithTenantWriteLimit sets the writes all apps together may make in one tenant per
// window (default 18,000 per 5 min); n 0 turns the budget off.
func WithTenantWriteLimit(n int, window time.Duration) Option {
	return budgetOption("WithTenantWriteLimit", n, window, func(l *Limits, b Budget) { l.TenantWrites = b })
}

// WithReadLimit sets the resource units an app may spend on one tenant per window,
// whatever the tenant's size (default: 3,500, 5,000 or 8,000 per 10 s by size); ru 0
// turns the budget off.
func WithReadLimit(ru int, window time.Duration) Option {
	return budgetOption("WithReadLimit", ru, window, func(l *Limits, b Budget) { l.Reads, l.ReadsBySize = b, false })
}

// WithAppReadLimit sets the resource units an app may spend across all tenants per
// window (default 150,000 per 20 s); ru 0 turns the budget off.
func WithAppReadLimit(ru int, window time.Duration) Option {
	return budgetOption("WithAppReadLimit", ru, window, func(l *Limits, b Budget) { l.AppReads = b })
}

// WithRateLimit adds a plain ceiling of rps Graph requests a second in bursts of
// burst (at least 1), whatever the app or tenant, on top of the other budgets: the
// "unknown ceiling" a client must discover from its 429s. rps 0 (the default) turns
// it off.
func WithRateLimit(rps float64, burst int) Option {
	return func(s *Server) error {
		if rps < 0 || math.IsNaN(rps) || math.IsInf(rps, 0) {
			return fmt.Errorf("WithRateLimit: %v requests a second is not a finite number from 0", rps)
		}
		s.limits.RPS, s.limits.Burst = rps, burst
		return nil
	}
}

// WithLatency makes every answer wait mean plus or minus a uniform jitter, cut short
// (with no answer) when the request's context ends. A $batch waits once.
func WithLatency(mean, jitter time.Duration) Option {
	return func(s *Server) error {
		if mean < 0 || jitter < 0 {
			return fmt.Errorf("WithLatency: mean %v and jitter %v must not be negative", mean, jitter)
		}
		s.latency, s.jitter = mean, jitter
		return nil
	}
}

// WithLatencySpikes adds d to the latency of a share p (0 to 1) of answers.
func WithLatencySpikes(p float64, d time.Duration) Option {
	return func(s *Server) error {
		if err := checkShare("WithLatencySpikes", p); err != nil {
			return err
		}
		if d < 0 {
			return fmt.Errorf("WithLatencySpikes: the spike %v must not be negative", d)
		}
		s.spikeP, s.spikeD = p, d
		return nil
	}
}

// WithFailureRate answers a share p (0 to 1) of Graph requests (each batch item
// drawn separately) with 500 or 503, without applying them: 503 with code
// serviceNotAvailable, 500 with code generalException.
func WithFailureRate(p float64) Option {
	return func(s *Server) error {
		if err := checkShare("WithFailureRate", p); err != nil {
			return err
		}
		s.failureP = p
		return nil
	}
}

// WithDropRate drops the connection of a share p (0 to 1) of applied writes (a
// direct assignLicense or PATCH, or a $batch in which any item was applied) after the
// ledger changed, without an answer: the client cannot know whether its call worked.
// A net/http server closes the connection (the handler panics with
// http.ErrAbortHandler); Transport returns ErrConnectionDropped.
func WithDropRate(p float64) Option {
	return func(s *Server) error {
		if err := checkShare("WithDropRate", p); err != nil {
			return err
		}
		s.dropP = p
		return nil
	}
}

// WithoutRetryAfter leaves the Retry-After header out of a share p (0 to 1) of 429
// answers, as the throttling page says may happen (a client then backs off on its
// own). By default every 429 carries it.
func WithoutRetryAfter(p float64) Option {
	return func(s *Server) error {
		if err := checkShare("WithoutRetryAfter", p); err != nil {
			return err
		}
		s.noRetryAfterP = p
		return nil
	}
}

// WithSeed makes the fake's random choices (jitter, spikes, failures, drops, the
// order of batch answers) repeatable: the same seed and the same sequence of requests
// give the same faults.
func WithSeed(seed int64) Option {
	return func(s *Server) error {
		s.seed, s.seeded = seed, true
		return nil
	}
}

// WithRequestLog keeps a record of every request and batch item, read with Requests.
// It is off by default to keep long runs small.
func WithRequestLog() Option {
	return func(s *Server) error {
		s.logRequests = true
		return nil
	}
}

// WithInspection also serves the read-only /_graphfake/ endpoints (see
// InspectStatsPath) and turns the request log on.
func WithInspection() Option {
	return func(s *Server) error {
		s.inspection, s.logRequests = true, true
		return nil
	}
}

// WithBaseURL sets the scheme and host of the @odata.nextLink links the fake makes
// (for example behind a proxy); by default they name the host each request was sent
// to, over https when the request came over TLS, else http.
func WithBaseURL(base string) Option {
	return func(s *Server) error {
		u, err := url.Parse(base)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("WithBaseURL: %q is not an absolute URL such as https://graph.example", base)
		}
		s.baseURL = u.Scheme + "://" + u.Host
		return nil
	}
}

// WithLicenseAdminCanListUsers lets License Administrator alone read users (GET
// /users, /users/{id}, /users/$count, licenseDetails). The notes leave it open; by
// default it cannot, as the GDAP role table lists only Directory Readers, Global
// Reader and User Administrator for listing users.
func WithLicenseAdminCanListUsers() Option {
	return func(s *Server) error {
		s.licenseAdminLists = true
		return nil
	}
}

// WithNullLicenseLists accepts null for addLicenses or removeLicenses as an empty
// list. By default null is refused like a missing key (400, the missing parameters
// message), as Graph's documentation says both are required collections.
func WithNullLicenseLists() Option {
	return func(s *Server) error {
		s.nullLists = true
		return nil
	}
}

// WithReaddNeedsFreeSeat refuses to re-add a SKU a user already holds (an update of
// its disabledPlans) when the SKU has no free unit, with the no-available-licenses
// error. By default such an update is allowed, since it consumes no unit.
func WithReaddNeedsFreeSeat() Option {
	return func(s *Server) error {
		s.readdNeedsSeat = true
		return nil
	}
}

// WithWarningUnitsAssignable counts a SKU's prepaidUnits.warning as assignable:
// free = enabled + warning - consumed. By default free = enabled - consumed, the
// formula admin tools use.
func WithWarningUnitsAssignable() Option {
	return func(s *Server) error {
		s.warningAssignable = true
		return nil
	}
}

// WithConflictingPlans makes two service plans mutually exclusive: an assignLicense
// that would leave a user with both enabled, one of them from a SKU it adds, fails
// with "License assignment failed because service plans {a},{b} are mutually
// exclusive." and changes nothing.
func WithConflictingPlans(planA, planB string) Option {
	return func(s *Server) error {
		if !isGUID(planA) || !isGUID(planB) || strings.EqualFold(planA, planB) {
			return fmt.Errorf("WithConflictingPlans: %q and %q must be two different service plan IDs", planA, planB)
		}
		s.conflicts = append(s.conflicts, [2]string{strings.ToLower(planA), strings.ToLower(planB)})
		return nil
	}
}

// WithPlanDependency makes plan need one of requires enabled: an assignLicense that
// would leave a user with plan enabled, from a SKU it adds, and none of requires
// fails with "License assignment failed because service plan {plan} depends on the
// service plan(s) {requires}." and changes nothing.
func WithPlanDependency(plan string, requires ...string) Option {
	return func(s *Server) error {
		if !isGUID(plan) || len(requires) == 0 {
			return fmt.Errorf("WithPlanDependency: %q needs a service plan ID and at least one plan it requires", plan)
		}
		if s.depends == nil {
			s.depends = make(map[string][]string)
		}
		for _, r := range requires {
			if !isGUID(r) {
				return fmt.Errorf("WithPlanDependency: required plan %q is not a service plan ID", r)
			}
			s.depends[strings.ToLower(plan)] = append(s.depends[strings.ToLower(plan)], strings.ToLower(r))
		}
		return nil
	}
}

func checkShare(name string, p float64) error {
	if p < 0 || p > 1 || math.IsNaN(p) {
		return fmt.Errorf("%s: the share %v is not between 0 and 1", name, p)
	}
	return nil
}

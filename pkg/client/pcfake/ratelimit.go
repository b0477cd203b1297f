package pcfake

import (
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// budget names one of the rate limits: every call, reads, writes.
type budget int

const (
	budgetAll budget = iota
	budgetRead
	budgetWrite
	numBudgets
)

// rateSetting is a rate limit as an option gave it.
type rateSetting struct {
	rps   float64
	burst int
}

// isRead tells a read (a GET or HEAD, which the read budget counts) from a write
// (every other method, which the write budget counts).
func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// SetRateLimit changes the limit on every call while the fake serves: rps requests per
// second with bursts of burst; rps 0 or less removes the limit. A limiter already in
// place keeps its current tokens.
func (s *Server) SetRateLimit(rps float64, burst int) { s.setRate(budgetAll, rps, burst) }

// SetReadRateLimit changes the limit on reads (GETs) while the fake serves, as
// SetRateLimit does for every call; a bench changes a ceiling mid-run this way.
func (s *Server) SetReadRateLimit(rps float64, burst int) { s.setRate(budgetRead, rps, burst) }

// SetWriteRateLimit changes the limit on writes (POSTs, PATCHes) while the fake serves,
// as SetRateLimit does for every call.
func (s *Server) SetWriteRateLimit(rps float64, burst int) { s.setRate(budgetWrite, rps, burst) }

func (s *Server) setRate(b budget, rps float64, burst int) {
	burst = max(burst, 1)
	s.limMu.Lock()
	defer s.limMu.Unlock()
	lim := s.limiters[b]
	switch {
	case rps <= 0 || math.IsNaN(rps):
		s.limiters[b] = nil
	case lim == nil:
		s.limiters[b] = rate.NewLimiter(rate.Limit(rps), burst)
	default:
		now := time.Now()
		lim.SetLimitAt(now, rate.Limit(rps))
		lim.SetBurstAt(now, burst)
	}
}

// admit takes one token from the limit on every call and one from the read or write
// limit, all or none: over any limit it takes none and returns the whole seconds (at
// least 1) until every limit that refused will have a token.
func (s *Server) admit(read bool) (retryAfter int, ok bool) {
	kind := budgetWrite
	if read {
		kind = budgetRead
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	now := time.Now()
	lims := [2]*rate.Limiter{s.limiters[budgetAll], s.limiters[kind]}
	wait := 0
	for _, lim := range lims {
		if lim == nil {
			continue
		}
		if tokens := lim.TokensAt(now); tokens < 1 {
			secs := 1
			if l := float64(lim.Limit()); l > 0 {
				secs = max(int(math.Ceil((1-tokens)/l)), 1)
			}
			wait = max(wait, secs)
		}
	}
	if wait > 0 {
		return wait, false
	}
	for _, lim := range lims {
		if lim != nil {
			lim.AllowN(now, 1) // holds a token: checked above, under limMu
		}
	}
	return 0, true
}

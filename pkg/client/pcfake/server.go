package pcfake

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// DefaultCustomerID is the customer ID the Partner Center documentation's examples use.
const DefaultCustomerID = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"

// maxReplays is how many answered request IDs the fake remembers for replay; the
// oldest are forgotten first, so that a very long demo run stays bounded in memory.
const maxReplays = 1 << 17

// maxBodyBytes caps a licenseupdates request body.
const maxBodyBytes = 1 << 20

// User is one user of a customer, as the users resource of Partner Center describes
// it. A user is addressable in a request path by ID or by user principal name.
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	UsageLocation     string
	State             string
}

// Option configures a Server; see New.
type Option func(*Server)

// Server is a local Partner Center: an http.Handler serving the subscribedskus and
// licenseupdates calls of one or more customers from a ledger of who holds which SKU.
// Its methods are safe for concurrent use. Build one with New.
type Server struct {
	mux *http.ServeMux

	// Configuration, fixed once New returns (except the limiter, see SetRateLimit).
	tokenCheck   func(string) bool
	latency      time.Duration
	jitter       time.Duration
	spikeP       float64
	spikeD       time.Duration
	failureP     float64
	dropP        float64
	seed         int64
	seeded       bool
	logRequests  bool
	inspection   bool
	rateRPS      float64
	rateBurst    int
	pendingUsers []pendingUsers
	pendingHold  []pendingHolder
	errs         []error

	mu           sync.Mutex // guards customers, calls, ring, fingerprints
	customers    map[string]*customer
	calls        map[string]*call
	ring         []string
	ringNext     int
	fingerprints map[uint64]struct{}
	hashSeed     maphash.Seed

	limMu   sync.Mutex
	limiter *rate.Limiter // nil: unlimited

	rngMu sync.Mutex
	rng   *rand.Rand

	statsMu sync.Mutex
	stats   Stats
	log     []Request
}

type pendingUsers struct {
	customerID string
	users      []User
}

type pendingHolder struct {
	customerID, user, skuID string
}

// New builds a Server from its options, applied in order; WithUsers and WithHolder are
// resolved after every WithCustomer, whatever their order. New panics when an option
// is inconsistent (a malformed catalogue, a holder of an unknown customer, user or SKU,
// a holder beyond the available units): such a fake is a mistake in the test or demo
// that builds it.
func New(opts ...Option) *Server {
	s := &Server{
		customers:    make(map[string]*customer),
		calls:        make(map[string]*call),
		fingerprints: make(map[uint64]struct{}),
		hashSeed:     maphash.MakeSeed(),
		stats:        Stats{ByStatus: make(map[int]int)},
	}
	for _, opt := range opts {
		opt(s)
	}
	for _, pu := range s.pendingUsers {
		if err := s.addUsers(pu.customerID, pu.users); err != nil {
			s.errs = append(s.errs, fmt.Errorf("WithUsers %s: %w", pu.customerID, err))
		}
	}
	for _, ph := range s.pendingHold {
		s.addHolder(ph)
	}
	if len(s.errs) > 0 {
		panic(fmt.Errorf("pcfake: new server: %w", errors.Join(s.errs...)))
	}
	if s.tokenCheck == nil {
		s.tokenCheck = func(string) bool { return true }
	}
	seed := s.seed
	if !s.seeded {
		seed = rand.Int64()
	}
	s.rng = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	s.SetRateLimit(s.rateRPS, s.rateBurst)

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v1/customers/{customer}/subscribedskus", s.handler(routeSubscribedSkus))
	s.mux.HandleFunc("POST /v1/customers/{customer}/users/{user}/licenseupdates", s.handler(routeLicenseUpdates))
	s.mux.HandleFunc("GET /v1/customers/{customer}/users", s.handler(routeUsers))
	s.mux.HandleFunc("GET /v1/customers/{customer}/users/{user}/licenses", s.handler(routeUserLicenses))
	s.mux.HandleFunc("/", s.handler(routeUnknown))
	if s.inspection {
		s.serveInspection()
	}
	return s
}

// WithCustomer adds a customer whose subscribed SKUs are a deep copy of skus, with
// their units as the catalogue states them. A second WithCustomer for the same ID
// replaces the first.
func WithCustomer(customerID string, skus []partnercenter.SubscribedSku) Option {
	return func(s *Server) {
		if strings.TrimSpace(customerID) == "" {
			s.errs = append(s.errs, errors.New("WithCustomer: the customer ID is empty"))
			return
		}
		if err := validateCatalogue(skus); err != nil {
			s.errs = append(s.errs, fmt.Errorf("WithCustomer %s: %w", customerID, err))
			return
		}
		s.customers[strings.ToLower(customerID)] = newCustomer(customerID, skus)
	}
}

// WithUsers gives a customer a user list: from then on a licenseupdates call for a user
// who is not on it is answered 404 with code 60002, and a user may be addressed by ID
// or user principal name, both naming the same holder in the ledger. The users GET
// pages through the list in the order given; an assignment to a user without a usage
// location, or to an inactive one, is refused (see the package documentation).
// Without WithUsers every user exists, with no checks, and the users GET answers an
// empty collection. Every user needs an ID; a user whose ID is already on the list
// replaces the earlier entry in its place. GenerateUsers makes a list.
func WithUsers(customerID string, users []User) Option {
	return func(s *Server) {
		s.pendingUsers = append(s.pendingUsers, pendingUsers{customerID, append([]User(nil), users...)})
	}
}

// WithHolder makes user (an ID or user principal name) hold skuID from the start, with
// every service plan; it consumes one available unit.
func WithHolder(customerID, user, skuID string) Option {
	return func(s *Server) {
		s.pendingHold = append(s.pendingHold, pendingHolder{customerID, user, skuID})
	}
}

// WithToken sets the bearer token every call must carry, else it is answered 401 with
// code 800001. The empty token (the default) accepts any non-empty bearer token.
func WithToken(token string) Option {
	return func(s *Server) {
		if token == "" {
			s.tokenCheck = nil
			return
		}
		want := []byte(token)
		s.tokenCheck = func(got string) bool { return subtle.ConstantTimeCompare([]byte(got), want) == 1 }
	}
}

// WithTokenCheck decides with f which non-empty bearer tokens are accepted (for
// example tokens that expire); it replaces WithToken.
func WithTokenCheck(f func(token string) bool) Option {
	return func(s *Server) { s.tokenCheck = f }
}

// WithRateLimit throttles the fake to rps requests per second with bursts of burst (a
// token bucket); a request over the limit is answered 429 with Retry-After, consumes
// no token and is not applied. rps 0 (the default) is unlimited; burst below 1 counts
// as 1.
func WithRateLimit(rps float64, burst int) Option {
	return func(s *Server) { s.rateRPS, s.rateBurst = rps, burst }
}

// WithLatency makes every request that passes the token and rate checks wait mean plus
// or minus a uniform jitter before it is processed, honouring the request's context.
func WithLatency(mean, jitter time.Duration) Option {
	return func(s *Server) { s.latency, s.jitter = max(mean, 0), max(jitter, 0) }
}

// WithLatencySpikes adds d to the latency of a share p (0 to 1) of requests.
func WithLatencySpikes(p float64, d time.Duration) Option {
	return func(s *Server) { s.spikeP, s.spikeD = clampShare(p), max(d, 0) }
}

// WithFailureRate answers a share p (0 to 1) of calls with 500 or 503 and code 800003,
// without applying them.
func WithFailureRate(p float64) Option {
	return func(s *Server) { s.failureP = clampShare(p) }
}

// WithDropRate drops the connection of a share p (0 to 1) of licenseupdates POSTs
// after the update was applied, without an answer: the client cannot know whether its
// call worked. A net/http server closes the connection (the handler panics with
// http.ErrAbortHandler); Transport returns an error.
func WithDropRate(p float64) Option {
	return func(s *Server) { s.dropP = clampShare(p) }
}

// WithSeed makes the fake's random choices (jitter, spikes, failures, drops)
// repeatable: the same seed and the same sequence of requests give the same faults.
func WithSeed(seed int64) Option {
	return func(s *Server) { s.seed, s.seeded = seed, true }
}

// WithRequestLog keeps a record of every request, read with Requests. It is off by
// default to keep long runs small.
func WithRequestLog() Option {
	return func(s *Server) { s.logRequests = true }
}

// WithInspection also serves read-only endpoints that show the fake's state to a test
// or a script in another process, as JSON:
//
//	GET /_pcfake/stats                       Stats
//	GET /_pcfake/holdings?customer=ID        Holdings(ID): {user: {skuId: excluded plan IDs or null}}
//	GET /_pcfake/units?customer=ID[&sku=ID]  [SkuUnits...] in catalogue order, or of the one SKU
//	GET /_pcfake/requests                    Requests(): the request log, oldest end first
//
// It turns the request log on (WithRequestLog), so a long run with it grows in memory.
// An unknown customer or SKU is answered 404, a missing customer 400, with
// {"error": "..."}. These are not Partner Center calls: they need no token, meet no
// latency, rate limit or fault, and count in no Stats. Off by default.
func WithInspection() Option {
	return func(s *Server) { s.inspection, s.logRequests = true, true }
}

// SetRateLimit changes the rate limit while the fake serves: rps requests per second
// with bursts of burst; rps 0 or less removes the limit. A limiter already in place
// keeps its current tokens.
func (s *Server) SetRateLimit(rps float64, burst int) {
	burst = max(burst, 1)
	s.limMu.Lock()
	defer s.limMu.Unlock()
	switch {
	case rps <= 0:
		s.limiter = nil
	case s.limiter == nil:
		s.limiter = rate.NewLimiter(rate.Limit(rps), burst)
	default:
		now := time.Now()
		s.limiter.SetLimitAt(now, rate.Limit(rps))
		s.limiter.SetBurstAt(now, burst)
	}
}

func clampShare(p float64) float64 {
	return min(max(p, 0), 1)
}

// addHolder records a starting holding, consuming one unit.
func (s *Server) addHolder(ph pendingHolder) {
	c := s.customers[strings.ToLower(ph.customerID)]
	if c == nil {
		s.errs = append(s.errs, fmt.Errorf("WithHolder: no customer %s (add it with WithCustomer)", ph.customerID))
		return
	}
	key, ok := c.userKey(ph.user)
	if !ok {
		s.errs = append(s.errs, fmt.Errorf("WithHolder %s: no user %q in the WithUsers list", ph.customerID, ph.user))
		return
	}
	k := c.skus[strings.ToLower(ph.skuID)]
	if k == nil {
		s.errs = append(s.errs, fmt.Errorf("WithHolder %s: no SKU %s in the customer's catalogue", ph.customerID, ph.skuID))
		return
	}
	h := c.holder(key, ph.user)
	if _, held := h.skus[k.id()]; held {
		return
	}
	if k.item.AvailableUnits < 1 {
		s.errs = append(s.errs, fmt.Errorf("WithHolder %s: SKU %s has no available unit left for %s", ph.customerID, ph.skuID, ph.user))
		return
	}
	h.skus[k.id()] = nil
	k.item.AvailableUnits--
	k.item.ConsumedUnits++
}

// Holdings returns a copy of the customer's ledger: for each user who holds anything,
// keyed by the user as first seen (the path segment of the first request or the
// WithHolder argument), the product SKU IDs held (spelt as in the catalogue) and the
// excluded service plan IDs of each (nil when every plan is assigned). Users the
// catalogue's consumed units stand for are not in it. An unknown customer gives nil.
func (s *Server) Holdings(customerID string) map[string]map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return nil
	}
	out := make(map[string]map[string][]string, len(c.holders))
	for _, h := range c.holders {
		if len(h.skus) == 0 {
			continue
		}
		m := make(map[string][]string, len(h.skus))
		for id, plans := range h.skus {
			if plans != nil {
				plans = append([]string(nil), plans...)
			}
			m[id] = plans
		}
		out[h.name] = m
	}
	return out
}

// Units returns the current available and consumed units of one SKU of a customer;
// zeros when either is unknown.
func (s *Server) Units(customerID, skuID string) (available, consumed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return 0, 0
	}
	k := c.skus[strings.ToLower(skuID)]
	if k == nil {
		return 0, 0
	}
	return k.item.AvailableUnits, k.item.ConsumedUnits
}

// AddHolder makes user hold skuID from now on, consuming one unit, as WithHolder does
// at construction (a demo seeds its tenant this way once it knows the users). It
// returns the error for which WithHolder would make New panic.
func (s *Server) AddHolder(customerID, user, skuID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.errs)
	s.addHolder(pendingHolder{customerID, user, skuID})
	if len(s.errs) > n {
		err := s.errs[n]
		s.errs = s.errs[:n]
		return err
	}
	return nil
}

package pcfake

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultCustomerID is the customer ID the Partner Center documentation's examples use.
const DefaultCustomerID = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"

// maxReplays is how many answered request IDs the fake remembers for replay; the
// oldest are forgotten first, so that a very long demo run stays bounded in memory.
const maxReplays = 1 << 17

// maxBodyBytes caps a request body.
const maxBodyBytes = 1 << 20

// User is one user of a customer, as the users resource of Partner Center describes
// it. A user is addressable in a request path by ID or by user principal name (see
// WithObjectIDLookupsOnly for the user GET and PATCH). State "inactive" (any case)
// marks a deleted user; "" is listed as "active".
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	UsageLocation     string
	State             string
}

// Server is a local Partner Center: an http.Handler serving the calls bulkassign makes
// for one or more customers from a ledger of who holds which SKU. Its methods are
// safe for concurrent use. Build one with New.
type Server struct {
	mux *http.ServeMux

	// Configuration, fixed once New returns (except the limiters, see SetRateLimit).
	tokenCheck   func(string) bool
	mfaCheck     func(string) bool // nil: no MFA enforcement
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
	behaviour    behaviour
	rates        [numBudgets]rateSetting
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

	limMu    sync.Mutex
	limiters [numBudgets]*rate.Limiter // nil: unlimited

	rngMu sync.Mutex
	rng   *rand.Rand

	statsMu sync.Mutex
	stats   Stats
	log     []Request
}

// behaviour holds the choices the documentation leaves open; the zero value is the
// default of each (see the package documentation, Assumptions).
type behaviour struct {
	objectIDLookupsOnly bool // user GET/PATCH find users by object ID only
	deletedInListing    bool // the unfiltered users listing includes inactive users
	deletedFoundByID    bool // user GET/PATCH find inactive users
	strictRemovals      bool // removing an unheld SKU is refused
}

type pendingUsers struct {
	customerID string
	users      []User
}

// New builds a Server from its options, applied in order; WithUsers, WithHolder,
// WithHolding and WithHoldings are resolved after every WithCustomer, whatever their
// order. It returns an error naming every option's problem (a malformed catalogue, a
// share outside 0 to 1, a holder of an unknown customer, user, SKU or service plan, a
// holder beyond the available units...) and then no Server.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		customers:    make(map[string]*customer),
		calls:        make(map[string]*call),
		fingerprints: make(map[uint64]struct{}),
		hashSeed:     maphash.MakeSeed(),
		stats:        Stats{ByStatus: make(map[int]int)},
	}
	for i, opt := range opts {
		if opt == nil {
			s.errs = append(s.errs, fmt.Errorf("option %d is nil", i+1))
			continue
		}
		if err := opt(s); err != nil {
			s.errs = append(s.errs, err)
		}
	}
	for _, pu := range s.pendingUsers {
		if err := s.addUsers(pu.customerID, pu.users); err != nil {
			s.errs = append(s.errs, fmt.Errorf("WithUsers %s: %w", pu.customerID, err))
		}
	}
	for _, ph := range s.pendingHold {
		if err := s.addHolder(ph); err != nil {
			s.errs = append(s.errs, err)
		}
	}
	if len(s.errs) > 0 {
		return nil, fmt.Errorf("build fake Partner Center: %w", errors.Join(s.errs...))
	}
	if s.tokenCheck == nil {
		s.tokenCheck = func(string) bool { return true }
	}
	seed := s.seed
	if !s.seeded {
		seed = rand.Int64()
	}
	s.rng = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	for b, r := range s.rates {
		s.setRate(budget(b), r.rps, r.burst)
	}

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v1/customers/{customer}/subscribedskus", s.handler(routeSubscribedSkus))
	s.mux.HandleFunc("POST /v1/customers/{customer}/users/{user}/licenseupdates", s.handler(routeLicenseUpdates))
	s.mux.HandleFunc("GET /v1/customers/{customer}/users", s.handler(routeUsers))
	s.mux.HandleFunc("GET /v1/customers/{customer}/users/{user}", s.handler(routeUser))
	s.mux.HandleFunc("PATCH /v1/customers/{customer}/users/{user}", s.handler(routeUpdateUser))
	s.mux.HandleFunc("GET /v1/customers/{customer}/users/{user}/licenses", s.handler(routeUserLicenses))
	s.mux.HandleFunc("/", s.handler(routeUnknown))
	if s.inspection {
		s.serveInspection()
	}
	return s, nil
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

// Users returns a copy of a customer's user list in its order, with the changes calls
// made (a usage location a PATCH set); nil for an unknown customer or one without a
// list.
func (s *Server) Users(customerID string) []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil || c.users == nil {
		return nil
	}
	out := make([]User, len(c.list))
	for i, u := range c.list {
		out[i] = *u
	}
	return out
}

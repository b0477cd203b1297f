package graphfake

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultTenantID is a customer tenant ID for tests and demos.
const DefaultTenantID = "3a6f5c2e-8d41-4b7a-9c0e-5f2d1b8a7e64"

// DefaultClientID is the app (client) ID of the tokens WithStaticToken installs; the
// token endpoint's tokens carry the client_id that asked for them.
const DefaultClientID = "5e9a0c7b-2f41-4d86-b3a8-9c1e7f4d2a60"

// maxBodyBytes caps a request body ($batch included).
const maxBodyBytes = 4 << 20

// maxRemembered caps the client-request-ids the fake remembers for Stats and Repeats;
// the oldest are forgotten first.
const maxRemembered = 1 << 17

// Option configures a Server; see New. An option that cannot apply returns an error
// that names it.
type Option func(*Server) error

// Server is a local Microsoft Graph v1.0 for license assignment under GDAP: an
// http.Handler serving subscribedSkus, users, assignLicense, $batch and a token
// endpoint for one or more tenants, from a ledger of who holds which license. Its
// methods are safe for concurrent use. Build one with New.
type Server struct {
	// Configuration, fixed once New returns (limits: see SetLimits).
	staticTokens      map[string]identity
	apps              map[string]string // client ID -> secret; nil: any client
	seedRefresh       map[string]bool   // nil: any refresh token
	tokenLifetime     time.Duration
	rotate            bool
	revokeUsed        bool
	tokenV1, tokenV2  bool
	licenseAdminLists bool
	nullLists         bool
	readdNeedsSeat    bool
	warningAssignable bool
	readLag           time.Duration
	conflicts         [][2]string         // lower-cased plan pairs
	depends           map[string][]string // lower-cased plan -> any of these
	latency, jitter   time.Duration
	spikeP            float64
	spikeD            time.Duration
	failureP, dropP   float64
	noRetryAfterP     float64
	seed              int64
	seeded            bool
	logRequests       bool
	inspection        bool
	baseURL           string
	pendingUsers      []func() error
	pendingSeeds      []seed

	mu            sync.Mutex // guards tenants and tokens
	tenants       map[string]*tenant
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken
	hashSeed      maphash.Seed

	thrMu   sync.Mutex
	limits  Limits
	buckets map[string]*bucketState

	rngMu sync.Mutex
	rng   *rand.Rand

	statsMu   sync.Mutex // guards stats, log and the client-request-id memory
	stats     Stats
	log       []Request
	writeIDs  map[string]*writeID
	writeRing []string
	writeNext int

	inspect *http.ServeMux
}

// New builds a Server from its options, applied in order; options naming a tenant's
// users, roles or tokens are resolved after every WithTenant, and holders after every
// user, whatever their order. It returns every option's error, joined.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		tenants:       make(map[string]*tenant),
		staticTokens:  make(map[string]identity),
		accessTokens:  make(map[string]*accessToken),
		refreshTokens: make(map[string]*refreshToken),
		writeIDs:      make(map[string]*writeID),
		hashSeed:      maphash.MakeSeed(),
		tokenLifetime: defaultTokenLifetime,
		rotate:        true,
		tokenV2:       true,
		limits:        DefaultLimits(),
		buckets:       make(map[string]*bucketState),
		stats:         Stats{ByStatus: make(map[int]int), BatchItemsByStatus: make(map[int]int)},
	}
	var errs []error
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range s.pendingUsers {
		if err := f(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, sd := range s.pendingSeeds {
		if err := s.addSeed(sd); err != nil {
			name := "WithHolder"
			if sd.group != "" {
				name = "WithGroupHolder"
			}
			errs = append(errs, fmt.Errorf("%s %s: %w", name, sd.tenant, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("graphfake: new server: %w", errors.Join(errs...))
	}
	seed := s.seed
	if !s.seeded {
		seed = rand.Int64()
	}
	s.rng = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	if s.inspection {
		s.serveInspection()
	}
	return s, nil
}

// WithTenant adds a customer tenant whose subscribed SKUs are a copy of skus (see
// LoadSubscribedSkus for what each needs), with their consumed units as given: those
// units belong to no user the fake knows, so no removal frees them. A second
// WithTenant for the same ID replaces the first. The tenant ID must be a GUID.
func WithTenant(tenantID string, skus []SubscribedSku) Option {
	return func(s *Server) error {
		if !isGUID(tenantID) {
			return fmt.Errorf("WithTenant: the tenant ID %q is not a GUID", tenantID)
		}
		items := make([]SubscribedSku, len(skus))
		for i, it := range skus {
			items[i] = copySku(it)
		}
		if err := normaliseSkus(items); err != nil {
			return fmt.Errorf("WithTenant %s: %w", tenantID, err)
		}
		s.tenants[strings.ToLower(tenantID)] = newTenant(tenantID, items)
		return nil
	}
}

// WithUsers gives a tenant users (see AddUsers for the rules). Only the users given
// exist: a request naming another is answered 404.
func WithUsers(tenantID string, users []User) Option {
	users = append([]User(nil), users...)
	return func(s *Server) error {
		s.pendingUsers = append(s.pendingUsers, func() error {
			t := s.tenants[strings.ToLower(tenantID)]
			if t == nil {
				return fmt.Errorf("WithUsers %s: %w", tenantID, errNoTenant)
			}
			if err := t.addUsers(users); err != nil {
				return fmt.Errorf("WithUsers %s: %w", tenantID, err)
			}
			return nil
		})
		return nil
	}
}

// WithHolder makes user (an object ID or user principal name) hold skuID directly
// from the start, with disabledPlans disabled; it consumes one unit, and New fails
// when none is free. The rules of assignLicense (usage location, conflicting plans)
// are not applied.
func WithHolder(tenantID, user, skuID string, disabledPlans []string) Option {
	return func(s *Server) error {
		s.pendingSeeds = append(s.pendingSeeds, seed{tenantID, user, skuID, "", append([]string(nil), disabledPlans...)})
		return nil
	}
}

// WithGroupHolder makes user hold skuID through the group groupID (group-based
// licensing) from the start, as WithHolder does directly. Such a license cannot be
// removed with assignLicense; a direct assignment of the same SKU adds a second path
// and consumes no unit.
func WithGroupHolder(tenantID, user, skuID, groupID string, disabledPlans []string) Option {
	return func(s *Server) error {
		if strings.TrimSpace(groupID) == "" {
			return errors.New("WithGroupHolder: the group ID is empty")
		}
		s.pendingSeeds = append(s.pendingSeeds, seed{tenantID, user, skuID, groupID, append([]string(nil), disabledPlans...)})
		return nil
	}
}

// WithRoles gives the partner exactly roles (GDAP role names such as RoleUserAdministrator,
// matched in any case) in a tenant. Without WithRoles the partner holds every role, as
// a Global Administrator does.
// Which roles allow what is in the package documentation; a request the roles do not
// allow is answered 403 Authorization_RequestDenied.
func WithRoles(tenantID string, roles ...string) Option {
	roles = append([]string{}, roles...)
	return func(s *Server) error {
		s.pendingUsers = append(s.pendingUsers, func() error {
			if err := s.SetRoles(tenantID, roles...); err != nil {
				return fmt.Errorf("WithRoles: %w", err)
			}
			return nil
		})
		return nil
	}
}

// SetRoles replaces the roles the partner holds in a tenant (see WithRoles); no roles
// means none, RoleGlobalAdministrator means every one.
func (s *Server) SetRoles(tenantID string, roles ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil {
		return fmt.Errorf("set roles of %s: %w", tenantID, errNoTenant)
	}
	t.roles = make(map[string]bool, len(roles))
	for _, r := range roles {
		t.roles[strings.ToLower(strings.TrimSpace(r))] = true
	}
	return nil
}

// AddUsers adds users to a tenant while the fake serves, all or none: each needs an
// object ID in GUID form and a user principal name, unique in the tenant, and an
// ISO 3166-1 alpha-2 usage location or none. A user whose ID is already known
// replaces the earlier entry in its place and keeps its licenses.
func (s *Server) AddUsers(tenantID string, users []User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil {
		return fmt.Errorf("add users to %s: %w", tenantID, errNoTenant)
	}
	if err := t.addUsers(users); err != nil {
		return fmt.Errorf("add users to %s: %w", tenantID, err)
	}
	return nil
}

// AddHolder makes user hold skuID directly from now on, as WithHolder does at
// construction.
func (s *Server) AddHolder(tenantID, user, skuID string, disabledPlans []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addSeed(seed{tenantID, user, skuID, "", disabledPlans}); err != nil {
		return fmt.Errorf("add holder to %s: %w", tenantID, err)
	}
	return nil
}

// AddGroupHolder makes user hold skuID through groupID from now on, as
// WithGroupHolder does at construction.
func (s *Server) AddGroupHolder(tenantID, user, skuID, groupID string, disabledPlans []string) error {
	if strings.TrimSpace(groupID) == "" {
		return fmt.Errorf("add group holder to %s: the group ID is empty", tenantID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addSeed(seed{tenantID, user, skuID, groupID, disabledPlans}); err != nil {
		return fmt.Errorf("add group holder to %s: %w", tenantID, err)
	}
	return nil
}

// addSeed records a starting holding. The caller holds s.mu, or is New.
func (s *Server) addSeed(sd seed) error {
	t := s.tenants[strings.ToLower(sd.tenant)]
	if t == nil {
		return errNoTenant
	}
	return t.addSeed(sd, s.free, time.Now())
}

// free is the units of a SKU an assignment may still take.
func (s *Server) free(k *sku) int {
	n := k.item.PrepaidUnits.Enabled - k.item.ConsumedUnits
	if s.warningAssignable {
		n += k.item.PrepaidUnits.Warning
	}
	return n
}

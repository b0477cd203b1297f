package graphfake

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Stats counts what the fake has seen since New. Requests counts HTTP requests (a
// $batch once, the token endpoint's too); batch items count in BatchItems and in the
// counters of what became of them (Throttled, Applied, ...).
type Stats struct {
	Requests     int // HTTP requests received
	Gets         int // HTTP requests with method GET
	Posts        int // with method POST ($batch and token requests included)
	Patches      int // with method PATCH
	Unauthorized int // answered 401: no, an unknown or an expired access token
	Forbidden    int // answered 403: the partner's roles do not allow it
	Throttled    int // answered 429, directly or as a batch item
	Failed       int // answered 500 or 503 by WithFailureRate, not applied
	Dropped      int // applied, then the connection dropped without an answer
	Applied      int // writes applied (assignLicense 200, PATCH 204), directly or in a batch
	Assignments  int // of which assignLicense
	UserUpdates  int // of which PATCH /users/{id}
	// RepeatedClientRequestIDs counts writes that carried a client-request-id an
	// earlier write carried; Reapplied counts applied writes whose client-request-id
	// an earlier applied write carried: Graph's assignLicense is not idempotent, so a
	// retried write is applied again, and these tell a test it happened (see Repeats).
	RepeatedClientRequestIDs int
	Reapplied                int
	BatchCalls               int         // $batch requests (with a valid token)
	BatchItems               int         // batch items answered
	BatchItemsByStatus       map[int]int // batch items by their own status
	TokenRequests            int         // requests to the token endpoint
	TokensIssued             int         // of which answered with tokens
	// UserListings counts first pages of GET /users without $filter answered 200: one
	// per listing of a tenant's users, however many pages it has. UserLookups counts
	// first pages with $filter; UserPages every page answered 200.
	UserListings int
	UserLookups  int
	UserPages    int
	// DeletedPages counts pages of GET /directory/deletedItems/microsoft.graph.user
	// answered 200 (also counted in UserPages).
	DeletedPages int
	SkuReads     int // GET /subscribedSkus answered 200
	InFlight     int // HTTP requests being served now
	MaxInFlight  int // the most served at once
	// ByStatus counts HTTP answers by status; dropped connections and requests whose
	// client went away got none and are not in it. Batch items are in
	// BatchItemsByStatus.
	ByStatus map[int]int
}

// Request is one request as the fake saw it, kept with WithRequestLog: an HTTP
// request, or one item of a $batch (BatchRequestID set).
type Request struct {
	At              time.Time
	Method          string
	Path            string // the path as received (for an item: /v1.0 + its url path)
	Query           string // the raw query
	Tenant          string // the tenant the token selected; for a token request, the path's
	App             string // the app (client ID) of the token or token request
	User            string // the {id|userPrincipalName} path segment, if any
	RequestID       string // the request-id the fake answered with
	ClientRequestID string // the client-request-id echoed (sent, or made up)
	BatchRequestID  string // for a batch item: the request-id of its $batch
	BatchItemID     string // for a batch item: its id
	Status          int    // 0 when no answer was sent (dropped, client gone)
	Body            string // a write's body, compact; never a token request's
}

// writeID is what the fake remembers of one client-request-id sent with writes.
type writeID struct {
	seen, applied int
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	st := s.stats
	st.ByStatus = maps.Clone(s.stats.ByStatus)
	st.BatchItemsByStatus = maps.Clone(s.stats.BatchItemsByStatus)
	return st
}

// Requests returns the request log in the order requests (and batch items) ended;
// nil unless the fake was built WithRequestLog or WithInspection.
func (s *Server) Requests() []Request {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return slices.Clone(s.log)
}

// Repeats returns, for each client-request-id that more than one applied write
// carried, how many did (the latest 131,072 IDs are remembered).
func (s *Server) Repeats() map[string]int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := make(map[string]int)
	for id, w := range s.writeIDs {
		if w.applied > 1 {
			out[id] = w.applied
		}
	}
	return out
}

func (s *Server) begin(method string) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.Requests++
	switch method {
	case http.MethodGet:
		s.stats.Gets++
	case http.MethodPost:
		s.stats.Posts++
	case http.MethodPatch:
		s.stats.Patches++
	}
	s.stats.InFlight++
	s.stats.MaxInFlight = max(s.stats.MaxInFlight, s.stats.InFlight)
}

func (s *Server) end(ex *Request) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.InFlight--
	if ex.Status != 0 {
		s.stats.ByStatus[ex.Status]++
	}
	if s.logRequests {
		s.log = append(s.log, *ex)
	}
}

// endItem records an answered batch item.
func (s *Server) endItem(ex *Request) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats.BatchItems++
	s.stats.BatchItemsByStatus[ex.Status]++
	if s.logRequests {
		s.log = append(s.log, *ex)
	}
}

func (s *Server) count(f func(*Stats)) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	f(&s.stats)
}

// noteWrite remembers a write's client-request-id on arrival.
func (s *Server) noteWrite(o *op) {
	if !o.sentCRID {
		return
	}
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	w := s.rememberWrite(strings.ToLower(o.ids.clientRequestID))
	if w.seen > 0 {
		s.stats.RepeatedClientRequestIDs++
	}
	w.seen++
}

// rememberWrite returns the memory of a client-request-id, making room for it by
// forgetting the oldest. The caller holds statsMu.
func (s *Server) rememberWrite(id string) *writeID {
	if w := s.writeIDs[id]; w != nil {
		return w
	}
	if s.writeIDs == nil {
		s.writeIDs = make(map[string]*writeID)
	}
	if len(s.writeRing) < maxRemembered {
		s.writeRing = append(s.writeRing, id)
	} else {
		delete(s.writeIDs, s.writeRing[s.writeNext])
		s.writeRing[s.writeNext] = id
		s.writeNext = (s.writeNext + 1) % maxRemembered
	}
	w := &writeID{}
	s.writeIDs[id] = w
	return w
}

// countResult counts what an executed request became.
func (s *Server) countResult(rt route, o *op, res *result) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	st := &s.stats
	switch res.listing {
	case "first":
		st.UserListings++
	case "filter":
		st.UserLookups++
	case "deleted":
		st.DeletedPages++
	}
	if res.listing != "" {
		st.UserPages++
	}
	if rt.kind == kindSkus && res.status == http.StatusOK {
		st.SkuReads++
	}
	if !res.applied {
		return
	}
	st.Applied++
	if rt.kind == kindAssign {
		st.Assignments++
	} else {
		st.UserUpdates++
	}
	if o.sentCRID {
		w := s.rememberWrite(strings.ToLower(o.ids.clientRequestID))
		if w.applied > 0 {
			st.Reapplied++
		}
		w.applied++
	}
}

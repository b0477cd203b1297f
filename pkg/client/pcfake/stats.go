package pcfake

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// Stats counts what the fake has seen since New. Every request counts in Requests;
// the other counters say what became of it.
type Stats struct {
	Requests int // every request received
	Gets     int // requests with method GET
	Posts    int // requests with method POST
	Patches  int // requests with method PATCH
	// Reads counts the requests the read budget counts (GET, HEAD); Writes every
	// other (POST, PATCH...). Reads+Writes == Requests.
	Reads     int
	Writes    int
	Applied   int // licenseupdates POSTs processed and answered 201 (dropped ones included)
	Replayed  int // answered from a repeated MS-RequestId, without processing again
	Reapplied int // applied POSTs with a new request ID whose body equals one applied before for the same customer and user
	Throttled int // answered 429 (ReadsThrottled + WritesThrottled)
	// ReadsThrottled and WritesThrottled count the 429s of reads and of writes.
	ReadsThrottled  int
	WritesThrottled int
	Failed          int // answered 500 or 503 by WithFailureRate, not applied
	Dropped         int // applied, then the connection dropped without an answer (WithDropRate)
	Unauthorized    int // answered 401, MFARequired included
	MFARequired     int // answered 401 with code 900421 (WithMFACheck)
	// RefusedRemovals counts licenseupdates POSTs refused because a removal named a SKU
	// the user does not hold (WithStrictRemovals).
	RefusedRemovals int
	// UserListings counts users GETs answered 200 with a first page (no
	// seekOperation): one per listing of a customer's users, however many pages it has.
	UserListings int
	// DeletedUserListings counts, among UserListings, those of deleted users only (the
	// UserState filter).
	DeletedUserListings int
	UserPages           int // users GETs answered 200, first pages and next pages alike
	UserLookups         int // user GETs (one user) answered 200
	UserUpdates         int // user PATCHes answered 200
	// UserLicenseLookups counts user licenses GETs answered 200.
	UserLicenseLookups int
	InFlight           int // requests being served now
	MaxInFlight        int // the most requests served at once
	// ByStatus counts answers by HTTP status; dropped connections and requests whose
	// client went away got none and are not in it.
	ByStatus map[int]int
}

// Request is one request as the fake saw it, kept with WithRequestLog.
type Request struct {
	At            time.Time // when it arrived
	Method        string
	Path          string // the URL path as received
	Customer      string // the customer-id path segment, unescaped
	User          string // the user-id path segment, unescaped ("" when the path has none)
	RequestID     string // MS-RequestId, or the one the fake made up
	CorrelationID string // MS-CorrelationId, or the one the fake made up
	Status        int    // the answer's status; 0 when none was sent (dropped, client gone)
	// Groups lists the license groups (group1, group2) that a POST's body touched, or
	// that a subscribedskus or user licenses GET covered (nil: all).
	Groups []string
	// Body is a POST's body as decoded; empty when the request was refused before its
	// body was read (401, 429).
	Body partnercenter.LicenseUpdate
	// UsageLocation is the usageLocation of a user PATCH's body as sent ("" when it had
	// none or was not read).
	UsageLocation string
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	st := s.stats
	st.ByStatus = maps.Clone(s.stats.ByStatus)
	return st
}

// Requests returns the request log in the order the requests ended; nil unless the
// fake was built WithRequestLog.
func (s *Server) Requests() []Request {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return slices.Clone(s.log)
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
	if isRead(method) {
		s.stats.Reads++
	} else {
		s.stats.Writes++
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

func (s *Server) count(f func(*Stats)) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	f(&s.stats)
}

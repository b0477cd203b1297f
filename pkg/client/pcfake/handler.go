package pcfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

type route int

const (
	routeUnknown route = iota
	routeSubscribedSkus
	routeLicenseUpdates
	routeUsers
	routeUser
	routeUpdateUser
	routeUserLicenses
)

// ServeHTTP serves the calls bulkassign makes:
//
//	GET   /v1/customers/{customer-id}/subscribedskus[?licenseGroupIds=Group1&licenseGroupIds=Group2]
//	POST  /v1/customers/{customer-id}/users/{user-id}/licenseupdates
//	GET   /v1/customers/{customer-id}/users[?size=N[&filter=...][&seekOperation=Next]]
//	GET   /v1/customers/{customer-id}/users/{user-id}
//	PATCH /v1/customers/{customer-id}/users/{user-id}
//	GET   /v1/customers/{customer-id}/users/{user-id}/licenses[?licenseGroupIds=Group1&licenseGroupIds=Group2]
//
// Every other path is answered 404. See the package documentation for the order in
// which a request meets the token check, the rate limit, latency and faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handler(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.serve(rt, w, r) }
}

func (s *Server) serve(rt route, w http.ResponseWriter, r *http.Request) {
	ex := &Request{
		At:            time.Now(),
		Method:        r.Method,
		Path:          r.URL.Path,
		Customer:      r.PathValue("customer"),
		User:          r.PathValue("user"),
		RequestID:     r.Header.Get("MS-RequestId"),
		CorrelationID: r.Header.Get("MS-CorrelationId"),
	}
	if ex.RequestID == "" {
		ex.RequestID = uuid.NewString()
	}
	if ex.CorrelationID == "" {
		ex.CorrelationID = uuid.NewString()
	}
	read := isRead(r.Method)
	s.begin(r.Method)
	defer s.end(ex)
	w.Header().Set("MS-RequestId", ex.RequestID)
	w.Header().Set("MS-CorrelationId", ex.CorrelationID)

	// The token, MFA and the rate limits are checked on arrival; the refusal, like
	// every answer, comes after the latency.
	if refusal := s.authorize(r.Header.Get("Authorization")); refusal != nil {
		if s.sleep(r.Context()) {
			s.write(w, ex, refusal)
		}
		return
	}
	if wait, ok := s.admit(read); !ok {
		s.count(func(st *Stats) {
			st.Throttled++
			if read {
				st.ReadsThrottled++
			} else {
				st.WritesThrottled++
			}
		})
		if s.sleep(r.Context()) {
			s.write(w, ex, throttled(wait))
		}
		return
	}
	switch rt {
	case routeSubscribedSkus:
		s.serveSubscribedSkus(w, r, ex)
	case routeLicenseUpdates:
		s.serveLicenseUpdates(w, r, ex)
	case routeUsers:
		s.serveUsers(w, r, ex)
	case routeUser:
		s.serveUser(w, r, ex)
	case routeUpdateUser:
		s.serveUpdateUser(w, r, ex)
	case routeUserLicenses:
		s.serveUserLicenses(w, r, ex)
	default:
		if !s.sleep(r.Context()) {
			return
		}
		s.write(w, ex, errorAnswer(http.StatusNotFound, codeInvalidInput,
			fmt.Sprintf("No resource answers %s %s.", r.Method, r.URL.Path)))
	}
}

func (s *Server) serveSubscribedSkus(w http.ResponseWriter, r *http.Request, ex *Request) {
	if !s.sleep(r.Context()) || s.injectFailure(w, ex) {
		return
	}
	var values []string
	for name, vs := range r.URL.Query() {
		if strings.EqualFold(name, "licenseGroupIds") {
			values = append(values, vs...)
		}
	}
	groups, err := parseGroups(values)
	if err != nil {
		s.write(w, ex, invalidInput(err.Error()+"."))
		return
	}
	ex.Groups = groups
	s.write(w, ex, s.subscribedSkus(ex.Customer, groups))
}

// serveLicenseUpdates processes a licenseupdates POST once per request ID: the first
// request to claim an ID is its owner and processes it; a repeat waits for the owner
// and answers as it did. An owner that ends without an answer the client may rely on
// (its context ended, or an injected 5xx) releases the ID for the next attempt.
func (s *Server) serveLicenseUpdates(w http.ResponseWriter, r *http.Request, ex *Request) {
	ctx := r.Context()
	upd, problem := decodeLicenseUpdate(w, r)
	ex.Body = upd
	key := strings.ToLower(ex.RequestID)

	var c *call
	for {
		var owner bool
		c, owner = s.claim(key)
		if owner {
			break
		}
		waited := false
		select {
		case <-c.done:
		default:
			waited = true
			select {
			case <-c.done:
			case <-ctx.Done():
				return
			}
		}
		if c.answer == nil {
			continue // the owner released the ID: try to claim it
		}
		if !waited && !s.sleep(ctx) {
			return
		}
		if s.injectFailure(w, ex) {
			return
		}
		s.count(func(st *Stats) { st.Replayed++ })
		ex.Groups = c.answer.groups
		s.write(w, ex, c.answer)
		return
	}

	finished := false
	defer func() {
		if !finished {
			s.finish(key, c, nil)
		}
	}()
	if !s.sleep(ctx) || s.injectFailure(w, ex) {
		return
	}
	out := s.apply(ex.Customer, ex.User, upd, problem)
	out.answer.groups = out.groups
	ex.Groups = out.groups
	s.finish(key, c, out.answer)
	finished = true
	if out.notHeld {
		s.count(func(st *Stats) { st.RefusedRemovals++ })
	}
	if out.applied {
		s.count(func(st *Stats) {
			st.Applied++
			if out.reapplied {
				st.Reapplied++
			}
		})
		if s.draw(s.dropP) {
			s.count(func(st *Stats) { st.Dropped++ })
			// net/http closes the connection without an answer; Transport turns this
			// into an error.
			panic(http.ErrAbortHandler)
		}
	}
	s.write(w, ex, out.answer)
}

// decodeLicenseUpdate reads a LicenseUpdate body in PascalCase or camelCase. problem
// is "" for a usable body, else the description of a 400 answer.
func decodeLicenseUpdate(w http.ResponseWriter, r *http.Request) (upd partnercenter.LicenseUpdate, problem string) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&upd); err != nil {
		if errors.Is(err, io.EOF) {
			return partnercenter.LicenseUpdate{}, "The request body is empty: send a LicenseUpdate."
		}
		return partnercenter.LicenseUpdate{}, fmt.Sprintf("The request body is not a valid LicenseUpdate: %v.", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return partnercenter.LicenseUpdate{}, "The request body holds more than one JSON value."
	}
	for i, la := range upd.LicensesToAssign {
		if strings.TrimSpace(la.SkuID) == "" {
			return upd, fmt.Sprintf("licensesToAssign[%d].skuId is empty.", i)
		}
	}
	return upd, ""
}

// authorize checks the Authorization header: a Bearer token, non-empty, that the
// configured check accepts (else 401, 800001) and, with WithMFACheck, that carries MFA
// (else 401, 900421). It returns the refusal, or nil. It counts the refusals.
func (s *Server) authorize(header string) *answer {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || !s.tokenCheck(token) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		return unauthorized()
	}
	if s.mfaCheck != nil && !s.mfaCheck(token) {
		s.count(func(st *Stats) { st.Unauthorized++; st.MFARequired++ })
		return mfaRequired()
	}
	return nil
}

// sleep waits the configured latency (plus a spike, sometimes). It returns false when
// the request's context ended first.
func (s *Server) sleep(ctx context.Context) bool {
	d := s.latency
	if s.jitter > 0 {
		d += time.Duration((s.float()*2 - 1) * float64(s.jitter))
	}
	if s.draw(s.spikeP) {
		d += s.spikeD
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// injectFailure answers a share of calls 500 or 503 without processing them.
func (s *Server) injectFailure(w http.ResponseWriter, ex *Request) bool {
	if !s.draw(s.failureP) {
		return false
	}
	status := http.StatusInternalServerError
	if s.draw(0.5) {
		status = http.StatusServiceUnavailable
	}
	s.count(func(st *Stats) { st.Failed++ })
	s.write(w, ex, serviceFailure(status))
	return true
}

// draw reports true with probability p; it draws no number when p is 0 or 1.
func (s *Server) draw(p float64) bool {
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	}
	return s.float() < p
}

func (s *Server) float() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

// write sends an answer and records its status.
func (s *Server) write(w http.ResponseWriter, ex *Request, a *answer) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	if a.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
	ex.Status = a.status
}

// call is one request ID's processing: done is closed once answer is final; a nil
// answer means the owner released the ID without one.
type call struct {
	done   chan struct{}
	answer *answer
}

// claim returns the call of a request ID, and whether the caller now owns it.
func (s *Server) claim(key string) (*call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calls[key]; c != nil {
		return c, false
	}
	c := &call{done: make(chan struct{})}
	s.calls[key] = c
	return c, true
}

// finish ends the owner's call: with an answer it is kept for replay (the oldest of
// more than maxReplays are forgotten); without, the ID is released.
func (s *Server) finish(key string, c *call, a *answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.answer = a
	close(c.done)
	if a == nil {
		delete(s.calls, key)
		return
	}
	if len(s.ring) < maxReplays {
		s.ring = append(s.ring, key)
		return
	}
	delete(s.calls, s.ring[s.ringNext])
	s.ring[s.ringNext] = key
	s.ringNext = (s.ringNext + 1) % maxReplays
}

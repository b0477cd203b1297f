package graphfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// graphHost is the host Graph's URL-length limit is measured with.
const graphHost = "https://graph.microsoft.com"

// op is one Graph request, direct or a batch item, ready to execute.
type op struct {
	method   string
	path     string // below /v1.0, as received (unescaped)
	rawURL   string // /v1.0 + escaped path + query, as sent, for the URL-length limit
	query    url.Values
	rawQuery string
	header   http.Header
	body     []byte
	who      identity
	ids      ids
	sentCRID bool   // the client sent client-request-id (not made up or inherited)
	base     string // scheme://host of @odata.nextLink
	ex       *Request
}

// ServeHTTP serves Graph v1.0 below /v1.0/ (see the package documentation), the token
// endpoint at /{tenant}/oauth2/v2.0/token (and /{tenant}/oauth2/token with
// WithTokenEndpoint), and with WithInspection the /_graphfake/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case s.inspect != nil && strings.HasPrefix(p, inspectPrefix):
		s.inspect.ServeHTTP(w, r)
	case len(p) >= 5 && strings.EqualFold(p[:5], "/v1.0") && (len(p) == 5 || p[5] == '/'):
		s.serveGraph(w, r)
	default:
		if tenantID, version, ok := tokenPath(p); ok {
			s.serveToken(w, r, tenantID, version)
			return
		}
		seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		o := s.newOp(r)
		s.begin(r.Method)
		defer s.end(o.ex)
		if s.sleep(r.Context()) {
			s.writeResult(w, o, graphError(http.StatusBadRequest, codeBadRequest, "Invalid version: "+seg, o.ids))
		}
	}
}

// newOp reads a request's identifiers and starts its log entry.
func (s *Server) newOp(r *http.Request) *op {
	o := &op{
		method:   r.Method,
		path:     r.URL.Path[min(len(r.URL.Path), 5):],
		rawURL:   r.URL.EscapedPath(),
		query:    r.URL.Query(),
		rawQuery: r.URL.RawQuery,
		header:   r.Header,
		base:     s.baseURL,
	}
	if o.rawQuery != "" {
		o.rawURL += "?" + o.rawQuery
	}
	o.ids.requestID = uuid.NewString()
	o.ids.clientRequestID = strings.TrimSpace(r.Header.Get("client-request-id"))
	o.sentCRID = o.ids.clientRequestID != ""
	if !o.sentCRID {
		o.ids.clientRequestID = o.ids.requestID
	}
	if o.base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		o.base = scheme + "://" + r.Host
	}
	o.ex = &Request{
		At:              time.Now(),
		Method:          r.Method,
		Path:            r.URL.Path,
		Query:           r.URL.RawQuery,
		RequestID:       o.ids.requestID,
		ClientRequestID: o.ids.clientRequestID,
	}
	return o
}

// serveGraph serves one request below /v1.0: the token check, then $batch or one
// request through execute, then for an applied write the dropped connection.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o := s.newOp(r)
	s.begin(r.Method)
	defer s.end(o.ex)

	who, problem := s.authenticate(r.Header.Get("Authorization"))
	if problem != "" {
		s.count(func(st *Stats) { st.Unauthorized++ })
		if s.sleep(ctx) {
			s.writeResult(w, o, unauthorized(problem, o.ids))
		}
		return
	}
	o.who = who
	o.ex.Tenant, o.ex.App = who.tenant, who.app
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if s.sleep(ctx) {
			s.writeResult(w, o, graphError(http.StatusRequestEntityTooLarge, codeBadRequest, "The request body is too large or could not be read.", o.ids))
		}
		return
	}
	o.body = body
	if rt, bad := s.resolve(o.method, o.path, o.query); rt.kind == kindBatch && bad == nil {
		s.serveBatch(w, r, o)
		return
	}
	res := s.execute(ctx, o, true)
	if res == nil {
		return
	}
	if res.applied && s.draw(s.dropP) {
		s.count(func(st *Stats) { st.Dropped++ })
		// net/http closes the connection without an answer; Transport turns this
		// into ErrConnectionDropped.
		panic(http.ErrAbortHandler)
	}
	s.writeResult(w, o, res)
}

// execute runs one Graph request: route, throttling budgets and roles (decided on
// arrival), latency when wait is set (nil when the context ends first), injected
// failure, then the request itself. Batch items come here without waiting.
func (s *Server) execute(ctx context.Context, o *op, wait bool) *result {
	rt, bad := s.resolve(o.method, o.path, o.query)
	o.ex.User = rt.user
	var res *result
	var v verdict
	switch {
	case bad != nil:
		res = bad(o.ids)
	case rt.kind == kindBatch:
		res = graphError(http.StatusBadRequest, codeBadRequest, "A $batch request cannot be part of a batch.", o.ids)
	default:
		if rt.write {
			o.ex.Body = compactJSON(o.body)
			s.noteWrite(o)
		}
		if v = s.admit(o.who.app, o.who.tenant, s.tenantSize(o.who.tenant), rt.cost); !v.ok {
			s.count(func(st *Stats) { st.Throttled++ })
			res = throttledResult(v.retryAfter, v.scope, v.info, o.ids)
			if s.draw(s.noRetryAfterP) {
				res.retryAfter = 0
			}
		} else if !s.allowed(o.who.tenant, rt.roles) {
			s.count(func(st *Stats) { st.Forbidden++ })
			res = denied(o.ids)
		}
	}
	if wait && !s.sleep(ctx) {
		return nil
	}
	if res != nil {
		return res
	}
	if s.draw(s.failureP) {
		status := http.StatusInternalServerError
		if s.draw(0.5) {
			status = http.StatusServiceUnavailable
		}
		s.count(func(st *Stats) { st.Failed++ })
		return serviceFailure(status, o.ids)
	}
	res = s.handle(rt, o)
	if res.header == nil {
		res.header = http.Header{}
	}
	res.header.Set("x-ms-resource-unit", strconv.Itoa(rt.cost.ru))
	if v.usage > 0.8 {
		res.header.Set("x-ms-throttle-limit-percentage", strconv.FormatFloat(v.usage, 'f', 2, 64))
	}
	s.countResult(rt, o, res)
	return res
}

// handle answers a routed, admitted request.
func (s *Server) handle(rt route, o *op) *result {
	switch rt.kind {
	case kindSkus:
		return s.getSkus(o)
	case kindUsers:
		return s.listUsers(o, false)
	case kindDeleted:
		return s.listUsers(o, true)
	case kindCount:
		return s.countUsers(o)
	case kindUser:
		return s.getUser(o, rt.user)
	case kindLicenseDetails:
		return s.licenseDetails(o, rt.user)
	case kindPatch:
		return s.patchUser(o, rt.user)
	default: // kindAssign
		return s.assignLicense(o, rt.user)
	}
}

// allowed reports whether the partner's roles in a tenant allow a request.
func (s *Server) allowed(tenantID string, roles []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	return t != nil && t.hasRole(roles)
}

// tenantSize is the number of users of a tenant, which sizes its read budget.
func (s *Server) tenantSize(tenantID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tenants[strings.ToLower(tenantID)]; t != nil {
		return len(t.list)
	}
	return 0
}

// writeResult sends a direct answer with Graph's common headers.
func (s *Server) writeResult(w http.ResponseWriter, o *op, res *result) {
	h := w.Header()
	for k, v := range res.header {
		h[k] = v
	}
	h.Set("request-id", o.ids.requestID)
	h.Set("client-request-id", o.ids.clientRequestID)
	h.Set("Cache-Control", "no-cache")
	if len(res.body) > 0 {
		if res.text {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		} else {
			h.Set("Content-Type", graphContentType)
		}
	}
	if res.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	h.Set("Content-Length", strconv.Itoa(len(res.body)))
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
	o.ex.Status = res.status
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
		return ctx.Err() == nil
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

// compactJSON is a body for the request log: compact JSON, or the text as received.
func compactJSON(body []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, body); err != nil {
		return string(body)
	}
	return buf.String()
}

// decodeStrict decodes one JSON value into v, refusing trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON value")
	}
	return nil
}

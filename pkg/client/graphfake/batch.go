package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// maxBatch is the most requests one $batch may carry; see
// https://learn.microsoft.com/graph/json-batching
const maxBatch = 20

// batchItem is one request of a $batch body.
type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// batchAnswer is one response of a $batch answer.
type batchAnswer struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// serveBatch answers POST /$batch: it checks the batch as a whole (400 for a
// malformed one), waits the latency once, runs every item through execute in an
// order that honours dependsOn, and answers 200 with the items' answers shuffled.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request, o *op) {
	ctx := r.Context()
	s.count(func(st *Stats) { st.BatchCalls++ })
	items, problem := parseBatch(o.body)
	if problem != "" {
		if s.sleep(ctx) {
			s.writeResult(w, o, graphError(http.StatusBadRequest, codeBadRequest, problem, o.ids))
		}
		return
	}
	if !s.sleep(ctx) {
		return
	}
	answers := make(map[string]*batchAnswer, len(items))
	applied := false
	for _, it := range runOrder(items) {
		a := s.runItem(r, o, it, answers)
		applied = applied || a.applied
		answers[it.ID] = a.answer
	}
	out := make([]*batchAnswer, 0, len(items))
	for _, it := range items {
		out = append(out, answers[it.ID])
	}
	s.rngMu.Lock()
	s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	s.rngMu.Unlock()
	if applied && s.draw(s.dropP) {
		s.count(func(st *Stats) { st.Dropped++ })
		panic(http.ErrAbortHandler)
	}
	s.writeResult(w, o, jsonResult(http.StatusOK, struct {
		Responses []*batchAnswer `json:"responses"`
	}{out}))
}

// itemRun is what running one item produced.
type itemRun struct {
	answer  *batchAnswer
	applied bool
}

// runItem executes one batch item as a request of its own, with the outer request's
// token, or answers 424 when an item it depends on failed.
func (s *Server) runItem(r *http.Request, outer *op, it batchItem, done map[string]*batchAnswer) itemRun {
	header := make(http.Header, len(it.Headers))
	for k, v := range it.Headers {
		header.Set(k, v)
	}
	rel := "/" + strings.TrimPrefix(it.URL, "/")
	u, _ := url.Parse(rel) // parseBatch checked it
	o := &op{
		method:   strings.ToUpper(it.Method),
		path:     u.Path,
		rawURL:   "/v1.0" + u.EscapedPath(),
		query:    u.Query(),
		rawQuery: u.RawQuery,
		header:   header,
		who:      outer.who,
		base:     outer.base,
	}
	if u.RawQuery != "" {
		o.rawURL += "?" + u.RawQuery
	}
	if len(it.Body) > 0 && string(it.Body) != "null" {
		o.body = it.Body
	}
	o.ids.requestID = uuid.NewString()
	o.ids.clientRequestID = strings.TrimSpace(header.Get("client-request-id"))
	o.sentCRID = o.ids.clientRequestID != ""
	if !o.sentCRID {
		o.ids.clientRequestID = outer.ids.clientRequestID
	}
	o.ex = &Request{
		At: time.Now(), Method: o.method, Path: "/v1.0" + o.path, Query: o.rawQuery,
		Tenant: o.who.tenant, App: o.who.app, RequestID: o.ids.requestID, ClientRequestID: o.ids.clientRequestID,
		BatchRequestID: outer.ids.requestID, BatchItemID: it.ID,
	}
	defer s.endItem(o.ex)

	var res *result
	for _, dep := range it.DependsOn {
		if a := done[dep]; a == nil || a.Status >= 400 {
			res = graphError(http.StatusFailedDependency, codeFailedDependency,
				fmt.Sprintf("The request it depends on (id %s) failed.", dep), o.ids)
			break
		}
	}
	if res == nil && o.body != nil && header.Get("Content-Type") == "" {
		res = graphError(http.StatusBadRequest, codeBadRequest, fmt.Sprintf(msgBatchNoCT, it.ID), o.ids)
	}
	if res == nil {
		res = s.execute(r.Context(), o, false)
	}
	o.ex.Status = res.status
	return itemRun{answer: itemAnswer(it.ID, res, o.ids), applied: res.applied}
}

// itemAnswer turns a result into a batch answer: JSON bodies inline, text ones
// base64-encoded as Graph does, and Retry-After among the item's headers.
func itemAnswer(id string, res *result, ids ids) *batchAnswer {
	a := &batchAnswer{ID: id, Status: res.status, Headers: map[string]string{}}
	for k := range res.header {
		name := k
		if lower := strings.ToLower(k); strings.HasPrefix(lower, "x-ms-") {
			name = lower // spelt as Graph spells them
		}
		a.Headers[name] = res.header.Get(k)
	}
	if res.retryAfter > 0 {
		a.Headers["Retry-After"] = strconv.Itoa(res.retryAfter)
	}
	switch {
	case len(res.body) == 0:
	case res.text:
		a.Headers["Content-Type"] = "text/plain"
		a.Body = encodeJSON(base64.StdEncoding.EncodeToString(res.body))
	default:
		a.Headers["Content-Type"] = "application/json"
		a.Body = res.body
	}
	return a
}

// parseBatch reads and checks a $batch body: 1 to 20 requests, each with a unique
// id, a method and a URL relative to /v1.0, depending only on known requests in one
// of the patterns Graph allows (parallel, serial, or all on the same request).
func parseBatch(body []byte) ([]batchItem, string) {
	var b struct {
		Requests []batchItem `json:"requests"`
	}
	if err := decodeStrict(body, &b); err != nil {
		return nil, "Invalid batch payload format."
	}
	switch n := len(b.Requests); {
	case n == 0:
		return nil, "Invalid batch payload format: the batch has no requests."
	case n > maxBatch:
		return nil, fmt.Sprintf("The batch has %d requests; a batch may carry at most %d.", n, maxBatch)
	}
	seen := make(map[string]bool, len(b.Requests))
	for i, it := range b.Requests {
		switch {
		case strings.TrimSpace(it.ID) == "":
			return nil, fmt.Sprintf("Request %d of the batch has no id.", i+1)
		case seen[it.ID]:
			return nil, fmt.Sprintf("The batch has two requests with id %s; ids must be unique.", it.ID)
		case !slices.Contains([]string{"GET", "POST", "PATCH", "PUT", "DELETE"}, strings.ToUpper(it.Method)):
			return nil, fmt.Sprintf("Request %s of the batch has an invalid method %q.", it.ID, it.Method)
		case it.URL == "" || strings.Contains(it.URL, "://"):
			return nil, fmt.Sprintf("Request %s of the batch needs a url relative to the version, such as /users.", it.ID)
		}
		if _, err := url.Parse("/" + strings.TrimPrefix(it.URL, "/")); err != nil {
			return nil, fmt.Sprintf("Request %s of the batch has an invalid url.", it.ID)
		}
		seen[it.ID] = true
	}
	if problem := checkDependencies(b.Requests); problem != "" {
		return nil, problem
	}
	return b.Requests, ""
}

// checkDependencies allows the dependsOn patterns of the known issues page: none
// (parallel), each request on the one before it (serial), or every request that
// states a dependency stating the same one.
func checkDependencies(items []batchItem) string {
	ids := make(map[string]bool, len(items))
	for _, it := range items {
		ids[it.ID] = true
	}
	serial, same := true, true
	var target string
	for i, it := range items {
		for _, d := range it.DependsOn {
			if !ids[d] || d == it.ID {
				return fmt.Sprintf("Request %s of the batch depends on %q, which is not another request of the batch.", it.ID, d)
			}
		}
		if i > 0 && !(len(it.DependsOn) == 1 && it.DependsOn[0] == items[i-1].ID) {
			serial = false
		}
		if i == 0 && len(it.DependsOn) > 0 {
			serial = false
		}
		switch {
		case len(it.DependsOn) == 0:
		case len(it.DependsOn) > 1 || (target != "" && target != it.DependsOn[0]):
			same = false
		default:
			target = it.DependsOn[0]
		}
	}
	if same {
		for _, it := range items {
			if it.ID == target && len(it.DependsOn) > 0 {
				same = false
			}
		}
	}
	if !serial && !same {
		return "The dependsOn of the batch's requests form a pattern Graph does not support: use none, a chain in order, or one request all others depend on."
	}
	return ""
}

// runOrder puts items in an order in which each comes after those it depends on,
// keeping the batch's order otherwise.
func runOrder(items []batchItem) []batchItem {
	out := make([]batchItem, 0, len(items))
	placed := make(map[string]bool, len(items))
	for len(out) < len(items) {
		for _, it := range items {
			if placed[it.ID] || !allPlaced(it.DependsOn, placed) {
				continue
			}
			out = append(out, it)
			placed[it.ID] = true
		}
	}
	return out
}

func allPlaced(deps []string, placed map[string]bool) bool {
	for _, d := range deps {
		if !placed[d] {
			return false
		}
	}
	return true
}

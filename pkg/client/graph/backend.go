package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// API is the name of this backend.
const API = "graph"

// DefaultBaseURL is Microsoft Graph's endpoint; paths below it start with the
// version (v1.0/...).
//
// See https://learn.microsoft.com/graph/use-the-api
const DefaultBaseURL = "https://graph.microsoft.com/"

// Scope is the scope a token for Graph asks for, per customer tenant.
const Scope = "https://graph.microsoft.com/.default"

// RequestIDHeader carries each call's request ID, the same on every retry; Graph
// echoes it in its answers and its error bodies.
//
// See https://learn.microsoft.com/graph/best-practices-concept
const RequestIDHeader = "client-request-id"

// Backend is Microsoft Graph as a client.Backend, for a partner working in its
// customers' tenants under GDAP: a customer is its tenant ID, and every call of a
// customer is made with a token for that tenant. See the package documentation.
type Backend struct {
	core   *client.Client
	names  Names
	policy client.RetryPolicy
	linger lingerConfig

	mu     sync.Mutex
	queues map[string]*queue // lower-cased tenant -> writes waiting for a $batch
}

// NewBackend returns Graph as a client.Backend. opts are pkg/client's options,
// applied after Graph's defaults: DefaultBaseURL, request IDs in client-request-id
// (RequestIDHeader) and return-client-request-id: true. A per-tenant token source
// (client.WithTokens, asked with the customer's tenant ID, for Scope) is required;
// a limiter (client.WithLimiter with a client.Pacing PerTenant) paces every call,
// each batched write as its own call. UseNames sets the product names table
// (DefaultNames by default).
func NewBackend(opts ...client.Option) (*Backend, error) {
	all := append([]client.Option{
		client.WithBaseURL(DefaultBaseURL),
		client.WithRequestIDHeader(RequestIDHeader),
		client.WithHeader("return-client-request-id", "true"),
	}, opts...)
	core, err := client.New(all...)
	if err != nil {
		return nil, fmt.Errorf("new Graph backend: %w", err)
	}
	return &Backend{
		core:   core,
		names:  DefaultNames(),
		policy: core.RetryPolicy(),
		linger: defaultLinger,
		queues: map[string]*queue{},
	}, nil
}

var _ client.Backend = (*Backend)(nil)

// API returns "graph".
func (b *Backend) API() string { return API }

// CorrelationID returns the ID of this backend's calls, for support. Graph has no
// correlation header: it is the run's ID in logs, and each call's client-request-id
// is what Graph's support asks for.
func (b *Backend) CorrelationID() string { return b.core.CorrelationID() }

// BaseURL returns the endpoint the backend calls, scrubbed for display.
func (b *Backend) BaseURL() string { return b.core.BaseURL() }

// Core returns the shared HTTP client under the backend: its Limiter paces every
// call, batched writes included.
func (b *Backend) Core() *client.Client { return b.core }

// ReadCosts: a lookup is one filtered GET of up to 15 users with their licenses
// (two when the names mix object IDs and user principal names); a listing page
// holds 999 users with their licenses.
func (b *Backend) ReadCosts() client.ReadCosts {
	return client.ReadCosts{LookupBatch: maxInValues, LookupReads: 1, PageSize: pageSize, ListingHasLicenses: true}
}

// do runs one call through the core and classifies Graph's refusals.
func (b *Backend) do(ctx context.Context, req client.Request, call *client.Call) (*client.Answer, error) {
	ans, err := b.core.Do(ctx, req, call)
	classify(err)
	return ans, err
}

// UseNames sets the product names table Catalogue names SKUs and plans from (Graph has
// no display names); DefaultNames, Microsoft's published table, until it is called. It
// must not be nil. Set it before the backend is used.
func (b *Backend) UseNames(n Names) error {
	if n == nil || isNilNames(n) {
		return errors.New("names table: must not be nil")
	}
	b.names = n
	return nil
}

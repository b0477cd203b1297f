package job

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graph"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
	"github.com/bulkassign/bulkassign/samples"
)

// graphCatalogue reads a Graph catalogue (subscribedSkus JSON, the sample when nil)
// and what the Graph backend makes of it: the neutral SKUs a seed plan resolves
// against.
func graphCatalogue(cat []byte, names graph.Names) ([]graphfake.SubscribedSku, []client.Sku, error) {
	if cat == nil {
		cat = samples.GraphCatalogue
	}
	raw, err := graphfake.LoadSubscribedSkus(bytes.NewReader(cat))
	if err != nil {
		return nil, nil, &SettingError{Setting: "catalogue", Err: err}
	}
	fake, err := graphfake.New(graphfake.WithTenant(graphfake.DefaultTenantID, raw), graphfake.WithoutThrottling(),
		graphfake.WithStaticToken(simulatedToken, graphfake.DefaultTenantID))
	if err != nil {
		return nil, nil, fmt.Errorf("simulate the API: %w", err)
	}
	b, err := newGraph([]client.Option{client.WithHTTPClient(&http.Client{Transport: fake.Transport()}),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: simulatedToken}))}, names)
	if err != nil {
		return nil, nil, fmt.Errorf("simulate the API: %w", err)
	}
	skus, err := b.Catalogue(context.Background(), graphfake.DefaultTenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("simulate the API: %w", err)
	}
	return raw, skus, nil
}

// Graph builds the local Graph of the seed: each customer is a tenant with the
// catalogue, the seed's users and holdings, and a token of its own
// (GraphToken(tenant)); extra options come last.
func (sim *Simulation) Graph(seed Seed, extra ...graphfake.Option) (*graphfake.Server, error) {
	raw, _, err := graphCatalogue(sim.Catalogue, sim.names)
	if err != nil {
		return nil, err
	}
	opts := []graphfake.Option{graphfake.WithLatency(sim.Latency, sim.Latency*2/3)}
	served := map[string]bool{}
	for _, c := range seed.Customers {
		if k := strings.ToLower(c); c != "" && !served[k] {
			served[k] = true
			opts = append(opts, graphfake.WithTenant(c, raw), graphfake.WithStaticToken(GraphToken(c), c))
		}
	}
	for c, names := range seed.Users {
		users := make([]graphfake.User, len(names))
		for i, n := range names {
			users[i] = graphUser(n)
		}
		opts = append(opts, graphfake.WithUsers(c, users))
	}
	for _, h := range seed.Holdings {
		opts = append(opts, graphfake.WithHolder(h.Customer, h.User, h.SkuID, h.ExcludedPlans))
	}
	fake, err := graphfake.New(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("simulate the API: %w", err)
	}
	return fake, nil
}

// GraphToken is the bearer token the local Graph of a simulation (and of fake-server
// --api graph) takes for tenant: a tenant is chosen by its token, as in Graph.
func GraphToken(tenant string) string { return "simulated-token-" + strings.ToLower(tenant) }

// graphTokens hands out GraphToken(tenant) per tenant.
type graphTokens struct{ defaultTenant string }

func (g graphTokens) Token(_ context.Context, tenant string) (*oauth2.Token, error) {
	if tenant == "" {
		tenant = g.defaultTenant
	}
	return &oauth2.Token{AccessToken: GraphToken(tenant)}, nil
}

// graphUser is the user the local Graph has for a name of the input: an object ID
// stays itself; a principal name gets a stable made-up ID.
func graphUser(name string) graphfake.User {
	u := graphfake.User{UsageLocation: "US"}
	if n := strings.ToLower(name); client.IsGUID(n) {
		u.ID, u.UserPrincipalName = n, n+"@simulated.invalid"
	} else {
		u.ID, u.UserPrincipalName = uuid.NewSHA1(uuid.NameSpaceOID, []byte(n)).String(), name
	}
	u.DisplayName = u.UserPrincipalName
	return u
}

// seedGraph makes the simulated Graph from a seed, and the session's backend that
// talks to it in-process.
func (s *Session) seedGraph(seed Seed, defaultTenant string) error {
	fake, err := s.sim.cfg.Graph(seed)
	if err != nil {
		return err
	}
	opts := append(s.sim.opts,
		client.WithHTTPClient(&http.Client{Transport: fake.Transport()}),
		client.WithTokens(graphTokens{defaultTenant: defaultTenant}),
	)
	b, err := newGraph(opts, s.sim.cfg.names)
	if err != nil {
		return fmt.Errorf("simulate the API: %w", err)
	}
	s.Backend = b
	return nil
}

package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graph"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/samples"
)

// Simulation is a built-in local copy of the API, seeded from the plan: every
// customer of the input gets the catalogue, every user the input names exists
// (active, usage location US), and every user a row removes a SKU from holds it, so
// that a migration plays out as it would on a real tenant.
type Simulation struct {
	// Catalogue is the catalogue every customer gets, in the API's JSON; nil for the
	// sample (samples/subscribedskus.json).
	Catalogue []byte
	// Latency is the mean answer latency (two-thirds of it either way).
	Latency time.Duration

	names graph.Names // Graph's product names (Settings.ProductNames); nil: the pinned table
}

// Seed is what a local API starts with: its customers, their users (by the names the
// inputs give them) and the licenses those users hold.
type Seed struct {
	Customers []string
	Users     map[string][]string // lower-cased customer -> user names
	Holdings  []pcfake.Holding
}

// simulatedToken is the bearer token of the simulated API.
const simulatedToken = "simulated-access-token"

// simulated is the state of a simulation until its backend is made from the first plan.
type simulated struct {
	api  string
	cfg  *Simulation
	opts []client.Option
	skus []client.Sku                  // what the backend makes of the catalogue: seed plans resolve against it
	pc   []partnercenter.SubscribedSku // Partner Center's catalogue, for its local copy
}

// simulate prepares the simulated API; its backend is made by seed.
func (s *Session) simulate(api string, sim *Simulation, opts []client.Option) error {
	m, err := sim.prepare(api)
	if err != nil {
		return err
	}
	m.opts = opts
	s.sim = m
	s.Endpoint = "built-in local Partner Center (simulated)"
	if api == APIGraph {
		s.Endpoint = "built-in local Microsoft Graph (simulated)"
	}
	s.CredentialsFrom = "simulated token"
	return nil
}

// prepare reads the simulation's catalogue.
func (sim *Simulation) prepare(api string) (*simulated, error) {
	if api == APIGraph {
		_, skus, err := graphCatalogue(sim.Catalogue, sim.names)
		if err != nil {
			return nil, err
		}
		return &simulated{api: api, cfg: sim, skus: skus}, nil
	}
	cat := sim.Catalogue
	if cat == nil {
		cat = samples.Catalogue
	}
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(cat))
	if err != nil {
		return nil, &SettingError{Setting: "catalogue", Err: err}
	}
	m := &simulated{api: api, cfg: sim, pc: skus}
	for _, s := range skus {
		sku := client.Sku{ID: s.ProductSku.ID, Name: s.ProductSku.Name, PartNumber: s.ProductSku.SkuPartNumber,
			Group: strings.ToLower(s.ProductSku.LicenseGroupID), Total: s.TotalUnits, Consumed: s.ConsumedUnits, Available: s.AvailableUnits}
		for _, p := range s.ServicePlans {
			sku.Plans = append(sku.Plans, client.ServicePlan{ID: p.ID, Name: p.ServiceName, DisplayName: p.DisplayName})
		}
		m.skus = append(m.skus, sku)
	}
	return m, nil
}

// Catalogue answers every customer with the simulation's catalogue: the plan that
// seeds the simulation is made against it.
func (m *simulated) Catalogue(_ context.Context, _ string) ([]client.Sku, error) {
	return append([]client.Sku(nil), m.skus...), nil
}

// SeedFrom plans inputs against the simulation's catalogue (rows without a customer
// belong to customer) and returns the seed they make. An input with problems (a SKU
// the catalogue does not name) adds nothing.
func (sim *Simulation) SeedFrom(ctx context.Context, api, customer string, inputs ...*Input) (Seed, error) {
	m, err := sim.prepare(api)
	if err != nil {
		return Seed{}, err
	}
	seed := Seed{Customers: []string{customer}, Users: map[string][]string{}}
	for _, in := range inputs {
		p, err := buildFrom(ctx, in, m, planner.Options{DefaultCustomer: customer, Shortfall: planner.ShortfallPartial})
		var inputErr *planner.InputError
		if errors.As(err, &inputErr) {
			continue
		}
		if err != nil {
			return Seed{}, fmt.Errorf("seed from %s: %w", in.Name, err)
		}
		seed.add(p)
	}
	return seed, nil
}

// add adds what a plan (made without reads) says of its users: each exists, and holds
// the SKUs its rows remove.
func (s *Seed) add(p *planner.Plan) {
	if s.Users == nil {
		s.Users = map[string][]string{}
	}
	s.Customers = append(s.Customers, p.Customers...)
	seen := map[string]bool{}
	for i := range p.NumRows() {
		r := p.Row(i)
		c := strings.ToLower(r.Customer)
		if k := c + "\x00" + strings.ToLower(r.User); !seen[k] {
			seen[k] = true
			s.Users[c] = append(s.Users[c], r.User)
		}
		if r.RemoveSkuID != "" && r.Status == planner.StatusPlanned {
			s.Holdings = append(s.Holdings, pcfake.Holding{Customer: r.Customer, User: r.User, SkuID: r.RemoveSkuID})
		}
	}
}

// PartnerCenter builds the local Partner Center of the seed; extra options come last.
func (sim *Simulation) PartnerCenter(seed Seed, extra ...pcfake.Option) (*pcfake.Server, error) {
	m, err := sim.prepare(APIPartnerCenter)
	if err != nil {
		return nil, err
	}
	opts := []pcfake.Option{pcfake.WithLatency(sim.Latency, sim.Latency*2/3)}
	served := map[string]bool{}
	for _, c := range seed.Customers {
		if k := strings.ToLower(c); c != "" && !served[k] {
			served[k] = true
			opts = append(opts, pcfake.WithCustomer(c, m.pc))
		}
	}
	for c, names := range seed.Users {
		users := make([]pcfake.User, len(names))
		for i, n := range names {
			users[i] = pcfake.MakeUser(n)
		}
		opts = append(opts, pcfake.WithUsers(c, users))
	}
	opts = append(opts, pcfake.WithHoldings("", seed.Holdings))
	fake, err := pcfake.New(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("simulate the API: %w", err)
	}
	return fake, nil
}

// seed makes the simulated API from a plan of the input made without reads, and the
// session's backend that talks to it in-process.
func (s *Session) seed(seedPlan *planner.Plan, defaultCustomer string) error {
	var seed Seed
	seed.Customers = []string{defaultCustomer}
	seed.add(seedPlan)
	if s.sim.api == APIGraph {
		return s.seedGraph(seed, defaultCustomer)
	}
	fake, err := s.sim.cfg.PartnerCenter(seed, pcfake.WithToken(simulatedToken))
	if err != nil {
		return err
	}
	opts := append(s.sim.opts,
		client.WithBaseURL("https://partnercenter.simulated.invalid/"),
		client.WithHTTPClient(&http.Client{Transport: fake.Transport()}),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: simulatedToken})),
	)
	b, err := partnercenter.NewBackend(opts...)
	if err != nil {
		return fmt.Errorf("simulate the API: %w", err)
	}
	s.Backend = b
	return nil
}

// Skus returns the customer's SKUs; a simulation not yet seeded serves the customer
// alone.
func (s *Session) Skus(ctx context.Context, customer string) ([]client.Sku, error) {
	if s.sim != nil && s.Backend == nil {
		if customer == "" {
			customer = pcfake.DefaultCustomerID
		}
		empty, err := planner.Build(ctx, strings.NewReader("user,sku\n"), s.sim, planner.Options{DefaultCustomer: customer})
		if err != nil {
			return nil, err
		}
		if err := s.seed(empty, customer); err != nil {
			return nil, err
		}
	}
	if customer == "" {
		return nil, &SettingError{Setting: "customer", Err: fmt.Errorf("no customer: name the customer whose SKUs to list")}
	}
	return s.Backend.Catalogue(ctx, customer)
}

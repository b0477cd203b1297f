package job

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
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
}

// simulatedToken is the bearer token of the simulated API.
const simulatedToken = "simulated-access-token"

// simulated is the state of a simulation until its backend is made from the first plan.
type simulated struct {
	api  string
	cfg  *Simulation
	opts []client.Option
	skus []partnercenter.SubscribedSku
	fake *pcfake.Server
}

// simulate prepares the simulated API; its backend is made by seed.
func (s *Session) simulate(api string, sim *Simulation, opts []client.Option) error {
	if api == APIGraph {
		return &SettingError{Setting: "API", Err: fmt.Errorf("simulating %s is not built yet", api)}
	}
	cat := sim.Catalogue
	if cat == nil {
		cat = samples.Catalogue
	}
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(cat))
	if err != nil {
		return &SettingError{Setting: "catalogue", Err: err}
	}
	s.sim = &simulated{api: api, cfg: sim, opts: opts, skus: skus}
	s.Endpoint = "built-in local Partner Center (simulated)"
	s.CredentialsFrom = "simulated token"
	return nil
}

// Catalogue answers every customer with the simulation's catalogue: the plan that
// seeds the simulation is made against it.
func (m *simulated) Catalogue(_ context.Context, customer string) ([]client.Sku, error) {
	out := make([]client.Sku, 0, len(m.skus))
	for _, s := range m.skus {
		sku := client.Sku{ID: s.ProductSku.ID, Name: s.ProductSku.Name, PartNumber: s.ProductSku.SkuPartNumber,
			Group: strings.ToLower(s.ProductSku.LicenseGroupID), Total: s.TotalUnits, Consumed: s.ConsumedUnits, Available: s.AvailableUnits}
		for _, p := range s.ServicePlans {
			sku.Plans = append(sku.Plans, client.ServicePlan{ID: p.ID, Name: p.ServiceName, DisplayName: p.DisplayName})
		}
		out = append(out, sku)
	}
	return out, nil
}

// seed makes the simulated API from a plan of the input made without reads, and the
// session's backend that talks to it in-process.
func (s *Session) seed(seedPlan *planner.Plan, defaultCustomer string) error {
	m := s.sim
	customers := map[string]bool{}
	fakeOpts := []pcfake.Option{pcfake.WithToken(simulatedToken), pcfake.WithLatency(m.cfg.Latency, m.cfg.Latency*2/3)}
	addCustomer := func(c string) {
		if k := strings.ToLower(c); c != "" && !customers[k] {
			customers[k] = true
			fakeOpts = append(fakeOpts, pcfake.WithCustomer(c, m.skus))
		}
	}
	addCustomer(defaultCustomer)
	users := map[string]map[string]pcfake.User{} // customer -> lower-cased name -> user
	for _, c := range seedPlan.Customers {
		addCustomer(c)
		users[strings.ToLower(c)] = map[string]pcfake.User{}
	}
	for i := range seedPlan.NumRows() {
		r := seedPlan.Row(i)
		c, name := strings.ToLower(r.Customer), strings.ToLower(r.User)
		if _, ok := users[c][name]; !ok {
			users[c][name] = simulatedUser(r.User)
		}
		if r.RemoveSkuID != "" && r.Status == planner.StatusPlanned {
			fakeOpts = append(fakeOpts, pcfake.WithHolder(r.Customer, r.User, r.RemoveSkuID))
		}
	}
	for c, us := range users {
		list := make([]pcfake.User, 0, len(us))
		for _, u := range us {
			list = append(list, u)
		}
		fakeOpts = append(fakeOpts, pcfake.WithUsers(c, list))
	}
	fake, err := pcfake.New(fakeOpts...)
	if err != nil {
		return fmt.Errorf("simulate the API: %w", err)
	}
	m.fake = fake
	opts := append(m.opts,
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

// simulatedUser is a user the input names by object ID or principal name.
func simulatedUser(name string) pcfake.User {
	u := pcfake.User{UsageLocation: "US", State: "active"}
	if n := strings.ToLower(name); planner.IsGUID(n) {
		u.ID, u.UserPrincipalName = n, n+"@simulated.invalid"
	} else {
		u.ID, u.UserPrincipalName = uuid.NewSHA1(uuid.NameSpaceOID, []byte(n)).String(), name
	}
	u.DisplayName = u.UserPrincipalName
	return u
}

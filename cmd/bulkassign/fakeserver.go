package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/samples"
)

var fakeServerHelp = &help{
	usage: "bulkassign fake-server [--addr 127.0.0.1:8080] [--api partnercenter|graph] [--users FILE] [--holds FILE] [flags]",
	about: "Serves a local copy of the API on loopback, for tests and demos: a real ledger (seats move with every\n" +
		"assignment), the users of the sample files (and of --users), the licenses they hold (those the samples remove,\n" +
		"and --holds), throttling, latency and faults. Point bulkassign, curl or another client at it.",
	groups: []flagGroup{
		{"Serving", []string{"addr", "api", "customer", "catalogue", "users", "holds", "token", "inspect"}},
		{"Throttling and faults", []string{"rate", "burst", "read-rate", "write-rate", "latency", "jitter", "fail-rate", "drop-rate", "spike-rate", "spike", "seed"}},
		{"Playing the API's uncertain answers", []string{"strict-removals", "object-id-lookups-only", "require-mfa"}},
	},
	examples: []string{
		"bulkassign fake-server --addr 127.0.0.1:8080 --rate 20 --latency 50ms &",
		"PARTNER_CENTER_BASE_URL=http://127.0.0.1:8080/ PARTNER_CENTER_ACCESS_TOKEN=anything bulkassign plan --customer 0c39d6d5-c70d-4c55-bc02-f620844f3fd1 --input samples/onboarding.csv",
	},
}

// fakeFlags are fake-server's flags.
type fakeFlags struct {
	addr, api, catalogue, customers, token, users, holds string
	rate, readRate, writeRate                            float64
	burst                                                int
	latency, jitter, spike                               time.Duration
	failRate, dropRate, spikeRate                        float64
	seed                                                 int64
	inspect, strictRemovals, idLookupsOnly, requireMFA   bool
}

func (f *fakeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on")
	fs.StringVar(&f.api, "api", job.APIPartnerCenter, "the `API` to serve: partnercenter or graph")
	fs.StringVar(&f.catalogue, "catalogue", "", "catalogue `FILE` every customer gets (default: the built-in sample)")
	fs.StringVar(&f.customers, "customer", pcfake.DefaultCustomerID, "customer `IDs` to serve, comma-separated")
	fs.StringVar(&f.token, "token", "", "the bearer `token` to expect (default: any non-empty token)")
	fs.StringVar(&f.users, "users", "", "CSV `FILE` of more users: user_principal_name, id, usage_location, state")
	fs.StringVar(&f.holds, "holds", "", "CSV `FILE` of licenses users hold: customer, user, sku (ID), excluded_plans")
	fs.Float64Var(&f.rate, "rate", 0, "requests per second before answering 429 (0: unlimited)")
	fs.IntVar(&f.burst, "burst", 5, "with --rate, --read-rate or --write-rate: requests allowed at once above the rate")
	fs.Float64Var(&f.readRate, "read-rate", 0, "reads (GETs) per second before answering 429 (0: unlimited)")
	fs.Float64Var(&f.writeRate, "write-rate", 0, "writes per second before answering 429 (0: unlimited)")
	fs.DurationVar(&f.latency, "latency", 0, "mean `latency` added to every answer")
	fs.DurationVar(&f.jitter, "jitter", 0, "uniform `jitter` around --latency")
	fs.Float64Var(&f.failRate, "fail-rate", 0, "share of calls answered with a 5xx, not applied (0 to 1)")
	fs.Float64Var(&f.dropRate, "drop-rate", 0, "share of updates applied and then dropped without an answer (0 to 1)")
	fs.Float64Var(&f.spikeRate, "spike-rate", 0, "share of calls given a latency spike (0 to 1)")
	fs.DurationVar(&f.spike, "spike", time.Second, "with --spike-rate: the spike's `length`")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the fake's randomness")
	fs.BoolVar(&f.inspect, "inspect", false, "also serve the fake's state, without a token: GET /_pcfake/stats, /_pcfake/holdings?customer=ID, /_pcfake/units?customer=ID, /_pcfake/requests")
	fs.BoolVar(&f.strictRemovals, "strict-removals", false, "refuse removing a license the user does not hold, as the directory is reported to")
	fs.BoolVar(&f.idLookupsOnly, "object-id-lookups-only", false, "find users by object ID only in GET and PATCH of a user")
	fs.BoolVar(&f.requireMFA, "require-mfa", false, "answer every call 401, code 900421, as for a token without multi-factor authentication")
}

// fakeServer is `bulkassign fake-server`.
func (m *Main) fakeServer(ctx context.Context, args []string) error {
	return m.serveFake(ctx, args, nil)
}

// serveFake serves until ctx ends; ready, when set, receives the address (for tests).
func (m *Main) serveFake(ctx context.Context, args []string, ready func(addr string)) error {
	var f fakeFlags
	fs := m.newFlagSet("fake-server", fakeServerHelp)
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var handler http.Handler
	var customers []string
	var err error
	switch f.api {
	case job.APIPartnerCenter:
		handler, customers, err = m.buildPartnerCenterFake(ctx, &f)
	case job.APIGraph:
		handler, customers, err = m.buildGraphFake(ctx, &f)
	default:
		return usageError("--api %q: must be partnercenter or graph", f.api)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usageError("listen on --addr %s: %w", f.addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	if f.api == job.APIGraph {
		fmt.Fprintf(m.Stdout, "graphfake: a local Microsoft Graph on http://%s/ serving tenant(s) %s\n", ln.Addr(), strings.Join(customers, ", "))
		fmt.Fprintf(m.Stdout, "point bulkassign at it: GRAPH_BASE_URL=http://%s/ GRAPH_ACCESS_TOKEN=%s (the token of tenant %s; each tenant's is %s<tenant ID>)\n",
			ln.Addr(), job.GraphToken(customers[0]), customers[0], job.GraphToken(""))
	} else {
		fmt.Fprintf(m.Stdout, "pcfake: a local Partner Center on http://%s/ serving customer(s) %s\n", ln.Addr(), strings.Join(customers, ", "))
		fmt.Fprintf(m.Stdout, "point bulkassign at it: PARTNER_CENTER_BASE_URL=http://%s/ PARTNER_CENTER_ACCESS_TOKEN=%s\n", ln.Addr(), displayToken(f.token))
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		if st, ok := handler.(interface{ Stats() pcfake.Stats }); ok {
			s := st.Stats()
			fmt.Fprintf(m.Stdout, "pcfake: stopped after %d requests (%d updates applied, %d throttled)\n", s.Requests, s.Applied, s.Throttled)
		}
		return nil
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// seedOf is the seed of a local API for the flags: the customers, the users of the
// sample files and the licenses they hold.
func (f *fakeFlags) seedOf(ctx context.Context, sim *job.Simulation) (job.Seed, []string, error) {
	var ids []string
	for _, id := range strings.Split(f.customers, ",") {
		if id = strings.TrimSpace(id); !client.IsGUID(id) {
			return job.Seed{}, nil, usageError("--customer %q: not a customer ID (a GUID)", id)
		}
		ids = append(ids, id)
	}
	var seed job.Seed
	for _, id := range ids {
		s, err := sim.SeedFrom(ctx, f.api, id, sampleInputs()...)
		if err != nil {
			return seed, nil, err
		}
		seed.Customers = append(seed.Customers, s.Customers...)
		if seed.Users == nil {
			seed.Users = s.Users
		} else {
			for c, us := range s.Users {
				seed.Users[c] = us
			}
		}
		seed.Holdings = append(seed.Holdings, s.Holdings...)
	}
	return seed, ids, nil
}

// simulation is the local API's catalogue and latency from the flags.
func (f *fakeFlags) simulation() (*job.Simulation, error) {
	sim := &job.Simulation{Latency: f.latency}
	if f.catalogue != "" {
		b, err := os.ReadFile(f.catalogue)
		if err != nil {
			return nil, usageError("read --catalogue: %w", err)
		}
		sim.Catalogue = b
	}
	return sim, nil
}

// buildPartnerCenterFake makes the local Partner Center the flags describe, seeded with
// the users of the sample files (and of --users) and the licenses they hold.
func (m *Main) buildPartnerCenterFake(ctx context.Context, f *fakeFlags) (http.Handler, []string, error) {
	sim, err := f.simulation()
	if err != nil {
		return nil, nil, err
	}
	seed, ids, err := f.seedOf(ctx, sim)
	if err != nil {
		return nil, nil, err
	}
	opts, err := f.options(ids)
	if err != nil {
		return nil, nil, err
	}
	fake, err := sim.PartnerCenter(seed, opts...)
	if err != nil {
		return nil, nil, usageError("%w", err)
	}
	return fake, ids, nil
}

// options are the fake's options from the flags.
func (f *fakeFlags) options(customers []string) ([]pcfake.Option, error) {
	opts := []pcfake.Option{
		pcfake.WithToken(f.token),
		pcfake.WithLatency(f.latency, f.jitter),
		pcfake.WithFailureRate(f.failRate),
		pcfake.WithDropRate(f.dropRate),
		pcfake.WithLatencySpikes(f.spikeRate, f.spike),
		pcfake.WithSeed(f.seed),
	}
	for rate, opt := range map[float64]func(float64, int) pcfake.Option{f.rate: pcfake.WithRateLimit, f.readRate: pcfake.WithReadRateLimit, f.writeRate: pcfake.WithWriteRateLimit} {
		if rate > 0 {
			opts = append(opts, opt(rate, f.burst))
		}
	}
	if f.inspect {
		opts = append(opts, pcfake.WithInspection())
	}
	if f.strictRemovals {
		opts = append(opts, pcfake.WithStrictRemovals())
	}
	if f.idLookupsOnly {
		opts = append(opts, pcfake.WithObjectIDLookupsOnly())
	}
	if f.requireMFA {
		opts = append(opts, pcfake.WithMFACheck(func(string) bool { return false }))
	}
	if f.users != "" {
		users, err := readCSVFile(f.users, pcfake.ReadUsersCSV)
		if err != nil {
			return nil, usageError("--users %s: %w", f.users, err)
		}
		for _, c := range customers {
			opts = append(opts, pcfake.WithUsers(c, users))
		}
	}
	if f.holds != "" {
		hs, err := readCSVFile(f.holds, pcfake.ReadHoldingsCSV)
		if err != nil {
			return nil, usageError("--holds %s: %w", f.holds, err)
		}
		opts = append(opts, pcfake.WithHoldings(customers[0], hs))
	}
	return opts, nil
}

// readCSVFile reads a file with read.
func readCSVFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	file, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer file.Close()
	return read(file)
}

// sampleInputs are the sample input files, whose users the local API knows.
func sampleInputs() []*job.Input {
	var out []*job.Input
	_ = fs.WalkDir(samples.Inputs, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := samples.Inputs.ReadFile(path); err == nil {
				out = append(out, job.NewInput("samples/"+path, b))
			}
		}
		return nil
	})
	return out
}

// displayToken shows what token to use without echoing a configured one.
func displayToken(configured string) string {
	if configured == "" {
		return "anything"
	}
	return "(the --token you chose)"
}

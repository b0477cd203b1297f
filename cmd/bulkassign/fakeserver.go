package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/samples"
)

// FakeServerCommand is `bulkassign fake-server`: it serves pcfake, a local Partner
// Center, so that the tool, curl or another client can be pointed at it.
type FakeServerCommand struct {
	main *Main
	// ready, when set, receives the address once the server listens (for tests).
	ready func(addr string)
}

// Run parses the flags and serves until ctx is cancelled.
func (c *FakeServerCommand) Run(ctx context.Context, args []string) error {
	m := c.main
	fs := flag.NewFlagSet("bulkassign fake-server", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	catalogue := fs.String("catalogue", "", "subscribedskus JSON catalogue (default: the built-in sample)")
	customers := fs.String("customer", pcfake.DefaultCustomerID, "customer IDs to serve, comma-separated; each gets the catalogue")
	token := fs.String("token", "", "the bearer token to expect (default: any non-empty token)")
	rate := fs.Float64("rate", 0, "requests per second before answering 429 (0: unlimited)")
	burst := fs.Int("burst", 5, "with --rate: requests allowed at once above the rate")
	latency := fs.Duration("latency", 0, "mean latency added to every answer")
	jitter := fs.Duration("jitter", 0, "uniform jitter around --latency")
	failRate := fs.Float64("fail-rate", 0, "share of calls answered with a 5xx, not applied (0 to 1)")
	dropRate := fs.Float64("drop-rate", 0, "share of POSTs applied and then dropped without an answer (0 to 1)")
	spikeRate := fs.Float64("spike-rate", 0, "share of calls given a latency spike (0 to 1)")
	spike := fs.Duration("spike", time.Second, "with --spike-rate: the spike's length")
	seed := fs.Int64("seed", 1, "seed of the fake's randomness")
	inspect := fs.Bool("inspect", false, "also serve the fake's state for tests, without a token: GET /_pcfake/stats, /_pcfake/holdings?customer=ID, /_pcfake/units?customer=ID[&sku=ID], /_pcfake/requests (keeps a log of every request)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: bulkassign fake-server --addr 127.0.0.1:8080 [--catalogue FILE] [--rate N] [--latency D] [--fail-rate P] [--drop-rate P] ...")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	for name, p := range map[string]float64{"--fail-rate": *failRate, "--drop-rate": *dropRate, "--spike-rate": *spikeRate} {
		if p < 0 || p > 1 {
			return usageError("%s %v: must be between 0 and 1", name, p)
		}
	}
	if *rate < 0 || *burst < 1 || *latency < 0 || *jitter < 0 {
		return usageError("--rate, --latency and --jitter must not be negative, --burst at least 1")
	}
	cat := samples.Catalogue
	if *catalogue != "" {
		b, err := os.ReadFile(*catalogue)
		if err != nil {
			return usageError("read catalogue: %w", err)
		}
		cat = b
	}
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(cat))
	if err != nil {
		return usageError("load catalogue: %w", err)
	}
	opts := []pcfake.Option{
		pcfake.WithToken(*token),
		pcfake.WithLatency(*latency, *jitter),
		pcfake.WithFailureRate(*failRate),
		pcfake.WithDropRate(*dropRate),
		pcfake.WithLatencySpikes(*spikeRate, *spike),
		pcfake.WithSeed(*seed),
	}
	if *rate > 0 {
		opts = append(opts, pcfake.WithRateLimit(*rate, *burst))
	}
	if *inspect {
		opts = append(opts, pcfake.WithInspection())
	}
	var ids []string
	for _, id := range strings.Split(*customers, ",") {
		id = strings.TrimSpace(id)
		if !isGUID(id) {
			return usageError("--customer %q: not a customer ID (a GUID)", id)
		}
		ids = append(ids, id)
		opts = append(opts, pcfake.WithCustomer(id, skus))
	}
	fake := pcfake.New(opts...)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageError("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(m.Stdout, "pcfake: a local Partner Center on http://%s/ serving customer(s) %s\n", ln.Addr(), strings.Join(ids, ", "))
	fmt.Fprintf(m.Stdout, "point bulkassign at it: PARTNER_CENTER_BASE_URL=http://%s/ PARTNER_CENTER_ACCESS_TOKEN=%s\n", ln.Addr(), displayToken(*token))
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		st := fake.Stats()
		fmt.Fprintf(m.Stdout, "pcfake: stopped after %d requests (%d POSTs applied, %d throttled)\n", st.Requests, st.Applied, st.Throttled)
		return nil
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// displayToken shows what token to use without echoing a configured one.
func displayToken(configured string) string {
	if configured == "" {
		return "anything"
	}
	return "(the --token you chose)"
}

package main

import (
	"context"
	"net/http"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

// buildGraphFake makes the local Microsoft Graph the flags describe: each --customer a
// tenant with the catalogue, the users of the sample files and the licenses they hold,
// and a token of its own (job.GraphToken).
func (m *Main) buildGraphFake(ctx context.Context, f *fakeFlags) (http.Handler, []string, error) {
	sim, err := f.simulation()
	if err != nil {
		return nil, nil, err
	}
	seed, ids, err := f.seedOf(ctx, sim)
	if err != nil {
		return nil, nil, err
	}
	opts := []graphfake.Option{
		graphfake.WithLatency(f.latency, f.jitter),
		graphfake.WithFailureRate(f.failRate),
		graphfake.WithDropRate(f.dropRate),
		graphfake.WithLatencySpikes(f.spikeRate, f.spike),
		graphfake.WithSeed(f.seed),
	}
	switch {
	case f.rate > 0:
		opts = append(opts, graphfake.WithRateLimit(f.rate, f.burst))
	case f.writeRate > 0:
		opts = append(opts, graphfake.WithWriteLimit(int(f.writeRate*150), 150*time.Second))
	}
	if f.inspect {
		opts = append(opts, graphfake.WithInspection())
	}
	fake, err := sim.Graph(seed, opts...)
	if err != nil {
		return nil, nil, usageError("%w", err)
	}
	return fake, ids, nil
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// The Graph measures: `bulkassign run --api graph` at its defaults (writes paced at
// Graph's published 20/s per tenant and 35,000 per 5 min per app, 64 updates in
// flight) against graphfake in the child process, 50 ms answers.
const (
	graphConcurrency = 64 // run's --concurrency with --api graph
	graphLatency     = 50 * time.Millisecond
	// graphCeiling is the fake's write budget per app and tenant in the ceiling
	// measure (burst graphCeilingBurst): below what Graph publishes, unknown to the tool.
	graphCeiling      = 10.0
	graphCeilingBurst = 10
)

// measureGraphCeiling runs one tenant's job against a Graph whose per-tenant write
// budget is lower than the one Graph publishes: writes/s over that budget and the
// share of 429s among the writes (each $batch item an attempt).
func measureGraphCeiling(ctx context.Context, o *options) (*measured, error) {
	n := o.graphRows
	tenant := graphfake.DefaultTenantID
	in := inputCSV(n)
	path, err := writeFile(o.dir, "graph-ceiling.csv", in)
	if err != nil {
		return nil, err
	}
	fake, err := startFake(fakeConfig{API: job.APIGraph, Tenants: []string{tenant}, Input: path, Latency: graphLatency,
		Write: limit{RPS: graphCeiling, Burst: graphCeilingBurst}})
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	rec := newRecorder()
	var pace *paceSampler
	t := toolRun{api: job.APIGraph, customer: tenant, input: in, concurrency: graphConcurrency, rec: rec,
		onPlan: func(s *job.Session, _ *planner.Plan) { pace = samplePace(s.Pacing.Pacer(client.Write, tenant)) }}
	logf("   local Graph: writes limited to %g/s per tenant (burst %d), %v answers; tool: %d rows, --api graph at its defaults", graphCeiling, graphCeilingBurst, graphLatency, n)
	res, err := runTool(ctx, fake.URL, o.dir, t)
	paces := pace.stop()
	if err != nil {
		return nil, err
	}
	writes := rec.writes()
	if o.verbose {
		printTimeline(writes, paces, 0, graphCeiling)
	}
	ok := res.sum.Counts[report.StatusSucceeded]
	if ok != n {
		return nil, fmt.Errorf("%d of %d rows succeeded: %v", ok, n, res.sum.Counts)
	}
	st, err := fake.GraphStats()
	if err != nil {
		return nil, err
	}
	goodput := float64(ok) / res.sum.Elapsed.Seconds()
	n429 := countStatus(writes, 429)
	share := float64(n429) / float64(max(len(writes), 1))
	logf("   tool: %d updates in %.2f s = %.2f/s; %d write attempts, %d answered 429 (%.2f%%); the fake: %d $batch calls, %d items, %d answered 429",
		ok, res.sum.Elapsed.Seconds(), goodput, len(writes), n429, share*100, st.BatchCalls, st.BatchItems, st.Throttled)
	return &measured{
		rows: []row{
			{
				Measure: fmt.Sprintf("Graph, unknown ceiling: writes/s over the per-tenant limit (the fake's write budget 10/s per tenant, burst 10; the tool at Graph's published 20/s; %s rows, one tenant, 50 ms answers)", thousands(n)),
				Value:   fmt.Sprintf("**%.3f** (%.2f writes/s: %s in %s, in %s $batch calls)", goodput/graphCeiling, goodput, thousands(ok), seconds(res.sum.Elapsed), thousands(st.BatchCalls)),
				Target:  "≥ 0.90",
				Result:  atLeast(goodput/graphCeiling, 0.90),
			},
			{
				Measure: "Graph, unknown ceiling: share of write attempts ($batch items) answered 429",
				Value:   fmt.Sprintf("**%.2f%%** (%d of %s)", share*100, n429, thousands(len(writes))),
				Target:  "≤ 5%",
				Result:  atMost(share*100, 5),
			},
		},
		notes: []string{"Graph: `bulkassign run --api graph` through pkg/job, signing in with the secure application model at the local Graph's " +
			"token endpoint (a token per customer tenant), at its defaults (writes 20/s per tenant, 35,000 per 5 min per app, --concurrency 64), " +
			"against graphfake in another process seeded with the file's users. Writes/s is the rows succeeded per second of the sending; " +
			"a write attempt is one $batch item as the backend reports it."},
	}, nil
}

// graphTenantIDs are n customer tenant IDs.
func graphTenantIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("7e5f1a2b-8c9d-4e0f-a1b2-%012x", i+1)
	}
	return ids
}

// tenantRows writes rows rows assigning E3 to users of tenant i; with the customer
// column when withCustomer.
func tenantRows(b *bytes.Buffer, tenant string, i, rows int, withCustomer bool) {
	for r := range rows {
		fmt.Fprintf(b, "t%02du%05d@tenant%02d.onmicrosoft.com,ENTERPRISEPACK", i, r+1, i)
		if withCustomer {
			b.WriteString("," + tenant)
		}
		b.WriteByte('\n')
	}
}

// measureGraphTenants runs one file of several customer tenants, then the same job
// as one run per customer, one after the other, each against a fresh local Graph:
// the whole time of each way (sign-in, plan and sending).
func measureGraphTenants(ctx context.Context, o *options) (*measured, error) {
	tenants := graphTenantIDs(o.tenants)
	var all bytes.Buffer
	all.WriteString("user,sku,customer\n")
	for i, t := range tenants {
		tenantRows(&all, t, i, o.tenantRows, true)
	}
	path, err := writeFile(o.dir, "graph-tenants.csv", all.Bytes())
	if err != nil {
		return nil, err
	}
	cfg := fakeConfig{API: job.APIGraph, Tenants: tenants, Input: path, Latency: graphLatency}
	logf("   one run of %d tenants × %d rows, --api graph at its defaults", len(tenants), o.tenantRows)
	together, err := graphRuns(ctx, o, cfg, []toolRun{{api: job.APIGraph, customer: tenants[0], input: all.Bytes(), concurrency: graphConcurrency}})
	if err != nil {
		return nil, err
	}
	var apart []toolRun
	for i, t := range tenants {
		var one bytes.Buffer
		one.WriteString("user,sku\n")
		tenantRows(&one, t, i, o.tenantRows, false)
		apart = append(apart, toolRun{api: job.APIGraph, customer: t, input: one.Bytes(), concurrency: graphConcurrency})
	}
	logf("   %d runs of one tenant each, one after the other", len(tenants))
	seq, err := graphRuns(ctx, o, cfg, apart)
	if err != nil {
		return nil, err
	}
	rows := len(tenants) * o.tenantRows
	return &measured{rows: []row{{
		Measure: fmt.Sprintf("Graph: a %d-customer run against %d sequential single-customer runs (%s rows each, 50 ms answers, Graph's default budgets)",
			len(tenants), len(tenants), thousands(o.tenantRows)),
		Value: fmt.Sprintf("**%s** against **%s**: **%.2f×** the time (%.1f× faster); sending %s (%.0f writes/s) against %s",
			seconds(together.total), seconds(seq.total), together.total.Seconds()/seq.total.Seconds(), seq.total.Seconds()/together.total.Seconds(),
			seconds(together.sending), float64(rows)/together.sending.Seconds(), seconds(seq.sending)),
		Target: noTarget,
		Result: comparison,
	}}}, nil
}

// graphTimes are the summed times of runs.
type graphTimes struct {
	total   time.Duration // sign-in, plan and sending
	sending time.Duration
}

// graphRuns runs each job in turn against one fresh local Graph of cfg.
func graphRuns(ctx context.Context, o *options, cfg fakeConfig, runs []toolRun) (graphTimes, error) {
	fake, err := startFake(cfg)
	if err != nil {
		return graphTimes{}, err
	}
	defer fake.Close()
	var t graphTimes
	for _, r := range runs {
		res, err := runTool(ctx, fake.URL, o.dir, r)
		if err != nil {
			return t, err
		}
		t.total += res.total
		t.sending += res.sum.Elapsed
		logf("   run of %s: %d updates, %s in all, %s of sending, %d reads", r.customer, res.sum.Updates, seconds(res.total), seconds(res.sum.Elapsed), res.sum.Reads)
	}
	return t, nil
}

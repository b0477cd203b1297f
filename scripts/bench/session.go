package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/client/signin"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// benchToken is the static access token the tool signs in with; the fake accepts any.
const benchToken = "bench-access-token"

// toolRun is one `bulkassign run --customer <the fake's> --base-url <the fake>` with
// the credentials set: the flags that differ from the defaults are the fields.
type toolRun struct {
	api         string // --api; "" for Partner Center
	customer    string // --customer; "" for pcfake.DefaultCustomerID
	input       []byte
	rate        float64 // --rate; client.Unlimited for no pace at all; 0 for Graph's default
	burst       int     // --burst (below 1: 1)
	readRate    float64 // --read-rate; 0 for the default (50), client.Unlimited for none
	concurrency int     // --concurrency
	rec         *recorder
	// onPlan, when set, is called when the plan is made, before anything is sent
	// (after rec is marked).
	onPlan func(*job.Session, *planner.Plan)
}

// toolResult is what a run gave.
type toolResult struct {
	sum   *report.Summary
	sess  *job.Session
	total time.Duration // from Connect to the end of the run, plan included
}

// pacing is the pacing `bulkassign run [--api A] --rate R --burst B [--read-rate Q]`
// sets; with --api graph and no --rate, Graph's own per-tenant budget.
func (t toolRun) pacing() client.PacingConfig {
	api := cmp.Or(t.api, job.APIPartnerCenter)
	p := job.DefaultPacing(api)
	if api != job.APIGraph || t.rate > 0 {
		p.Write = client.Budget{Rate: t.rate, Burst: max(t.burst, 1)}
	}
	if t.readRate > 0 {
		p.Read.Rate = t.readRate
	}
	return p
}

// credentials are the sign-in settings for the fake at baseURL: Partner Center's
// access token (PARTNER_CENTER_ACCESS_TOKEN), or for Graph the secure application
// model against the local Graph's token endpoint (a token per customer tenant).
func credentials(api, baseURL string) signin.Settings {
	if api != job.APIGraph {
		return signin.Settings{AccessToken: signin.Secret(benchToken)}
	}
	return signin.Settings{
		ClientID:     "bench-app",
		ClientSecret: signin.Secret("bench-client-secret"),
		TenantID:     graphPartnerTenant,
		RefreshToken: signin.Secret("bench-refresh-token"),
		TokenURL:     strings.TrimSuffix(baseURL, "/") + "/{tenant}/oauth2/v2.0/token",
	}
}

// connect signs in to the fake at baseURL as `bulkassign` does with --api and
// --base-url set and the credentials in its environment.
func connect(ctx context.Context, api, baseURL string, pacing client.PacingConfig, rec *recorder) (*job.Session, error) {
	s := job.Settings{
		API:         api,
		BaseURL:     baseURL,
		Credentials: credentials(api, baseURL),
		Pacing:      pacing,
	}
	if rec != nil {
		s.Observer = rec.observe
	}
	sess, err := job.Connect(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return sess, nil
}

// runTool runs the job against the fake at baseURL through pkg/job, as `bulkassign run`
// does at its defaults (users read in the plan, rollback on, shortfall abort, 8 reads
// in flight), writing the result and rollback files under dir. Every row must
// succeed or be unchanged.
func runTool(ctx context.Context, baseURL, dir string, t toolRun) (res *toolResult, err error) {
	defer func() {
		// A panic of the tool on this goroutine (the plan's) fails the measure, not
		// the bench; the stack goes to standard error.
		if p := recover(); p != nil {
			logf("   the tool panicked: %v\n%s", p, debug.Stack())
			res, err = nil, fmt.Errorf("the tool panicked: %v", p)
		}
	}()
	start := time.Now()
	sess, err := connect(ctx, t.api, baseURL, t.pacing(), t.rec)
	if err != nil {
		return nil, err
	}
	out, err := os.MkdirTemp(dir, "run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	cfg := job.RunConfig{
		PlanConfig: job.PlanConfig{
			Input:           job.NewInput("input.csv", t.input),
			Customer:        cmp.Or(t.customer, pcfake.DefaultCustomerID),
			Shortfall:       planner.ShortfallAbort,
			ReadUsers:       true,
			ReadConcurrency: 8,
		},
		Output:       filepath.Join(out, "result.csv"),
		Rollback:     true,
		Concurrency:  t.concurrency,
		DrainTimeout: 30 * time.Second,
		OnPlan: func(p *planner.Plan) {
			if t.rec != nil {
				t.rec.mark()
			}
			if t.onPlan != nil {
				t.onPlan(sess, p)
			}
		},
	}
	sum, err := sess.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	res = &toolResult{sum: sum, sess: sess, total: time.Since(start)}
	if bad := sum.Rows() - sum.Counts[report.StatusSucceeded] - sum.Counts[report.StatusUnchanged]; bad > 0 {
		return res, fmt.Errorf("run: %d of %d rows neither succeeded nor were unchanged: %v", bad, sum.Rows(), sum.Counts)
	}
	return res, nil
}

// inputCSV is an input file of n rows, each assigning Office 365 Enterprise E3 to
// another user: n rows plan into n updates.
func inputCSV(n int) []byte {
	var b bytes.Buffer
	b.Grow(48 * (n + 1))
	b.WriteString("user,sku\n")
	for i := range n {
		fmt.Fprintf(&b, "bench%07d@contoso.onmicrosoft.com,ENTERPRISEPACK\n", i+1)
	}
	return b.Bytes()
}

// writeFile writes data to name in dir and returns its path.
func writeFile(dir, name string, data []byte) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, data, 0o600)
}

// writeGenerated writes an input of n rows from plannertest.WriteCSV, the generator of
// `go run ./scripts/geninput -rows N -seed 1` (E3 assignments, E3 → E5 swaps, E5 with
// excluded plans, removals, Minecraft rows; users by principal name; no customer
// column) to name in dir.
func writeGenerated(dir, name string, n int) (string, error) {
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	if err := plannertest.WriteCSV(f, plannertest.GenConfig{Rows: n, Seed: 1}); err != nil {
		f.Close()
		return "", err
	}
	return p, f.Close()
}

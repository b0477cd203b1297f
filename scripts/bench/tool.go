package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// attempt is one HTTP attempt as the tool saw it: when its answer came (since the
// recorder's start) and its status (0: no answer).
type attempt struct {
	at     time.Duration
	status int
}

// recorder keeps every attempt of a run, for timelines.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	all   []attempt
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

func (r *recorder) observe(a client.Attempt) {
	at := time.Since(r.start)
	r.mu.Lock()
	r.all = append(r.all, attempt{at: at, status: a.StatusCode})
	r.mu.Unlock()
}

func (r *recorder) attempts() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]attempt(nil), r.all...)
}

// tool is bulkassign as `bulkassign run` wires it (cmd/bulkassign/run.go): one pacer
// given to the client as its limiter and observer, the client's default HTTP client,
// a static token.
type tool struct {
	client *client.Client
	pacer  *runner.Pacer
}

// newTool builds the tool against baseURL at rate and burst. rec, if not nil, sees
// every attempt after the pacer.
func newTool(baseURL string, rate float64, burst int, rec *recorder) (*tool, error) {
	pacer := runner.NewPacer(rate, burst)
	observe := pacer.Observe
	if rec != nil {
		observe = func(a client.Attempt) {
			pacer.Observe(a)
			rec.observe(a)
		}
	}
	c, err := client.New(
		client.WithBaseURL(baseURL),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token"})),
		client.WithLimiter(pacer),
		client.WithObserver(observe),
	)
	if err != nil {
		return nil, fmt.Errorf("configure client: %w", err)
	}
	return &tool{client: c, pacer: pacer}, nil
}

// inputCSV is an input file of n rows, each assigning Office 365 Enterprise E3 to
// another user: n rows plan into n requests.
func inputCSV(n int) []byte {
	var b bytes.Buffer
	b.Grow(64 * (n + 1))
	b.WriteString("user,sku\n")
	for i := range n {
		fmt.Fprintf(&b, "bench%07d@contoso.onmicrosoft.com,ENTERPRISEPACK\n", i+1)
	}
	return b.Bytes()
}

// plan plans an input of n rows through the tool's client (one subscribedskus GET),
// as `bulkassign run` does before it sends anything.
func (t *tool) plan(ctx context.Context, n int) (*planner.Plan, error) {
	p, err := planner.Build(ctx, bytes.NewReader(inputCSV(n)), t.client, planner.Options{DefaultCustomer: pcfake.DefaultCustomerID})
	if err != nil {
		return nil, fmt.Errorf("plan %d rows: %w", n, err)
	}
	if p.NumUpdates() != n {
		return nil, fmt.Errorf("plan %d rows: %d requests, want %d", n, p.NumUpdates(), n)
	}
	return p, nil
}

// run runs plan at concurrency, writing the result CSV to a file in dir as
// `bulkassign run --output` does.
func (t *tool) run(ctx context.Context, plan *planner.Plan, concurrency int, dir string) (runner.Stats, error) {
	f, err := report.Create(filepath.Join(dir, fmt.Sprintf("results-%d.csv", time.Now().UnixNano())))
	if err != nil {
		return runner.Stats{}, err
	}
	defer os.Remove(f.Path())
	stats, runErr := runner.Run(ctx, plan, t.client, t.pacer, f, runner.Config{
		Concurrency:   concurrency,
		CorrelationID: t.client.CorrelationID(),
	})
	if err := f.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close results: %w", err)
	}
	return stats, runErr
}

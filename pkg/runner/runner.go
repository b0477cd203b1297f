package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// Defaults of Config.
const (
	DefaultConcurrency  = 8
	DefaultDrainTimeout = 30 * time.Second
)

// Config tunes a run. The zero value is usable: DefaultConcurrency workers,
// DefaultDrainTimeout, no abort channel, no progress, no logging.
type Config struct {
	// Concurrency is how many requests may be in flight at once; below 1 means
	// DefaultConcurrency. The pacer, not the pool, sets the request rate.
	Concurrency int
	// DrainTimeout bounds how long requests already in flight may go on (retries
	// included) once the run stops; 0 or less means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// CorrelationID is written into every result; "" uses the one each response names.
	CorrelationID string
	// Abort, when closed (a second signal), cancels requests in flight at once; their
	// rows are written as skipped with an unknown outcome.
	Abort <-chan struct{}
	// OnProgress, if not nil, is called after every result is written, by the one
	// goroutine that writes results; throttle it on the caller's side.
	OnProgress func(Progress)
	// Logger receives a debug line per request and an info line per stop. Tokens are
	// never logged. The zero Logger logs nothing.
	Logger zerolog.Logger
	// Rollback, when set, receives the rows that undo each change (planner.Change.Undo)
	// before the change is sent; when they cannot be written, the change is not sent
	// and the run stops with ErrOutputUnwritable.
	Rollback RollbackWriter
	// Throttled, when set, reports how many write attempts were answered 429 so far
	// (the limiter counts them).
	Throttled func() int
}

// Progress is how far a run has got.
type Progress struct {
	Done, Total                int // results handed to the sink, rows in the plan
	Succeeded, Failed, Skipped int
	Elapsed                    time.Duration
	RequestsPerSecond          float64 // requests sent and finished per second of the run
	Throttled                  int     // attempts answered 429 so far
}

// Applier sends one change; every client.Backend is one.
type Applier interface {
	Apply(ctx context.Context, ch client.Change, call *client.Call) (client.Applied, error)
}

// RollbackWriter receives the rows of the rollback file; *report.RollbackFile is one.
type RollbackWriter interface {
	Write(report.RollbackRow) error
}

// Sink receives one result per plan row; *report.Writer satisfies it. Run calls Write
// from one goroutine only.
type Sink interface {
	Write(report.Result) error
}

// Stats sums up a run.
type Stats struct {
	Counts            map[report.Status]int // results handed to the sink, per status
	Requests          int                   // changes sent (at least one attempt made)
	Attempts          int                   // HTTP attempts those requests made
	Retries           int                   // Attempts less Requests
	Throttled         int                   // attempts answered 429 (counted by the pacer)
	Elapsed           time.Duration
	RequestsPerSecond float64 // Requests per second of Elapsed
	Interrupted       bool    // the run stopped with ErrInterrupted
	RollbackRows      int     // rows written to Config.Rollback
	UsageLocationsSet int     // users given a usage location before their change
}

// causes of cancelling requests in flight
var (
	errAborted      = errors.New("run aborted")
	errDrainTimeout = errors.New("drain timeout")
)

type run struct {
	plan   *planner.Plan
	apply  Applier
	sink   Sink
	cfg    Config
	log    zerolog.Logger
	start  time.Time
	runCtx context.Context // cancelled when the run stops: no new request starts
	stop   context.CancelCauseFunc
	reqCtx context.Context // requests' context: detached from ctx, cancelled by Abort or the drain timeout

	throttled0 int
	undoMu     sync.Mutex // serialises the rollback writes of concurrent workers
	undoRows   atomic.Int64

	// collector state, touched only by the collector goroutine (Run's own)
	stats    Stats
	done     int
	stopped  int // rows not sent or with an unknown outcome because of a stop
	writeErr error
}

// Run sends every Change of plan through apply, at most cfg.Concurrency at once, and
// writes one result per plan row to sink: rows the plan skipped with their reason, rows
// it found unchanged as such, every other row with the outcome of the request that
// carried it. With cfg.Rollback, each change's undo rows are written before it is sent.
//
// A row that fails is a result, never a reason to stop. Run stops early only when
// further requests are pointless: the service rejected the credentials (a 401, a token
// without MFA, or no token could be had), sink or the rollback failed, or ctx was
// cancelled or cfg.Abort closed. Then no new request starts (a request waiting for its
// first attempt, or to retry a 429, is not sent), requests in flight finish (bounded by
// cfg.DrainTimeout, cut at once by cfg.Abort), the rows never sent are written as
// skipped "not sent: ...", and Run returns a *StopError wrapping ErrCredentialsRejected,
// ErrOutputUnwritable or ErrInterrupted. A cancelled ctx that left no row unsent is not
// an error.
func Run(ctx context.Context, plan *planner.Plan, apply Applier, sink Sink, cfg Config) (Stats, error) {
	if plan == nil || apply == nil || sink == nil {
		return Stats{}, errors.New("run plan: plan, applier and sink are required")
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	r := &run{
		plan:  plan,
		apply: apply,
		sink:  sink,
		cfg:   cfg,
		log:   cfg.Logger,
		start: time.Now(),
		stats: Stats{Counts: make(map[report.Status]int)},
	}
	r.throttled0 = r.throttled()
	var cancelReq context.CancelCauseFunc
	r.runCtx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	r.reqCtx, cancelReq = context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelReq(nil)

	finished := make(chan struct{})
	defer close(finished)
	go r.watch(cancelReq, finished)

	// Rows that send nothing come first: skipped and unchanged.
	for i := 0; i < plan.NumRows(); i++ {
		if row := plan.Row(i); row.Change < 0 {
			r.write(row.Result())
		}
	}

	results := make(chan outcome, r.cfg.Concurrency)
	go r.dispatch(results)
	for o := range results {
		r.collect(o)
	}
	return r.finish()
}

// watch cuts requests in flight short: DrainTimeout after the run stops, or at once
// when Abort closes (which also stops the run).
func (r *run) watch(cancelReq context.CancelCauseFunc, finished <-chan struct{}) {
	select {
	case <-r.runCtx.Done():
	case <-r.cfg.Abort:
	case <-finished:
		return
	}
	select {
	case <-finished:
		return // the run ended as it stopped (its end stops runCtx too): nothing to drain
	default:
	}
	if se := r.stopError(); se != nil {
		r.log.Info().Str("reason", se.Error()).Stringer("drain_timeout", r.cfg.DrainTimeout).
			Msg("run stopping: no new request starts, requests in flight finish")
	}
	t := time.NewTimer(r.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-r.cfg.Abort:
		r.stop(interruptStop("aborted", errAborted))
		cancelReq(errAborted)
		r.log.Info().Msg("run aborted: requests in flight cancelled")
	case <-t.C:
		cancelReq(errDrainTimeout)
		r.log.Info().Stringer("drain_timeout", r.cfg.DrainTimeout).Msg("drain timeout: requests in flight cancelled")
	case <-finished:
	}
}

// dispatch starts one worker per Change while the run goes on, taking the customers in
// turn (see planner.Plan.ChangeOrder), then hands the collector the Changes never
// started, and closes results once every worker is done.
func (r *run) dispatch(results chan<- outcome) {
	defer close(results)
	order := r.plan.ChangeOrder()
	// A fixed pool of workers, each taking changes in turn: their stacks, grown by the
	// first request, serve every later one.
	jobs := make(chan int)
	var g errgroup.Group
	for range min(r.cfg.Concurrency, len(order)) {
		g.Go(func() error {
			for idx := range jobs {
				results <- r.send(idx, r.plan.Change(idx))
			}
			return nil
		})
	}
	i := 0
feed:
	for ; i < len(order) && r.runCtx.Err() == nil; i++ {
		select {
		case jobs <- int(order[i]):
		case <-r.runCtx.Done():
			break feed
		}
	}
	close(jobs)
	for ; i < len(order); i++ {
		results <- outcome{change: r.plan.Change(int(order[i])), kind: kindNotSent}
	}
	_ = g.Wait() // workers return no errors: outcomes go through results
}

// send writes the rows that undo one Change, sends it, and says what became of it.
func (r *run) send(i int, ch planner.Change) outcome {
	if r.runCtx.Err() != nil {
		return outcome{change: ch, kind: kindNotSent}
	}
	call := &client.Call{Kind: client.Write, Stop: r.runCtx.Done()}
	began := time.Now()
	var applied client.Applied
	err := r.writeUndo(ch)
	if err == nil {
		applied, err = r.apply.Apply(r.reqCtx, ch.Change, call)
	}
	o := classify(ch, applied, call, err, context.Cause(r.reqCtx), r.cfg.DrainTimeout)
	if o.stop != nil {
		r.stop(o.stop) // at once, so that no further request starts
	}
	r.log.Debug().Int("change", i).Str("customer", ch.Customer).Str("user", ch.User).
		Str("license_group", ch.Group).Str("outcome", o.kind.String()).
		Int("http_status", o.httpStatus).Str("error_code", o.code).Int("attempts", o.attempts).
		Str("request_id", o.requestID).Str("elapsed", time.Since(began).String()).Msg("change")
	return o
}

// errRollbackUnwritable marks a change not sent because its rollback rows could not
// be written; Run stops with ErrOutputUnwritable.
var errRollbackUnwritable = errors.New("rollback file unwritable")

// writeUndo writes the rows that undo ch to the rollback file, ahead of sending it, so
// that a change whose answer is lost (a crash, a dropped connection) is still undone.
// A change that is then not sent leaves rows that undo nothing, which a rollback run
// plans as unchanged.
func (r *run) writeUndo(ch planner.Change) error {
	if r.cfg.Rollback == nil || len(ch.Undo) == 0 {
		return nil
	}
	r.undoMu.Lock()
	defer r.undoMu.Unlock()
	if r.runCtx.Err() != nil {
		return fmt.Errorf("%w: the run stopped", client.ErrNotSent)
	}
	for _, row := range ch.Undo {
		if err := r.cfg.Rollback.Write(row); err != nil {
			return fmt.Errorf("%w: %w", errRollbackUnwritable, err)
		}
		r.undoRows.Add(1)
	}
	return nil
}

package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
}

// Progress is how far a run has got.
type Progress struct {
	Done, Total                int // results handed to the sink, rows in the plan
	Succeeded, Failed, Skipped int
	Elapsed                    time.Duration
	RequestsPerSecond          float64 // requests sent and finished per second of the run
	Throttled                  int     // attempts answered 429 so far
}

// Poster posts one LicenseUpdate; *client.Client satisfies it.
//
// See https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user
type Poster interface {
	UpdateLicenses(ctx context.Context, customerID, user string, u client.LicenseUpdate) (*client.LicenseUpdate, *client.Response, error)
}

// Sink receives one result per plan row; *report.Writer satisfies it. Run calls Write
// from one goroutine only.
type Sink interface {
	Write(report.Result) error
}

// Stats sums up a run.
type Stats struct {
	Counts            map[report.Status]int // results handed to the sink, per status
	Requests          int                   // LicenseUpdate requests sent (at least one attempt made)
	Attempts          int                   // HTTP attempts those requests made
	Retries           int                   // Attempts less Requests
	Throttled         int                   // attempts answered 429 (counted by the pacer)
	Elapsed           time.Duration
	RequestsPerSecond float64 // Requests per second of Elapsed
	Interrupted       bool    // the run stopped with ErrInterrupted
}

// kind is what became of one Update.
type kind int

const (
	kindSucceeded kind = iota // answered 2xx
	kindFailed                // answered otherwise, or no answer after the client's retries
	kindNotSent               // never sent: the run had stopped
	kindUnknown               // cancelled in flight (abort, drain timeout): may or may not have been applied
)

// outcome is what a worker hands the collector for one Update.
type outcome struct {
	update     planner.Update
	kind       kind
	httpStatus int
	code       string
	message    string
	attempts   int
	requestID  string
	corrID     string
	stop       *StopError // set when this outcome stops the run
}

// causes of cancelling requests in flight
var (
	errAborted      = errors.New("run aborted")
	errDrainTimeout = errors.New("drain timeout")
)

type run struct {
	plan   *planner.Plan
	post   Poster
	pacer  *Pacer
	sink   Sink
	cfg    Config
	log    zerolog.Logger
	start  time.Time
	runCtx context.Context // cancelled when the run stops: no new request starts
	stop   context.CancelCauseFunc
	reqCtx context.Context // requests' context: detached from ctx, cancelled by Abort or the drain timeout

	throttled0 int

	// collector state, touched only by the collector goroutine (Run's own)
	stats    Stats
	done     int
	stopped  int // rows not sent or with an unknown outcome because of a stop
	writeErr error
}

// Run sends every Update of plan through post, at most cfg.Concurrency at once, and
// writes one result per plan row to sink: rows the plan skipped with their reason,
// every other row with the outcome of the request that carried it.
//
// A row that fails is a result, never a reason to stop. Run stops early only when
// further requests are pointless: Partner Center rejected the credentials (a 401, or
// no token could be had), sink failed, or ctx was cancelled or cfg.Abort closed. Then
// no new request starts, requests in flight finish (bounded by cfg.DrainTimeout, cut at
// once by cfg.Abort), the rows never sent are written as skipped "not sent: ...", and
// Run returns a *StopError wrapping ErrCredentialsRejected, ErrOutputUnwritable or
// ErrInterrupted. A cancelled ctx that left no row unsent is not an error.
//
// pacer is the one given to the client with client.WithLimiter and WithObserver; Run
// reads its counters and tells it which requests are not yet sent, so that a stop
// keeps them from starting. It may be nil when post paces itself.
func Run(ctx context.Context, plan *planner.Plan, post Poster, pacer *Pacer, sink Sink, cfg Config) (Stats, error) {
	if plan == nil || post == nil || sink == nil {
		return Stats{}, errors.New("run plan: plan, poster and sink are required")
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	r := &run{
		plan:  plan,
		post:  post,
		pacer: pacer,
		sink:  sink,
		cfg:   cfg,
		log:   cfg.Logger,
		start: time.Now(),
		stats: Stats{Counts: make(map[report.Status]int)},
	}
	if pacer != nil {
		r.throttled0 = pacer.Throttled()
	}
	var cancelReq context.CancelCauseFunc
	r.runCtx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	r.reqCtx, cancelReq = context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelReq(nil)

	finished := make(chan struct{})
	defer close(finished)
	go r.watch(cancelReq, finished)

	// Rows the plan skipped come first: they need no request.
	for i := 0; i < plan.NumRows(); i++ {
		if row := plan.Row(i); row.Status != planner.StatusPlanned {
			r.write(rowResult(row, report.StatusSkipped, row.Reason))
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
	if se := r.stopError(); se != nil {
		r.log.Info().Str("reason", se.Error()).Dur("drain_timeout", r.cfg.DrainTimeout).
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
		r.log.Info().Dur("drain_timeout", r.cfg.DrainTimeout).Msg("drain timeout: requests in flight cancelled")
	case <-finished:
	}
}

// dispatch starts one worker per Update while the run goes on, then hands the
// collector the Updates never started, and closes results once every worker is done.
func (r *run) dispatch(results chan<- outcome) {
	defer close(results)
	var g errgroup.Group
	g.SetLimit(r.cfg.Concurrency)
	n := r.plan.NumUpdates()
	i := 0
	for ; i < n && r.runCtx.Err() == nil; i++ {
		idx, u := i, r.plan.Update(i)
		g.Go(func() error {
			results <- r.send(idx, u)
			return nil
		})
	}
	for ; i < n; i++ {
		results <- outcome{update: r.plan.Update(i), kind: kindNotSent}
	}
	_ = g.Wait() // workers return no errors: outcomes go through results
}

// send posts one Update and says what became of it.
func (r *run) send(i int, u planner.Update) outcome {
	if r.runCtx.Err() != nil {
		return outcome{update: u, kind: kindNotSent}
	}
	st := &sendState{run: r.runCtx}
	began := time.Now()
	body, resp, err := r.post.UpdateLicenses(withSendState(r.reqCtx, st), u.Customer, u.User, u.Body)
	o := classify(u, body, resp, err, st, context.Cause(r.reqCtx), r.cfg.DrainTimeout)
	if o.stop != nil {
		r.stop(o.stop) // at once, so that no further request starts
	}
	r.log.Debug().Int("update", i).Str("customer", u.Customer).Str("user", u.User).
		Str("license_group", u.LicenseGroup).Str("outcome", o.kind.String()).
		Int("http_status", o.httpStatus).Str("error_code", o.code).Int("attempts", o.attempts).
		Str("request_id", o.requestID).Dur("elapsed", time.Since(began)).Msg("license update")
	return o
}

// classify turns what post returned into an outcome. st is the request's state as the
// pacer saw it; reqCause is the cause of the requests' context, nil while it is live.
func classify(u planner.Update, body *client.LicenseUpdate, resp *client.Response, err error, st *sendState, reqCause error, drain time.Duration) outcome {
	o := outcome{update: u}
	if resp != nil {
		o.httpStatus, o.attempts, o.requestID, o.corrID = resp.StatusCode, resp.Attempts, resp.RequestID, resp.CorrelationID
	}
	if err == nil {
		o.kind = kindSucceeded
		if body != nil {
			o.message = warningsText(body.LicenseWarnings)
		}
		return o
	}
	var (
		apiErr   *client.APIError
		thrErr   *client.ThrottleError
		transErr *client.TransportError
		authErr  *client.AuthError
	)
	sent := !(st.refused.Load() || st.consulted.Load() && !st.granted.Load() || resp != nil && resp.Attempts == 0)
	switch {
	case errors.As(err, &thrErr):
		o.kind = kindFailed
		o.fromAPIError(&thrErr.APIError)
		if o.message == "" {
			o.message = "rate limit exceeded"
		}
		o.message = fmt.Sprintf("%s (still throttled after %d attempts; server asked to wait %s)", o.message, max(o.attempts, 1), thrErr.RetryAfter)
	case errors.As(err, &apiErr):
		o.kind = kindFailed
		o.fromAPIError(apiErr)
		if apiErr.StatusCode == 401 {
			o.stop = credentialsStop(apiSummary(apiErr), err)
		}
	case errors.Is(err, errRollbackUnwritable):
		// The rollback row of this update could not be written, so it was not sent:
		// changing licenses without a way back is not done.
		o.kind = kindNotSent
		o.stop = outputStop(err)
	case errors.As(err, &authErr):
		o.stop = credentialsStop(authErr.Error(), err)
		if sent {
			o.kind = kindFailed
			o.message = authErr.Error()
		} else {
			o.kind = kindNotSent
		}
	case !sent && (st.refused.Load() || reqCause != nil):
		o.kind = kindNotSent // the run stopped before the request went out
	case !sent:
		o.kind = kindFailed // refused before sending, e.g. an update the client finds invalid
		o.message = err.Error()
	case reqCause != nil:
		o.kind = kindUnknown
		var how string
		switch {
		case errors.Is(reqCause, errAborted):
			how = "cancelled by abort"
		case errors.Is(reqCause, errDrainTimeout):
			how = fmt.Sprintf("still in flight when the drain timeout (%s) ran out", drain)
		default:
			how = fmt.Sprintf("cancelled in flight (%v)", reqCause)
		}
		o.message = "outcome unknown: request " + how + "; resume will send it again " +
			"(harmless: assigning a license the user already holds is an update)"
	case errors.As(err, &transErr):
		o.kind = kindFailed
		o.httpStatus = 0 // the last attempt got no answer, whatever earlier ones got
		o.attempts = max(o.attempts, transErr.Attempts)
		if o.requestID == "" {
			o.requestID = transErr.RequestID
		}
		o.message = fmt.Sprintf("no answer after %d attempts: %v", max(o.attempts, 1), transErr.Err)
	default:
		o.kind = kindFailed
		o.message = err.Error()
	}
	return o
}

// fromAPIError fills the outcome from an API error, keeping what the response said.
func (o *outcome) fromAPIError(e *client.APIError) {
	o.httpStatus = e.StatusCode
	o.code = e.Code
	o.message = e.Description
	o.attempts = max(o.attempts, e.Attempts)
	if o.requestID == "" {
		o.requestID = e.RequestID
	}
	if o.corrID == "" {
		o.corrID = e.CorrelationID
	}
}

// warningsText is the license warnings of a successful update, for error_message:
// "warning CODE: message [plans]; ...", "" when there are none.
func warningsText(ws []client.LicenseWarning) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("warning")
		if w.Code != "" {
			b.WriteString(" " + w.Code)
		}
		b.WriteString(": " + w.Message)
		if len(w.ServicePlans) > 0 {
			b.WriteString(" [" + strings.Join(w.ServicePlans, ", ") + "]")
		}
	}
	return b.String()
}

// apiSummary is "401 800001: description", leaving out what is empty.
func apiSummary(e *client.APIError) string {
	s := fmt.Sprint(e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// collect writes the results of one outcome, one per row the Update carries.
func (r *run) collect(o outcome) {
	if o.attempts > 0 {
		r.stats.Requests++
		r.stats.Attempts += o.attempts
		r.stats.Retries += o.attempts - 1
	}
	if o.stop != nil {
		r.log.Info().Str("reason", o.stop.Error()).Str("customer", o.update.Customer).
			Str("request_id", o.requestID).Msg("run stopped")
	}
	var status report.Status
	message := o.message
	switch o.kind {
	case kindSucceeded:
		status = report.StatusSucceeded
	case kindFailed:
		status = report.StatusFailed
	case kindUnknown:
		status = report.StatusSkipped
		r.stopped += len(o.update.Rows)
	case kindNotSent:
		status = report.StatusSkipped
		r.stopped += len(o.update.Rows)
		if se := r.stopError(); se != nil {
			message = se.notSentMessage()
		} else {
			message = "not sent"
		}
	}
	corrID := r.cfg.CorrelationID
	if corrID == "" {
		corrID = o.corrID
	}
	var finished time.Time
	if o.kind != kindNotSent {
		finished = time.Now().UTC()
	}
	for _, ri := range o.update.Rows {
		res := rowResult(r.plan.Row(ri), status, message)
		if o.kind != kindNotSent {
			res.HTTPStatus = o.httpStatus
			res.ErrorCode = o.code
			res.Attempts = o.attempts
			res.RequestID = o.requestID
			res.FinishedAt = finished
		}
		res.CorrelationID = corrID
		r.write(res)
	}
}

// write hands one result to the sink and reports progress. The first failure stops
// the run; later results are still offered to the sink, which may recover.
func (r *run) write(res report.Result) {
	if err := r.sink.Write(res); err != nil {
		if r.writeErr == nil {
			r.writeErr = err
			se := outputStop(err)
			r.stop(se)
			r.log.Info().Str("reason", se.Error()).Msg("run stopped")
		}
	}
	r.stats.Counts[res.Status]++
	r.done++
	if r.cfg.OnProgress != nil {
		r.cfg.OnProgress(r.progress())
	}
}

func (r *run) progress() Progress {
	el := time.Since(r.start)
	return Progress{
		Done:              r.done,
		Total:             r.plan.NumRows(),
		Succeeded:         r.stats.Counts[report.StatusSucceeded],
		Failed:            r.stats.Counts[report.StatusFailed],
		Skipped:           r.stats.Counts[report.StatusSkipped],
		Elapsed:           el,
		RequestsPerSecond: perSecond(r.stats.Requests, el),
		Throttled:         r.throttled(),
	}
}

func (r *run) throttled() int {
	if r.pacer == nil {
		return 0
	}
	return r.pacer.Throttled() - r.throttled0
}

// stopError is why the run stopped, nil while it goes on.
func (r *run) stopError() *StopError {
	cause := context.Cause(r.runCtx)
	if cause == nil {
		return nil
	}
	var se *StopError
	if errors.As(cause, &se) {
		return se
	}
	detail := ""
	if !errors.Is(cause, context.Canceled) {
		detail = cause.Error()
	}
	return interruptStop(detail, cause)
}

// finish sums up the run and says whether it stopped early.
func (r *run) finish() (Stats, error) {
	r.stats.Elapsed = time.Since(r.start)
	r.stats.RequestsPerSecond = perSecond(r.stats.Requests, r.stats.Elapsed)
	r.stats.Throttled = r.throttled()
	se := r.stopError()
	if se == nil || errors.Is(se, ErrInterrupted) && r.stopped == 0 {
		return r.stats, nil // a cancel that came after the last request changed nothing
	}
	r.stats.Interrupted = errors.Is(se, ErrInterrupted)
	return r.stats, se
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// rowResult is the result of row with what the row itself says.
func rowResult(row planner.Row, status report.Status, message string) report.Result {
	return report.Result{
		Line:         row.Line,
		Customer:     row.Customer,
		User:         row.User,
		Sku:          row.Sku,
		SkuID:        row.SkuID,
		RemoveSku:    row.RemoveSku,
		LicenseGroup: row.LicenseGroup,
		Status:       status,
		ErrorMessage: message,
		UserID:       row.UserID,
	}
}

func (k kind) String() string {
	switch k {
	case kindSucceeded:
		return "succeeded"
	case kindFailed:
		return "failed"
	case kindNotSent:
		return "not sent"
	case kindUnknown:
		return "unknown"
	}
	return "?"
}

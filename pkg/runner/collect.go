package runner

import (
	"context"
	"errors"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// This file gathers what the workers send back: results written to the sink in the
// order they finish, progress, and the run's stats and stop error at the end.

// collect writes the results of one outcome, one per row the Update carries.
func (r *run) collect(o outcome) {
	if o.locationSet {
		r.stats.UsageLocationsSet++
	}
	if o.attempts > 0 {
		r.stats.Requests++
		r.stats.Attempts += o.attempts
		r.stats.Retries += o.attempts - 1
	}
	if o.stop != nil {
		r.log.Info().Str("reason", o.stop.Error()).Str("customer", o.change.Customer).
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
		r.stopped += len(o.change.Rows)
	case kindNotSent:
		status = report.StatusSkipped
		r.stopped += len(o.change.Rows)
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
	for _, ri := range o.change.Rows {
		res := r.plan.Row(ri).Result()
		res.Status, res.ErrorMessage = status, message
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
	if r.cfg.Throttled == nil {
		return 0
	}
	return r.cfg.Throttled() - r.throttled0
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
	r.stats.RollbackRows = int(r.undoRows.Load())
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

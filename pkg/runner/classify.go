package runner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
)

// kind is what became of one Change.
type kind int

const (
	kindSucceeded kind = iota // answered 2xx
	kindFailed                // answered otherwise, or no answer after the client's retries
	kindNotSent               // never sent: the run had stopped
	kindUnknown               // cancelled in flight (abort, drain timeout): may or may not have been applied
)

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

// outcome is what a worker hands the collector for one Change.
type outcome struct {
	change     planner.Change
	kind       kind
	httpStatus int
	code       string
	message    string
	attempts   int
	requestID  string
	corrID     string
	stop       *StopError // set when this outcome stops the run
	// locationSet is set when the change gave its user a usage location first.
	locationSet bool
}

// classify turns what Apply returned into an outcome. call is the change's call, as the
// client filled it in; reqCause is the cause of the requests' context, nil while it is
// live.
func classify(ch planner.Change, applied client.Applied, call *client.Call, err error, reqCause error, drain time.Duration) outcome {
	o := outcome{change: ch, httpStatus: call.StatusCode, attempts: call.Attempts, requestID: call.RequestID, corrID: call.CorrelationID}
	o.locationSet = applied.UsageLocationSet
	if err == nil {
		o.kind = kindSucceeded
		o.message = appliedText(applied, ch.UsageLocation)
		return o
	}
	var (
		apiErr   *client.APIError
		thrErr   *client.ThrottleError
		transErr *client.TransportError
		authErr  *client.AuthError
	)
	switch {
	case errors.Is(err, errRollbackUnwritable):
		// The rollback rows of this change could not be written, so it was not sent:
		// changing licenses without a way back is not done.
		o.kind = kindNotSent
		o.stop = outputStop(err)
	case errors.Is(err, client.ErrNotSent):
		o.kind = kindNotSent // the run stopped before the request went out
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
		if apiErr.Final() {
			o.stop = credentialsStop(apiSummary(apiErr), err)
		}
	case errors.As(err, &authErr):
		o.stop = credentialsStop(authErr.Error(), err)
		o.kind = kindNotSent
		if call.Sent() {
			o.kind = kindFailed
			o.message = authErr.Error()
		}
	case !call.Sent() && reqCause != nil:
		o.kind = kindNotSent // cancelled before the request went out
	case !call.Sent():
		o.kind = kindFailed // refused before sending, e.g. a change the client finds invalid
		o.message = err.Error()
	case reqCause != nil:
		o.kind = kindUnknown
		o.message = unknownText(reqCause, drain)
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

// unknownText is the message of a change cancelled in flight.
func unknownText(reqCause error, drain time.Duration) string {
	var how string
	switch {
	case errors.Is(reqCause, errAborted):
		how = "cancelled by abort"
	case errors.Is(reqCause, errDrainTimeout):
		how = fmt.Sprintf("still in flight when the drain timeout (%s) ran out", drain)
	default:
		how = fmt.Sprintf("cancelled in flight (%v)", reqCause)
	}
	return "outcome unknown: request " + how + "; resume will send it again " +
		"(harmless: the plan of the resumed run reads what the user then holds)"
}

// fromAPIError fills the outcome from an API error: the reason first, then the API's
// words.
func (o *outcome) fromAPIError(e *client.APIError) {
	o.httpStatus = e.StatusCode
	o.code = e.Code
	o.message = e.Description
	if e.Reason != client.ReasonUnknown && !strings.HasPrefix(strings.ToLower(o.message), string(e.Reason)) {
		if o.message == "" {
			o.message = string(e.Reason)
		} else {
			o.message = string(e.Reason) + ": " + o.message
		}
	}
	o.attempts = max(o.attempts, e.Attempts)
	if o.requestID == "" {
		o.requestID = e.RequestID
	}
	if o.corrID == "" {
		o.corrID = e.CorrelationID
	}
}

// appliedText is the message of a change that succeeded: the usage location it set
// and the service's warnings, "" when there are none.
func appliedText(a client.Applied, location string) string {
	var parts []string
	if a.UsageLocationSet {
		parts = append(parts, "usage location set to "+location)
	}
	for _, w := range a.Warnings {
		parts = append(parts, "warning "+w)
	}
	return strings.Join(parts, "; ")
}

// apiSummary is "401 800001: description", leaving out what is empty.
func apiSummary(e *client.APIError) string {
	s := fmt.Sprint(e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Reason == client.ReasonMFARequired {
		s += ": the access token lacks multi-factor authentication; sign in again with MFA to get a new refresh token"
		return s
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

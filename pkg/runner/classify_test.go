package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
)

func TestClassify(t *testing.T) {
	ch := planner.Change{Change: client.Change{Customer: "c1", User: "u@x", Group: "group1"}, Rows: []int{0, 1}}
	located := ch
	located.UsageLocation = "DE"
	call := func(status, attempts int) *client.Call {
		return &client.Call{Kind: client.Write, Response: client.Response{StatusCode: status, RequestID: "req-1", CorrelationID: "corr-1", Attempts: attempts}}
	}
	apiErr := &client.APIError{Op: "update licenses", StatusCode: 400, Code: "60012", Reason: client.ReasonNoSeats,
		Description: "We're sorry, out of licenses", RequestID: "req-1", Attempts: 1}
	unauthorized := &client.APIError{Op: "update licenses", StatusCode: 401, Code: "800001", Reason: client.ReasonUnauthorized,
		Description: "Partner token missing", RequestID: "req-1", Attempts: 1}
	noMFA := &client.APIError{Op: "update licenses", StatusCode: 401, Code: "900421", Reason: client.ReasonMFARequired,
		Description: "Multi-factor authentication is required", RequestID: "req-1", Attempts: 1}
	throttled := &client.ThrottleError{APIError: client.APIError{StatusCode: 429, Attempts: 5}, RetryAfter: 57 * time.Second}

	tests := []struct {
		name        string
		ch          planner.Change
		applied     client.Applied
		call        *client.Call
		err         error
		reqCause    error
		kind        kind
		status      int
		code        string
		attempts    int
		msgContains []string
		stop        error // sentinel the outcome must stop the run with; nil for none
	}{
		{name: "success", call: call(201, 1), kind: kindSucceeded, status: 201, attempts: 1},
		{name: "success with warnings", call: call(201, 2),
			applied: client.Applied{Warnings: []string{"W1: plan depends on another [EXCHANGE_S_STANDARD]"}},
			kind:    kindSucceeded, status: 201, attempts: 2,
			msgContains: []string{"warning W1: plan depends on another [EXCHANGE_S_STANDARD]"}},
		{name: "success that set the usage location", ch: located, call: call(201, 1),
			applied: client.Applied{UsageLocationSet: true, Warnings: []string{"W2: w"}},
			kind:    kindSucceeded, status: 201, attempts: 1, msgContains: []string{"usage location set to DE; warning W2: w"}},
		{name: "api error: the reason first", call: call(400, 1), err: fmt.Errorf("wrapped: %w", apiErr),
			kind: kindFailed, status: 400, code: "60012", attempts: 1,
			msgContains: []string{"no free seat: We're sorry, out of licenses"}},
		{name: "unauthorized stops the run", call: call(401, 1), err: unauthorized,
			kind: kindFailed, status: 401, code: "800001", attempts: 1,
			msgContains: []string{"Partner token missing"}, stop: ErrCredentialsRejected},
		{name: "a token without MFA stops the run", call: call(401, 1), err: noMFA,
			kind: kindFailed, status: 401, code: "900421", attempts: 1,
			msgContains: []string{"token lacks multi-factor authentication"}, stop: ErrCredentialsRejected},
		{name: "throttled to the end", call: call(429, 5), err: throttled,
			kind: kindFailed, status: 429, attempts: 5,
			msgContains: []string{"rate limit exceeded", "5 attempts", "57s"}},
		{name: "no answer", call: call(503, 3),
			err:  &client.TransportError{Op: "update licenses", Attempts: 3, Err: errors.New("connection reset by peer")},
			kind: kindFailed, status: 0, attempts: 3,
			msgContains: []string{"no answer after 3 attempts: connection reset by peer"}},
		{name: "no token before the first attempt", call: call(0, 0),
			err:  &client.AuthError{Op: "update licenses", Err: errors.New("invalid_grant")},
			kind: kindNotSent, stop: ErrCredentialsRejected},
		{name: "no token before a retry", call: call(503, 1),
			err:  &client.AuthError{Op: "update licenses", Attempts: 1, Err: errors.New("invalid_grant")},
			kind: kindFailed, status: 503, attempts: 1, msgContains: []string{"invalid_grant"}, stop: ErrCredentialsRejected},
		{name: "stopped before the first attempt", call: call(0, 0), err: fmt.Errorf("update licenses: %w", client.ErrNotSent),
			kind: kindNotSent},
		{name: "stopped while waiting to retry a 429, which was not applied", call: call(429, 1),
			err: fmt.Errorf("update licenses: %w", client.ErrNotSent), kind: kindNotSent, status: 429, attempts: 1},
		{name: "cancelled before it was sent", call: call(0, 0), err: context.Canceled, reqCause: errAborted,
			kind: kindNotSent},
		{name: "aborted in flight", call: call(0, 1), err: context.Canceled, reqCause: errAborted,
			kind: kindUnknown, attempts: 1,
			msgContains: []string{"outcome unknown", "cancelled by abort", "resume will send it again"}},
		{name: "drain timeout in flight", call: call(0, 2), err: context.Canceled, reqCause: errDrainTimeout,
			kind: kindUnknown, attempts: 2, msgContains: []string{"outcome unknown", "drain timeout (30s)"}},
		{name: "answer arrived before the abort", call: call(400, 1), err: apiErr, reqCause: errAborted,
			kind: kindFailed, status: 400, code: "60012", attempts: 1},
		{name: "refused by the backend before sending", call: call(0, 0),
			err:  errors.New("update licenses: nothing to assign or remove for user u@x"),
			kind: kindFailed, msgContains: []string{"nothing to assign or remove"}},
		{name: "other error", call: call(0, 1), err: errors.New("decode answer: bad json"),
			kind: kindFailed, attempts: 1, msgContains: []string{"decode answer: bad json"}},
		{name: "rollback unwritable: not sent, the run stops", call: call(0, 0),
			err:  fmt.Errorf("%w: %w", errRollbackUnwritable, errors.New("no space left on device")),
			kind: kindNotSent, stop: ErrOutputUnwritable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ch.Rows == nil {
				tt.ch = ch
			}
			o := classify(tt.ch, tt.applied, tt.call, tt.err, tt.reqCause, 30*time.Second)
			if o.kind != tt.kind {
				t.Errorf("kind = %v, want %v", o.kind, tt.kind)
			}
			if o.httpStatus != tt.status || o.code != tt.code || o.attempts != tt.attempts {
				t.Errorf("status, code, attempts = %d, %q, %d, want %d, %q, %d",
					o.httpStatus, o.code, o.attempts, tt.status, tt.code, tt.attempts)
			}
			if o.requestID != "req-1" || o.corrID != "corr-1" {
				t.Errorf("request ID, correlation ID = %q, %q, want req-1, corr-1", o.requestID, o.corrID)
			}
			for _, s := range tt.msgContains {
				if !strings.Contains(o.message, s) {
					t.Errorf("message %q does not contain %q", o.message, s)
				}
			}
			if len(tt.msgContains) == 0 && o.kind != kindFailed && o.message != "" {
				t.Errorf("message = %q, want none", o.message)
			}
			switch {
			case tt.stop == nil && o.stop != nil:
				t.Errorf("stop = %v, want none", o.stop)
			case tt.stop != nil && (o.stop == nil || !errors.Is(o.stop, tt.stop)):
				t.Errorf("stop = %v, want one wrapping %v", o.stop, tt.stop)
			}
		})
	}
}

func TestStopError(t *testing.T) {
	apiErr := &client.APIError{StatusCode: 401, Code: "800001", Description: "Partner token missing"}
	se := credentialsStop(apiSummary(apiErr), apiErr)
	var err error = se
	if !errors.Is(err, ErrCredentialsRejected) || errors.Is(err, ErrInterrupted) {
		t.Errorf("errors.Is on %v: credentials %v, interrupted %v", err,
			errors.Is(err, ErrCredentialsRejected), errors.Is(err, ErrInterrupted))
	}
	var got *client.APIError
	if !errors.As(err, &got) || got != apiErr {
		t.Errorf("errors.As(%v, *client.APIError) did not find the cause", err)
	}
	want := "not sent: credentials rejected (401 800001: Partner token missing); resume with new credentials"
	if m := se.notSentMessage(); m != want {
		t.Errorf("notSentMessage = %q, want %q", m, want)
	}
	// A token without multi-factor authentication says so, and what to do.
	noMFA := &client.APIError{StatusCode: 401, Code: "900421", Reason: client.ReasonMFARequired, Description: "AADSTS50076"}
	want = "credentials rejected (401 900421: the access token lacks multi-factor authentication; " +
		"sign in again with MFA to get a new refresh token); resume with new credentials"
	if m := credentialsStop(apiSummary(noMFA), noMFA).Error(); m != want {
		t.Errorf("MFA stop = %q, want %q", m, want)
	}
	out := outputStop(errors.New("write results.csv: no space left on device"))
	if !errors.Is(out, ErrOutputUnwritable) || !strings.HasPrefix(out.notSentMessage(), "not sent: output unwritable") {
		t.Errorf("output stop: %v, message %q", out, out.notSentMessage())
	}
	if m := interruptStop("", context.Canceled).notSentMessage(); m != "not sent: run interrupted" {
		t.Errorf("interrupt notSentMessage = %q, want %q", m, "not sent: run interrupted")
	}
}

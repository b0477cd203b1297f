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

func sentState() *sendState {
	st := &sendState{run: context.Background()}
	st.consulted.Store(true)
	st.granted.Store(true)
	return st
}

func TestClassify(t *testing.T) {
	u := planner.Update{Customer: "c1", User: "u@x", LicenseGroup: "group1", Rows: []int{0, 1}}
	resp := func(status, attempts int) *client.Response {
		return &client.Response{StatusCode: status, RequestID: "req-1", CorrelationID: "corr-1", Attempts: attempts}
	}
	unsent := &sendState{run: context.Background()}
	unsent.consulted.Store(true)
	refused := &sendState{run: context.Background()}
	refused.consulted.Store(true)
	refused.refused.Store(true)
	apiErr := &client.APIError{Op: "update licenses", StatusCode: 400, Code: "60012",
		Description: "We're sorry, out of licenses", RequestID: "req-1", Attempts: 1}
	unauthorized := &client.APIError{Op: "update licenses", StatusCode: 401, Code: "800001",
		Description: "Partner token missing", RequestID: "req-1", Attempts: 1}

	tests := []struct {
		name        string
		body        *client.LicenseUpdate
		resp        *client.Response
		err         error
		st          *sendState
		reqCause    error
		kind        kind
		status      int
		code        string
		attempts    int
		msgContains []string
		stop        error // sentinel the outcome must stop the run with; nil for none
	}{
		{name: "success", body: &client.LicenseUpdate{}, resp: resp(201, 1), st: sentState(),
			kind: kindSucceeded, status: 201, attempts: 1},
		{name: "success with warnings", resp: resp(201, 2), st: sentState(),
			body: &client.LicenseUpdate{LicenseWarnings: []client.LicenseWarning{
				{Code: "W1", Message: "plan depends on another", ServicePlans: []string{"EXCHANGE_S_STANDARD"}}}},
			kind: kindSucceeded, status: 201, attempts: 2,
			msgContains: []string{"warning W1: plan depends on another [EXCHANGE_S_STANDARD]"}},
		{name: "api error", resp: resp(400, 1), err: fmt.Errorf("wrapped: %w", apiErr), st: sentState(),
			kind: kindFailed, status: 400, code: "60012", attempts: 1,
			msgContains: []string{"We're sorry, out of licenses"}},
		{name: "unauthorized stops the run", resp: resp(401, 1), err: unauthorized, st: sentState(),
			kind: kindFailed, status: 401, code: "800001", attempts: 1,
			msgContains: []string{"Partner token missing"}, stop: ErrCredentialsRejected},
		{name: "throttled to the end", resp: resp(429, 5), st: sentState(),
			err:  &client.ThrottleError{APIError: client.APIError{StatusCode: 429, Attempts: 5}, RetryAfter: 57 * time.Second},
			kind: kindFailed, status: 429, attempts: 5,
			msgContains: []string{"rate limit exceeded", "5 attempts", "57s"}},
		{name: "no answer", resp: resp(503, 3), st: sentState(),
			err:  &client.TransportError{Op: "update licenses", Attempts: 3, Err: errors.New("connection reset by peer")},
			kind: kindFailed, status: 0, attempts: 3,
			msgContains: []string{"no answer after 3 attempts: connection reset by peer"}},
		{name: "no token before the first attempt", resp: resp(0, 0), st: unsent,
			err:  &client.AuthError{Op: "update licenses", Err: errors.New("invalid_grant")},
			kind: kindNotSent, stop: ErrCredentialsRejected},
		{name: "no token before a retry", resp: resp(503, 1), st: sentState(),
			err:  &client.AuthError{Op: "update licenses", Attempts: 1, Err: errors.New("invalid_grant")},
			kind: kindFailed, status: 503, attempts: 1, msgContains: []string{"invalid_grant"}, stop: ErrCredentialsRejected},
		{name: "refused by the pacer", resp: resp(0, 0), st: refused, err: fmt.Errorf("update licenses: %w", errNotSent),
			kind: kindNotSent},
		{name: "never granted", resp: resp(0, 0), st: unsent, err: context.Canceled, reqCause: errAborted,
			kind: kindNotSent},
		{name: "aborted in flight", resp: resp(0, 1), st: sentState(), err: context.Canceled, reqCause: errAborted,
			kind: kindUnknown, attempts: 1,
			msgContains: []string{"outcome unknown", "cancelled by abort", "resume will send it again"}},
		{name: "drain timeout in flight", resp: resp(0, 2), st: sentState(), err: context.Canceled, reqCause: errDrainTimeout,
			kind: kindUnknown, attempts: 2, msgContains: []string{"outcome unknown", "drain timeout (30s)"}},
		{name: "answer arrived before the abort", resp: resp(400, 1), st: sentState(), err: apiErr, reqCause: errAborted,
			kind: kindFailed, status: 400, code: "60012", attempts: 1},
		{name: "rejected by the client before sending", resp: resp(0, 0), st: &sendState{run: context.Background()},
			err:  errors.New("update licenses: nothing to assign or remove for user u@x"),
			kind: kindFailed, msgContains: []string{"nothing to assign or remove"}},
		{name: "other error", resp: resp(0, 1), st: sentState(), err: errors.New("decode answer: bad json"),
			kind: kindFailed, attempts: 1, msgContains: []string{"decode answer: bad json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := classify(u, tt.body, tt.resp, tt.err, tt.st, tt.reqCause, 30*time.Second)
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
	out := outputStop(errors.New("write results.csv: no space left on device"))
	if !errors.Is(out, ErrOutputUnwritable) || !strings.HasPrefix(out.notSentMessage(), "not sent: output unwritable") {
		t.Errorf("output stop: %v, message %q", out, out.notSentMessage())
	}
	if m := interruptStop("", context.Canceled).notSentMessage(); m != "not sent: run interrupted" {
		t.Errorf("interrupt notSentMessage = %q, want %q", m, "not sent: run interrupted")
	}
}

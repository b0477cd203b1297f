package client

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is a non-2xx answer from an API. Code is the API's error code as a string
// (Partner Center sends a number or a string, Graph a word such as Request_BadRequest);
// Description has HTML entities unescaped. Reason is what the refusal means, as far as
// the backend can tell. Test for it with errors.As; a *ThrottleError is also found as an
// *APIError.
type APIError struct {
	Op            string // the call, e.g. "update licenses"; no URL, no token
	StatusCode    int
	Code          string
	Description   string
	Data          []string
	Source        string
	RequestID     string
	CorrelationID string
	Attempts      int
	// Reason classifies the refusal for the row it concerns; ReasonUnknown when the
	// backend cannot tell.
	Reason Reason
}

// Reason is what a refusal means for a row, whatever the API's words for it.
type Reason string

// The reasons backends recognise. A row's message leads with the reason's text.
const (
	ReasonUnknown             Reason = ""
	ReasonUnauthorized        Reason = "credentials rejected"
	ReasonMFARequired         Reason = "token lacks multi-factor authentication"
	ReasonMissingRole         Reason = "missing role"
	ReasonThrottled           Reason = "throttled"
	ReasonUserNotFound        Reason = "user not found"
	ReasonNoUsageLocation     Reason = "no usage location"
	ReasonNoSeats             Reason = "no free seat"
	ReasonUnknownSku          Reason = "SKU not in the tenant"
	ReasonNotHeld             Reason = "license not held"
	ReasonInherited           Reason = "license inherited from a group"
	ReasonConflictingPlans    Reason = "mutually exclusive plans"
	ReasonMissingPrerequisite Reason = "missing prerequisite plan"
	ReasonRedirected          Reason = "redirected"
	ReasonService             Reason = "service error"
)

// Final reports whether no request of the run can succeed after this error: the
// credentials were rejected, or they lack what every call needs.
func (e *APIError) Final() bool {
	return e.StatusCode == http.StatusUnauthorized || e.Reason == ReasonMFARequired
}

// Error returns the call, the status, the API's code and description, and the IDs that
// support needs, for example
//
//	update licenses: 400 Bad Request: code 60012: We're sorry, ... (request ID x, correlation ID y, 1 attempt)
func (e *APIError) Error() string {
	return e.text("")
}

// text formats the error; extra goes first inside the parentheses.
func (e *APIError) text(extra string) string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(statusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": code ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	b.WriteString(" (")
	if extra != "" {
		b.WriteString(extra)
		b.WriteString(", ")
	}
	b.WriteString(idsText(e.RequestID, e.CorrelationID, e.Attempts))
	b.WriteString(")")
	return b.String()
}

// ThrottleError is a 429 answer that was still a 429 after the client's last attempt.
// RetryAfter is how long the client waits before it sends anything again: the server's
// Retry-After, the policy's DefaultRetryAfter when the server sent none, at most the
// policy's MaxRetryAfter. errors.As finds both the *ThrottleError and its *APIError.
type ThrottleError struct {
	APIError
	RetryAfter time.Duration
}

// Error returns the APIError text with the wait the server asked for.
func (e *ThrottleError) Error() string {
	return e.APIError.text("retry after " + e.RetryAfter.String())
}

// Unwrap returns the embedded *APIError, so that errors.As(err, &apiErr) also matches a
// throttling error.
func (e *ThrottleError) Unwrap() error {
	return &e.APIError
}

// TransportError is a call that got no HTTP answer at all after Attempts attempts (a
// connection refused or dropped, a timeout). Op names the call. Err is the last
// attempt's error with its URL scrubbed.
type TransportError struct {
	Op            string
	RequestID     string
	CorrelationID string
	Attempts      int
	Err           error
}

// Error names the call, the attempt count and the last cause.
func (e *TransportError) Error() string {
	cause := "unknown error"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return fmt.Sprintf("%s: no answer after %s: %s (%s)", e.Op, plural(e.Attempts, "attempt"), cause,
		idsText(e.RequestID, e.CorrelationID, -1))
}

// Unwrap returns the transport's error, so that errors.Is(err, context.DeadlineExceeded)
// and errors.As(err, &netErr) see through it.
func (e *TransportError) Unwrap() error {
	return e.Err
}

// AuthError is a call that could not get an access token from its token source, so it
// sent nothing more. Attempts counts the HTTP attempts made before the failure. Its text
// is scrubbed: anything in the token source's message that looks like a token, a
// secret or a code is replaced with "REDACTED"; Err itself is the token source's error,
// unchanged, and should not be printed.
type AuthError struct {
	Op       string
	Tenant   string // the tenant the token was for; "" for an API with one token
	Attempts int
	Err      error
	// known are the secrets the client knows (the last access token it used), always
	// scrubbed from the text.
	known []string
}

// Error names the call and says why no token came, with secrets scrubbed.
func (e *AuthError) Error() string {
	cause := "unknown error"
	if e.Err != nil {
		cause = scrubSecrets(e.Err.Error(), e.known...)
	}
	if e.Tenant != "" {
		return fmt.Sprintf("%s: get access token for tenant %s: %s", e.Op, e.Tenant, cause)
	}
	return fmt.Sprintf("%s: get access token: %s", e.Op, cause)
}

// Unwrap returns the token source's error.
func (e *AuthError) Unwrap() error {
	return e.Err
}

// canceledError is a call stopped by its context. It wraps ctx.Err(), so that
// errors.Is(err, context.Canceled) and errors.Is(err, context.DeadlineExceeded) hold.
type canceledError struct {
	op            string
	requestID     string
	correlationID string
	attempts      int
	err           error
}

func (e *canceledError) Error() string {
	return fmt.Sprintf("%s: %v (%s)", e.op, e.err, idsText(e.requestID, e.correlationID, e.attempts))
}

func (e *canceledError) Unwrap() error {
	return e.err
}

// statusText is "404 Not Found", or only the number for a status Go does not know.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// idsText is "request ID x, correlation ID y, n attempts"; attempts < 0 leaves the count out.
func idsText(requestID, correlationID string, attempts int) string {
	s := "request ID " + requestID + ", correlation ID " + correlationID
	if attempts >= 0 {
		s += ", " + plural(attempts, "attempt")
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

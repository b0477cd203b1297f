package runner

import (
	"errors"
	"strings"
)

// Sentinels for the reasons a run stops before every row was sent; a *StopError wraps
// one of them, so test for them with errors.Is.
var (
	// ErrCredentialsRejected: Partner Center answered 401, or no access token could be
	// had. Every further request would fail the same way.
	ErrCredentialsRejected = errors.New("credentials rejected")
	// ErrOutputUnwritable: a result could not be written; sending more would change
	// licenses without a record of it.
	ErrOutputUnwritable = errors.New("output unwritable")
	// ErrInterrupted: the run's context was cancelled (a signal) or Config.Abort closed.
	ErrInterrupted = errors.New("run interrupted")
)

// StopError says why a run stopped early. Err is one of ErrCredentialsRejected,
// ErrOutputUnwritable and ErrInterrupted; Cause is what set it off (a *client.APIError,
// a *client.AuthError, a write error, a context's cause), nil if nothing more is known.
// Both are reachable with errors.Is and errors.As.
type StopError struct {
	Reason string // what happened, e.g. "credentials rejected (401 800001: Partner token missing)"
	Err    error
	Cause  error
}

// Error returns the reason, with what to do about it where that is known.
func (e *StopError) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason)
	if errors.Is(e.Err, ErrCredentialsRejected) {
		b.WriteString("; resume with new credentials")
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause.
func (e *StopError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// notSentMessage is the error_message of a row that the stop kept from being sent.
func (e *StopError) notSentMessage() string {
	return "not sent: " + e.Error()
}

func credentialsStop(detail string, cause error) *StopError {
	return &StopError{Reason: "credentials rejected (" + detail + ")", Err: ErrCredentialsRejected, Cause: cause}
}

func outputStop(cause error) *StopError {
	return &StopError{Reason: "output unwritable (" + cause.Error() + ")", Err: ErrOutputUnwritable, Cause: cause}
}

func interruptStop(detail string, cause error) *StopError {
	r := "run interrupted"
	if detail != "" {
		r += " (" + detail + ")"
	}
	return &StopError{Reason: r, Err: ErrInterrupted, Cause: cause}
}

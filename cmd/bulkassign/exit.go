package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/signin"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// Exit codes of bulkassign.
const (
	ExitOK          = 0   // every row succeeded or was unchanged (or the plan can run in full)
	ExitRowsFailed  = 1   // some rows failed or were skipped, or the API failed: try again later
	ExitUsage       = 2   // usage, input or settings error, refused credentials: nothing was sent
	ExitShortfall   = 3   // capacity shortfall under --shortfall abort: nothing was sent
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

// ExitError carries the exit code a command's error maps to.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode maps a command's error to the process exit code.
func ExitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return exitCodeOf(err)
}

// exitCodeOf says what an error of the libraries means to a scheduler: fix the input
// or the settings (2), buy licenses (3), interrupted (130), or try again later (1).
func exitCodeOf(err error) int {
	var (
		inputErr  *planner.InputError
		shortErr  *planner.ShortfallError
		setErr    *job.SettingError
		lockErr   *report.LockedError
		resumeErr *report.ResumeMismatchError
		signErr   *signin.Error
		stopErr   *runner.StopError
		apiErr    *client.APIError
	)
	switch {
	case errors.As(err, &stopErr):
		if errors.Is(err, runner.ErrInterrupted) {
			return ExitInterrupted
		}
		return ExitRowsFailed
	case errors.As(err, &shortErr):
		return ExitShortfall
	case errors.As(err, &inputErr), errors.As(err, &setErr), errors.As(err, &lockErr),
		errors.As(err, &resumeErr), errors.Is(err, report.ErrOldFormat):
		return ExitUsage
	case errors.As(err, &signErr):
		if signErr.Transient() {
			return ExitRowsFailed
		}
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &apiErr):
		// A customer or a token the API refuses is a setting to fix; an API that
		// failed or throttled is worth trying again later.
		if apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusTooManyRequests {
			return ExitRowsFailed
		}
		return ExitUsage
	}
	return ExitRowsFailed
}

// usageError is a mistake on the command line.
func usageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// checkSummaryPath refuses a --summary-json path that is the input or an output (the
// summary would replace them), or whose directory does not exist.
func checkSummaryPath(path, input, output string) error {
	for _, other := range []string{input, output, report.RollbackPath(output)} {
		if other != "" && other != "-" && job.SamePath(path, other) {
			return usageError("--summary-json %s: it is also the input, the output or the rollback file", path)
		}
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return usageError("--summary-json %s: its directory does not exist", path)
	}
	return nil
}

// writeSummary writes the summary JSON with the exit code cmdErr maps to, and returns
// cmdErr, or the write's failure when the command succeeded.
func writeSummary(path string, s *report.Summary, cmdErr error) error {
	s.ExitCode = ExitCode(cmdErr)
	if cmdErr != nil && s.StopReason == "" && s.ExitCode != ExitRowsFailed {
		s.StopReason = cmdErr.Error()
	}
	if s.ExitCode == ExitInterrupted {
		s.Interrupted = true
	}
	if err := report.WriteSummaryJSON(path, s); err != nil && cmdErr == nil {
		return &ExitError{Code: ExitRowsFailed, Err: err}
	}
	return cmdErr
}

// refuseExisting refuses an output path that already exists, before anything is sent.
func refuseExisting(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return usageError("check output %s: %w", path, err)
	}
	if st.IsDir() {
		return usageError("output %s is a directory; name a file", path)
	}
	return usageError("output %s exists; choose another path", path)
}

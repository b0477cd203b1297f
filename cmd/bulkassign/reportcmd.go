package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/bulkassign/bulkassign/pkg/report"
)

var reportHelp = &help{
	usage: "bulkassign report RESULT.csv [--failed OUT.csv] [-o text|json]",
	about: "Reads a result CSV (one written over several resumed sessions holds several rows per line) and prints\n" +
		"each input line's final outcome once: counts, and the failed and skipped lines grouped by reason.\n" +
		"--failed writes an input file of the lines to retry. Exit 0 when every line succeeded or was unchanged, else 1.",
	groups:   []flagGroup{{"Report", []string{"failed", "o"}}},
	examples: []string{"bulkassign report result.csv", "bulkassign report result.csv --failed retry.csv; bulkassign run --input retry.csv --output retry-result.csv   # report exits 1 when lines failed"},
}

// report is `bulkassign report`.
func (m *Main) report(_ context.Context, args []string) error {
	fs := m.newFlagSet("report", reportHelp)
	failed := fs.String("failed", "", "write the failed and skipped lines as an input `FILE` to retry")
	format := fs.String("o", "text", "output `format`: text or json")
	var path string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if path == "" {
		return usageError("name the result CSV to read: bulkassign report RESULT.csv")
	}
	if *format != "text" && *format != "json" {
		return usageError("-o %q: must be text or json", *format)
	}
	f, err := os.Open(path)
	if err != nil {
		return usageError("open result file: %w", err)
	}
	defer f.Close()
	results, _, err := report.ReadVersion(f)
	if err != nil {
		return usageError("read result file %s: %w", path, err)
	}
	finals := report.Final(results)
	out := report.Summarize(finals)
	if *format == "json" {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if err := out.WriteText(m.Stdout); err != nil {
		return err
	}
	if *failed != "" {
		if err := writeRetry(*failed, finals); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "Wrote the lines to retry to %s.\n", *failed)
	}
	if n := out.Counts[report.StatusFailed] + out.Counts[report.StatusSkipped]; n > 0 {
		return &ExitError{Code: ExitRowsFailed, Err: fmt.Errorf("%d of %d lines failed or were skipped", n, out.Lines)}
	}
	return nil
}

// writeRetry writes the lines to retry to a new file.
func writeRetry(path string, finals []report.Result) error {
	if err := refuseExisting(path); err != nil {
		return err
	}
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return usageError("create %s: %w", path, err)
	}
	if err := report.WriteRetryInput(w, finals); err != nil {
		w.Close()
		return errors.Join(err, os.Remove(path))
	}
	return w.Close()
}

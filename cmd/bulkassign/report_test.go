package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// resultFile writes a result CSV as two sessions of a run leave it: line 2 failed,
// then succeeded on resume; lines 4 and 5 failed for want of seats; 7 and 8 were
// skipped, their users not found; 3 was skipped by the interrupt and never resumed.
func resultFile(t *testing.T, e *env) string {
	t.Helper()
	var b bytes.Buffer
	w, err := report.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	row := func(line int, user, sku string, st report.Status, code, msg string) report.Result {
		return report.Result{Line: line, Customer: testCustomer, User: user, Sku: sku, SkuID: skuE3, LicenseGroup: "group1",
			Status: st, ErrorCode: code, ErrorMessage: msg, FinishedAt: at, RowKey: report.RowKey(testCustomer, user, sku, "", "")}
	}
	for _, r := range []report.Result{
		row(2, "ann@contoso.com", "ENTERPRISEPACK", report.StatusFailed, "", "503 Service Unavailable"),
		row(3, "bob@contoso.com", "ENTERPRISEPACK", report.StatusSkipped, "", "not sent: run interrupted"),
		row(4, "carol@contoso.com", "ENTERPRISEPACK", report.StatusFailed, "60012", "insufficient licenses"),
		row(5, "dan@contoso.com", "=ENTERPRISEPACK", report.StatusFailed, "60012", "insufficient licenses"),
		row(6, "erin@contoso.com", "ENTERPRISEPACK", report.StatusUnchanged, "", ""),
		row(7, "frank@contoso.com", "ENTERPRISEPACK", report.StatusSkipped, "", "user not found: frank@contoso.com"),
		row(8, "gus@contoso.com", "ENTERPRISEPACK", report.StatusSkipped, "", "user not found: gus@contoso.com"),
		row(2, "ann@contoso.com", "ENTERPRISEPACK", report.StatusSucceeded, "", ""),
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	return e.file("result.csv", b.String())
}

func TestReportGivesEachLinesFinalOutcome(t *testing.T) {
	e := newEnv(t)
	path := resultFile(t, e)
	retry := e.path("retry.csv")
	code := e.run(t.Context(), nil, "report", path, "--failed", retry)
	if code != ExitRowsFailed {
		t.Fatalf("exit %d, want 1 (lines failed)\n%s", code, e.all())
	}
	out := e.stdout.String()
	contains(t, "report", out, "7", "1 succeeded", "2 failed", "3 skipped", "1 unchanged",
		"lines 4 and 5", "60012", "lines 7 and 8", "user not found: <user>", "line 3")
	if strings.Count(out, "user not found") != 1 {
		t.Fatalf("the two unknown users are not one reason:\n%s", out)
	}
	if strings.Contains(out, "503") {
		t.Fatalf("line 2's earlier failure is reported although it succeeded on resume:\n%s", out)
	}
	contains(t, "stderr", e.stderr.String(), "5 of 7 lines failed or were skipped", retry)
	// The retry file is an input of the lines to send again, formulas neutralised.
	b, err := os.ReadFile(retry)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != strings.Join(report.RetryHeader, ",") || len(lines) != 6 {
		t.Fatalf("retry file:\n%s", b)
	}
	for _, u := range []string{"bob@", "carol@", "dan@", "frank@", "gus@"} {
		if !strings.Contains(string(b), u) {
			t.Errorf("retry file lacks %s:\n%s", u, b)
		}
	}
	if strings.Contains(string(b), "ann@") || strings.Contains(string(b), "erin@") || strings.Contains(string(b), ",=ENTERPRISEPACK") {
		t.Fatalf("retry file:\n%s", b)
	}
	// An existing retry file is not overwritten.
	if code := e.run(t.Context(), nil, "report", path, "--failed", retry); code != ExitUsage {
		t.Fatalf("existing --failed: exit %d", code)
	}
}

func TestReportJSON(t *testing.T) {
	e := newEnv(t)
	path := resultFile(t, e)
	if code := e.run(t.Context(), nil, "report", path, "-o", "json"); code != ExitRowsFailed {
		t.Fatalf("exit %d\n%s", code, e.all())
	}
	var o report.Outcome
	if err := json.Unmarshal([]byte(e.stdout.String()), &o); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, e.stdout.String())
	}
	if o.Lines != 7 || o.Counts[report.StatusSucceeded] != 1 || o.Counts[report.StatusFailed] != 2 || o.Counts[report.StatusSkipped] != 3 {
		t.Fatalf("outcome %+v", o)
	}
	if len(o.Failed) != 1 || o.Failed[0].Code != "60012" || len(o.Failed[0].Lines) != 2 {
		t.Fatalf("failed %+v", o.Failed)
	}
}

func TestReportOfASuccessfulRunExitsZero(t *testing.T) {
	e := newEnv(t)
	var b bytes.Buffer
	w, _ := report.NewWriter(&b)
	w.Write(report.Result{Line: 2, Customer: testCustomer, User: "ann@contoso.com", Sku: "E3", Status: report.StatusSucceeded})
	w.Write(report.Result{Line: 3, Customer: testCustomer, User: "bob@contoso.com", Sku: "E3", Status: report.StatusUnchanged})
	if code := e.run(t.Context(), nil, "report", e.file("ok.csv", b.String())); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, e.all())
	}
	contains(t, "report", e.stdout.String(), "1 succeeded", "1 unchanged")
	for _, bad := range []string{e.path("missing.csv"), e.file("foreign.csv", "name,email\nann,a@x\n")} {
		if code := e.run(t.Context(), nil, "report", bad); code != ExitUsage {
			t.Fatalf("report %s: exit %d", bad, code)
		}
	}
}

package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func tallied() *report.Summary {
	s := &report.Summary{
		Capacity:      capacityRows()[:1],
		Elapsed:       2500 * time.Millisecond,
		Requests:      5,
		Throttled:     2,
		Retries:       3,
		CorrelationID: "8e1d7c4a-0000-4000-8000-000000000001",
		Output:        "results.csv",
	}
	for _, r := range []report.Result{
		{Line: 2, Customer: "contoso", User: "a", Sku: "SPE_E5", Status: report.StatusSucceeded},
		{Line: 3, Customer: "Contoso ", User: "b", Sku: "spe_e5", Status: report.StatusSucceeded},
		{Line: 4, Customer: "contoso", User: "c", Sku: "SPE_E5", Status: report.StatusFailed},
		{Line: 5, Customer: "fabrikam", User: "d", SkuID: "6fd2c87f", Status: report.StatusSucceeded},
		{Line: 6, Customer: "fabrikam", User: "e", RemoveSku: "ENTERPRISEPACK", Status: report.StatusSkipped},
	} {
		s.Add(r)
	}
	return s
}

func TestSummaryAdd(t *testing.T) {
	s := tallied()
	wantCounts := map[report.Status]int{report.StatusSucceeded: 3, report.StatusFailed: 1, report.StatusSkipped: 1}
	if !reflect.DeepEqual(s.Counts, wantCounts) {
		t.Errorf("Counts = %v, want %v", s.Counts, wantCounts)
	}
	wantSku := map[string]map[report.Status]int{
		"SPE_E5":                {report.StatusSucceeded: 2, report.StatusFailed: 1},
		"6fd2c87f":              {report.StatusSucceeded: 1},
		"remove ENTERPRISEPACK": {report.StatusSkipped: 1},
	}
	if !reflect.DeepEqual(s.BySku, wantSku) {
		t.Errorf("BySku = %v, want %v", s.BySku, wantSku)
	}
	wantCustomer := map[string]map[report.Status]int{
		"contoso":  {report.StatusSucceeded: 2, report.StatusFailed: 1},
		"fabrikam": {report.StatusSucceeded: 1, report.StatusSkipped: 1},
	}
	if !reflect.DeepEqual(s.ByCustomer, wantCustomer) {
		t.Errorf("ByCustomer = %v, want %v", s.ByCustomer, wantCustomer)
	}
	if s.Rows() != 5 {
		t.Errorf("Rows() = %d, want 5", s.Rows())
	}
}

func TestSummaryJSON(t *testing.T) {
	s := tallied()
	s.Interrupted = true
	s.StopReason = "interrupted by signal"
	s.ResumeCommand = "bulkassign run --input in.csv --output results.csv --resume"
	s.ExitCode = 130
	s.Updates, s.Reads, s.ReadsPerSecond = 4, 250, 250
	s.UsageLocationsSet, s.UpperBound, s.API = 2, true, "graph"
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wantKeys := []string{"api", "by_customer", "by_sku", "capacity", "correlation_id", "counts", "elapsed_seconds", "exit_code",
		"interrupted", "lines", "output", "reads", "reads_per_second", "requests", "requests_per_second", "resume_command",
		"retries", "rollback", "rollback_omitted", "rollback_rows", "rows", "stop_reason", "throttled", "updates",
		"updates_per_second", "upper_bound", "usage_locations_set"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("JSON keys %v, want %v", keys, wantKeys)
	}
	// Every Summary field is in the JSON form, under its tag (Elapsed as elapsed_seconds).
	st := reflect.TypeOf(report.Summary{})
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !f.IsExported() || f.Name == "Elapsed" || f.Name == "SkuNames" { // SkuNames only labels by_sku
			continue
		}
		if _, ok := got[strings.Split(f.Tag.Get("json"), ",")[0]]; !ok {
			t.Errorf("Summary.%s (tag %q) is missing from the JSON", f.Name, f.Tag.Get("json"))
		}
	}
	checks := map[string]any{
		"elapsed_seconds":     2.5,
		"requests":            5.0,
		"requests_per_second": 2.0, // derived: 5 requests in 2.5 s
		"throttled":           2.0,
		"retries":             3.0,
		"exit_code":           130.0,
		"interrupted":         true,
		"rows":                5.0,
		"lines":               5.0,
		"updates":             4.0,
		"updates_per_second":  1.6, // derived: 4 in 2.5 s
		"reads":               250.0,
		"reads_per_second":    250.0, // given
		"usage_locations_set": 2.0,
		"upper_bound":         true,
		"api":                 "graph",
		"correlation_id":      "8e1d7c4a-0000-4000-8000-000000000001",
		"output":              "results.csv",
		"counts":              map[string]any{"succeeded": 3.0, "unchanged": 0.0, "failed": 1.0, "skipped": 1.0, "planned": 0.0},
	}
	for k, want := range checks {
		if !reflect.DeepEqual(got[k], want) {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	bySku := got["by_sku"].(map[string]any)
	if !reflect.DeepEqual(bySku["SPE_E5"], map[string]any{"succeeded": 2.0, "failed": 1.0}) {
		t.Errorf("by_sku.SPE_E5 = %v", bySku["SPE_E5"])
	}
	capRow := got["capacity"].([]any)[0].(map[string]any)
	for _, k := range []string{"customer", "sku_name", "sku_part_number", "sku_id", "license_group", "available",
		"requested", "freed", "held", "to_assign", "to_free", "needed", "left_after", "shortfall"} {
		if _, ok := capRow[k]; !ok {
			t.Errorf("capacity row has no %q: %v", k, capRow)
		}
	}
}

func TestSummaryJSONEmpty(t *testing.T) {
	data, err := json.Marshal(&report.Summary{RequestsPerSecond: 7.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"by_sku":{}`, `"by_customer":{}`, `"capacity":[]`, `"requests_per_second":7.5`,
		`"counts":{"failed":0,"planned":0,"skipped":0,"succeeded":0,"unchanged":0}`, `"lines":0`, `"upper_bound":false`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("%s lacks %s", data, want)
		}
	}
}

// squeeze collapses runs of spaces, so that checks do not depend on the padding.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func TestSummaryText(t *testing.T) {
	s := tallied()
	var buf bytes.Buffer
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := squeeze(buf.String())
	for _, want := range []string{
		"Lines: 5: 3 succeeded, 1 failed, 1 skipped\n",
		"Elapsed: 2.5s\n",
		"Requests: 5 (2.0/s)\n", // neither updates nor reads given: requests shown
		"Throttled (429): 2\n",
		"Retries: 3\n",
		"Correlation ID: 8e1d7c4a-0000-4000-8000-000000000001\n",
		"Output: results.csv\n",
		"SKU SUCCEEDED FAILED SKIPPED\n6fd2c87f 1 0 0\nremove ENTERPRISEPACK 0 0 1\nSPE_E5 2 1 0\n",
		"CUSTOMER SUCCEEDED FAILED SKIPPED\ncontoso 2 1 0\nfabrikam 1 0 1\n",
		"contoso Microsoft 365 E5 SPE_E5 group1 10 3 12 0 12 -2 2 <-- SHORT\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
	for _, unwanted := range []string{"PLANNED", "Interrupted", "resume", "Updates", "upper bounds", "Usage", "API"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("summary of a finished run says %q:\n%s", unwanted, buf.String())
		}
	}
}

func TestSummaryTextInterrupted(t *testing.T) {
	s := tallied()
	s.Interrupted = true
	s.StopReason = "interrupted"
	s.ResumeCommand = "bulkassign run --customer c --input 'my file.csv' --output results.csv --resume"
	var buf bytes.Buffer
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Interrupted before every row was done.\n",
		"Every finished row is in results.csv.\n",
		"\n  bulkassign run --customer c --input 'my file.csv' --output results.csv --resume\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestSummaryTextInterruptedWithReason(t *testing.T) {
	s := &report.Summary{Interrupted: true, StopReason: "drain timeout passed."}
	var buf bytes.Buffer
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Interrupted before every row was done (drain timeout passed).\n") {
		t.Fatalf("summary:\n%s", buf.String())
	}
}

func TestSummaryTextStopped(t *testing.T) {
	s := &report.Summary{StopReason: "too many consecutive failures", Output: "out.csv", ResumeCommand: "bulkassign run --resume"}
	s.Add(report.Result{Line: 2, Customer: "c", Sku: "E5", Status: report.StatusFailed})
	var buf bytes.Buffer
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Stopped early: too many consecutive failures.\n") ||
		!strings.Contains(buf.String(), "  bulkassign run --resume\n") {
		t.Fatalf("summary of a stopped run:\n%s", buf.String())
	}
}

func TestSummaryCountsOneSkuOnceWhateverItsSpelling(t *testing.T) {
	s := report.Summary{SkuNames: map[string]string{"6fd2c87f-b296-42f0-b197-1e91e994b900": "Office 365 Enterprise E3"}}
	for i, written := range []string{"ENTERPRISEPACK", "office 365 enterprise e3", "6FD2C87F-B296-42F0-B197-1E91E994B900"} {
		s.Add(report.Result{Line: 2 + i, Sku: written, SkuID: "6FD2C87F-B296-42F0-B197-1E91E994B900", Status: report.StatusSucceeded})
	}
	s.Add(report.Result{Line: 9, Sku: "Other", SkuID: "unknown-id", Status: report.StatusFailed})
	if len(s.BySku) != 2 || s.BySku["Office 365 Enterprise E3"][report.StatusSucceeded] != 3 || s.BySku["Other"][report.StatusFailed] != 1 {
		t.Fatalf("BySku %v", s.BySku)
	}
}

func TestSummaryLabelsSkusGivenByID(t *testing.T) {
	const e3, e5 = "6fd2c87f-b296-42f0-b197-1e91e994b900", "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	s := report.Summary{SkuNames: map[string]string{e3: "Office 365 Enterprise E3", e5: "Microsoft 365 E5"}}
	// A rollback run's rows: SKUs by ID, as written, without SkuID; a removal-only row.
	s.Add(report.Result{Line: 2, Sku: strings.ToUpper(e3), RemoveSku: e5, Status: report.StatusSucceeded})
	s.Add(report.Result{Line: 3, RemoveSku: " " + strings.ToUpper(e5), Status: report.StatusSucceeded})
	s.Add(report.Result{Line: 4, RemoveSku: "ENTERPRISEPACK", Status: report.StatusFailed})
	want := map[string]map[report.Status]int{
		"Office 365 Enterprise E3": {report.StatusSucceeded: 1},
		"remove Microsoft 365 E5":  {report.StatusSucceeded: 1},
		"remove ENTERPRISEPACK":    {report.StatusFailed: 1},
	}
	if !reflect.DeepEqual(s.BySku, want) {
		t.Fatalf("BySku %v, want %v", s.BySku, want)
	}
}

// TestSummaryCountsLinesAcrossAResume is the resumed run that said "Rows: 1843" for a
// 2,000-line input: the earlier outcomes are seeded, and the lines this run sends
// again replace theirs.
func TestSummaryCountsLinesAcrossAResume(t *testing.T) {
	var earlier []report.Result
	for line := 2; line < 2002; line++ {
		st := report.StatusSucceeded
		if line%13 == 0 {
			st = report.StatusFailed
		}
		earlier = append(earlier, report.Result{Line: line, Customer: "contoso", Sku: "SPE_E5", Status: st})
	}
	s := &report.Summary{}
	s.Seed(report.Final(earlier))
	if s.Rows() != 2000 || s.Counts[report.StatusFailed] != 153 {
		t.Fatalf("seeded: %d lines, counts %v", s.Rows(), s.Counts)
	}
	// This run sends the failed lines again: all succeed, some to another customer
	// and SKU (an edited row, as a planner would not allow, but the counts must move).
	for line := 13; line < 2002; line += 13 {
		r := report.Result{Line: line, Customer: "contoso", Sku: "SPE_E5", Status: report.StatusSucceeded}
		if line == 13 {
			r.Customer, r.Sku = "fabrikam", "ENTERPRISEPACK"
		}
		s.Add(r)
	}
	want := map[report.Status]int{report.StatusSucceeded: 2000}
	if s.Rows() != 2000 || !reflect.DeepEqual(s.Counts, want) {
		t.Fatalf("after the resume: %d lines, counts %v", s.Rows(), s.Counts)
	}
	wantSku := map[string]map[report.Status]int{"SPE_E5": {report.StatusSucceeded: 1999}, "ENTERPRISEPACK": {report.StatusSucceeded: 1}}
	wantCustomer := map[string]map[report.Status]int{"contoso": {report.StatusSucceeded: 1999}, "fabrikam": {report.StatusSucceeded: 1}}
	if !reflect.DeepEqual(s.BySku, wantSku) || !reflect.DeepEqual(s.ByCustomer, wantCustomer) {
		t.Fatalf("by SKU %v, by customer %v", s.BySku, s.ByCustomer)
	}
	data, _ := json.Marshal(s)
	if !bytes.Contains(data, []byte(`"rows":2000`)) || !bytes.Contains(data, []byte(`"lines":2000`)) {
		t.Fatalf("JSON %s", data)
	}
	// A line sent twice in one run (its first answer, then a retry's) counts once too.
	s.Add(report.Result{Line: 2, Customer: "contoso", Sku: "SPE_E5", Status: report.StatusUnchanged})
	if s.Rows() != 2000 || s.Counts[report.StatusUnchanged] != 1 || s.Counts[report.StatusSucceeded] != 1999 {
		t.Fatalf("counts %v", s.Counts)
	}
}

func TestSummaryTextUpdatesAndReads(t *testing.T) {
	s := &report.Summary{Elapsed: 2 * time.Second, Updates: 200, UpdatesPerSecond: 99.4, Reads: 500, Requests: 700,
		UpperBound: true, UsageLocationsSet: 3, API: "graph"}
	s.Add(report.Result{Line: 2, Status: report.StatusUnchanged})
	var buf bytes.Buffer
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := squeeze(buf.String())
	for _, want := range []string{
		"Lines: 1: 1 unchanged\nUsers were not read: counts are upper bounds.\n",
		"Updates: 200 (99.4/s)\nReads: 500 (250/s)\n",
		"Usage locations set: 3\n",
		"API: graph\n",
		"SKU UNCHANGED\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(text, "Requests:") {
		t.Errorf("summary shows requests beside updates and reads:\n%s", buf.String())
	}
}

package report_test

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// resumedRows is a result file after two resumes: several rows for some lines.
func resumedRows() []report.Result {
	return []report.Result{
		{Line: 4, User: "a@x.com", Status: report.StatusFailed, ErrorCode: "429", ErrorMessage: "throttled"},
		{Line: 2, User: "b@x.com", Status: report.StatusSucceeded},
		{Line: 3, User: "c@x.com", Status: report.StatusFailed, ErrorCode: "404", ErrorMessage: "user not found: c@x.com"},
		{Line: 5, User: "d@x.com", UserID: "0d0d0d0d-aaaa", Status: report.StatusFailed, ErrorCode: "404",
			ErrorMessage: "User D@X.COM\nnot found."},
		{Line: 4, User: "a@x.com", Status: report.StatusSucceeded}, // the resume fixed it
		{Line: 6, User: "e@x.com", Status: report.StatusFailed, ErrorCode: "404", ErrorMessage: "user not found: e@x.com"},
		{Line: 7, User: "f@x.com", Status: report.StatusSkipped, ErrorMessage: "insufficient licenses"},
		{Line: 8, User: "g@x.com", Status: report.StatusUnchanged},
		{Line: 9, User: "h@x.com", UserID: "0d0d0d0d-bbbb", Status: report.StatusFailed, ErrorCode: "404",
			ErrorMessage: "user 0d0d0d0d-bbbb not found: h@x.com"},
		{Line: 3, User: "c@x.com", Status: report.StatusFailed, ErrorCode: "404", ErrorMessage: "user not found: c@x.com"},
		{Line: 10, User: "=cmd@x.com", Sku: "+E5", RemoveSku: "-E3", ExcludedPlans: "@p1;p2", Customer: "c,1",
			Status: report.StatusSkipped, ErrorMessage: "insufficient licenses"},
		{Line: 11, User: "i@x.com", Status: report.StatusFailed, ErrorCode: "404",
			ErrorMessage: "user not found: xi@x.com, i@x.com.au, i@x.co"}, // no whole match: its own reason
	}
}

func TestFinal(t *testing.T) {
	rs := resumedRows()
	finals := report.Final(rs)
	var lines []int
	for _, r := range finals {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Fatalf("lines %v", lines)
	}
	if finals[2].Status != report.StatusSucceeded {
		t.Fatalf("line 4 is %s, want its last row (succeeded)", finals[2].Status)
	}
	if len(report.Final(nil)) != 0 {
		t.Fatal("Final(nil)")
	}
}

func TestSummarize(t *testing.T) {
	o := report.Summarize(report.Final(resumedRows()))
	wantCounts := map[report.Status]int{report.StatusSucceeded: 2, report.StatusFailed: 5, report.StatusSkipped: 2, report.StatusUnchanged: 1}
	if o.Lines != 10 || !reflect.DeepEqual(o.Counts, wantCounts) {
		t.Fatalf("lines %d counts %v", o.Lines, o.Counts)
	}
	wantFailed := []report.Reason{
		{Code: "404", Message: "user not found: <user>", Lines: []int{3, 6}},
		{Code: "404", Message: "User <user> not found.", Lines: []int{5}},
		{Code: "404", Message: "user <user> not found: <user>", Lines: []int{9}},
		{Code: "404", Message: "user not found: xi@x.com, i@x.com.au, i@x.co", Lines: []int{11}},
	}
	if !reflect.DeepEqual(o.Failed, wantFailed) {
		t.Fatalf("failed %#v\nwant %#v", o.Failed, wantFailed)
	}
	wantSkipped := []report.Reason{{Message: "insufficient licenses", Lines: []int{7, 10}}}
	if !reflect.DeepEqual(o.Skipped, wantSkipped) {
		t.Fatalf("skipped %#v", o.Skipped)
	}

	var buf bytes.Buffer
	if err := o.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := squeeze(buf.String())
	for _, want := range []string{
		"Lines: 10: 2 succeeded, 1 unchanged, 5 failed, 2 skipped\n",
		"Failed:\n2 404 user not found: <user> (lines 3 and 6)\n1 404 User <user> not found. (line 5)\n",
		"Skipped:\n2 insufficient licenses (lines 7 and 10)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("outcome text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWriteRetryInput(t *testing.T) {
	finals := report.Final(resumedRows())
	var buf bytes.Buffer
	if err := report.WriteRetryInput(&buf, finals); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], []string{"customer", "user", "sku", "remove_sku", "excluded_plans"}) {
		t.Fatalf("header %v", recs[0])
	}
	var users []string
	for _, r := range recs[1:] {
		users = append(users, report.Unquote(r[1]))
	}
	if want := []string{"c@x.com", "d@x.com", "e@x.com", "f@x.com", "h@x.com", "=cmd@x.com", "i@x.com"}; !reflect.DeepEqual(users, want) {
		t.Fatalf("retried users %v, want %v (failed and skipped lines, in line order)", users, want)
	}
	if got := recs[6]; !reflect.DeepEqual(got, []string{"c,1", "'=cmd@x.com", "'+E5", "'-E3", "'@p1;p2"}) {
		t.Fatalf("neutralised row %q", got)
	}

	buf.Reset()
	if err := report.WriteRetryInput(&buf, finals, report.StatusUnchanged); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "customer,user,sku,remove_sku,excluded_plans\n,g@x.com,,,\n" {
		t.Fatalf("only unchanged: %q", buf.String())
	}
}

func TestWriteRetryInputError(t *testing.T) {
	if err := report.WriteRetryInput(&failingWriter{limit: 3}, report.Final(resumedRows())); err == nil {
		t.Fatal("a failed write went unreported")
	}
}

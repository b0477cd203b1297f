package planner_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// FuzzBuild feeds arbitrary bytes to Build as the input file. No input may panic; a bad
// input is an *InputError whose every problem has a line within the file (only an empty
// file or one of UTF-16 text is a problem of the file as a whole); a good input is a plan
// whose rows and changes are consistent with each other and with the file. Users are read
// from a directory of three users of the default customer (one without a usage location,
// one holding E3 without Sway) and one deleted user, at Partner Center's costs: the plan
// counts exactly the reads the directory answered, reads each catalogue once, and never
// sends a change that does nothing.
func FuzzBuild(f *testing.F) {
	seeds := []string{
		"",
		"\uFEFF",
		"user,sku\n",
		"user,sku\na@contoso.com,ENTERPRISEPACK\n",
		"\uFEFF\"user\",\"sku\"\r\na@contoso.com,Office 365 Enterprise E3\r\n",
		"user,sku,remove_sku,excluded_plans,customer\na@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,SWAY;Microsoft Teams," + custB + "\n",
		"User , SKU\n\n  A@Contoso.com , enterprisepack \n,\na@contoso.com,AAD_PREMIUM\n",
		"user,sku,notes\na@contoso.com,ENTERPRISEPACK,\"multi\nline, \"\"quoted\"\"\"\nb@contoso.com,Ofice 365 E3,\n",
		"user,sku\nja\"ne@contoso.com,ENTERPRISEPACK\n",
		"user,sku\na@contoso.com\n",
		"user,sku\na@contoso.com,\"ENTERPRISEPACK\n",
		"user,sku,sku\n",
		"sku\nENTERPRISEPACK\n",
		"user,remove_sku\na@contoso.com,ENTERPRISEPACK\nb@contoso.com,\n",
		"user,sku,remove_sku\na@contoso.com,ENTERPRISEPACK,\na@contoso.com,,ENTERPRISEPACK\n",
		"user,sku,excluded_plans\na@contoso.com,ENTERPRISEPACK,SWAY\na@contoso.com,ENTERPRISEPACK,TEAMS1\n",
		"user,sku\na\x00@contoso.com,ENTERPRISEPACK\nb@contoso.com,\xff\xfe\n=1+1@x.com,ENTERPRISEPACK\n",
		"user,sku,customer\na@contoso.com,ENTERPRISEPACK,not-a-guid\n",
		"user,sku\n" + "a1@contoso.com,Dynamics AX Task\na2@contoso.com,AX_TASK_USER\na3@contoso.com,Minecraft Education Edition Faculty\n",
		"user,sku\r\n0c39d6d5-c70d-4c55-bc02-f620844f3fd1,WIN_ENT_E5\r\n",
		"\xFF\xFEu\x00s\x00",
		"user;sku\na@contoso.com;ENTERPRISEPACK\n",
		// The users of the directory: held, named two ways, deleted, unlocated.
		"user,sku,remove_sku,excluded_plans\nc@contoso.com,ENTERPRISEPACK,,SWAY\n" + calID + ",AAD_PREMIUM,,\nC@contoso.com,,ENTERPRISEPACK,\n",
		"user,sku,remove_sku\n" + calID + ",ENTERPRISEPREMIUM,ENTERPRISEPACK\nc@contoso.com,ENTERPRISEPREMIUM,\nd@contoso.com,ENTERPRISEPACK,\nb@contoso.com,,ENTERPRISEPACK\n",
		"line,user,sku,sku_name,remove_sku,remove_sku_name\n2,c@contoso.com,,,ENTERPRISEPACK,E3\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if low := strings.ToLower(string(in)); strings.Contains(low, amyID) && strings.Contains(low, "a@contoso.com") ||
			strings.Contains(low, bobID) && strings.Contains(low, "b@contoso.com") || strings.Contains(low, calID) && strings.Contains(low, "c@contoso.com") {
		}
		cat := plannertest.NewCatalogue(plannertest.SampleSkus())
		dir := plannertest.NewDirectory()
		located := plannertest.ActiveUser(amyID, "a@contoso.com")
		unlocated := plannertest.ActiveUser(bobID, "b@contoso.com")
		unlocated.UsageLocation = ""
		holder := plannertest.Holding(plannertest.ActiveUser(calID, "c@contoso.com"), plannertest.E3ID)
		holder.Licenses[0].DisabledPlans = []string{plannertest.YammerPlanID}
		dir.Set(custA, located, unlocated, holder)
		dir.SetDeleted(custA, plannertest.ActiveUser(dorID, "d@contoso.com"))
		p, err := planner.Build(context.Background(), bytes.NewReader(in), cat, planner.Options{
			DefaultCustomer: custA,
			Shortfall:       planner.ShortfallPartial,
			Users:           dir,
		})
		lines := bytes.Count(in, []byte("\n")) + 1
		if err != nil {
			checkFuzzProblems(t, p, err, lines)
			return
		}
		checkFuzzRows(t, p, lines)
		checkFuzzChanges(t, p)
		if cat.TotalCalls() != len(p.Customers) {
			t.Fatalf("catalogue calls = %d for customers %q, want one per customer", cat.TotalCalls(), p.Customers)
		}
		if !p.UsersRead || p.Reads.Reads != dir.TotalCalls() || p.Reads.Found > p.Reads.Users || p.Reads.Users > p.NumRows() {
			t.Fatalf("reads %+v (users read %v), directory answered %d", p.Reads, p.UsersRead, dir.TotalCalls())
		}
	})
}

// checkFuzzProblems checks an error of Build: an *InputError without a plan, every
// problem with a message and a line of the file.
func checkFuzzProblems(t *testing.T, p *planner.Plan, err error, lines int) {
	t.Helper()
	var ie *planner.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("Build error %v (%T), want *InputError", err, err)
	}
	if p != nil {
		t.Fatal("a plan came with an InputError")
	}
	if len(ie.Problems) == 0 {
		t.Fatal("InputError without problems")
	}
	for _, pr := range ie.Problems {
		if pr.Line < 1 && pr.Message != "empty file: no header row" && !strings.HasPrefix(pr.Message, "the file is UTF-16 text") {
			t.Fatalf("problem without a line: %+v", pr)
		}
		if pr.Line > lines {
			t.Fatalf("problem at line %d of a %d-line file: %+v", pr.Line, lines, pr)
		}
		if pr.Message == "" {
			t.Fatalf("problem without a message: %+v", pr)
		}
	}
}

// checkFuzzRows checks every row: in file order, with a valid user and a SKU, planned
// rows carried by their change, the others by none and with a reason.
func checkFuzzRows(t *testing.T, p *planner.Plan, lines int) {
	t.Helper()
	prev := 0
	counts := map[planner.Status]int{}
	for i := range p.NumRows() {
		r := p.Row(i)
		if r.Line <= prev || r.Line > lines {
			t.Fatalf("row %d at line %d after line %d, in a %d-line file", i, r.Line, prev, lines)
		}
		prev = r.Line
		if st := p.Status(i); st != r.Status {
			t.Fatalf("row %d: Status %q, Row's %q", i, st, r.Status)
		}
		if r.User == "" || !utf8.ValidString(r.User) || bytes.IndexByte([]byte(r.User), 0) >= 0 || len(r.User) > 1024 {
			t.Fatalf("row %d has user %q", i, r.User)
		}
		if r.SkuID == "" && r.RemoveSkuID == "" {
			t.Fatalf("row %d neither assigns nor removes: %+v", i, r)
		}
		counts[r.Status]++
		switch r.Status {
		case planner.StatusPlanned:
			if r.Change < 0 || r.Change >= p.NumChanges() || !slices.Contains(p.Change(r.Change).Rows, i) || r.Reason != "" {
				t.Fatalf("planned row %d is not carried by its change %d (reason %q)", i, r.Change, r.Reason)
			}
		case planner.StatusSkipped:
			if r.Change != -1 || r.Reason == "" {
				t.Fatalf("skipped row %d: change %d, reason %q", i, r.Change, r.Reason)
			}
		case planner.StatusUnchanged:
			if r.Change != -1 || !strings.HasPrefix(r.Reason, "already done: ") {
				t.Fatalf("unchanged row %d: change %d, reason %q", i, r.Change, r.Reason)
			}
		default:
			t.Fatalf("row %d has status %q", i, r.Status)
		}
	}
	if !maps.Equal(counts, p.Counts()) {
		t.Fatalf("Counts() = %v, rows say %v", p.Counts(), counts)
	}
}

// checkFuzzChanges checks every change: not empty, in the order of first rows, carrying
// planned rows of its license group, and undone by rows of its own lines.
func checkFuzzChanges(t *testing.T, p *planner.Plan) {
	t.Helper()
	for u := range p.NumChanges() {
		ch := p.Change(u)
		if len(ch.Rows) == 0 || len(ch.Assign)+len(ch.Remove) == 0 {
			t.Fatalf("change %d is empty: %+v", u, ch)
		}
		if u > 0 && p.Change(u - 1).Rows[0] >= ch.Rows[0] {
			t.Fatalf("change %d is not in the order of first rows", u)
		}
		var lines []int
		for _, ri := range ch.Rows {
			r := p.Row(ri)
			if r.Change != u || r.LicenseGroup != ch.Group || r.Status != planner.StatusPlanned {
				t.Fatalf("change %d carries row %d = %+v", u, ri, r)
			}
			lines = append(lines, r.Line)
		}
		for _, a := range ch.Assign {
			if slices.Contains(ch.Remove, a.SkuID) {
				t.Fatalf("change %d assigns and removes %s", u, a.SkuID)
			}
		}
		for _, un := range ch.Undo {
			if !slices.Equal(un.Lines, lines) || un.Customer != ch.Customer || un.User != ch.User || un.Sku == "" && un.RemoveSku == "" {
				t.Fatalf("change %d (lines %v, user %s) has undo row %+v", u, lines, ch.User, un)
			}
		}
	}
}

package planner_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// FuzzBuild feeds arbitrary bytes to Build as the input file. No input may panic; a bad
// input is an *InputError whose every problem has a line within the file (only an empty
// file is a problem of the file as a whole); a good input is a plan whose rows and
// updates are consistent with each other and with the file. Users are checked against a
// directory of two users, one without a usage location.
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
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cat := plannertest.NewCatalogue(plannertest.SampleSkus())
		dir := plannertest.NewDirectory()
		located := plannertest.ActiveUser(amyID, "a@contoso.com")
		unlocated := plannertest.ActiveUser(bobID, "b@contoso.com")
		unlocated.UsageLocation = ""
		dir.Set(custA, located, unlocated)
		p, err := planner.Build(context.Background(), bytes.NewReader(in), cat, planner.Options{
			DefaultCustomer: custA,
			Shortfall:       planner.ShortfallPartial,
			Users:           dir,
		})
		lines := bytes.Count(in, []byte("\n")) + 1
		if err != nil {
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
			return
		}
		prev := 0
		for i := range p.NumRows() {
			r := p.Row(i)
			if r.Line <= prev || r.Line > lines {
				t.Fatalf("row %d at line %d after line %d, in a %d-line file", i, r.Line, prev, lines)
			}
			prev = r.Line
			if r.User == "" || !utf8.ValidString(r.User) || bytes.IndexByte([]byte(r.User), 0) >= 0 || len(r.User) > 1024 {
				t.Fatalf("row %d has user %q", i, r.User)
			}
			if r.SkuID == "" && r.RemoveSkuID == "" {
				t.Fatalf("row %d neither assigns nor removes: %+v", i, r)
			}
			switch r.Status {
			case planner.StatusPlanned:
				if r.Update < 0 || r.Update >= p.NumUpdates() || !slices.Contains(p.Update(r.Update).Rows, i) {
					t.Fatalf("planned row %d is not carried by its update %d", i, r.Update)
				}
			case planner.StatusSkipped:
				if r.Update != -1 || r.Reason == "" {
					t.Fatalf("skipped row %d: update %d, reason %q", i, r.Update, r.Reason)
				}
			default:
				t.Fatalf("row %d has status %q", i, r.Status)
			}
		}
		for u := range p.NumUpdates() {
			upd := p.Update(u)
			if len(upd.Rows) == 0 || len(upd.Body.LicensesToAssign)+len(upd.Body.LicensesToRemove) == 0 {
				t.Fatalf("update %d is empty: %+v", u, upd)
			}
			if u > 0 && p.Update(u - 1).Rows[0] >= upd.Rows[0] {
				t.Fatalf("update %d is not in the order of first rows", u)
			}
			for _, ri := range upd.Rows {
				if r := p.Row(ri); r.Update != u || r.LicenseGroup != upd.LicenseGroup || r.Status != planner.StatusPlanned {
					t.Fatalf("update %d carries row %d = %+v", u, ri, r)
				}
			}
		}
		if cat.TotalCalls() != len(p.Customers) || dir.TotalCalls() != len(p.Customers) {
			t.Fatalf("catalogue calls = %d, listing calls %d for customers %q, want one each per customer", cat.TotalCalls(), dir.TotalCalls(), p.Customers)
		}
	})
}

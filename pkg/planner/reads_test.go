package planner_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// Object IDs of the directory's users.
const (
	amyID = "11111111-1111-4111-8111-111111111111"
	bobID = "22222222-2222-4222-8222-222222222222"
	calID = "33333333-3333-4333-8333-333333333333"
	dorID = "44444444-4444-4444-8444-444444444444"
)

// readPlan plans in (after the header user,sku,remove_sku,excluded_plans) for custA,
// reading users from dir.
func readPlan(t *testing.T, in string, dir *plannertest.Directory, opts planner.Options) (*planner.Plan, error) {
	t.Helper()
	opts.DefaultCustomer = custA
	opts.Users = dir
	return planner.Build(context.Background(), strings.NewReader("user,sku,remove_sku,excluded_plans\n"+in), sampleCatalogue(), opts)
}

func statuses(p *planner.Plan) []planner.Status {
	var out []planner.Status
	for i := range p.NumRows() {
		out = append(out, p.Row(i).Status)
	}
	return out
}

// TestPlanIsADiff: rows whose desired state holds send nothing, and the capacity check
// counts only the seats that will be taken.
func TestPlanIsADiff(t *testing.T) {
	dir := plannertest.NewDirectory()
	dir.Set(custA,
		plannertest.Holding(plannertest.ActiveUser(amyID, "amy@contoso.com"), plannertest.E3ID),
		plannertest.Holding(plannertest.ActiveUser(bobID, "bob@contoso.com"), plannertest.E5ID),
		plannertest.ActiveUser(calID, "cal@contoso.com"),
		plannertest.Holding(plannertest.ActiveUser(dorID, "dor@contoso.com"), plannertest.E3ID),
	)
	in := "amy@contoso.com,ENTERPRISEPACK,,\n" + // held: unchanged
		"bob@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n" + // swap already done: unchanged
		"cal@contoso.com,,ENTERPRISEPACK,\n" + // removal of a license not held: unchanged
		"dor@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n" + // a real swap
		"cal@contoso.com,ENTERPRISEPREMIUM,,Sway\n" // a new assignment with a plan left off
	p, err := readPlan(t, in, dir, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []planner.Status{planner.StatusUnchanged, planner.StatusUnchanged, planner.StatusUnchanged, planner.StatusPlanned, planner.StatusPlanned}
	if got := statuses(p); !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if p.NumChanges() != 2 {
		t.Fatalf("%d changes, want 2", p.NumChanges())
	}
	dor := p.Change(0)
	if dor.User != dorID || !slices.Equal(dor.Remove, []string{plannertest.E3ID}) || len(dor.Assign) != 1 || dor.Assign[0].SkuID != plannertest.E5ID {
		t.Errorf("dor's change = %+v", dor.Change)
	}
	if len(dor.Undo) != 1 || dor.Undo[0].Sku != plannertest.E3ID || dor.Undo[0].RemoveSku != plannertest.E5ID {
		t.Errorf("dor's undo = %+v, want E3 back and E5 off in one row", dor.Undo)
	}
	for _, c := range p.Capacity {
		switch c.SkuID {
		case plannertest.E3ID:
			if c.Requested != 1 || c.Held != 1 || c.Needed != 0 || c.Freed != 1 {
				t.Errorf("E3 capacity %+v: want requested 1, held 1, needed 0, freed 1", c)
			}
		case plannertest.E5ID:
			if c.Requested != 3 || c.Held != 1 || c.Needed != 2 {
				t.Errorf("E5 capacity %+v: want requested 3, held 1, needed 2", c)
			}
		}
	}
}

// TestSmallFileLooksUp: a few users of a large directory are looked up, never listed.
func TestSmallFileLooksUp(t *testing.T) {
	dir := plannertest.NewDirectory()
	var users []client.User
	var in strings.Builder
	for i := range 300 {
		u := plannertest.ActiveUser(plannertest.ObjectID(i), plannertest.UserName(i))
		users = append(users, u)
		if i%6 == 0 {
			in.WriteString(u.PrincipalName + ",ENTERPRISEPACK,,\n")
		}
	}
	dir.Set(custA, users...)
	p, err := readPlan(t, in.String(), dir, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := dir.Reads(custA)
	if r.Pages != 0 || r.Lookups != 50 || p.NumChanges() != 50 {
		t.Errorf("reads %+v, %d changes; want 50 lookups and no listing", r, p.NumChanges())
	}
}

func TestContradictionAcrossSpellings(t *testing.T) {
	dir := plannertest.NewDirectory()
	dir.Set(custA, plannertest.Holding(plannertest.ActiveUser(amyID, "alice@contoso.com"), plannertest.E5ID))
	_, err := readPlan(t, "alice@contoso.com,ENTERPRISEPREMIUM,,\n"+amyID+",,ENTERPRISEPREMIUM,\n", dir, planner.Options{})
	var ie *planner.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Line != 3 {
		t.Fatalf("err = %v, want one problem on line 3", err)
	}
}

package planner_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// The plan as a diff: what users hold is not sent again, seats they hold are not
// needed, and every change comes with the rows that undo it.

// holding returns an active user who holds one SKU with the given plans disabled.
func holding(id, upn, sku string, disabled ...string) client.User {
	u := plannertest.ActiveUser(id, upn)
	u.Licenses = []client.License{{SkuID: sku, DisabledPlans: disabled}}
	return u
}

// TestBuildRemovalsOfLicensesNotHeld: removing what a user does not hold sends
// nothing, alone or in a swap, and frees no unit.
func TestBuildRemovalsOfLicensesNotHeld(t *testing.T) {
	dir := directoryOf(plannertest.ActiveUser(amyID, "amy@contoso.com"), plannertest.ActiveUser(bobID, "bob@contoso.com"))
	p, err := readPlan(t, "amy@contoso.com,,ENTERPRISEPACK,\nbob@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n", dir, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Row(0); r.Status != planner.StatusUnchanged || r.Reason != "already done: amy@contoso.com does not hold Office 365 Enterprise E3" || r.Change != -1 {
		t.Errorf("amy's removal = %q %q, change %d; want unchanged", r.Status, r.Reason, r.Change)
	}
	if p.NumChanges() != 1 {
		t.Fatalf("%d changes, want bob's only", p.NumChanges())
	}
	bob := p.Change(0)
	want := client.Change{Customer: custA, User: bobID, Group: "group1", Assign: []client.Assignment{{SkuID: plannertest.E5ID}}}
	if !reflect.DeepEqual(bob.Change, want) || !slices.Equal(bob.Rows, []int{1}) {
		t.Errorf("bob's change = %+v, want %+v: the swap assigns E5 and removes nothing", bob.Change, want)
	}
	for _, c := range p.Capacity {
		if c.SkuID == plannertest.E3ID && (c.Freed != 0 || c.LeftAfter != c.Available) {
			t.Errorf("E3 capacity %+v: removals of licenses not held free nothing", c)
		}
	}
	if c := p.Counts(); c[planner.StatusUnchanged] != 1 || c[planner.StatusPlanned] != 1 {
		t.Errorf("Counts = %v, want 1 unchanged and 1 planned", c)
	}
}

// TestBuildLicensesHeldThroughAGroup: a license a user holds through a group cannot be
// removed from the user, and needs no assigning.
func TestBuildLicensesHeldThroughAGroup(t *testing.T) {
	amy := holding(amyID, "amy@contoso.com", plannertest.E3ID)
	amy.Licenses[0].Inherited = true
	p, err := readPlan(t, "amy@contoso.com,,ENTERPRISEPACK,\nbob@contoso.com,ENTERPRISEPACK,,\n", directoryOf(amy, func() client.User {
		bob := holding(bobID, "bob@contoso.com", plannertest.E3ID, plannertest.SwayPlanID)
		bob.Licenses[0].Inherited = true
		return bob
	}()), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "license inherited from a group: amy@contoso.com holds Office 365 Enterprise E3 through a group; remove it from the group"
	if r := p.Row(0); r.Status != planner.StatusSkipped || r.Reason != want {
		t.Errorf("amy's removal = %q %q, want skipped: %q", r.Status, r.Reason, want)
	}
	if r := p.Row(1); r.Status != planner.StatusUnchanged {
		t.Errorf("bob's assignment of a SKU held through a group = %q %q, want unchanged", r.Status, r.Reason)
	}
	if p.NumChanges() != 0 {
		t.Errorf("%d changes, want none", p.NumChanges())
	}
}

// TestBuildHeldSeatsNeedNoUnits: one seat free and five rows, of which four users
// already hold the SKU, passes the capacity check even under ShortfallAbort.
func TestBuildHeldSeatsNeedNoUnits(t *testing.T) {
	var users []client.User
	in := ""
	for i := range 5 {
		u := plannertest.ActiveUser(plannertest.ObjectID(i), plannertest.UserName(i))
		if i != 2 {
			u = plannertest.Holding(u, plannertest.AADPremiumP1ID)
		}
		users = append(users, u)
		in += u.PrincipalName + ",AAD_PREMIUM,,\n"
	}
	cat := plannertest.NewCatalogue(plannertest.SampleSkus())
	cat.Default[0].Available = 1 // AAD P1
	p, err := planner.Build(t.Context(), strings.NewReader("user,sku,remove_sku,excluded_plans\n"+in), cat,
		planner.Options{DefaultCustomer: custA, Users: directoryOf(users...), Shortfall: planner.ShortfallAbort})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := planner.Capacity{Customer: custA, SkuID: plannertest.AADPremiumP1ID, SkuName: "Azure Active Directory Premium P1",
		SkuPartNumber: "AAD_PREMIUM", LicenseGroup: "group1", Available: 1, Requested: 5, Held: 4, Needed: 1, Granted: 1}
	if !slices.Equal(p.Capacity, []planner.Capacity{want}) || p.Shortfall() {
		t.Errorf("Capacity %+v (shortfall %v), want %+v", p.Capacity, p.Shortfall(), want)
	}
	if got := statuses(p); !slices.Equal(got, []planner.Status{planner.StatusUnchanged, planner.StatusUnchanged,
		planner.StatusPlanned, planner.StatusUnchanged, planner.StatusUnchanged}) || p.NumChanges() != 1 {
		t.Errorf("statuses %v in %d changes, want the third row alone planned", got, p.NumChanges())
	}

	// Without reads the same file falls short: every row counts as a seat.
	_, err = planner.Build(t.Context(), strings.NewReader("user,sku,remove_sku,excluded_plans\n"+in), cat, planner.Options{DefaultCustomer: custA})
	var short *planner.ShortfallError
	if !errors.As(err, &short) || short.Capacity[0].Needed != 5 || short.Capacity[0].Shortfall != 4 {
		t.Errorf("without reads: %v, want a shortfall of 4", err)
	}
}

// TestBuildShortfallCountsSeatsNeeded: with reads, a shortfall is the seats needed
// less the units available, in the plan and in the error that tells it.
func TestBuildShortfallCountsSeatsNeeded(t *testing.T) {
	var users []client.User
	in := "user,sku,remove_sku,excluded_plans\n"
	for i := range 5 {
		u := plannertest.ActiveUser(plannertest.ObjectID(i), plannertest.UserName(i))
		if i < 3 {
			u = plannertest.Holding(u, plannertest.AADPremiumP1ID)
		}
		users = append(users, u)
		in += u.PrincipalName + ",AAD_PREMIUM,,\n"
	}
	cat := plannertest.NewCatalogue(plannertest.SampleSkus())
	cat.Default[0].Available = 1 // AAD P1: two seats needed
	p, err := planner.Build(t.Context(), strings.NewReader(in), cat, planner.Options{DefaultCustomer: custA, Users: directoryOf(users...)})
	var short *planner.ShortfallError
	if !errors.As(err, &short) || p == nil || !p.Shortfall() {
		t.Fatalf("Build = %v, %v; want the plan with a *ShortfallError", p, err)
	}
	want := planner.Capacity{Customer: custA, SkuID: plannertest.AADPremiumP1ID, SkuName: "Azure Active Directory Premium P1",
		SkuPartNumber: "AAD_PREMIUM", LicenseGroup: "group1", Available: 1, Requested: 5, Held: 3, Needed: 2, Granted: 2, LeftAfter: -1, Shortfall: 1}
	if !slices.Equal(short.Capacity, []planner.Capacity{want}) {
		t.Errorf("ShortfallError.Capacity = %+v, want %+v", short.Capacity, want)
	}
	if msg := err.Error(); !strings.Contains(msg, "is 1 short: 1 available, 2 needed") {
		t.Errorf("Error() = %q, want the 2 seats needed", msg)
	}
}

// TestBuildUndoesEachChange: the rows that undo a change restore what the user held,
// and nothing the change does not do.
func TestBuildUndoesEachChange(t *testing.T) {
	undo := func(sku, remove string, plans ...string) report.RollbackRow {
		return report.RollbackRow{Customer: custA, User: amyID, Sku: sku, RemoveSku: remove, ExcludedPlans: plans}
	}
	e3, e5, aad := plannertest.E3ID, plannertest.E5ID, plannertest.AADPremiumP1ID
	sway, yammer := plannertest.SwayPlanID, plannertest.YammerPlanID
	tests := []struct {
		name   string
		held   client.User
		in     string // rows for amy after the header user,sku,remove_sku,excluded_plans
		undo   []report.RollbackRow
		status planner.Status
	}{
		{"a new assignment is removed", plannertest.ActiveUser(amyID, "amy@contoso.com"),
			"amy@contoso.com,ENTERPRISEPREMIUM,,\n", []report.RollbackRow{undo("", e5)}, planner.StatusPlanned},
		{"held with the same plans: nothing sent", holding(amyID, "amy@contoso.com", e3, sway),
			"amy@contoso.com,ENTERPRISEPACK,,Sway\n", nil, planner.StatusUnchanged},
		{"held, the row naming no plans: nothing sent", holding(amyID, "amy@contoso.com", e3, sway),
			"amy@contoso.com,ENTERPRISEPACK,,\n", nil, planner.StatusUnchanged},
		{"the same plans in other case and order: nothing sent", holding(amyID, "amy@contoso.com", e3, sway, yammer),
			"amy@contoso.com,ENTERPRISEPACK,,yammer_enterprise; SWAY\n", nil, planner.StatusUnchanged},
		{"held with other plans: the plans restored", holding(amyID, "amy@contoso.com", e3, sway),
			"amy@contoso.com,ENTERPRISEPACK,,Yammer Enterprise\n", []report.RollbackRow{undo(e3, "", sway)}, planner.StatusPlanned},
		{"a removal is assigned back with the plans the user had", holding(amyID, "amy@contoso.com", e5, sway),
			"amy@contoso.com,,ENTERPRISEPREMIUM,\n", []report.RollbackRow{undo(e5, "", sway)}, planner.StatusPlanned},
		{"a swap is swapped back in one row", holding(amyID, "amy@contoso.com", e3),
			"amy@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n", []report.RollbackRow{undo(e3, e5)}, planner.StatusPlanned},
		{"two new SKUs: two removals", plannertest.ActiveUser(amyID, "amy@contoso.com"),
			"amy@contoso.com,ENTERPRISEPREMIUM,,\namy@contoso.com,AAD_PREMIUM,,\n", []report.RollbackRow{undo("", e5), undo("", aad)}, planner.StatusPlanned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := readPlan(t, tt.in, directoryOf(tt.held), planner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range p.NumRows() {
				if r := p.Row(i); r.Status != tt.status {
					t.Errorf("row %d = %q %q, want %q", i, r.Status, r.Reason, tt.status)
				}
			}
			if tt.undo == nil {
				if p.NumChanges() != 0 {
					t.Errorf("%d changes, want none", p.NumChanges())
				}
				return
			}
			if p.NumChanges() != 1 {
				t.Fatalf("%d changes, want 1", p.NumChanges())
			}
			c := p.Change(0)
			names := p.SkuNames()
			for i := range tt.undo {
				tt.undo[i].Lines = []int{2, 3}[:len(c.Rows)]
				tt.undo[i].SkuName, tt.undo[i].RemoveSkuName = names[tt.undo[i].Sku], names[tt.undo[i].RemoveSku]
			}
			if !reflect.DeepEqual(c.Undo, tt.undo) {
				t.Errorf("undo of %+v =\n %+v\nwant\n %+v", c.Change, c.Undo, tt.undo)
			}
		})
	}
}

// TestBuildMergesOneUserNamedTwoWays: a user named by object ID in some rows and by
// principal name in others gets one change per license group, with a warning, and
// is counted once.
func TestBuildMergesOneUserNamedTwoWays(t *testing.T) {
	for _, kind := range directoryKinds {
		t.Run(kind.name, func(t *testing.T) {
			testMergesOneUserNamedTwoWays(t, kind.directory(plannertest.ActiveUser(amyID, "amy@contoso.com"), plannertest.ActiveUser(bobID, "bob@contoso.com")))
		})
	}
}

func testMergesOneUserNamedTwoWays(t *testing.T, dir *plannertest.Directory) {
	in := "amy@contoso.com,ENTERPRISEPACK,,\n" + // 2
		amyID + ",AAD_PREMIUM,,\n" + // 3: amy by object ID, group 1 again
		amyID + ",Minecraft Education Edition Faculty,,\n" + // 4: group 2: a change of its own anyway
		"bob@contoso.com,ENTERPRISEPACK,,\n" + // 5
		"BOB@contoso.com,AAD_PREMIUM,,\n" + // 6: the same name in another case
		"AMY@contoso.com,ENTERPRISEPACK,,\n" // 7: a duplicate of line 2 under the other name
	p, err := readPlan(t, in, dir, planner.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := []planner.Warning{
		{Line: 3, Message: "line 3 names the same user as line 2 (" + amyID + " is amy@contoso.com): their changes are merged into one request"},
		{Line: 7, Message: `duplicate of line 2 (same customer, user and SKU "Office 365 Enterprise E3" (ENTERPRISEPACK)): lines 2 and 7 are merged into one request`},
	}
	if !slices.Equal(p.Warnings, want) {
		t.Errorf("warnings:\n got %+v\nwant %+v", p.Warnings, want)
	}
	wantChanges := [][]int{{0, 1, 5}, {2}, {3, 4}}
	var got [][]int
	for _, c := range allChanges(p) {
		got = append(got, c.Rows)
	}
	if !reflect.DeepEqual(got, wantChanges) {
		t.Fatalf("change rows %v, want %v", got, wantChanges)
	}
	amy := p.Change(0)
	if amy.User != amyID || !reflect.DeepEqual(amy.Assign, []client.Assignment{{SkuID: plannertest.E3ID}, {SkuID: plannertest.AADPremiumP1ID}}) {
		t.Errorf("amy's change = %+v, want E3 and AAD P1 for %s", amy.Change, amyID)
	}
	if len(amy.Undo) != 2 || !slices.Equal(amy.Undo[0].Lines, []int{2, 3, 7}) {
		t.Errorf("amy's undo = %+v, want two removals of lines 2, 3 and 7", amy.Undo)
	}
	for _, c := range p.Capacity {
		if c.SkuID == plannertest.E3ID && (c.Requested != 2 || c.Needed != 2) {
			t.Errorf("E3 capacity %+v: amy's two names count once", c)
		}
	}
}

// TestBuildContradictionsAcrossNames: rows that contradict each other under two names
// of one user are problems, each naming its line.
func TestBuildContradictionsAcrossNames(t *testing.T) {
	for _, kind := range directoryKinds {
		t.Run(kind.name, func(t *testing.T) {
			testContradictionsAcrossNames(t, kind.directory(plannertest.Holding(plannertest.ActiveUser(amyID, "alice@contoso.com"), plannertest.E5ID)))
		})
	}
}

func testContradictionsAcrossNames(t *testing.T, dir *plannertest.Directory) {
	in := "alice@contoso.com,ENTERPRISEPREMIUM,,\n" + // 2
		amyID + ",,ENTERPRISEPREMIUM,\n" + // 3: loses what line 2 gives
		"ALICE@contoso.com,ENTERPRISEPACK,,Sway\n" + // 4
		amyID + ",ENTERPRISEPACK,,TEAMS1\n" // 5: other plans than line 4
	p, err := readPlan(t, in, dir, planner.Options{})
	got := problems(t, p, err)
	want := []planner.Problem{
		{Line: 3, Column: "remove_sku", Value: "ENTERPRISEPREMIUM", Message: `remove_sku "ENTERPRISEPREMIUM": line 2 assigns "Office 365 Enterprise E5" (ENTERPRISEPREMIUM) to this user: a user cannot both get and lose a SKU`},
		{Line: 5, Column: "excluded_plans", Value: "TEAMS1", Message: `excluded_plans "TEAMS1": line 4 gives this user "Office 365 Enterprise E3" (ENTERPRISEPACK) with other excluded_plans; give both rows the same excluded_plans`},
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:%s\nwant%s", dump(got), dump(want))
	}
}

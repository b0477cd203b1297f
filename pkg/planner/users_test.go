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
)

// What becomes of rows for their users, once the plan has read them.

// TestBuildGivesUsageLocation: with Options.UsageLocation, the assignments of a user
// without one are planned, and their change sets it first; a change that assigns
// nothing does not.
func TestBuildGivesUsageLocation(t *testing.T) {
	fay := plannertest.Holding(plannertest.ActiveUser(xyzID, "fay@contoso.com"), plannertest.E3ID)
	fay.UsageLocation = ""
	dir := directoryOf(append(sampleUsers(), fay)...)
	in := "dor@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 2
		"amy@contoso.com,ENTERPRISEPACK,\n" + // 3: has a usage location
		"dor@contoso.com,,AAD_PREMIUM\n" + // 4: dor's change of line 2
		"Dor@Contoso.com,Minecraft Education Edition Faculty,\n" + // 5: group 2
		"fay@contoso.com,,ENTERPRISEPACK\n" // 6: a removal needs no usage location
	p, err := buildWith(t, "user,sku,remove_sku\n"+in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir, UsageLocation: " de "})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for i, r := range allRows(p) {
		if r.Status != planner.StatusPlanned {
			t.Errorf("row %d (%s) = %q %q, want planned", i, r.User, r.Status, r.Reason)
		}
	}
	want := []struct {
		user, location string
		rows           []int
	}{{dorID, "DE", []int{0, 2}}, {amyID, "", []int{1}}, {dorID, "DE", []int{3}}, {xyzID, "", []int{4}}}
	got := allChanges(p)
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if c := got[i]; c.User != w.user || c.UsageLocation != w.location || !slices.Equal(c.Rows, w.rows) {
			t.Errorf("change %d = user %s, usage location %q, rows %v; want %s, %q, %v", i, c.User, c.UsageLocation, c.Rows, w.user, w.location, w.rows)
		}
	}
}

// TestBuildSkipsEveryRowOfAUser checks that a user's rows share the user's fate: all of
// them skipped (in both license groups, in every spelling, duplicates too) or none, and
// that a user whose rows are all skipped gets no change.
func TestBuildSkipsEveryRowOfAUser(t *testing.T) {
	in := "user,sku,remove_sku\n" +
		"cal@contoso.com,ENTERPRISEPACK,\n" + // 2
		"amy@contoso.com,ENTERPRISEPACK,\n" + // 3
		"Cal@Contoso.com,ENTERPRISEPACK,\n" + // 4: duplicate of 2
		"cal@contoso.com,Minecraft Education Edition Faculty,\n" + // 5: group 2
		"zed@contoso.com,AAD_PREMIUM,ENTERPRISEPACK\n" + // 6
		"ZED@contoso.com,,ENTERPRISEPREMIUM\n" + // 7
		"amy@contoso.com,Minecraft Education Edition Faculty,\n" // 8
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: directoryOf(sampleUsers()...)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	byUser := map[string][]planner.Status{}
	for _, r := range allRows(p) {
		u := strings.ToLower(r.User)
		byUser[u] = append(byUser[u], r.Status)
	}
	want := map[string][]planner.Status{
		"cal@contoso.com": {planner.StatusSkipped, planner.StatusSkipped, planner.StatusSkipped},
		"zed@contoso.com": {planner.StatusSkipped, planner.StatusSkipped},
		"amy@contoso.com": {planner.StatusPlanned, planner.StatusPlanned},
	}
	if !reflect.DeepEqual(byUser, want) {
		t.Errorf("statuses by user = %v, want %v", byUser, want)
	}
	if p.NumChanges() != 2 {
		t.Fatalf("NumChanges = %d, want amy's two", p.NumChanges())
	}
	for _, c := range allChanges(p) {
		if c.User != amyID {
			t.Errorf("change for %s, whose rows are all skipped: %+v", c.User, c)
		}
	}
	// The duplicate's warning stays: it is about the file.
	if len(p.Warnings) != 1 || p.Warnings[0].Line != 4 {
		t.Errorf("warnings = %+v, want the duplicate on line 4", p.Warnings)
	}
	if c := p.Counts(); c[planner.StatusSkipped] != 5 || c[planner.StatusPlanned] != 2 {
		t.Errorf("Counts = %v, want 5 skipped and 2 planned", c)
	}
}

// TestBuildUserSkipsNeedNoSeats checks that capacity is counted after the reads: a
// shortfall disappears when the rows that caused it are skipped for their users, and
// under ShortfallPartial units go to the rows that will be sent.
func TestBuildUserSkipsNeedNoSeats(t *testing.T) {
	in := "user,sku,remove_sku\n" +
		"zed@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 2: not found
		"cal@contoso.com,ENTERPRISEPREMIUM,\n" + // 3: inactive
		"amy@contoso.com,ENTERPRISEPREMIUM,\n" + // 4
		"dor@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 5: no usage location
		"bob@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" // 6: holds E3
	catalogue := func(e5 int) *plannertest.Catalogue {
		cat := plannertest.NewCatalogue(plannertest.SampleSkus())
		cat.Default[5].Available = e5
		return cat
	}
	e5 := planner.Capacity{Customer: custA, SkuID: plannertest.E5ID, SkuName: "Office 365 Enterprise E5", SkuPartNumber: "ENTERPRISEPREMIUM",
		LicenseGroup: "group1", Available: 2, Requested: 2, Needed: 2, Granted: 2, LeftAfter: 0}
	e3 := planner.Capacity{Customer: custA, SkuID: plannertest.E3ID, SkuName: "Office 365 Enterprise E3", SkuPartNumber: "ENTERPRISEPACK",
		LicenseGroup: "group1", Available: 500, Freed: 1, LeftAfter: 501}

	// Without reads, the file falls short.
	if _, err := buildWith(t, in, catalogue(2), planner.Options{DefaultCustomer: custA}); !errors.As(err, new(*planner.ShortfallError)) {
		t.Fatalf("without Users: error %v, want a *ShortfallError", err)
	}
	for _, policy := range []planner.Shortfall{planner.ShortfallAbort, planner.ShortfallPartial} {
		p, err := buildWith(t, in, catalogue(2), planner.Options{DefaultCustomer: custA, Shortfall: policy, Users: directoryOf(sampleUsers()...)})
		if err != nil {
			t.Fatalf("policy %s: Build: %v", policy, err)
		}
		if p.Shortfall() {
			t.Errorf("policy %s: Shortfall() = true, want false", policy)
		}
		if want := []planner.Capacity{e3, e5}; !slices.Equal(p.Capacity, want) {
			t.Errorf("policy %s: Capacity:\n got %+v\nwant %+v", policy, p.Capacity, want)
		}
		var planned []int
		for _, r := range allRows(p) {
			if r.Status == planner.StatusPlanned {
				planned = append(planned, r.Line)
			} else if strings.HasPrefix(r.Reason, "insufficient") {
				t.Errorf("policy %s: line %d skipped for shortfall: %q", policy, r.Line, r.Reason)
			}
		}
		if !slices.Equal(planned, []int{4, 6}) {
			t.Errorf("policy %s: planned lines %v, want [4 6]", policy, planned)
		}
	}

	// Under ShortfallPartial, with one E5 unit, the first row that will be sent gets it:
	// line 4, not line 2 or 3 before it.
	p, err := buildWith(t, in, catalogue(1), planner.Options{DefaultCustomer: custA, Shortfall: planner.ShortfallPartial, Users: directoryOf(sampleUsers()...)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	const short = "insufficient licenses: Office 365 Enterprise E5 has 1 available, 2 needed"
	if r := p.Row(2); r.Status != planner.StatusPlanned {
		t.Errorf("line 4 = %q %q, want planned", r.Status, r.Reason)
	}
	if r := p.Row(4); r.Status != planner.StatusSkipped || r.Reason != short {
		t.Errorf("line 6 = %q %q, want skipped for %q", r.Status, r.Reason, short)
	}
	if r := p.Row(0); !strings.HasPrefix(r.Reason, "user not found") {
		t.Errorf("line 2 reason %q, want the user's, not the shortfall's", r.Reason)
	}
}

// TestBuildUserIDAsListed checks that Row.UserID, and the user a change addresses, is
// the object ID exactly as the directory writes it, in whatever case and form.
func TestBuildUserIDAsListed(t *testing.T) {
	upper := plannertest.ActiveUser(strings.ToUpper(amyID), "up@contoso.com")
	odd := plannertest.ActiveUser("not-a-guid", "odd@contoso.com")
	spaced := plannertest.ActiveUser(" "+bobID+" ", "spaced@contoso.com")
	lower := plannertest.ActiveUser(calID, "low@contoso.com")
	in := "user,sku\nup@contoso.com,ENTERPRISEPACK\nodd@contoso.com,ENTERPRISEPACK\nspaced@contoso.com,ENTERPRISEPACK\n" +
		"low@contoso.com,ENTERPRISEPACK\n" + strings.ToUpper(calID) + ",AAD_PREMIUM\n"
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: directoryOf(upper, odd, spaced, lower)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for i, want := range []string{strings.ToUpper(amyID), "not-a-guid", bobID, calID, calID} {
		r := p.Row(i)
		if r.UserID != want || r.Status != planner.StatusPlanned || p.Change(r.Change).User != want {
			t.Errorf("row %d (%s): %q, UserID %q, change for %q; want planned, %q", i, r.User, r.Status, r.UserID, p.Change(r.Change).User, want)
		}
	}
}

func TestRowUserIDWithoutDirectory(t *testing.T) {
	p := mustPlan(t, "user,sku\namy@contoso.com,ENTERPRISEPACK\n"+strings.ToUpper(amyID)+",ENTERPRISEPACK\n")
	if r := p.Row(0); r.UserID != "" {
		t.Errorf("user principal name: UserID %q, want empty", r.UserID)
	}
	if r := p.Row(1); r.UserID != strings.ToUpper(amyID) {
		t.Errorf("object ID: UserID %q, want the ID as written", r.UserID)
	}
	if p.UsersRead || p.Reads != (planner.ReadStats{}) {
		t.Errorf("UsersRead %v, Reads %+v without Users, want false and none", p.UsersRead, p.Reads)
	}
	for _, c := range allChanges(p) {
		if c.Undo != nil || c.User != p.Row(c.Rows[0]).User {
			t.Errorf("change %+v: without reads, no undo rows and the user as written", c)
		}
	}
}

// TestBuildReadsUsersOfGeneratedFile reads the users of a generated file from a
// generated directory that leaves out, deactivates or unlocates some users: each row's
// status follows its user, and the changes carry the planned rows.
func TestBuildReadsUsersOfGeneratedFile(t *testing.T) {
	in := generated(t, 20_000) // some 9,500 users a customer: listed, at either API's costs
	for _, tc := range []struct {
		kind   directoryKind
		listed bool // the directory is listed (else looked up: 9,500 users are 634 Graph lookups)
	}{{directoryKind{"Partner Center", partnerCenterCosts, false}, true}, {directoryKind{"Graph", graphCosts, false}, false}} {
		kind := tc.kind
		t.Run(kind.name, func(t *testing.T) {
			dir := directoryFor(t, strings.NewReader(string(in)), "", 7)
			dir.Costs = kind.costs
			cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 1_000_000))
			p, err := planner.Build(t.Context(), strings.NewReader(string(in)), cat, planner.Options{Users: dir})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if r := dir.Reads(benchCustomers[0]); (r.Pages >= 2) != tc.listed || p.Reads.Reads != dir.TotalCalls() {
				t.Errorf("reads %+v of %s, %d in all (the plan counted %d): want a listing of several pages %v", r, benchCustomers[0], dir.TotalCalls(), p.Reads.Reads, tc.listed)
			}
			checkGeneratedRows(t, p, dir)
		})
	}
}

// checkGeneratedRows checks each row of a plan of a generated file against its user.
func checkGeneratedRows(t *testing.T, p *planner.Plan, dir *plannertest.Directory) {
	t.Helper()
	listed := map[string]client.User{} // customer + lower-case user principal name
	for _, c := range benchCustomers {
		for _, u := range dir.Users(c) {
			listed[c+" "+u.PrincipalName] = u
		}
	}
	counts := map[string]int{}
	for i := range p.NumRows() {
		r := p.Row(i)
		u, ok := listed[r.Customer+" "+strings.ToLower(r.User)]
		want, kind := planner.StatusPlanned, "planned"
		switch {
		case !ok:
			want, kind = planner.StatusSkipped, "not found"
		case u.State != "active":
			want, kind = planner.StatusSkipped, "inactive"
		case r.Sku == "":
			want, kind = planner.StatusUnchanged, "removal of a license not held" // the generated users hold nothing
		case u.UsageLocation == "":
			want, kind = planner.StatusSkipped, "no location"
		}
		counts[kind]++
		if r.Status != want || ok && r.UserID != u.ID || !ok && r.UserID != "" {
			t.Fatalf("row %d = %+v; want %q, user %+v (listed %v)", i, r, want, u, ok)
		}
	}
	for _, k := range []string{"planned", "not found", "inactive", "no location", "removal of a license not held"} {
		if counts[k] == 0 {
			t.Errorf("no row of kind %q: the test does not cover it", k)
		}
	}
	carried := 0
	for c := range p.NumChanges() {
		ch := p.Change(c)
		for _, ri := range ch.Rows {
			if r := p.Row(ri); r.Status != planner.StatusPlanned || r.Change != c || ch.User != r.UserID {
				t.Fatalf("change %d (%s) carries row %d = %+v", c, ch.User, ri, r)
			}
			carried++
		}
	}
	if carried != counts["planned"] {
		t.Errorf("%d rows in changes, want the %d planned", carried, counts["planned"])
	}
}

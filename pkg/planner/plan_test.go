package planner_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestBuildResolvesSkusAndServicePlans(t *testing.T) {
	const (
		sharePointID = "5dbe027f-2339-4123-9542-606e4d348a72"
	)
	tests := []struct {
		name     string
		sku      string
		excluded string
		skuID    string
		planIDs  []string
	}{
		{"product name", "Office 365 Enterprise E3", "", plannertest.E3ID, nil},
		{"product name in another case, with spaces", "  office 365 ENTERPRISE e3 ", "", plannertest.E3ID, nil},
		{"part number", "ENTERPRISEPREMIUM", "", plannertest.E5ID, nil},
		{"part number in lower case", "enterprisepremium", "", plannertest.E5ID, nil},
		{"product SKU ID", plannertest.E3ID, "", plannertest.E3ID, nil},
		{"product SKU ID in upper case", strings.ToUpper(plannertest.E5ID), "", plannertest.E5ID, nil},
		{"part number with a slash, group 2", "cfq7ttc0k5dr/0002", "", plannertest.MinecraftID, nil},
		{"plans by service name", "ENTERPRISEPACK", "SWAY;YAMMER_ENTERPRISE", plannertest.E3ID, []string{plannertest.SwayPlanID, plannertest.YammerPlanID}},
		{"plans by display name, any case", "ENTERPRISEPACK", "microsoft teams; SharePoint Online (Plan 2)", plannertest.E3ID, []string{plannertest.TeamsPlanID, sharePointID}},
		{"plans by ID", "ENTERPRISEPACK", strings.ToUpper(plannertest.SwayPlanID), plannertest.E3ID, []string{plannertest.SwayPlanID}},
		{"plans repeated and empty entries dropped", "ENTERPRISEPACK", "Sway;;SWAY; " + plannertest.SwayPlanID + ";", plannertest.E3ID, []string{plannertest.SwayPlanID}},
		{"only separators: no plans", "ENTERPRISEPACK", " ; ", plannertest.E3ID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "user,sku,excluded_plans\na@contoso.com,\"" + tt.sku + "\",\"" + tt.excluded + "\"\n"
			p := mustPlan(t, in)
			r := p.Row(0)
			if r.Sku != strings.TrimSpace(tt.sku) || r.SkuID != tt.skuID || !slices.Equal(r.ExcludedPlanIDs, tt.planIDs) {
				t.Errorf("row: sku %q, ID %q, excluded %q; want %q, %q, %q", r.Sku, r.SkuID, r.ExcludedPlanIDs, strings.TrimSpace(tt.sku), tt.skuID, tt.planIDs)
			}
			want := client.Change{Customer: custA, User: "a@contoso.com", Group: r.LicenseGroup,
				Assign: []client.Assignment{{SkuID: tt.skuID, DisabledPlans: tt.planIDs}}}
			if got := p.Change(0); !reflect.DeepEqual(got.Change, want) || got.Undo != nil {
				t.Errorf("change = %#v, want %#v and no undo rows (users not read)", got, want)
			}
		})
	}
}

func TestBuildGroupsRequestsPerUserAndLicenseGroup(t *testing.T) {
	in := "user,sku,remove_sku,excluded_plans\n" +
		"amy@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,SWAY\n" + // 2: amy group1 (swap)
		"bob@contoso.com,Minecraft Education Edition Faculty,,\n" + // 3: bob group2
		"AMY@Contoso.COM,AAD_PREMIUM,,\n" + // 4: amy group1, another spelling
		"bob@contoso.com,ENTERPRISEPACK,,\n" + // 5: bob group1
		"amy@contoso.com,minecraft education edition faculty,,\n" + // 6: amy group2
		"cat@contoso.com,,ENTERPRISEPACK,\n" // 7: cat group1, removal only
	p := mustPlan(t, in)
	change := func(user, group string, rows []int, assign []client.Assignment, remove ...string) planner.Change {
		return planner.Change{Change: client.Change{Customer: custA, User: user, Group: group, Assign: assign, Remove: remove}, Rows: rows}
	}
	want := []planner.Change{
		change("amy@contoso.com", "group1", []int{0, 2},
			[]client.Assignment{{SkuID: plannertest.E5ID, DisabledPlans: []string{plannertest.SwayPlanID}}, {SkuID: plannertest.AADPremiumP1ID}},
			plannertest.E3ID),
		change("bob@contoso.com", "group2", []int{1}, []client.Assignment{{SkuID: plannertest.MinecraftID}}),
		change("bob@contoso.com", "group1", []int{3}, []client.Assignment{{SkuID: plannertest.E3ID}}),
		change("amy@contoso.com", "group2", []int{4}, []client.Assignment{{SkuID: plannertest.MinecraftID}}),
		change("cat@contoso.com", "group1", []int{5}, nil, plannertest.E3ID),
	}
	if got := allChanges(p); !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %+v\nwant %+v", got, want)
	}
	wantRowChanges := []int{0, 1, 0, 2, 3, 4}
	var gotRowChanges []int
	for _, r := range allRows(p) {
		gotRowChanges = append(gotRowChanges, r.Change)
	}
	if !slices.Equal(gotRowChanges, wantRowChanges) {
		t.Errorf("Row.Change = %v, want %v", gotRowChanges, wantRowChanges)
	}
	if got, want := p.ChangesPerGroup(), map[string]int{"group1": 3, "group2": 2}; !maps.Equal(got, want) {
		t.Errorf("ChangesPerGroup = %v, want %v", got, want)
	}
	if r := p.Row(2); r.User != "AMY@Contoso.COM" || r.Sku != "AAD_PREMIUM" || r.LicenseGroup != "group1" {
		t.Errorf("row 2 = %+v, want the user and SKU as written", r)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings %+v, want none", p.Warnings)
	}
}

func TestBuildMergesDuplicateRows(t *testing.T) {
	in := "user,sku,remove_sku,excluded_plans\n" +
		"amy@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,Sway\n" + // 2
		"bob@contoso.com,ENTERPRISEPREMIUM,,\n" + // 3
		"Amy@Contoso.com,Office 365 Enterprise E5,,SWAY\n" + // 4: duplicate of 2 (assignment)
		"amy@contoso.com,,Office 365 Enterprise E3,\n" + // 5: duplicate of 2 (removal)
		"amy@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,sway\n" // 6: duplicate of 2 (both)
	p := mustPlan(t, in)
	if p.NumChanges() != 2 {
		t.Fatalf("NumChanges = %d, want 2", p.NumChanges())
	}
	amy := p.Change(0)
	wantAssign := []client.Assignment{{SkuID: plannertest.E5ID, DisabledPlans: []string{plannertest.SwayPlanID}}}
	if !reflect.DeepEqual(amy.Assign, wantAssign) || !slices.Equal(amy.Remove, []string{plannertest.E3ID}) || !slices.Equal(amy.Rows, []int{0, 2, 3, 4}) {
		t.Errorf("amy's change = rows %v, assign %+v, remove %v; want rows [0 2 3 4], assign %+v, remove [E3]", amy.Rows, amy.Assign, amy.Remove, wantAssign)
	}
	for _, i := range []int{0, 2, 3, 4} {
		if r := p.Row(i); r.Status != planner.StatusPlanned || r.Change != 0 {
			t.Errorf("row %d: status %q, change %d; want planned in change 0", i, r.Status, r.Change)
		}
	}
	wantWarnings := []planner.Warning{
		{Line: 4, Message: `duplicate of line 2 (same customer, user and SKU "Office 365 Enterprise E5" (ENTERPRISEPREMIUM)): lines 2 and 4 are merged into one request`},
		{Line: 5, Message: `duplicate of line 2 (same customer, user and SKU "Office 365 Enterprise E3" (ENTERPRISEPACK)): lines 2 and 5 are merged into one request`},
		{Line: 6, Message: `duplicate of line 2 (same customer, user and SKU "Office 365 Enterprise E5" (ENTERPRISEPREMIUM)): lines 2 and 6 are merged into one request`},
	}
	if !slices.Equal(p.Warnings, wantWarnings) {
		t.Errorf("warnings:\n got %+v\nwant %+v", p.Warnings, wantWarnings)
	}
	// Units are counted once per user and SKU.
	for _, c := range p.Capacity {
		switch c.SkuID {
		case plannertest.E5ID:
			if c.Requested != 2 || c.Needed != 2 || c.Held != 0 {
				t.Errorf("E5 requested %d, needed %d, held %d; want 2 (amy and bob), 2, 0", c.Requested, c.Needed, c.Held)
			}
		case plannertest.E3ID:
			if c.Freed != 1 || c.Requested != 0 {
				t.Errorf("E3 freed %d, requested %d; want 1 and 0", c.Freed, c.Requested)
			}
		}
	}
}

func TestBuildFetchesEachCustomerOnce(t *testing.T) {
	upperB := strings.ToUpper(custB)
	in := "user,sku,customer\n" +
		"a1@a.com,ENTERPRISEPACK," + custA + "\n" +
		"b1@b.com,AAD_PREMIUM," + upperB + "\n" +
		"c1@c.com,ENTERPRISEPREMIUM,\n" + // the default customer, custC
		"a2@a.com,ENTERPRISEPREMIUM," + custA + "\n" +
		"b2@b.com,AAD_PREMIUM," + custB + "\n" +
		"a3@a.com,ENTERPRISEPACK,  " + custA + "  \n" +
		"c2@c.com,ENTERPRISEPACK," + custC + "\n"
	cat := sampleCatalogue()
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custC})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for _, c := range []string{custA, custB, custC} {
		if n := cat.Calls(c); n != 1 {
			t.Errorf("catalogue calls for %s = %d, want 1", c, n)
		}
	}
	if n := cat.TotalCalls(); n != 3 {
		t.Errorf("catalogue calls = %d, want 3", n)
	}
	if want := []string{custA, upperB, custC}; !slices.Equal(p.Customers, want) {
		t.Errorf("Customers = %q, want %q", p.Customers, want)
	}
	var gotCap []string
	for _, c := range p.Capacity {
		gotCap = append(gotCap, c.Customer+" "+c.SkuName)
	}
	wantCap := []string{
		custA + " Office 365 Enterprise E3", custA + " Office 365 Enterprise E5",
		upperB + " Azure Active Directory Premium P1",
		custC + " Office 365 Enterprise E3", custC + " Office 365 Enterprise E5",
	}
	if !slices.Equal(gotCap, wantCap) {
		t.Errorf("Capacity order:\n got %q\nwant %q", gotCap, wantCap)
	}
	if r := p.Row(4); r.Customer != custB || p.Change(r.Change).Customer != upperB {
		t.Errorf("row 4 customer %q, its change's %q; want %q as written and %q as first written", r.Customer, p.Change(r.Change).Customer, custB, upperB)
	}
	if r := p.Row(2); r.Customer != custC {
		t.Errorf("row 2 customer %q, want the default %q", r.Customer, custC)
	}
}

func TestBuildCatalogueFailure(t *testing.T) {
	cat := sampleCatalogue()
	boom := errors.New("tenant not found")
	cat.Fail(custB, boom)
	in := "user,sku,customer\na@a.com,ENTERPRISEPACK," + custA + "\nb@b.com,ENTERPRISEPACK," + custB + "\n"
	p, err := buildWith(t, in, cat, planner.Options{})
	if p != nil || !errors.Is(err, boom) {
		t.Fatalf("Build = %v, %v; want no plan and an error wrapping %v", p, err, boom)
	}
	var ie *planner.InputError
	if errors.As(err, &ie) {
		t.Errorf("a fetch failure is an InputError: %v", err)
	}
	if want := "get subscribed skus for customer " + custB + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
}

func TestBuildLeavesOutDoneRows(t *testing.T) {
	in := "user,sku,remove_sku,excluded_plans,customer\n" +
		"  a@a.com , ENTERPRISEPACK ,,,\n" + // 2: done
		"b@a.com,ENTERPRISEPACK,,,\n" + // 3
		"c@a.com,ENTERPRISEPREMIUM,ENTERPRISEPACK, Sway ,\n" + // 4: done
		"d@b.com,ENTERPRISEPACK,,," + custB + "\n" + // 5: done; custB has no other row
		"e@a.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,,\n" // 6
	type call struct {
		line int
		key  string
	}
	var calls []call
	done := map[string]bool{
		report.RowKey(custA, "a@a.com", "ENTERPRISEPACK", "", ""):                      true,
		report.RowKey(custA, "c@a.com", "ENTERPRISEPREMIUM", "ENTERPRISEPACK", "Sway"): true,
		report.RowKey(custB, "d@b.com", "ENTERPRISEPACK", "", ""):                      true,
	}
	cat := sampleCatalogue()
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Done: func(line int, key string) bool {
		calls = append(calls, call{line, key})
		return done[key]
	}})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(calls) != 5 || calls[0] != (call{2, report.RowKey(custA, "a@a.com", "ENTERPRISEPACK", "", "")}) {
		t.Errorf("Done calls = %+v, want one per row, with its line and the key of its trimmed values and the default customer", calls)
	}
	for i, c := range calls {
		if c.line != []int{2, 3, 4, 5, 6}[i] {
			t.Errorf("Done call %d for line %d, want the lines in file order", i, c.line)
		}
	}
	if p.Resumed != 3 {
		t.Errorf("Resumed = %d, want 3", p.Resumed)
	}
	var lines []int
	for _, r := range allRows(p) {
		lines = append(lines, r.Line)
		// A row's key is the key Done was given for it: a resumed run finds it.
		if i := slices.IndexFunc(calls, func(c call) bool { return c.line == r.Line }); i < 0 || calls[i].key != r.Key() || r.Result().RowKey != r.Key() {
			t.Errorf("line %d: Row.Key %q is not the key Done was given", r.Line, r.Key())
		}
	}
	if !slices.Equal(lines, []int{3, 6}) || p.NumChanges() != 2 {
		t.Errorf("planned lines %v in %d changes, want [3 6] in 2", lines, p.NumChanges())
	}
	if n := cat.Calls(custB); n != 0 || !slices.Equal(p.Customers, []string{custA}) {
		t.Errorf("customer with only done rows: %d catalogue calls, Customers %q; want 0 calls and only %s", n, p.Customers, custA)
	}
	for _, c := range p.Capacity {
		if c.SkuID == plannertest.E3ID && (c.Requested != 1 || c.Freed != 1) {
			t.Errorf("E3 capacity %+v: done rows must not count", c)
		}
	}
}

func TestBuildStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var in strings.Builder
	in.WriteString("user,sku\n")
	for i := range 5000 {
		fmt.Fprintf(&in, "u%d@contoso.com,ENTERPRISEPACK\n", i)
	}
	calls := 0
	cat := sampleCatalogue()
	p, err := planner.Build(ctx, strings.NewReader(in.String()), cat, planner.Options{DefaultCustomer: custA,
		Done: func(int, string) bool {
			calls++
			cancel()
			return true // no row needs the catalogue: only Build's own check can stop it
		}})
	if p != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Build = %v, %v; want context.Canceled", p, err)
	}
	if calls >= 5000 {
		t.Errorf("Build read all %d rows after the context was canceled", calls)
	}
}

func TestPlanAccessorsReturnCopies(t *testing.T) {
	p := mustPlan(t, "user,sku,excluded_plans\na@contoso.com,ENTERPRISEPACK,SWAY\n")
	r := p.Row(0)
	r.ExcludedPlanIDs[0] = "changed"
	u := p.Change(0)
	u.Assign[0].DisabledPlans[0] = "changed"
	u.Rows[0] = 42
	if got := p.Row(0).ExcludedPlanIDs[0]; got != plannertest.SwayPlanID {
		t.Errorf("Row's excluded plans changed through a copy: %q", got)
	}
	if got := p.Change(0); got.Assign[0].DisabledPlans[0] != plannertest.SwayPlanID || got.Rows[0] != 0 {
		t.Errorf("Change changed through a copy: %+v", got)
	}
}

// TestBuildGeneratedFile plans a generated file large enough to span several chunks of
// the plan's storage and checks every row and update against a plain reading of the file.
func TestBuildGeneratedFile(t *testing.T) {
	const n = 70_000
	in := generated(t, n)
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 1_000_000))
	p, err := planner.Build(context.Background(), strings.NewReader(string(in)), cat, planner.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(in), "\n"), "\n")[1:]
	if p.NumRows() != n || len(lines) != n {
		t.Fatalf("NumRows = %d, file rows %d, want %d", p.NumRows(), len(lines), n)
	}
	type key struct{ customer, user, group string }
	firstRow := map[key]int{}
	var order []key
	for i, l := range lines {
		f := strings.Split(l, ",")
		r := p.Row(i)
		if r.Line != i+2 || r.User != f[0] || r.Sku != f[1] || r.RemoveSku != f[2] || r.Customer != f[4] || r.Status != planner.StatusPlanned {
			t.Fatalf("row %d = %+v, want line %d of %q", i, r, i+2, l)
		}
		k := key{r.Customer, strings.ToLower(r.User), r.LicenseGroup}
		if _, ok := firstRow[k]; !ok {
			firstRow[k] = i
			order = append(order, k)
		}
	}
	if p.NumChanges() != len(order) {
		t.Fatalf("NumChanges = %d, want %d", p.NumChanges(), len(order))
	}
	for u, k := range order {
		upd := p.Change(u)
		if upd.Rows[0] != firstRow[k] || upd.Customer != k.customer || strings.ToLower(upd.User) != k.user || upd.Group != k.group {
			t.Fatalf("change %d = %+v, want the one of row %d (%v)", u, upd, firstRow[k], k)
		}
		for _, ri := range upd.Rows {
			if p.Row(ri).Change != u {
				t.Fatalf("change %d carries row %d, whose Change is %d", u, ri, p.Row(ri).Change)
			}
		}
	}
	if cat.TotalCalls() != len(benchCustomers) {
		t.Errorf("catalogue calls = %d, want %d", cat.TotalCalls(), len(benchCustomers))
	}
}

func TestBuildToleratesCatalogueQuirks(t *testing.T) {
	skus := plannertest.SampleSkus()
	noID := skus[1]
	noID.ID = ""
	noID.Name = "Office 365 Enterprise E3"
	// E3 listed twice, and a SKU without an ID named like E3: neither makes E3 ambiguous.
	cat := plannertest.NewCatalogue(append(skus, skus[4], noID))
	p, err := buildWith(t, "user,sku\na@contoso.com,Office 365 Enterprise E3\n", cat, planner.Options{DefaultCustomer: custA})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if r := p.Row(0); r.SkuID != plannertest.E3ID {
		t.Errorf("row = %+v, want E3", r)
	}
	if len(p.Capacity) != 1 || p.Capacity[0].Available != 500 {
		t.Errorf("Capacity = %+v, want E3 once", p.Capacity)
	}
}

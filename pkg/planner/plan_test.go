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
			want := client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{{SkuID: tt.skuID, ExcludedPlans: tt.planIDs}}}
			if got := p.Update(0).Body; !reflect.DeepEqual(got, want) {
				t.Errorf("body = %#v, want %#v", got, want)
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
	want := []planner.Update{
		{Customer: custA, User: "amy@contoso.com", LicenseGroup: "group1", Rows: []int{0, 2}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.E5ID, ExcludedPlans: []string{plannertest.SwayPlanID}}, {SkuID: plannertest.AADPremiumP1ID}},
			LicensesToRemove: []string{plannertest.E3ID},
		}},
		{Customer: custA, User: "bob@contoso.com", LicenseGroup: "group2", Rows: []int{1}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.MinecraftID}},
		}},
		{Customer: custA, User: "bob@contoso.com", LicenseGroup: "group1", Rows: []int{3}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.E3ID}},
		}},
		{Customer: custA, User: "amy@contoso.com", LicenseGroup: "group2", Rows: []int{4}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.MinecraftID}},
		}},
		{Customer: custA, User: "cat@contoso.com", LicenseGroup: "group1", Rows: []int{5}, Body: client.LicenseUpdate{
			LicensesToRemove: []string{plannertest.E3ID},
		}},
	}
	if got := allUpdates(p); !reflect.DeepEqual(got, want) {
		t.Errorf("updates:\n got %+v\nwant %+v", got, want)
	}
	wantRowUpdates := []int{0, 1, 0, 2, 3, 4}
	var gotRowUpdates []int
	for _, r := range allRows(p) {
		gotRowUpdates = append(gotRowUpdates, r.Update)
	}
	if !slices.Equal(gotRowUpdates, wantRowUpdates) {
		t.Errorf("Row.Update = %v, want %v", gotRowUpdates, wantRowUpdates)
	}
	if got, want := p.RequestsPerGroup(), map[string]int{"group1": 3, "group2": 2}; !maps.Equal(got, want) {
		t.Errorf("RequestsPerGroup = %v, want %v", got, want)
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
	if p.NumUpdates() != 2 {
		t.Fatalf("NumUpdates = %d, want 2", p.NumUpdates())
	}
	amy := p.Update(0)
	wantBody := client.LicenseUpdate{
		LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.E5ID, ExcludedPlans: []string{plannertest.SwayPlanID}}},
		LicensesToRemove: []string{plannertest.E3ID},
	}
	if !reflect.DeepEqual(amy.Body, wantBody) || !slices.Equal(amy.Rows, []int{0, 2, 3, 4}) {
		t.Errorf("amy's update = rows %v, body %+v; want rows [0 2 3 4], body %+v", amy.Rows, amy.Body, wantBody)
	}
	for _, i := range []int{0, 2, 3, 4} {
		if r := p.Row(i); r.Status != planner.StatusPlanned || r.Update != 0 {
			t.Errorf("row %d: status %q, update %d; want planned in update 0", i, r.Status, r.Update)
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
			if c.Requested != 2 {
				t.Errorf("E5 requested %d, want 2 (amy and bob)", c.Requested)
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
		if g := cat.Groups(c); !slices.Equal(g, []client.LicenseGroupID{client.Group1, client.Group2}) {
			t.Errorf("groups asked for %s = %v, want [Group1 Group2]", c, g)
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
	if r := p.Row(4); r.Customer != custB || p.Update(r.Update).Customer != upperB {
		t.Errorf("row 4 customer %q, its update's %q; want %q as written and %q as first written", r.Customer, p.Update(r.Update).Customer, custB, upperB)
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

func TestBuildShortfallAbort(t *testing.T) {
	in := "user,sku,remove_sku\n" +
		"a@contoso.com,AAD_PREMIUM,\n" +
		"b@contoso.com,AAD_PREMIUM,\n" +
		"c@contoso.com,AAD_PREMIUM,\n" +
		"d@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n"
	for _, policy := range []planner.Shortfall{"", planner.ShortfallAbort} {
		cat := plannertest.NewCatalogue(plannertest.SampleSkus())
		cat.Default[0].AvailableUnits = 2 // AAD P1
		p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Shortfall: policy})
		var short *planner.ShortfallError
		if !errors.As(err, &short) {
			t.Fatalf("policy %q: error %v, want *ShortfallError", policy, err)
		}
		if p == nil || p.NumRows() != 4 || p.NumUpdates() != 4 || !p.Shortfall() {
			t.Fatalf("policy %q: the full plan must come with the ShortfallError: %+v", policy, p)
		}
		for _, r := range allRows(p) {
			if r.Status != planner.StatusPlanned || r.Reason != "" {
				t.Errorf("row %d: %q %q, want planned", r.Line, r.Status, r.Reason)
			}
		}
		aad := planner.Capacity{Customer: custA, SkuID: plannertest.AADPremiumP1ID, SkuName: "Azure Active Directory Premium P1",
			SkuPartNumber: "AAD_PREMIUM", LicenseGroup: "group1", Available: 2, Requested: 3, Granted: 3, LeftAfter: -1, Shortfall: 1}
		if !slices.Equal(short.Capacity, []planner.Capacity{aad}) {
			t.Errorf("ShortfallError.Capacity = %+v, want %+v", short.Capacity, aad)
		}
		wantCap := []planner.Capacity{
			aad,
			{Customer: custA, SkuID: plannertest.E3ID, SkuName: "Office 365 Enterprise E3", SkuPartNumber: "ENTERPRISEPACK",
				LicenseGroup: "group1", Available: 500, Freed: 1, LeftAfter: 501},
			{Customer: custA, SkuID: plannertest.E5ID, SkuName: "Office 365 Enterprise E5", SkuPartNumber: "ENTERPRISEPREMIUM",
				LicenseGroup: "group1", Available: 200, Requested: 1, Granted: 1, LeftAfter: 199},
		}
		if !slices.Equal(p.Capacity, wantCap) {
			t.Errorf("Capacity:\n got %+v\nwant %+v", p.Capacity, wantCap)
		}
		want := "insufficient licenses: Azure Active Directory Premium P1 (AAD_PREMIUM) of customer " + custA + " is 1 short: 2 available, 3 requested"
		if err.Error() != want {
			t.Errorf("Error() = %q, want %q", err, want)
		}
	}
}

func TestBuildShortfallPartial(t *testing.T) {
	in := "user,sku,remove_sku\n" +
		"u1@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 2: granted (1 of 2)
		"u2@contoso.com,ENTERPRISEPREMIUM,\n" + // 3: granted (2 of 2)
		"u3@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 4: skipped, with its removal; u3 has no update
		"u4@contoso.com,ENTERPRISEPREMIUM,\n" + // 5: skipped
		"u5@contoso.com,AAD_PREMIUM,\n" + // 6: planned
		"u4@contoso.com,AAD_PREMIUM,\n" + // 7: planned: u4's update now starts here, after u5's
		"u2@contoso.com,Office 365 Enterprise E5,\n" + // 8: duplicate of line 3: granted with it
		"u4@contoso.com,ENTERPRISEPREMIUM,\n" // 9: duplicate of line 5: skipped with it
	cat := plannertest.NewCatalogue(plannertest.SampleSkus())
	cat.Default[5].AvailableUnits = 2 // E5
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Shortfall: planner.ShortfallPartial})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !p.Shortfall() {
		t.Error("Shortfall() = false, want true")
	}
	const reason = "insufficient licenses: Office 365 Enterprise E5 has 2 available, 4 requested"
	type rowWant struct {
		status planner.Status
		reason string
		update int
	}
	want := []rowWant{
		{planner.StatusPlanned, "", 0},
		{planner.StatusPlanned, "", 1},
		{planner.StatusSkipped, reason, -1},
		{planner.StatusSkipped, reason, -1},
		{planner.StatusPlanned, "", 2},
		{planner.StatusPlanned, "", 3},
		{planner.StatusPlanned, "", 1},
		{planner.StatusSkipped, reason, -1},
	}
	for i, w := range want {
		r := p.Row(i)
		if r.Status != w.status || r.Reason != w.reason || r.Update != w.update {
			t.Errorf("row %d (line %d) = %q %q update %d; want %q %q update %d", i, r.Line, r.Status, r.Reason, r.Update, w.status, w.reason, w.update)
		}
	}
	if r := p.Row(2); r.RemoveSkuID != plannertest.E3ID {
		t.Errorf("skipped swap row lost its removal SKU: %+v", r)
	}
	wantUpdates := []planner.Update{
		{Customer: custA, User: "u1@contoso.com", LicenseGroup: "group1", Rows: []int{0}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.E5ID}}, LicensesToRemove: []string{plannertest.E3ID}}},
		{Customer: custA, User: "u2@contoso.com", LicenseGroup: "group1", Rows: []int{1, 6}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.E5ID}}}},
		{Customer: custA, User: "u5@contoso.com", LicenseGroup: "group1", Rows: []int{4}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.AADPremiumP1ID}}}},
		{Customer: custA, User: "u4@contoso.com", LicenseGroup: "group1", Rows: []int{5}, Body: client.LicenseUpdate{
			LicensesToAssign: []client.LicenseAssignment{{SkuID: plannertest.AADPremiumP1ID}}}},
	}
	if got := allUpdates(p); !reflect.DeepEqual(got, wantUpdates) {
		t.Errorf("updates:\n got %+v\nwant %+v", got, wantUpdates)
	}
	wantCap := []planner.Capacity{
		{Customer: custA, SkuID: plannertest.AADPremiumP1ID, SkuName: "Azure Active Directory Premium P1", SkuPartNumber: "AAD_PREMIUM",
			LicenseGroup: "group1", Available: 15, Requested: 2, Granted: 2, LeftAfter: 13},
		{Customer: custA, SkuID: plannertest.E3ID, SkuName: "Office 365 Enterprise E3", SkuPartNumber: "ENTERPRISEPACK",
			LicenseGroup: "group1", Available: 500, Freed: 1, LeftAfter: 501},
		{Customer: custA, SkuID: plannertest.E5ID, SkuName: "Office 365 Enterprise E5", SkuPartNumber: "ENTERPRISEPREMIUM",
			LicenseGroup: "group1", Available: 2, Requested: 4, Granted: 2, LeftAfter: 0, Shortfall: 2},
	}
	if !slices.Equal(p.Capacity, wantCap) {
		t.Errorf("Capacity:\n got %+v\nwant %+v", p.Capacity, wantCap)
	}
	if got, want := p.RequestsPerGroup(), map[string]int{"group1": 4}; !maps.Equal(got, want) {
		t.Errorf("RequestsPerGroup = %v, want %v", got, want)
	}
}

func TestBuildPartialWithoutShortfallSkipsNothing(t *testing.T) {
	p, err := buildWith(t, "user,sku\na@contoso.com,AAD_PREMIUM\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA, Shortfall: planner.ShortfallPartial})
	if err != nil || p.Shortfall() || p.Row(0).Status != planner.StatusPlanned {
		t.Fatalf("Build = %v, %v; want a plan without shortfall", p, err)
	}
}

func TestBuildLeavesOutDoneRows(t *testing.T) {
	in := "user,sku,remove_sku,customer\n" +
		"  a@a.com , ENTERPRISEPACK ,,\n" + // 2: done
		"b@a.com,ENTERPRISEPACK,,\n" + // 3
		"c@a.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n" + // 4: done
		"d@b.com,ENTERPRISEPACK,," + custB + "\n" + // 5: done; custB has no other row
		"e@a.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n" // 6
	type call struct{ customer, user, sku, removeSku string }
	var calls []call
	done := map[call]bool{
		{custA, "a@a.com", "ENTERPRISEPACK", ""}:                  true,
		{custA, "c@a.com", "ENTERPRISEPREMIUM", "ENTERPRISEPACK"}: true,
		{custB, "d@b.com", "ENTERPRISEPACK", ""}:                  true,
	}
	cat := sampleCatalogue()
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Done: func(c, u, s, r string) bool {
		calls = append(calls, call{c, u, s, r})
		return done[call{c, u, s, r}]
	}})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(calls) != 5 || calls[0] != (call{custA, "a@a.com", "ENTERPRISEPACK", ""}) {
		t.Errorf("Done calls = %q, want one per row with trimmed values and the default customer", calls)
	}
	if p.Resumed != 3 {
		t.Errorf("Resumed = %d, want 3", p.Resumed)
	}
	var lines []int
	for _, r := range allRows(p) {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{3, 6}) || p.NumUpdates() != 2 {
		t.Errorf("planned lines %v in %d updates, want [3 6] in 2", lines, p.NumUpdates())
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
		Done: func(_, _, _, _ string) bool {
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
	u := p.Update(0)
	u.Body.LicensesToAssign[0].ExcludedPlans[0] = "changed"
	u.Rows[0] = 42
	if got := p.Row(0).ExcludedPlanIDs[0]; got != plannertest.SwayPlanID {
		t.Errorf("Row's excluded plans changed through a copy: %q", got)
	}
	if got := p.Update(0); got.Body.LicensesToAssign[0].ExcludedPlans[0] != plannertest.SwayPlanID || got.Rows[0] != 0 {
		t.Errorf("Update changed through a copy: %+v", got)
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
	if p.NumUpdates() != len(order) {
		t.Fatalf("NumUpdates = %d, want %d", p.NumUpdates(), len(order))
	}
	for u, k := range order {
		upd := p.Update(u)
		if upd.Rows[0] != firstRow[k] || upd.Customer != k.customer || strings.ToLower(upd.User) != k.user || upd.LicenseGroup != k.group {
			t.Fatalf("update %d = %+v, want the one of row %d (%v)", u, upd, firstRow[k], k)
		}
		for _, ri := range upd.Rows {
			if p.Row(ri).Update != u {
				t.Fatalf("update %d carries row %d, whose Update is %d", u, ri, p.Row(ri).Update)
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
	noID.ProductSku.ID = ""
	noID.ProductSku.Name = "Office 365 Enterprise E3"
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

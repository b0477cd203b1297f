package planner_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// Capacity: a SKU that falls short stops the plan, or skips the rows that do not fit.

func TestBuildShortfallAbort(t *testing.T) {
	in := "user,sku,remove_sku\n" +
		"a@contoso.com,AAD_PREMIUM,\n" +
		"b@contoso.com,AAD_PREMIUM,\n" +
		"c@contoso.com,AAD_PREMIUM,\n" +
		"d@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n"
	for _, policy := range []planner.Shortfall{"", planner.ShortfallAbort} {
		cat := plannertest.NewCatalogue(plannertest.SampleSkus())
		cat.Default[0].Available = 2 // AAD P1
		p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Shortfall: policy})
		var short *planner.ShortfallError
		if !errors.As(err, &short) {
			t.Fatalf("policy %q: error %v, want *ShortfallError", policy, err)
		}
		if p == nil || p.NumRows() != 4 || p.NumChanges() != 4 || !p.Shortfall() {
			t.Fatalf("policy %q: the full plan must come with the ShortfallError: %+v", policy, p)
		}
		for _, r := range allRows(p) {
			if r.Status != planner.StatusPlanned || r.Reason != "" {
				t.Errorf("row %d: %q %q, want planned", r.Line, r.Status, r.Reason)
			}
		}
		aad := planner.Capacity{Customer: custA, SkuID: plannertest.AADPremiumP1ID, SkuName: "Azure Active Directory Premium P1",
			SkuPartNumber: "AAD_PREMIUM", LicenseGroup: "group1", Available: 2, Requested: 3, Needed: 3, Granted: 3, LeftAfter: -1, Shortfall: 1}
		if !slices.Equal(short.Capacity, []planner.Capacity{aad}) {
			t.Errorf("ShortfallError.Capacity = %+v, want %+v", short.Capacity, aad)
		}
		wantCap := []planner.Capacity{
			aad,
			{Customer: custA, SkuID: plannertest.E3ID, SkuName: "Office 365 Enterprise E3", SkuPartNumber: "ENTERPRISEPACK",
				LicenseGroup: "group1", Available: 500, Freed: 1, LeftAfter: 501},
			{Customer: custA, SkuID: plannertest.E5ID, SkuName: "Office 365 Enterprise E5", SkuPartNumber: "ENTERPRISEPREMIUM",
				LicenseGroup: "group1", Available: 200, Requested: 1, Needed: 1, Granted: 1, LeftAfter: 199},
		}
		if !slices.Equal(p.Capacity, wantCap) {
			t.Errorf("Capacity:\n got %+v\nwant %+v", p.Capacity, wantCap)
		}
		want := "insufficient licenses: Azure Active Directory Premium P1 (AAD_PREMIUM) of customer " + custA + " is 1 short: 2 available, 3 needed"
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
	cat.Default[5].Available = 2 // E5
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Shortfall: planner.ShortfallPartial})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !p.Shortfall() {
		t.Error("Shortfall() = false, want true")
	}
	const reason = "insufficient licenses: Office 365 Enterprise E5 has 2 available, 4 needed"
	type rowWant struct {
		status planner.Status
		reason string
		change int
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
		if r.Status != w.status || p.Status(i) != w.status || r.Reason != w.reason || r.Change != w.change {
			t.Errorf("row %d (line %d) = %q %q change %d; want %q %q change %d", i, r.Line, r.Status, r.Reason, r.Change, w.status, w.reason, w.change)
		}
	}
	if r := p.Row(2); r.RemoveSkuID != plannertest.E3ID {
		t.Errorf("skipped swap row lost its removal SKU: %+v", r)
	}
	change := func(user string, rows []int, assign string, remove ...string) planner.Change {
		return planner.Change{Change: client.Change{Customer: custA, User: user, Group: "group1",
			Assign: []client.Assignment{{SkuID: assign}}, Remove: remove}, Rows: rows}
	}
	wantChanges := []planner.Change{
		change("u1@contoso.com", []int{0}, plannertest.E5ID, plannertest.E3ID),
		change("u2@contoso.com", []int{1, 6}, plannertest.E5ID),
		change("u5@contoso.com", []int{4}, plannertest.AADPremiumP1ID),
		change("u4@contoso.com", []int{5}, plannertest.AADPremiumP1ID),
	}
	if got := allChanges(p); !reflect.DeepEqual(got, wantChanges) {
		t.Errorf("changes:\n got %+v\nwant %+v", got, wantChanges)
	}
	wantCap := []planner.Capacity{
		{Customer: custA, SkuID: plannertest.AADPremiumP1ID, SkuName: "Azure Active Directory Premium P1", SkuPartNumber: "AAD_PREMIUM",
			LicenseGroup: "group1", Available: 15, Requested: 2, Needed: 2, Granted: 2, LeftAfter: 13},
		{Customer: custA, SkuID: plannertest.E3ID, SkuName: "Office 365 Enterprise E3", SkuPartNumber: "ENTERPRISEPACK",
			LicenseGroup: "group1", Available: 500, Freed: 1, LeftAfter: 501},
		{Customer: custA, SkuID: plannertest.E5ID, SkuName: "Office 365 Enterprise E5", SkuPartNumber: "ENTERPRISEPREMIUM",
			LicenseGroup: "group1", Available: 2, Requested: 4, Needed: 4, Granted: 2, LeftAfter: 0, Shortfall: 2},
	}
	if !slices.Equal(p.Capacity, wantCap) {
		t.Errorf("Capacity:\n got %+v\nwant %+v", p.Capacity, wantCap)
	}
	if got, want := p.ChangesPerGroup(), map[string]int{"group1": 4}; !maps.Equal(got, want) {
		t.Errorf("ChangesPerGroup = %v, want %v", got, want)
	}
}

func TestBuildPartialWithoutShortfallSkipsNothing(t *testing.T) {
	p, err := buildWith(t, "user,sku\na@contoso.com,AAD_PREMIUM\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA, Shortfall: planner.ShortfallPartial})
	if err != nil || p.Shortfall() || p.Row(0).Status != planner.StatusPlanned {
		t.Fatalf("Build = %v, %v; want a plan without shortfall", p, err)
	}
}

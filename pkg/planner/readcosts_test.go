package planner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// What the reads cost: the planner looks a few users up, lists the directory for many,
// and never pays much more than the cheaper way would.

// readsOf plans, for custA, a file that assigns E3 to users, reading them from dir,
// and records what OnReads and OnReadProgress were told.
func readsOf(t *testing.T, users []string, dir client.Directory) (*planner.Plan, []planner.ReadEstimate, []planner.ReadProgress) {
	t.Helper()
	var in strings.Builder
	in.WriteString("user,sku\n")
	for _, u := range users {
		in.WriteString(u + ",ENTERPRISEPACK\n")
	}
	var estimates []planner.ReadEstimate
	var progress []planner.ReadProgress
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 1_000_000))
	p, err := buildWith(t, in.String(), cat, planner.Options{DefaultCustomer: custA, Users: dir,
		OnReads:        func(e planner.ReadEstimate) { estimates = append(estimates, e) },
		OnReadProgress: func(r planner.ReadProgress) { progress = append(progress, r) }})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p, estimates, progress
}

// checkAllPlanned checks that every row is planned, for the user of its object ID.
func checkAllPlanned(t *testing.T, p *planner.Plan, ids map[string]string) {
	t.Helper()
	for i := range p.NumRows() {
		if r := p.Row(i); r.Status != planner.StatusPlanned || r.UserID != ids[strings.ToLower(r.User)] {
			t.Fatalf("row %d (%s) = %q %q, UserID %q; want planned for %q", i, r.User, r.Status, r.Reason, r.UserID, ids[strings.ToLower(r.User)])
		}
	}
}

// TestBuildLooksUpAFewUsersOfAHugeDirectory: a 50-row file in a directory of 300,000
// users, at Partner Center's costs, is read with fewer than 200 requests: lookups.
func TestBuildLooksUpAFewUsersOfAHugeDirectory(t *testing.T) {
	dir := plannertest.NewDirectory()
	dir.Set(custA, plannertest.ActiveUsers(300_000)...)
	var names []string
	ids := map[string]string{}
	for i := range 50 {
		n := i * 5_999
		name := plannertest.UserName(n)
		if i%5 == 0 {
			name = strings.ToUpper(plannertest.ObjectID(n))
		}
		names = append(names, name)
		ids[strings.ToLower(name)] = plannertest.ObjectID(n)
	}
	p, estimates, progress := readsOf(t, names, dir)
	checkAllPlanned(t, p, ids)
	r := dir.Reads(custA)
	if p.Reads.Reads >= 200 || dir.TotalCalls() != p.Reads.Reads || r.Pages+r.DeletedPages != 0 {
		t.Errorf("Reads %+v, directory %+v (%d requests); want fewer than 200 requests, no listing", p.Reads, r, dir.TotalCalls())
	}
	if p.Reads.Users != 50 || p.Reads.Found != 50 {
		t.Errorf("Reads %+v, want 50 users looked for and found", p.Reads)
	}
	want := planner.ReadEstimate{Customer: custA, Users: 50, Reads: 100, Lookup: true}
	if len(estimates) != 1 || estimates[0] != want {
		t.Errorf("OnReads told %+v, want %+v", estimates, want)
	}
	if len(progress) == 0 {
		t.Fatal("OnReadProgress never told")
	}
	last := progress[len(progress)-1]
	if last.Customer != custA || last.Users != 50 || last.Found != 50 || last.Reads != p.Reads.Reads || last.ReadsTotal != 100 {
		t.Errorf("last progress %+v, want 50 of 50 found in %d of 100 reads", last, p.Reads.Reads)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Found < progress[i-1].Found || progress[i].Reads < progress[i-1].Reads {
			t.Errorf("progress went back: %+v after %+v", progress[i], progress[i-1])
		}
	}
}

// TestBuildListsTheDirectoryForALargeFile: when looking every user up would cost more
// than 1,000 requests, the directory is listed instead, for fewer requests than the
// lookups would have taken, at Partner Center's costs and at Graph's.
func TestBuildListsTheDirectoryForALargeFile(t *testing.T) {
	for _, tc := range []struct {
		name               string
		costs              client.ReadCosts
		directory, file    int
		lookups, licenses  int // requests the lookups would take; license reads the listing needs
		maxPages, estimate int
	}{
		{"Partner Center", partnerCenterCosts, 6_000, 5_000, 10_000, 5_000, 12, 20_000},
		{"Graph", graphCosts, 20_000, 16_000, 1_067, 0, 21, 2_134},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := plannertest.NewDirectory()
			dir.Costs = tc.costs
			dir.Set(custA, plannertest.ActiveUsers(tc.directory)...)
			var names []string
			ids := map[string]string{}
			for i := range tc.file {
				n := tc.directory - 1 - i*tc.directory/tc.file // spread, from the end of the listing
				names = append(names, plannertest.UserName(n))
				ids[plannertest.UserName(n)] = plannertest.ObjectID(n)
			}
			p, estimates, _ := readsOf(t, names, dir)
			checkAllPlanned(t, p, ids)
			r := dir.Reads(custA)
			if want := (planner.ReadEstimate{Customer: custA, Users: tc.file, Reads: tc.estimate}); len(estimates) != 1 || estimates[0] != want {
				t.Errorf("OnReads told %+v, want %+v", estimates, want)
			}
			// The listing may stop before its end where looking the last users up is
			// cheaper than listing on.
			if r.Pages == 0 || r.Pages > tc.maxPages || r.Licenses != tc.licenses || r.DeletedPages != 0 {
				t.Errorf("reads %+v; want a listing of at most %d pages, %d license reads", r, tc.maxPages, tc.licenses)
			}
			if p.Reads.Reads != dir.TotalCalls() || p.Reads.Reads >= tc.lookups {
				t.Errorf("%d requests (directory: %d), want fewer than the %d of lookups", p.Reads.Reads, dir.TotalCalls(), tc.lookups)
			}
		})
	}
}

// TestBuildFindsNamesThroughAListing: where lookups by principal name are uncertain
// and find no one, principal names are found in a listing; object IDs are looked up.
func TestBuildFindsNamesThroughAListing(t *testing.T) {
	for _, kind := range []directoryKind{
		{"Partner Center", withPageSize(partnerCenterCosts, 2), true},
		{"Graph", withPageSize(withUncertainNames(graphCosts), 2), true},
	} {
		t.Run(kind.name, func(t *testing.T) {
			dir := kind.directory(sampleUsers()...)
			p, _, _ := readsOf(t, []string{"JÜRGEN@contoso.com", strings.ToUpper(amyID), "eve@contoso.com"}, dir)
			checkAllPlanned(t, p, map[string]string{"jürgen@contoso.com": jueID, amyID: amyID, "eve@contoso.com": eveID})
			r := dir.Reads(custA)
			lookups := (3 + kind.costs.LookupBatch - 1) / kind.costs.LookupBatch
			if r.Lookups != lookups || r.Pages != 3 || r.DeletedPages != 0 || p.Reads.Reads != dir.TotalCalls() {
				t.Errorf("reads %+v, %d requests; want %d lookups first, then the listing to its third page (Jürgen), nothing deleted",
					r, p.Reads.Reads, lookups)
			}
		})
	}

	// Where a lookup by principal name found someone, the names not found are not
	// in the directory: only the deleted users are listed.
	dir := directoryOf(sampleUsers()...)
	p, _, _ := readsOf(t, []string{"amy@contoso.com", "zed@contoso.com"}, dir)
	if r := dir.Reads(custA); r.Lookups != 2 || r.Pages != 0 || r.DeletedPages != 1 {
		t.Errorf("reads %+v, want 2 lookups and a listing of the deleted users only", r)
	}
	if r := p.Row(1); r.Status != planner.StatusSkipped || r.Reason != fmt.Sprintf(notFound, "zed@contoso.com") {
		t.Errorf("zed = %q %q, want skipped as not found", r.Status, r.Reason)
	}
}

// TestBuildFindsDeletedUsers: a user found only among the deleted users is inactive,
// not unknown, whatever state the listing gives it.
func TestBuildFindsDeletedUsers(t *testing.T) {
	for _, kind := range directoryKinds {
		for _, state := range []string{"", "active"} {
			t.Run(fmt.Sprintf("%s/state %q", kind.name, state), func(t *testing.T) {
				dir := kind.directory(sampleUsers()...)
				gone := plannertest.Holding(plannertest.ActiveUser(xyzID, "gone@contoso.com"), plannertest.E3ID)
				gone.State = state
				dir.SetDeleted(custA, gone)
				p, err := buildWith(t, "user,sku,remove_sku\ngone@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n"+xyzID+",AAD_PREMIUM,\n",
					sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir})
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				if r := dir.Reads(custA); r.DeletedPages != 1 {
					t.Errorf("reads %+v, want one page of deleted users", r)
				}
				for i, u := range []string{"gone@contoso.com", xyzID} {
					r := p.Row(i)
					if r.Status != planner.StatusSkipped || !strings.HasPrefix(r.Reason, "user not active: "+u+" is ") || r.UserID != xyzID {
						t.Errorf("row %d = %q %q, UserID %q; want skipped as not active, %s", i, r.Status, r.Reason, r.UserID, xyzID)
					}
				}
				if p.NumChanges() != 0 {
					t.Errorf("%d changes for a deleted user", p.NumChanges())
				}
			})
		}
	}
}

// TestBuildCompleteListingNeedsNoLookups: once a listing has gone to its end, the
// names it did not find are not users; they are looked for among the deleted users,
// not looked up one by one.
func TestBuildCompleteListingNeedsNoLookups(t *testing.T) {
	dir := plannertest.NewDirectory()
	dir.Costs = client.ReadCosts{LookupBatch: 1, LookupReads: 2, PageSize: 500, ListingHasLicenses: true}
	dir.Set(custA, plannertest.ActiveUsers(1_000)...)
	var names []string
	for i := range 600 {
		names = append(names, plannertest.UserName(i*2)) // the last 100 are not users
	}
	p, _, _ := readsOf(t, names, dir)
	r := dir.Reads(custA)
	if p.Reads.Found != 500 || r.Pages != 2 || r.DeletedPages != 1 {
		t.Fatalf("Reads %+v, directory %+v; want 500 found in the two pages of the listing, then the deleted users", p.Reads, r)
	}
	if r.Lookups != 0 {
		t.Errorf("%d lookups after a complete listing, want none", r.Lookups)
	}
}

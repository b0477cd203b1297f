package planner_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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
	jueID = "55555555-5555-4555-8555-555555555555"
	xyzID = "99999999-9999-4999-8999-999999999999" // listed by no customer
)

// directoryOf returns a directory listing users for custA.
func directoryOf(users ...client.User) *plannertest.Directory {
	d := plannertest.NewDirectory()
	d.Set(custA, users...)
	return d
}

// sampleUsers are amy, bob and Jürgen (active, located), cal (inactive), dor (no usage
// location) and eve (state left empty, which counts as active).
func sampleUsers() []client.User {
	cal := plannertest.ActiveUser(calID, "cal@contoso.com")
	cal.State = "Inactive"
	dor := plannertest.ActiveUser(dorID, "dor@contoso.com")
	dor.UsageLocation = " "
	eve := plannertest.ActiveUser("66666666-6666-4666-8666-666666666666", "eve@contoso.com")
	eve.State = ""
	bob := plannertest.ActiveUser(bobID, "Bob@Contoso.com")
	bob.State = "ACTIVE"
	return []client.User{
		plannertest.ActiveUser(amyID, "amy@contoso.com"), bob, cal, dor, eve,
		plannertest.ActiveUser(jueID, "jürgen@contoso.com"),
	}
}

func TestBuildChecksUsers(t *testing.T) {
	const (
		notFound   = "user not found: %s is not a user of customer " + custA
		inactive   = "user not active: %s is Inactive"
		noLocation = "no usage location: %s has none; set one before assigning licenses"
	)
	type rowWant struct {
		status planner.Status
		reason string // with %s for the row's user
		userID string
	}
	planned := func(id string) rowWant { return rowWant{planner.StatusPlanned, "", id} }
	skipped := func(reason, id string) rowWant { return rowWant{planner.StatusSkipped, reason, id} }
	tests := []struct {
		name    string
		in      string // rows after the header user,sku,remove_sku
		want    []rowWant
		updates [][]int // the rows of each update
	}{
		{
			name: "user principal name in any case",
			in:   "AMY@Contoso.COM,ENTERPRISEPACK,\nbob@contoso.com,AAD_PREMIUM,\n",
			want: []rowWant{planned(amyID), planned(bobID)},
		},
		{
			name: "user principal name outside ASCII, in another case",
			in:   "JÜRGEN@CONTOSO.COM,ENTERPRISEPACK,\n",
			want: []rowWant{planned(jueID)},
		},
		{
			name: "object ID in any case: UserID as the directory spells it",
			in:   strings.ToUpper(amyID) + ",ENTERPRISEPACK,\n" + bobID + ",,ENTERPRISEPACK\n",
			want: []rowWant{planned(amyID), planned(bobID)},
		},
		{
			name: "unknown user principal name and object ID",
			in: "zed@contoso.com,ENTERPRISEPACK,\n" +
				xyzID + ",,ENTERPRISEPACK\n" +
				"amy@contoso.co,ENTERPRISEPACK,\n", // a near miss is not a match
			want:    []rowWant{skipped(notFound, ""), skipped(notFound, xyzID), skipped(notFound, "")},
			updates: [][]int{},
		},
		{
			name:    "inactive user, also for removals",
			in:      "cal@contoso.com,ENTERPRISEPACK,\nCAL@contoso.com,Minecraft Education Edition Faculty,\ncal@contoso.com,,ENTERPRISEPREMIUM\n",
			want:    []rowWant{skipped(inactive, calID), skipped(inactive, calID), skipped(inactive, calID)},
			updates: [][]int{},
		},
		{
			name: "empty state and any case of active count as active",
			in:   "eve@contoso.com,ENTERPRISEPACK,\nbob@contoso.com,ENTERPRISEPACK,\n",
			want: []rowWant{planned("66666666-6666-4666-8666-666666666666"), planned(bobID)},
		},
		{
			name: "no usage location: assignments skipped, the removal-only row planned",
			in: "dor@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // a swap assigns: skipped
				"amy@contoso.com,ENTERPRISEPACK,\n" +
				"dor@contoso.com,,AAD_PREMIUM\n" + // removal only, same update as line 2: planned
				"Dor@Contoso.com,Minecraft Education Edition Faculty,\n", // group 2: skipped
			want:    []rowWant{skipped(noLocation, dorID), planned(amyID), planned(dorID), skipped(noLocation, dorID)},
			updates: [][]int{{1}, {2}},
		},
	}
	for _, tt := range tests {
		for _, size := range []int{0, 1} { // the default page size: one page; and a page per user
			name := tt.name
			if size > 0 {
				name += fmt.Sprintf(", %d user a page", size)
			}
			t.Run(name, func(t *testing.T) {
				dir := directoryOf(sampleUsers()...)
				var users planner.UserDirectory = dir
				paged := &smallPages{Directory: dir, size: size}
				if size > 0 {
					users = paged
				}
				p, err := buildWith(t, "user,sku,remove_sku\n"+tt.in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: users})
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				if size > 0 && len(paged.pages) != len(sampleUsers()) {
					t.Errorf("pages of %v users, want one per user", paged.pages)
				}
				if p.NumRows() != len(tt.want) {
					t.Fatalf("NumRows = %d, want %d", p.NumRows(), len(tt.want))
				}
				for i, w := range tt.want {
					r := p.Row(i)
					reason := w.reason
					if reason != "" {
						reason = fmt.Sprintf(reason, r.User)
					}
					if r.Status != w.status || r.Reason != reason || r.UserID != w.userID {
						t.Errorf("row %d (%s) = %q %q, UserID %q; want %q %q, UserID %q", i, r.User, r.Status, r.Reason, r.UserID, w.status, reason, w.userID)
					}
					if (r.Status == planner.StatusSkipped) != (r.Update < 0) {
						t.Errorf("row %d: status %q with update %d", i, r.Status, r.Update)
					}
				}
				var gotUpdates [][]int
				for _, u := range allUpdates(p) {
					gotUpdates = append(gotUpdates, u.Rows)
				}
				wantUpdates := tt.updates
				if wantUpdates == nil { // one update per planned row
					for i, w := range tt.want {
						if w.status == planner.StatusPlanned {
							wantUpdates = append(wantUpdates, []int{i})
						}
					}
				}
				if len(gotUpdates) != len(wantUpdates) || len(wantUpdates) > 0 && !reflect.DeepEqual(gotUpdates, wantUpdates) {
					t.Errorf("update rows = %v, want %v", gotUpdates, wantUpdates)
				}
				if dir.TotalCalls() != 1 || !slices.Equal(p.UsersListed, []int{len(sampleUsers())}) {
					t.Errorf("listing calls %d, UsersListed %v; want 1 and [%d]", dir.TotalCalls(), p.UsersListed, len(sampleUsers()))
				}
			})
		}
	}
}

// TestBuildSkipsEveryRowOfAUser checks that a user's rows share the user's fate: all of
// them skipped (in both license groups, in every spelling, duplicates too) or none, and
// that a user whose rows are all skipped gets no update.
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
	if p.NumUpdates() != 2 {
		t.Fatalf("NumUpdates = %d, want amy's two", p.NumUpdates())
	}
	for _, u := range allUpdates(p) {
		if u.User != "amy@contoso.com" {
			t.Errorf("update for %s, whose rows are all skipped: %+v", u.User, u)
		}
	}
	// The duplicate's warning stays: it is about the file.
	if len(p.Warnings) != 1 || p.Warnings[0].Line != 4 {
		t.Errorf("warnings = %+v, want the duplicate on line 4", p.Warnings)
	}
}

// TestBuildUserSkipsRequestNoUnits checks that capacity is counted after the user check:
// a shortfall disappears when the rows that caused it are skipped for their users, and
// under ShortfallPartial units go to the rows that will be sent.
func TestBuildUserSkipsRequestNoUnits(t *testing.T) {
	in := "user,sku,remove_sku\n" +
		"zed@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 2: not found
		"cal@contoso.com,ENTERPRISEPREMIUM,\n" + // 3: inactive
		"amy@contoso.com,ENTERPRISEPREMIUM,\n" + // 4
		"dor@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // 5: no usage location
		"bob@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" // 6
	catalogue := func() *plannertest.Catalogue {
		cat := plannertest.NewCatalogue(plannertest.SampleSkus())
		cat.Default[5].AvailableUnits = 2 // E5
		return cat
	}
	e5 := planner.Capacity{Customer: custA, SkuID: plannertest.E5ID, SkuName: "Office 365 Enterprise E5", SkuPartNumber: "ENTERPRISEPREMIUM",
		LicenseGroup: "group1", Available: 2, Requested: 2, Granted: 2, LeftAfter: 0}
	e3 := planner.Capacity{Customer: custA, SkuID: plannertest.E3ID, SkuName: "Office 365 Enterprise E3", SkuPartNumber: "ENTERPRISEPACK",
		LicenseGroup: "group1", Available: 500, Freed: 1, LeftAfter: 501}

	// Without the check, the file falls short.
	if _, err := buildWith(t, in, catalogue(), planner.Options{DefaultCustomer: custA}); !errors.As(err, new(*planner.ShortfallError)) {
		t.Fatalf("without Users: error %v, want a *ShortfallError", err)
	}
	for _, policy := range []planner.Shortfall{planner.ShortfallAbort, planner.ShortfallPartial} {
		p, err := buildWith(t, in, catalogue(), planner.Options{DefaultCustomer: custA, Shortfall: policy, Users: directoryOf(sampleUsers()...)})
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
	cat := catalogue()
	cat.Default[5].AvailableUnits = 1
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA, Shortfall: planner.ShortfallPartial, Users: directoryOf(sampleUsers()...)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	const short = "insufficient licenses: Office 365 Enterprise E5 has 1 available, 2 requested"
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

func TestBuildListsUsersOncePerCustomer(t *testing.T) {
	upperB := strings.ToUpper(custB)
	in := "user,sku,customer\n" +
		"amy@contoso.com,ENTERPRISEPACK," + custA + "\n" +
		"b1@b.com,AAD_PREMIUM," + upperB + "\n" +
		"c1@c.com,ENTERPRISEPREMIUM,\n" + // the default customer, custC
		"bob@contoso.com,ENTERPRISEPREMIUM," + custA + "\n" +
		"b2@b.com,AAD_PREMIUM," + custB + "\n" +
		"b1@b.com,Minecraft Education Edition Faculty," + custB + "\n" +
		"amy@contoso.com,ENTERPRISEPREMIUM,  " + custA + "  \n" +
		"c1@c.com,ENTERPRISEPACK," + custC + "\n"
	var log []string
	cat := &loggingCatalogue{sampleCatalogue(), &log}
	dir := directoryOf(sampleUsers()...)
	dir.Set(custB, plannertest.ActiveUser(bobID, "b1@b.com"), plannertest.ActiveUser(calID, "b2@b.com"), plannertest.ActiveUser(dorID, "b3@b.com"))
	dir.Set(custC, plannertest.ActiveUser(amyID, "c1@c.com")) // the same object ID as custA's amy: another tenant
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custC, Users: &loggingDirectory{dir, &log}})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for _, c := range []string{custA, custB, custC} {
		if n := dir.Calls(c); n != 1 {
			t.Errorf("listing calls for %s = %d, want 1", c, n)
		}
	}
	if n := dir.TotalCalls(); n != 3 {
		t.Errorf("listing calls = %d, want 3", n)
	}
	wantLog := []string{"skus " + custA, "skus " + upperB, "skus " + custC, "users " + custA, "users " + upperB, "users " + custC}
	if !slices.Equal(log, wantLog) {
		t.Errorf("calls:\n got %q\nwant %q", log, wantLog)
	}
	if want := []int{6, 3, 1}; !slices.Equal(p.UsersListed, want) {
		t.Errorf("UsersListed = %v, want %v", p.UsersListed, want)
	}
	wantIDs := []string{amyID, bobID, amyID, bobID, calID, bobID, amyID, amyID}
	for i, id := range wantIDs {
		if r := p.Row(i); r.Status != planner.StatusPlanned || r.UserID != id {
			t.Errorf("row %d (%s of %s) = %q %q, UserID %q; want planned, %q", i, r.User, r.Customer, r.Status, r.Reason, r.UserID, id)
		}
	}

	// A user of one customer is not a user of another.
	in = "user,sku,customer\nb1@b.com,ENTERPRISEPACK," + custA + "\n"
	p, err = buildWith(t, in, sampleCatalogue(), planner.Options{Users: dir})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if r, want := p.Row(0), "user not found: b1@b.com is not a user of customer "+custA; r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
}

// loggingCatalogue and loggingDirectory record the order of the planner's calls.
type loggingCatalogue struct {
	*plannertest.Catalogue
	log *[]string
}

func (c *loggingCatalogue) GetSubscribedSkus(ctx context.Context, customerID string, groups ...client.LicenseGroupID) ([]client.SubscribedSku, *client.Response, error) {
	*c.log = append(*c.log, "skus "+customerID)
	return c.Catalogue.GetSubscribedSkus(ctx, customerID, groups...)
}

// cancelingCatalogue cancels its context once it has answered.
type cancelingCatalogue struct {
	*plannertest.Catalogue
	cancel context.CancelFunc
}

func (c *cancelingCatalogue) GetSubscribedSkus(ctx context.Context, customerID string, groups ...client.LicenseGroupID) ([]client.SubscribedSku, *client.Response, error) {
	defer c.cancel()
	return c.Catalogue.GetSubscribedSkus(ctx, customerID, groups...)
}

type loggingDirectory struct {
	*plannertest.Directory
	log *[]string
}

func (d *loggingDirectory) ListUsersPages(ctx context.Context, customerID string, pageSize int, page func([]client.User) error) (*client.Response, error) {
	*d.log = append(*d.log, "users "+customerID)
	return d.Directory.ListUsersPages(ctx, customerID, pageSize, page)
}

// smallPages lists a directory with size users a page, whatever the planner asks for,
// and records the size of every page it hands over.
type smallPages struct {
	*plannertest.Directory
	size  int
	pages []int
}

func (d *smallPages) ListUsersPages(ctx context.Context, customerID string, _ int, page func([]client.User) error) (*client.Response, error) {
	return d.Directory.ListUsersPages(ctx, customerID, d.size, func(users []client.User) error {
		d.pages = append(d.pages, len(users))
		return page(users)
	})
}

// failingPage lists a directory a user a page and fails once n pages have been handed over.
type failingPage struct {
	*plannertest.Directory
	n   int
	err error
}

func (d *failingPage) ListUsersPages(ctx context.Context, customerID string, _ int, page func([]client.User) error) (*client.Response, error) {
	seen := 0
	return d.Directory.ListUsersPages(ctx, customerID, 1, func(users []client.User) error {
		if seen == d.n {
			return d.err
		}
		seen++
		return page(users)
	})
}

func TestBuildUserListingFailure(t *testing.T) {
	boom := errors.New("no GDAP relationship")
	dir := directoryOf(sampleUsers()...)
	dir.Fail(custB, boom)
	in := "user,sku,customer\namy@contoso.com,ENTERPRISEPACK," + custA + "\nb@b.com,ENTERPRISEPACK," + custB + "\nc@c.com,ENTERPRISEPACK," + custC + "\n"
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{Users: dir})
	if p != nil || !errors.Is(err, boom) {
		t.Fatalf("Build = %v, %v; want no plan and an error wrapping %v", p, err, boom)
	}
	if errors.As(err, new(*planner.InputError)) {
		t.Errorf("a listing failure is an InputError: %v", err)
	}
	if want := "list users of customer " + custB + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
	if n := dir.Calls(custC); n != 0 {
		t.Errorf("listed customer %s after the failure: %d calls", custC, n)
	}

	// A listing that fails after some pages plans nothing.
	failing := &failingPage{Directory: directoryOf(sampleUsers()...), n: 2, err: boom}
	p, err = buildWith(t, "user,sku\namy@contoso.com,ENTERPRISEPACK\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: failing})
	if p != nil || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "list users of customer "+custA+": ") {
		t.Errorf("failing page 3: Build = %v, %v; want no plan and a listing error wrapping %v", p, err, boom)
	}

	// A context canceled once the catalogue is fetched stops the listing.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat := &cancelingCatalogue{sampleCatalogue(), cancel}
	p, err = planner.Build(ctx, strings.NewReader("user,sku\namy@contoso.com,ENTERPRISEPACK\n"), cat, planner.Options{DefaultCustomer: custA, Users: directoryOf()})
	if p != nil || !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "list users of customer "+custA+": ") {
		t.Errorf("canceled: Build = %v, %v; want a listing error wrapping context.Canceled", p, err)
	}

	// A file with problems is not checked: nothing would be planned anyway.
	dir = directoryOf(sampleUsers()...)
	_, err = buildWith(t, "user,sku\namy@contoso.com,ENTERPRISEPAK\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir})
	problems(t, nil, err)
	if n := dir.TotalCalls(); n != 0 {
		t.Errorf("listed users %d times for a file with problems, want 0", n)
	}
}

func TestBuildChecksUsersAfterDone(t *testing.T) {
	in := "user,sku,customer\n" +
		"zed@contoso.com,ENTERPRISEPACK,\n" + // 2: done; unknown, but not checked
		"amy@contoso.com,ENTERPRISEPACK,\n" + // 3
		"cal@contoso.com,ENTERPRISEPREMIUM,\n" + // 4: inactive
		"d@b.com,ENTERPRISEPACK," + custB + "\n" // 5: done; custB has no other row
	dir := directoryOf(sampleUsers()...)
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir,
		Done: func(_, user, _, _ string) bool { return user == "zed@contoso.com" || user == "d@b.com" }})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if p.Resumed != 2 || p.NumRows() != 2 || p.Row(0).Line != 3 || p.Row(1).Line != 4 {
		t.Fatalf("Resumed %d, rows %+v; want 2 left out and lines 3, 4 planned", p.Resumed, allRows(p))
	}
	if r := p.Row(0); r.Status != planner.StatusPlanned {
		t.Errorf("line 3 = %q %q, want planned", r.Status, r.Reason)
	}
	if r := p.Row(1); r.Status != planner.StatusSkipped || !strings.HasPrefix(r.Reason, "user not active") {
		t.Errorf("line 4 = %q %q, want skipped as inactive", r.Status, r.Reason)
	}
	if n := dir.Calls(custB); n != 0 || dir.TotalCalls() != 1 {
		t.Errorf("listings: %d for %s (only done rows), %d in all; want 0 and 1", n, custB, dir.TotalCalls())
	}
}

func TestBuildWarnsOfOneUserUnderTwoNames(t *testing.T) {
	in := "user,sku\n" +
		"amy@contoso.com,ENTERPRISEPACK\n" + // 2
		amyID + ",AAD_PREMIUM\n" + // 3: amy by object ID, group 1 again
		amyID + ",Minecraft Education Edition Faculty\n" + // 4: group 2: a request of its own anyway
		"bob@contoso.com,ENTERPRISEPACK\n" + // 5
		"BOB@contoso.com,AAD_PREMIUM\n" // 6: the same name in another case: one request
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: directoryOf(sampleUsers()...)})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := []planner.Warning{{Line: 3, Message: "line 3 names the same user as line 2 (" + amyID +
		" is amy@contoso.com): their changes are sent as separate requests; name each user one way throughout the file"}}
	if !slices.Equal(p.Warnings, want) {
		t.Errorf("warnings:\n got %+v\nwant %+v", p.Warnings, want)
	}
	for i := range p.NumRows() {
		if r := p.Row(i); r.Status != planner.StatusPlanned {
			t.Errorf("row %d = %q %q, want planned", i, r.Status, r.Reason)
		}
	}
	if p.NumUpdates() != 4 {
		t.Errorf("NumUpdates = %d, want 4 (amy twice in group 1, once in group 2; bob once)", p.NumUpdates())
	}
}

// TestBuildUserIDAsListed checks that Row.UserID is the object ID exactly as the listing
// writes it, in whatever case and form.
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
		if r := p.Row(i); r.UserID != want || r.Status != planner.StatusPlanned {
			t.Errorf("row %d (%s): %q, UserID %q; want planned, %q", i, r.User, r.Status, r.UserID, want)
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
	if p.UsersListed != nil {
		t.Errorf("UsersListed = %v without Users, want nil", p.UsersListed)
	}
}

// TestBuildChecksUsersOfGeneratedFile checks a generated file against a generated
// directory that leaves out, deactivates or unlocates some users: each row's status
// follows its user, and the plan equals the unchecked plan for the other rows.
func TestBuildChecksUsersOfGeneratedFile(t *testing.T) {
	const n = 70_000
	in := generated(t, n)
	dir, err := plannertest.DirectoryFor(strings.NewReader(string(in)), "", 7)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]client.User{} // customer + lower-case user principal name
	for _, c := range benchCustomers {
		for _, u := range dir.Users(c) {
			listed[c+" "+u.UserPrincipalName] = u
		}
	}
	cat := plannertest.NewCatalogue(plannertest.WithAvailable(plannertest.SampleSkus(), 1_000_000))
	p, err := planner.Build(context.Background(), strings.NewReader(string(in)), cat, planner.Options{Users: dir})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if dir.TotalCalls() != len(benchCustomers) {
		t.Errorf("listing calls = %d, want %d", dir.TotalCalls(), len(benchCustomers))
	}
	if min(p.UsersListed[0], p.UsersListed[1]) <= 2*client.DefaultUserPageSize {
		t.Errorf("UsersListed = %v: the listings should span several pages", p.UsersListed)
	}
	counts := map[string]int{}
	for i := range p.NumRows() {
		r := p.Row(i)
		u, ok := listed[r.Customer+" "+strings.ToLower(r.User)]
		want := planner.StatusPlanned
		switch {
		case !ok:
			want = planner.StatusSkipped
			counts["not found"]++
		case u.State != "active":
			want = planner.StatusSkipped
			counts["inactive"]++
		case u.UsageLocation == "" && r.Sku != "":
			want = planner.StatusSkipped
			counts["no location"]++
		case u.UsageLocation == "":
			counts["removal without location"]++
		}
		if r.Status != want || ok && r.UserID != u.ID || !ok && r.UserID != "" {
			t.Fatalf("row %d = %+v; want %q, user %+v (listed %v)", i, r, want, u, ok)
		}
	}
	for _, k := range []string{"not found", "inactive", "no location", "removal without location"} {
		if counts[k] == 0 {
			t.Errorf("no row of kind %q: the test does not cover it", k)
		}
	}
	planned := 0
	for u := range p.NumUpdates() {
		upd := p.Update(u)
		for _, ri := range upd.Rows {
			if r := p.Row(ri); r.Status != planner.StatusPlanned || r.Update != u {
				t.Fatalf("update %d carries row %d = %+v", u, ri, r)
			}
			planned++
		}
	}
	if skipped := counts["not found"] + counts["inactive"] + counts["no location"]; planned+skipped != n {
		t.Errorf("%d rows in updates and %d skipped, want %d in all", planned, skipped, n)
	}
}

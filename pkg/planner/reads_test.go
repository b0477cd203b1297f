package planner_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// Object IDs of the directory's users.
const (
	amyID = "11111111-1111-4111-8111-111111111111"
	bobID = "22222222-2222-4222-8222-222222222222"
	calID = "33333333-3333-4333-8333-333333333333"
	dorID = "44444444-4444-4444-8444-444444444444"
	eveID = "66666666-6666-4666-8666-666666666666"
	jueID = "55555555-5555-4555-8555-555555555555"
	xyzID = "99999999-9999-4999-8999-999999999999" // a user of no customer
)

// Reasons of rows skipped for their users, with %s for the row's user.
const (
	notFound   = "user not found: %s is not a user of customer " + custA
	inactive   = "user not active: %s is Inactive"
	noLocation = "no usage location: %s has none; set one (or give the run a usage location) before assigning licenses"
)

// directoryOf returns a directory (Partner Center's costs) with users for custA.
func directoryOf(users ...client.User) *plannertest.Directory {
	d := plannertest.NewDirectory()
	d.Set(custA, users...)
	return d
}

// sampleUsers are amy (holding nothing), bob (state "ACTIVE", holding E3), Jürgen,
// cal (inactive, holding E3), dor (no usage location, holding AAD P1 and E3) and eve
// (state left empty, which counts as active).
func sampleUsers() []client.User {
	bob := plannertest.Holding(plannertest.ActiveUser(bobID, "Bob@Contoso.com"), plannertest.E3ID)
	bob.State = "ACTIVE"
	cal := plannertest.Holding(plannertest.ActiveUser(calID, "cal@contoso.com"), plannertest.E3ID)
	cal.State = "Inactive"
	dor := plannertest.Holding(plannertest.ActiveUser(dorID, "dor@contoso.com"), plannertest.AADPremiumP1ID, plannertest.E3ID)
	dor.UsageLocation = " "
	eve := plannertest.ActiveUser(eveID, "eve@contoso.com")
	eve.State = ""
	return []client.User{plannertest.ActiveUser(amyID, "amy@contoso.com"), bob, cal, dor, eve,
		plannertest.ActiveUser(jueID, "jürgen@contoso.com")}
}

// directoryKind is a way a directory reads, for tables of tests that must hold
// whatever the backend.
type directoryKind struct {
	name          string
	costs         client.ReadCosts
	noNameLookups bool // lookups by principal name find no one: names are found in a listing
}

var (
	partnerCenterCosts = plannertest.NewDirectory().Costs
	graphCosts         = client.ReadCosts{LookupBatch: 15, LookupReads: 1, PageSize: 999, ListingHasLicenses: true}
	directoryKinds     = []directoryKind{
		{"Partner Center lookups", partnerCenterCosts, false},
		{"Partner Center listing a user a page", withPageSize(partnerCenterCosts, 1), true},
		{"Graph batched lookups", graphCosts, false},
		{"Graph listing a user a page", withPageSize(withUncertainNames(graphCosts), 1), true},
	}
)

func withPageSize(c client.ReadCosts, n int) client.ReadCosts { c.PageSize = n; return c }

func withUncertainNames(c client.ReadCosts) client.ReadCosts { c.NameLookupsUncertain = true; return c }

// directory returns a directory of this kind with users for custA.
func (k directoryKind) directory(users ...client.User) *plannertest.Directory {
	d := directoryOf(users...)
	d.Costs, d.NoNameLookups = k.costs, k.noNameLookups
	return d
}

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

func TestBuildReadsUsers(t *testing.T) {
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
		changes [][]int // the rows of each change; nil: one per planned row
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
			changes: [][]int{},
		},
		{
			name:    "inactive user, also for removals",
			in:      "cal@contoso.com,ENTERPRISEPACK,\nCAL@contoso.com,Minecraft Education Edition Faculty,\ncal@contoso.com,,ENTERPRISEPREMIUM\n",
			want:    []rowWant{skipped(inactive, calID), skipped(inactive, calID), skipped(inactive, calID)},
			changes: [][]int{},
		},
		{
			name: "empty state and any case of active count as active",
			in:   "eve@contoso.com,ENTERPRISEPACK,\nbob@contoso.com,ENTERPRISEPREMIUM,\n",
			want: []rowWant{planned(eveID), planned(bobID)},
		},
		{
			name: "no usage location: assignments skipped, the removal-only row planned",
			in: "dor@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\n" + // a swap assigns: skipped
				"amy@contoso.com,ENTERPRISEPACK,\n" +
				"dor@contoso.com,,AAD_PREMIUM\n" + // removal only: planned
				"Dor@Contoso.com,Minecraft Education Edition Faculty,\n", // group 2: skipped
			want:    []rowWant{skipped(noLocation, dorID), planned(amyID), planned(dorID), skipped(noLocation, dorID)},
			changes: [][]int{{1}, {2}},
		},
		{
			name:    "no usage location, but the SKU already held: unchanged",
			in:      "dor@contoso.com,ENTERPRISEPACK,\n",
			want:    []rowWant{{planner.StatusUnchanged, "already done: %s holds Office 365 Enterprise E3", dorID}},
			changes: [][]int{},
		},
	}
	for _, tt := range tests {
		for _, kind := range directoryKinds {
			t.Run(tt.name+"/"+kind.name, func(t *testing.T) {
				dir := kind.directory(sampleUsers()...)
				p, err := buildWith(t, "user,sku,remove_sku\n"+tt.in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir})
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				if p.NumRows() != len(tt.want) {
					t.Fatalf("NumRows = %d, want %d", p.NumRows(), len(tt.want))
				}
				wantChanges := tt.changes
				for i, w := range tt.want {
					r := p.Row(i)
					reason := w.reason
					if reason != "" {
						reason = fmt.Sprintf(reason, r.User)
					}
					if r.Status != w.status || r.Reason != reason || r.UserID != w.userID {
						t.Errorf("row %d (%s) = %q %q, UserID %q; want %q %q, UserID %q", i, r.User, r.Status, r.Reason, r.UserID, w.status, reason, w.userID)
					}
					if (r.Status == planner.StatusPlanned) != (r.Change >= 0) {
						t.Errorf("row %d: status %q with change %d", i, r.Status, r.Change)
					}
					if tt.changes == nil && w.status == planner.StatusPlanned {
						wantChanges = append(wantChanges, []int{i})
					}
				}
				var gotChanges [][]int
				for _, c := range allChanges(p) {
					gotChanges = append(gotChanges, c.Rows)
					if r := p.Row(c.Rows[0]); c.User != r.UserID {
						t.Errorf("change for %s addresses %q, want the object ID %q", r.User, c.User, r.UserID)
					}
				}
				if len(gotChanges) != len(wantChanges) || len(wantChanges) > 0 && !reflect.DeepEqual(gotChanges, wantChanges) {
					t.Errorf("change rows = %v, want %v", gotChanges, wantChanges)
				}
				if !p.UsersRead || p.Reads.Reads != dir.TotalCalls() {
					t.Errorf("UsersRead %v, Reads %+v; the directory answered %d requests", p.UsersRead, p.Reads, dir.TotalCalls())
				}
			})
		}
	}
}

func TestBuildReadsCustomersAfterCatalogues(t *testing.T) {
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
	log := &callLog{}
	dir := directoryOf(sampleUsers()...)
	dir.Set(custB, plannertest.ActiveUser(bobID, "b1@b.com"), plannertest.ActiveUser(calID, "b2@b.com"), plannertest.ActiveUser(dorID, "b3@b.com"))
	dir.Set(custC, plannertest.ActiveUser(amyID, "c1@c.com")) // the same object ID as custA's amy: another tenant
	p, err := buildWith(t, in, &loggingCatalogue{sampleCatalogue(), log}, planner.Options{DefaultCustomer: custC, Users: &loggingDirectory{dir, log}})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	// Every catalogue first, as the file is read; then the users, customers side by side.
	calls := log.all()
	if want := []string{"skus " + custA, "skus " + upperB, "skus " + custC}; len(calls) < 3 || !slices.Equal(calls[:3], want) {
		t.Errorf("calls:\n got %q\nwant the catalogues %q first", calls, want)
	}
	users := slices.Compact(slices.Sorted(slices.Values(calls[min(3, len(calls)):])))
	if want := []string{"users " + custA, "users " + upperB, "users " + custC}; !slices.Equal(users, want) {
		t.Errorf("users read: got %q, want %q", users, want)
	}
	for c, n := range map[string]int{custA: 2, custB: 2, custC: 1} {
		if r := dir.Reads(c); r != (plannertest.Reads{Lookups: n}) {
			t.Errorf("reads of %s = %+v, want %d lookups, one per distinct user", c, r, n)
		}
	}
	if p.Reads.Users != 5 || p.Reads.Found != 5 || p.Reads.Reads != 10 {
		t.Errorf("Reads = %+v, want 5 users, 5 found, 10 requests", p.Reads)
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

// callLog records the order of the planner's calls, from any goroutine.
type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(s string) { l.mu.Lock(); l.calls = append(l.calls, s); l.mu.Unlock() }

func (l *callLog) all() []string { l.mu.Lock(); defer l.mu.Unlock(); return slices.Clone(l.calls) }

type loggingCatalogue struct {
	cat *plannertest.Catalogue
	log *callLog
}

func (c *loggingCatalogue) Catalogue(ctx context.Context, customer string) ([]client.Sku, error) {
	c.log.add("skus " + customer)
	return c.cat.Catalogue(ctx, customer)
}

type loggingDirectory struct {
	*plannertest.Directory
	log *callLog
}

func (d *loggingDirectory) LookupUsers(ctx context.Context, customer string, names []string) ([]client.User, error) {
	d.log.add("users " + customer)
	return d.Directory.LookupUsers(ctx, customer, names)
}

func (d *loggingDirectory) ListUsers(ctx context.Context, customer string, deleted bool, page func([]client.User) error) error {
	d.log.add("users " + customer)
	return d.Directory.ListUsers(ctx, customer, deleted, page)
}

func (d *loggingDirectory) UserLicenses(ctx context.Context, customer, userID string) ([]client.License, error) {
	d.log.add("users " + customer)
	return d.Directory.UserLicenses(ctx, customer, userID)
}

func TestBuildReadsAfterDone(t *testing.T) {
	in := "user,sku,customer\n" +
		"zed@contoso.com,ENTERPRISEPACK,\n" + // 2: done; unknown, but not read
		"amy@contoso.com,ENTERPRISEPACK,\n" + // 3
		"cal@contoso.com,ENTERPRISEPREMIUM,\n" + // 4: inactive
		"d@b.com,ENTERPRISEPACK," + custB + "\n" // 5: done; custB has no other row
	dir := directoryOf(sampleUsers()...)
	doneKeys := map[string]bool{
		report.RowKey(custA, "zed@contoso.com", "ENTERPRISEPACK", "", ""): true,
		report.RowKey(custB, "d@b.com", "ENTERPRISEPACK", "", ""):         true,
	}
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir,
		Done: func(_ int, key string) bool { return doneKeys[key] }})
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
	if rb, ra := dir.Reads(custB), dir.Reads(custA); rb != (plannertest.Reads{}) || ra != (plannertest.Reads{Lookups: 2}) {
		t.Errorf("reads: %+v of %s (only done rows), %+v of %s; want none, and amy's and cal's lookups only", rb, custB, ra, custA)
	}
}

// meetingDirectory holds each customer's first lookup until every customer's has
// started, or until a minute has passed (then it fails).
type meetingDirectory struct {
	*plannertest.Directory
	customers int
	all       chan struct{}
	mu        sync.Mutex
	seen      map[string]bool
}

func (d *meetingDirectory) LookupUsers(ctx context.Context, customer string, names []string) ([]client.User, error) {
	d.mu.Lock()
	first := !d.seen[customer]
	d.seen[customer] = true
	if first && len(d.seen) == d.customers {
		close(d.all)
	}
	d.mu.Unlock()
	if first {
		select {
		case <-d.all:
		case <-time.After(time.Minute):
			return nil, fmt.Errorf("customer %s was read alone: the others' reads did not start", customer)
		}
	}
	return d.Directory.LookupUsers(ctx, customer, names)
}

// TestBuildReadsCustomersConcurrently: customers whose directories are paced apart (as
// Graph's tenants) are read side by side, not one after another.
func TestBuildReadsCustomersConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := &meetingDirectory{Directory: directoryOf(sampleUsers()...), customers: 3, all: make(chan struct{}), seen: map[string]bool{}}
		dir.Set(custB, plannertest.ActiveUser(bobID, "b1@b.com"))
		dir.Set(custC, plannertest.ActiveUser(calID, "c1@c.com"))
		in := "user,sku,customer\n" +
			"amy@contoso.com,ENTERPRISEPACK," + custA + "\n" +
			"b1@b.com,ENTERPRISEPACK," + custB + "\n" +
			"c1@c.com,ENTERPRISEPACK," + custC + "\n"
		p, err := buildWith(t, in, sampleCatalogue(), planner.Options{Users: dir, ReadConcurrency: 3})
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if p.Reads.Users != 3 || p.Reads.Found != 3 {
			t.Errorf("Reads = %+v, want 3 users found", p.Reads)
		}
		for i, id := range []string{amyID, bobID, calID} {
			if r := p.Row(i); r.Status != planner.StatusPlanned || r.UserID != id {
				t.Errorf("row %d = %q %q, UserID %q; want planned, %q", i, r.Status, r.Reason, r.UserID, id)
			}
		}
	})
}

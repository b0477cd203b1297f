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

// Reads that fail, or are cut short, plan nothing.

// cancelingCatalogue cancels its context once it has answered.
type cancelingCatalogue struct {
	cat    *plannertest.Catalogue
	cancel context.CancelFunc
}

func (c *cancelingCatalogue) Catalogue(ctx context.Context, customer string) ([]client.Sku, error) {
	defer c.cancel()
	return c.cat.Catalogue(ctx, customer)
}

// failingPage fails a listing once n pages have been handed over.
type failingPage struct {
	*plannertest.Directory
	n   int
	err error
}

func (d *failingPage) ListUsers(ctx context.Context, customer string, deleted bool, page func([]client.User) error) error {
	seen := 0
	return d.Directory.ListUsers(ctx, customer, deleted, func(users []client.User) error {
		if seen == d.n {
			return d.err
		}
		seen++
		return page(users)
	})
}

func TestBuildReadFailure(t *testing.T) {
	boom := errors.New("no GDAP relationship")
	dir := directoryOf(sampleUsers()...)
	dir.Fail(custB, boom)
	in := "user,sku,customer\namy@contoso.com,ENTERPRISEPACK," + custA + "\nb@b.com,ENTERPRISEPACK," + custB + "\nc@c.com,ENTERPRISEPACK," + custC + "\n"
	p, err := buildWith(t, in, sampleCatalogue(), planner.Options{Users: dir})
	if p != nil || !errors.Is(err, boom) {
		t.Fatalf("Build = %v, %v; want no plan and an error wrapping %v", p, err, boom)
	}
	if errors.As(err, new(*planner.InputError)) {
		t.Errorf("a read failure is an InputError: %v", err)
	}
	if want := "read users of customer " + custB + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}

	// A listing that fails after some pages plans nothing.
	failing := &failingPage{Directory: directoryOf(sampleUsers()...), n: 2, err: boom}
	failing.Costs.PageSize, failing.NoNameLookups = 1, true // looked for in a listing, a user a page: the sixth
	p, err = buildWith(t, "user,sku\njürgen@contoso.com,ENTERPRISEPACK\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: failing})
	if p != nil || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "read users of customer "+custA+": ") {
		t.Errorf("failing page 3: Build = %v, %v; want no plan and a read error wrapping %v", p, err, boom)
	}

	// A context canceled once the catalogue is read stops the reads.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat := &cancelingCatalogue{sampleCatalogue(), cancel}
	p, err = planner.Build(ctx, strings.NewReader("user,sku\namy@contoso.com,ENTERPRISEPACK\n"), cat, planner.Options{DefaultCustomer: custA, Users: directoryOf()})
	if p != nil || !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "read users of customer "+custA+": ") {
		t.Errorf("canceled: Build = %v, %v; want a read error wrapping context.Canceled", p, err)
	}

	// A file with problems is not read: nothing would be planned anyway.
	dir = directoryOf(sampleUsers()...)
	_, err = buildWith(t, "user,sku\namy@contoso.com,ENTERPRISEPAK\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA, Users: dir})
	problems(t, nil, err)
	if n := dir.TotalCalls(); n != 0 {
		t.Errorf("read users %d times for a file with problems, want 0", n)
	}
}

// TestBuildReadFailureAnnouncesNoMore: once one customer's reads fail, the customers
// still waiting for their turn are neither read nor announced by OnReads (a caller
// printing "reading N users of customer X" would otherwise name reads that never
// happen), and the error is the failing customer's.
func TestBuildReadFailureAnnouncesNoMore(t *testing.T) {
	boom := errors.New("no GDAP relationship")
	dir := directoryOf(sampleUsers()...)
	dir.Fail(custA, boom)
	in := "user,sku,customer\namy@contoso.com,ENTERPRISEPACK," + custA + "\nb@b.com,ENTERPRISEPACK," + custB + "\nc@c.com,ENTERPRISEPACK," + custC + "\n"
	var announced []string
	_, err := buildWith(t, in, sampleCatalogue(), planner.Options{Users: dir, ReadConcurrency: 1,
		OnReads: func(e planner.ReadEstimate) { announced = append(announced, e.Customer) }})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "read users of customer "+custA+": ") {
		t.Fatalf("Build: %v; want customer %s's read error", err, custA)
	}
	if !slices.Equal(announced, []string{custA}) {
		t.Errorf("OnReads announced %v, want only %s (one customer at a time, the first failing)", announced, custA)
	}
	for _, c := range []string{custB, custC} {
		if r := dir.Reads(c); r != (plannertest.Reads{}) {
			t.Errorf("customer %s read after the failure: %+v", c, r)
		}
	}
}

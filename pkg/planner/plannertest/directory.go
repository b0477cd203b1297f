package plannertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Directory is an in-memory client.Directory: for each customer the users Set gave it
// (none otherwise) with what they hold, and the deleted users SetDeleted gave it. It
// fails every read for customers given to Fail and counts its reads per customer. Its
// Costs (by default Partner Center's: lookups of one user at two reads, listing pages
// of 500 users without their licenses, lookups by principal name uncertain) are what
// ReadCosts reports and how LookupUsers and ListUsers behave. It is safe for
// concurrent use.
type Directory struct {
	Costs client.ReadCosts
	// NoNameLookups makes lookups by principal name find no one, as an API that
	// looks users up by object ID only would.
	NoNameLookups bool

	mu      sync.Mutex
	users   map[string][]client.User
	deleted map[string][]client.User
	errs    map[string]error
	reads   map[string]*Reads
	indexes map[string]*userIndex // of users, made when first needed; nil entries are stale
}

// Reads counts the reads of one customer.
type Reads struct {
	Lookups, Pages, DeletedPages, Licenses int
}

// Total is the requests the reads took, at the directory's costs.
func (r Reads) Total(c client.ReadCosts) int {
	return r.Lookups*c.LookupReads + r.Pages + r.DeletedPages + r.Licenses
}

// NewDirectory returns a directory in which no customer has users, with Partner
// Center's costs.
func NewDirectory() *Directory {
	return &Directory{
		Costs:   client.ReadCosts{LookupBatch: 1, LookupReads: 2, PageSize: 500, NameLookupsUncertain: true},
		users:   make(map[string][]client.User),
		deleted: make(map[string][]client.User),
		errs:    make(map[string]error),
		reads:   make(map[string]*Reads),
	}
}

// Set gives one customer its users, replacing any it had. A user without
// LicensesKnown holds nothing.
func (d *Directory) Set(customerID string, users ...client.User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[strings.ToLower(customerID)] = users
	delete(d.indexes, strings.ToLower(customerID))
}

// SetDeleted gives one customer its deleted users.
func (d *Directory) SetDeleted(customerID string, users ...client.User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deleted[strings.ToLower(customerID)] = users
}

// Fail makes every read for customerID return err.
func (d *Directory) Fail(customerID string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs[strings.ToLower(customerID)] = err
}

// Reads reports the reads the directory answered for customerID.
func (d *Directory) Reads(customerID string) Reads {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.reads[strings.ToLower(customerID)]; r != nil {
		return *r
	}
	return Reads{}
}

// Calls reports how many requests the directory answered for customerID.
func (d *Directory) Calls(customerID string) int { return d.Reads(customerID).Total(d.Costs) }

// TotalCalls reports how many requests the directory answered in all.
func (d *Directory) TotalCalls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, r := range d.reads {
		n += r.Total(d.Costs)
	}
	return n
}

// ReadCosts returns d.Costs.
func (d *Directory) ReadCosts() client.ReadCosts { return d.Costs }

// count records one read of customer and returns the customer's error, if any.
func (d *Directory) count(ctx context.Context, customerID string, f func(*Reads)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := strings.ToLower(customerID)
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.reads[key]
	if r == nil {
		r = &Reads{}
		d.reads[key] = r
	}
	f(r)
	if err := d.errs[key]; err != nil {
		return fmt.Errorf("fake directory: %w", err)
	}
	return nil
}

// LookupUsers returns the named users of the customer (matched by object ID or
// principal name, in any case) with what they hold; a user without LicensesKnown is
// returned with LicensesKnown set and no licenses. Users not found are left out.
func (d *Directory) LookupUsers(ctx context.Context, customerID string, names []string) ([]client.User, error) {
	if len(names) > max(d.Costs.LookupBatch, 1) {
		return nil, fmt.Errorf("fake directory: %d names in one lookup, at most %d", len(names), d.Costs.LookupBatch)
	}
	if err := d.count(ctx, customerID, func(r *Reads) { r.Lookups++ }); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(customerID)
	users, x := d.users[key], d.index(key)
	var found []int
	for _, n := range names {
		found = x.find(found, users, strings.TrimSpace(n), !d.NoNameLookups)
	}
	slices.Sort(found)
	var out []client.User
	for _, i := range slices.Compact(found) {
		u := users[i]
		u.LicensesKnown = true
		u.Licenses = slices.Clone(u.Licenses)
		out = append(out, u)
	}
	return out, nil
}

// ListUsers lists the customer's users (or its deleted users) Costs.PageSize a page,
// in the order Set gave them, with one empty page for a customer without users; the
// users carry their licenses only when Costs.ListingHasLicenses. An error from page
// stops the listing and is returned wrapped.
func (d *Directory) ListUsers(ctx context.Context, customerID string, deleted bool, page func([]client.User) error) error {
	d.mu.Lock()
	users := d.users[strings.ToLower(customerID)] // Set replaces the slice, never changes it
	if deleted {
		users = d.deleted[strings.ToLower(customerID)]
	}
	d.mu.Unlock()
	size := max(d.Costs.PageSize, 1)
	for n := 1; ; n++ {
		if err := d.count(ctx, customerID, func(r *Reads) {
			if deleted {
				r.DeletedPages++
			} else {
				r.Pages++
			}
		}); err != nil {
			return err
		}
		end := min(size, len(users))
		out := make([]client.User, end)
		for i, u := range users[:end] {
			if d.Costs.ListingHasLicenses {
				u.LicensesKnown, u.Licenses = true, slices.Clone(u.Licenses)
			} else {
				u.LicensesKnown, u.Licenses = false, nil
			}
			out[i] = u
		}
		if err := page(out); err != nil {
			return fmt.Errorf("fake directory: page %d: %w", n, err)
		}
		users = users[end:]
		if len(users) == 0 {
			return nil
		}
	}
}

// UserLicenses returns what the customer's user with that object ID holds.
func (d *Directory) UserLicenses(ctx context.Context, customerID, userID string) ([]client.License, error) {
	if err := d.count(ctx, customerID, func(r *Reads) { r.Licenses++ }); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(customerID)
	if found := d.index(key).find(nil, d.users[key], userID, false); len(found) > 0 {
		return slices.Clone(d.users[key][found[0]].Licenses), nil
	}
	return nil, fmt.Errorf("fake directory: user %s not found", userID)
}

// Users returns a copy of the users Set gave customerID, in order. It does not count as
// a read.
func (d *Directory) Users(customerID string) []client.User {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.users[strings.ToLower(customerID)])
}

// ActiveUser returns an active user with usage location "US" who holds nothing.
func ActiveUser(id, upn string) client.User {
	return client.User{ID: id, PrincipalName: upn, UsageLocation: "US", State: client.UserActive, LicensesKnown: true}
}

// Holding returns u holding the given SKUs, with every plan.
func Holding(u client.User, skuIDs ...string) client.User {
	for _, id := range skuIDs {
		u.Licenses = append(u.Licenses, client.License{SkuID: id})
	}
	u.LicensesKnown = true
	return u
}

// InputUser is the customer and the user of one row of an input file, as
// planner.Rows reads them.
type InputUser struct{ Customer, User string }

// DirectoryOf returns a directory that lists every distinct user of an input file's
// rows (planner.Rows gives them) as an active user with usage location "US".
// A user given by user principal name is listed under that name in lower case, with
// the object ID 00000000-0000-4000-8000-<its number>; a user given otherwise is listed
// with that object ID and a made-up principal name.
//
// Every skipEvery-th distinct user (counting from 1; 0 for none) is left out, made
// inactive or left without a usage location, in turn, so that large plans have rows of
// each kind to skip. rows is sorted in place.
func DirectoryOf(rows []InputUser, skipEvery int) *Directory {
	// Sort the rows and drop repeats: no map of a million names, so that the directory
	// costs about what a listing would.
	for i, r := range rows {
		rows[i] = InputUser{strings.ToLower(r.Customer), strings.ToLower(r.User)}
	}
	slices.SortFunc(rows, func(a, b InputUser) int {
		if c := strings.Compare(a.Customer, b.Customer); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	rows = slices.Compact(rows)
	d := NewDirectory()
	for n, e := range rows {
		// Clone the name so that, as in a decoded listing, each user's strings lie in
		// memory in listing order.
		u := ActiveUser(fmt.Sprintf("00000000-0000-4000-8000-%012x", n+1), strings.Clone(e.User))
		if !strings.Contains(e.User, "@") {
			u.ID, u.PrincipalName = e.User, fmt.Sprintf("user%d@generated.invalid", n+1)
		}
		if skipEvery > 0 && (n+1)%skipEvery == 0 {
			switch (n + 1) / skipEvery % 3 {
			case 0:
				continue
			case 1:
				u.State = "inactive"
			default:
				u.UsageLocation = ""
			}
		}
		d.users[e.Customer] = append(d.users[e.Customer], u)
	}
	return d
}

// ObjectID is the object ID of generated user i.
func ObjectID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1) }

// UserName is the principal name of generated user i.
func UserName(i int) string { return fmt.Sprintf("user%d@contoso.com", i+1) }

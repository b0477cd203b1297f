package plannertest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Directory is an in-memory planner.UserDirectory, standing in for the users call
// described at
// https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer.
// It lists for each customer the users Set gave it (none otherwise), fails for
// customers given to Fail, and counts calls per customer. It is safe for concurrent use.
type Directory struct {
	mu    sync.Mutex
	users map[string][]client.User
	errs  map[string]error
	calls map[string]int
}

// NewDirectory returns a directory in which no customer has users.
func NewDirectory() *Directory {
	return &Directory{users: make(map[string][]client.User), errs: make(map[string]error), calls: make(map[string]int)}
}

// Set gives one customer its users, replacing any it had.
func (d *Directory) Set(customerID string, users ...client.User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[strings.ToLower(customerID)] = users
}

// Fail makes every call for customerID return err.
func (d *Directory) Fail(customerID string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs[strings.ToLower(customerID)] = err
}

// Calls reports how many calls the directory answered for customerID.
func (d *Directory) Calls(customerID string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[strings.ToLower(customerID)]
}

// TotalCalls reports how many calls the directory answered in all.
func (d *Directory) TotalCalls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, v := range d.calls {
		n += v
	}
	return n
}

// ListUsersPages lists the customer's users a page at a time, as
// client.Client.ListUsersPages does: page is called with a fresh slice of at most
// pageSize users (client.DefaultUserPageSize when 0), in the order Set gave them, once
// per page and with one empty page for a customer without users; an error from page stops
// the listing and is returned wrapped. Customers are matched in any case; the context
// is checked before each page. Each listing counts as one call.
func (d *Directory) ListUsersPages(ctx context.Context, customerID string, pageSize int, page func([]client.User) error) (*client.Response, error) {
	if err := ctx.Err(); err != nil {
		return &client.Response{}, err
	}
	switch {
	case pageSize < 0:
		return &client.Response{}, fmt.Errorf("fake directory: page size %d: must not be negative", pageSize)
	case pageSize == 0:
		pageSize = client.DefaultUserPageSize
	}
	key := strings.ToLower(customerID)
	d.mu.Lock()
	d.calls[key]++
	err := d.errs[key]
	users := d.users[key] // Set replaces the slice, never changes it
	d.mu.Unlock()
	if err != nil {
		return &client.Response{StatusCode: 403, Attempts: 1}, fmt.Errorf("fake directory: %w", err)
	}
	for n := 1; ; n++ {
		if n > 1 {
			if err := ctx.Err(); err != nil {
				return &client.Response{Attempts: n - 1}, err
			}
		}
		end := min(pageSize, len(users))
		if err := page(append(make([]client.User, 0, end), users[:end]...)); err != nil {
			return &client.Response{StatusCode: 200, Attempts: n}, fmt.Errorf("fake directory: page %d: %w", n, err)
		}
		users = users[end:]
		if len(users) == 0 {
			return &client.Response{StatusCode: 200, Attempts: n}, nil
		}
	}
}

// Users returns a copy of the users Set gave customerID, in order. It does not count as
// a call.
func (d *Directory) Users(customerID string) []client.User {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.users[strings.ToLower(customerID)])
}

// ActiveUser returns an active user with usage location "US".
func ActiveUser(id, upn string) client.User {
	return client.User{ID: id, UserPrincipalName: upn, DisplayName: strings.Split(upn, "@")[0],
		UsageLocation: "US", State: "active", Attributes: &client.Attributes{ObjectType: "CustomerUser"}}
}

// DirectoryFor returns a directory that lists every distinct user of the input file read
// from r (a file with a user column and, optionally, a customer column; rows without a
// customer belong to defaultCustomer) as an active user with usage location "US".
// A user given by user principal name is listed under that name in lower case, with
// the object ID 00000000-0000-4000-8000-<its number>; a user given otherwise is listed
// with that object ID and a made-up principal name.
//
// Every skipEvery-th distinct user (counting from 1; 0 for none) is left out, made
// inactive or left without a usage location, in turn, so that large plans have rows of
// each kind to skip.
func DirectoryFor(r io.Reader, defaultCustomer string, skipEvery int) (*Directory, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	userCol, custCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))) {
		case "user":
			userCol = i
		case "customer":
			custCol = i
		}
	}
	if userCol < 0 {
		return nil, errors.New("read header: no user column")
	}
	// Collect every row's customer and user, then sort and drop repeats: no map of a
	// million names, so that the directory costs about what a listing would.
	type entry struct{ customer, user string }
	var all []entry
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read rows: %w", err)
		}
		cust := defaultCustomer
		if custCol >= 0 && strings.TrimSpace(rec[custCol]) != "" {
			cust = rec[custCol]
		}
		user := strings.ToLower(strings.TrimSpace(rec[userCol]))
		if user == "" {
			continue
		}
		all = append(all, entry{strings.ToLower(strings.TrimSpace(cust)), user})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if c := strings.Compare(a.customer, b.customer); c != 0 {
			return c
		}
		return strings.Compare(a.user, b.user)
	})
	all = slices.Compact(all)
	d := NewDirectory()
	for n, e := range all {
		// Clone the name so that, as in a decoded listing, each user's strings lie in
		// memory in listing order.
		u := ActiveUser(fmt.Sprintf("00000000-0000-4000-8000-%012x", n+1), strings.Clone(e.user))
		if !strings.Contains(e.user, "@") {
			u.ID, u.UserPrincipalName = e.user, fmt.Sprintf("user%d@generated.invalid", n+1)
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
		d.users[e.customer] = append(d.users[e.customer], u)
	}
	return d, nil
}

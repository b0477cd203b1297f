package client

import "context"

// Backend is one licensing API as bulkassign uses it: a catalogue of SKUs per
// customer, a directory of users and what they hold, and one call that applies a
// change. Planner, runner and report see only this; a backend is a package under
// pkg/client (partnercenter, graph) that implements it on the HTTP machinery here.
type Backend interface {
	// API names the backend: "partnercenter" or "graph".
	API() string
	// CorrelationID is the ID every call of the backend carries, for support.
	CorrelationID() string
	// Catalogue returns the customer's SKUs that licenses can be assigned from, with
	// their units and service plans: one read.
	Catalogue(ctx context.Context, customer string) ([]Sku, error)
	Directory
	// Apply sends one change as call (which may be nil): the call's Stop keeps it from
	// being sent once a run stops, and its Response says how it went. A refusal is an
	// *APIError whose Reason says what it means for the rows.
	Apply(ctx context.Context, ch Change, call *Call) (Applied, error)
}

// Directory reads a customer's users and what they hold. The planner chooses between
// looking users up and listing the directory from ReadCosts and the counts.
type Directory interface {
	// LookupUsers reads the named users (object IDs or user principal names, at most
	// ReadCosts().LookupBatch of them) with what they hold. Users not found are left
	// out; names match in any case.
	LookupUsers(ctx context.Context, customer string, names []string) ([]User, error)
	// ListUsers lists the customer's users a page at a time, in the API's order; with
	// deleted set, the deleted (inactive) users instead. page may keep the slice.
	ListUsers(ctx context.Context, customer string, deleted bool, page func([]User) error) error
	// UserLicenses reads what one user holds, for a listing that leaves it out.
	UserLicenses(ctx context.Context, customer, userID string) ([]License, error)
	// ReadCosts says what reads cost, for choosing between lookups and a listing.
	ReadCosts() ReadCosts
}

// ReadCosts is what a Directory's reads cost in requests.
type ReadCosts struct {
	LookupBatch int // names one LookupUsers call takes
	LookupReads int // requests one LookupUsers call makes
	PageSize    int // users one listing page holds
	// ListingHasLicenses is set when a listing's users carry their licenses;
	// otherwise each user found needs one UserLicenses read.
	ListingHasLicenses bool
	// NameLookupsUncertain is set when a lookup by user principal name may miss a user
	// who exists (the API documents lookups by object ID only): names not found are
	// then looked for in a listing.
	NameLookupsUncertain bool
}

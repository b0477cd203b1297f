package client

import "strings"

// Sku is one product a customer subscribes to, as bulkassign plans with it, whatever
// the API that lists it.
type Sku struct {
	ID         string // the product SKU ID (a GUID) that changes carry
	Name       string // the product name people know ("Office 365 Enterprise E3"); "" when unknown
	PartNumber string // the short code ("ENTERPRISEPACK")
	// Group is the license group: one request carries SKUs of one group only
	// (Partner Center's "group1" and "group2"); "" where the API has no groups.
	Group     string
	Total     int // units bought
	Consumed  int // units assigned
	Available int // units free to assign now
	Plans     []ServicePlan
	// Aliases are other names a row may give the SKU (a product name from Microsoft's
	// published table where the API lists none).
	Aliases []string
}

// Label names the SKU in messages: "Office 365 Enterprise E3" (ENTERPRISEPACK), or its
// part number or ID when it has no name.
func (s *Sku) Label() string {
	switch {
	case s.Name != "" && s.PartNumber != "":
		return `"` + s.Name + `" (` + s.PartNumber + `)`
	case s.Name != "":
		return `"` + s.Name + `"`
	case s.PartNumber != "":
		return s.PartNumber
	}
	return s.ID
}

// ServicePlan is one service inside a SKU; changes name service plans by ID.
type ServicePlan struct {
	ID          string
	Name        string // the service name ("EXCHANGE_S_ENTERPRISE")
	DisplayName string // the name people know ("Exchange Online (Plan 2)"); "" when unknown
}

// User states. The APIs may name others (Graph's disabled accounts are active for
// licensing); a state other than UserActive and "" stops assignments to the user.
const (
	UserActive   = "active"
	UserInactive = "inactive" // deleted, and restorable for 30 days
)

// User is a customer's user and, when read, the licenses the user holds.
type User struct {
	ID            string // the object ID
	PrincipalName string
	UsageLocation string // the two-letter country a user needs before a license
	State         string // UserActive, UserInactive or the API's word; "" counts as active
	// Licenses is what the user holds; LicensesKnown says whether it was read (a
	// listing that leaves licenses out reads none).
	Licenses      []License
	LicensesKnown bool
}

// Active reports whether licenses may be assigned to the user.
func (u *User) Active() bool {
	return u.State == "" || strings.EqualFold(u.State, UserActive)
}

// License is one SKU a user holds.
type License struct {
	SkuID string
	// DisabledPlans are the service plan IDs of the SKU the user does not have
	// (Partner Center calls them excluded plans).
	DisabledPlans []string
	// Inherited is set for a license the user holds through a group: it cannot be
	// removed from the user directly.
	Inherited bool
}

// Change is every change one request makes to one user of one customer.
type Change struct {
	Customer string
	// User is the user as the request addresses it: the object ID when known, else
	// the user principal name the input gave.
	User string
	// Group is the license group of every SKU of the change ("" where the API has none).
	Group  string
	Assign []Assignment
	Remove []string // SKU IDs
	// UsageLocation, when not "", is set on the user before the assignment: the user
	// has none, and an assignment needs one.
	UsageLocation string
}

// Assignment is one SKU to assign; DisabledPlans are the service plan IDs to leave off
// (nil: every plan).
type Assignment struct {
	SkuID         string
	DisabledPlans []string
}

// Applied is what the service answered to a change that succeeded.
type Applied struct {
	Warnings         []string // the service's warnings, e.g. plans it could not enable
	UsageLocationSet bool     // the change's UsageLocation was set on the user
}

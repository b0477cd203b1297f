package graphfake

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/google/uuid"
)

// SubscribedSku is a subscribedSku resource as Graph v1.0 describes it: a commercial
// subscription a tenant has acquired. ConsumedUnits is the ledger's live count; the
// service computes free seats as PrepaidUnits.Enabled - ConsumedUnits.
//
// See https://learn.microsoft.com/graph/api/resources/subscribedsku
type SubscribedSku struct {
	ID               string             `json:"id,omitempty"` // "{tenantId}_{skuId}"; the fake fills it in
	AccountID        string             `json:"accountId,omitempty"`
	AccountName      string             `json:"accountName,omitempty"`
	AppliesTo        string             `json:"appliesTo"` // User or Company
	CapabilityStatus string             `json:"capabilityStatus"`
	ConsumedUnits    int                `json:"consumedUnits"`
	PrepaidUnits     LicenseUnitsDetail `json:"prepaidUnits"`
	ServicePlans     []ServicePlanInfo  `json:"servicePlans"`
	SkuID            string             `json:"skuId"`
	SkuPartNumber    string             `json:"skuPartNumber"`
	SubscriptionIDs  []string           `json:"subscriptionIds"`
}

// LicenseUnitsDetail is the prepaidUnits of a subscribedSku.
type LicenseUnitsDetail struct {
	Enabled   int `json:"enabled"`
	LockedOut int `json:"lockedOut"`
	Suspended int `json:"suspended"`
	Warning   int `json:"warning"`
}

// ServicePlanInfo is one service plan of a subscribedSku.
type ServicePlanInfo struct {
	AppliesTo          string `json:"appliesTo"`
	ProvisioningStatus string `json:"provisioningStatus"`
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
}

// AssignedLicense is one item of a user's assignedLicenses, and of the addLicenses of
// an assignLicense body.
type AssignedLicense struct {
	DisabledPlans []string `json:"disabledPlans"`
	SkuID         string   `json:"skuId"`
}

// LicenseAssignmentState is one item of a user's licenseAssignmentStates: one path by
// which the user holds a SKU, directly (AssignedByGroup nil) or through a group.
type LicenseAssignmentState struct {
	AssignedByGroup     *string  `json:"assignedByGroup"`
	DisabledPlans       []string `json:"disabledPlans"`
	Error               string   `json:"error"`
	LastUpdatedDateTime string   `json:"lastUpdatedDateTime"`
	SkuID               string   `json:"skuId"`
	State               string   `json:"state"`
}

// User is one user of a tenant as the fake is seeded with it. A user is addressable
// in a path by ID or by user principal name (any case). Disabled is the opposite of
// Graph's accountEnabled, so that the zero value is an enabled account.
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	UsageLocation     string // ISO 3166-1 alpha-2; "" for none
	Disabled          bool
}

// Capability statuses a subscribedSku may have.
var capabilityStatuses = []string{"Enabled", "Warning", "Suspended", "Deleted", "LockedOut"}

// LoadSubscribedSkus reads a catalogue in Graph's shape: the body of a subscribedSkus
// GET ({"value": [...]}) or a bare JSON array of subscribedSku. Every item needs a
// skuId in GUID form, unique in the catalogue; appliesTo must be User or Company (any
// case; empty means User); capabilityStatus one of Enabled, Warning, Suspended,
// Deleted, LockedOut (empty means Enabled); units and plans as Graph has them.
// A service plan needs a servicePlanId in GUID form.
func LoadSubscribedSkus(r io.Reader) ([]SubscribedSku, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read subscribed SKUs: %w", err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return nil, errors.New("decode subscribed SKUs: the catalogue is empty")
	}
	var items []SubscribedSku
	switch trimmed[0] {
	case '[':
		err = json.Unmarshal(trimmed, &items)
	case '{':
		var coll struct {
			Value *[]SubscribedSku `json:"value"`
		}
		if err = json.Unmarshal(trimmed, &coll); err == nil {
			if coll.Value == nil {
				return nil, errors.New(`decode subscribed SKUs: the object has no "value" array`)
			}
			items = *coll.Value
		}
	default:
		return nil, errors.New(`decode subscribed SKUs: expected a JSON object with "value" or a JSON array`)
	}
	if err != nil {
		return nil, fmt.Errorf("decode subscribed SKUs: %w", err)
	}
	if err := normaliseSkus(items); err != nil {
		return nil, fmt.Errorf("check subscribed SKUs: %w", err)
	}
	return items, nil
}

// normaliseSkus validates a catalogue in place, spelling appliesTo and
// capabilityStatus as Graph does and filling defaults.
func normaliseSkus(items []SubscribedSku) error {
	seen := make(map[string]int, len(items))
	for i := range items {
		it := &items[i]
		if !isGUID(it.SkuID) {
			return fmt.Errorf("item %d: skuId %q is not a GUID", i+1, it.SkuID)
		}
		key := strings.ToLower(it.SkuID)
		if j, dup := seen[key]; dup {
			return fmt.Errorf("item %d: skuId %s repeats item %d", i+1, it.SkuID, j)
		}
		seen[key] = i + 1
		switch {
		case it.AppliesTo == "" || strings.EqualFold(it.AppliesTo, "User"):
			it.AppliesTo = "User"
		case strings.EqualFold(it.AppliesTo, "Company"):
			it.AppliesTo = "Company"
		default:
			return fmt.Errorf("item %d (%s): appliesTo %q is neither User nor Company", i+1, it.SkuID, it.AppliesTo)
		}
		status, ok := canonical(capabilityStatuses, it.CapabilityStatus)
		if it.CapabilityStatus == "" {
			status, ok = "Enabled", true
		}
		if !ok {
			return fmt.Errorf("item %d (%s): capabilityStatus %q is not one of %s", i+1, it.SkuID, it.CapabilityStatus, strings.Join(capabilityStatuses, ", "))
		}
		it.CapabilityStatus = status
		u := it.PrepaidUnits
		if it.ConsumedUnits < 0 || u.Enabled < 0 || u.Warning < 0 || u.Suspended < 0 || u.LockedOut < 0 {
			return fmt.Errorf("item %d (%s): negative units", i+1, it.SkuID)
		}
		plans := make(map[string]bool, len(it.ServicePlans))
		for j, p := range it.ServicePlans {
			if !isGUID(p.ServicePlanID) {
				return fmt.Errorf("item %d (%s): service plan %d: servicePlanId %q is not a GUID", i+1, it.SkuID, j+1, p.ServicePlanID)
			}
			if plans[strings.ToLower(p.ServicePlanID)] {
				return fmt.Errorf("item %d (%s): service plan %s repeats", i+1, it.SkuID, p.ServicePlanID)
			}
			plans[strings.ToLower(p.ServicePlanID)] = true
			if it.ServicePlans[j].AppliesTo == "" {
				it.ServicePlans[j].AppliesTo = "User"
			}
			if it.ServicePlans[j].ProvisioningStatus == "" {
				it.ServicePlans[j].ProvisioningStatus = "Success"
			}
		}
		if it.ServicePlans == nil {
			it.ServicePlans = []ServicePlanInfo{}
		}
		if it.SubscriptionIDs == nil {
			it.SubscriptionIDs = []string{}
		}
	}
	return nil
}

// canonical returns the member of set equal to s in any case.
func canonical(set []string, s string) (string, bool) {
	for _, x := range set {
		if strings.EqualFold(x, s) {
			return x, true
		}
	}
	return "", false
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// copySku deep-copies a subscribed SKU.
func copySku(it SubscribedSku) SubscribedSku {
	it.ServicePlans = append([]ServicePlanInfo{}, it.ServicePlans...)
	it.SubscriptionIDs = append([]string{}, it.SubscriptionIDs...)
	return it
}

// generatedUserDomain is the domain GenerateUsers uses when given none.
const generatedUserDomain = "contoso.onmicrosoft.com"

// GenerateUsers makes n users of domain (contoso.onmicrosoft.com when empty) for tests
// and demos: user i (from 1) has the user principal name user0000i@domain (five digits
// at least), display name "User 0000i", usage location US, an enabled account, and an
// object ID in GUID form (version 4) drawn from seed, so that the same n, domain and
// seed give the same users. The IDs are distinct. To make some users unfit for an
// assignment, change them before WithUsers or AddUsers:
//
//	users := graphfake.GenerateUsers(1000, "contoso.onmicrosoft.com", 1)
//	users[10].UsageLocation = "" // never given a usage location
func GenerateUsers(n int, domain string, seed int64) []User {
	if n <= 0 {
		return nil
	}
	if strings.TrimSpace(domain) == "" {
		domain = generatedUserDomain
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7f4a7c159e3779b9))
	seen := make(map[uuid.UUID]struct{}, n)
	users := make([]User, n)
	for i := range users {
		var id uuid.UUID
		for {
			binary.BigEndian.PutUint64(id[:8], rng.Uint64())
			binary.BigEndian.PutUint64(id[8:], rng.Uint64())
			id[6] = id[6]&0x0f | 0x40 // version 4
			id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
			if _, dup := seen[id]; !dup {
				break
			}
		}
		seen[id] = struct{}{}
		num := fmt.Sprintf("%05d", i+1)
		users[i] = User{
			ID:                id.String(),
			UserPrincipalName: "user" + num + "@" + domain,
			DisplayName:       "User " + num,
			UsageLocation:     "US",
		}
	}
	return users
}

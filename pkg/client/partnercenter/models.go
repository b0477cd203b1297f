package partnercenter

import (
	"encoding/json"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// LicenseGroupID names a license group in a subscribedskus query. The query spells the
// groups Group1 and Group2; responses spell them group1 and group2 (compare with
// strings.EqualFold).
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
type LicenseGroupID string

const (
	// Group1 holds every product whose licenses are managed in Azure AD (Microsoft Entra ID).
	Group1 LicenseGroupID = "Group1"
	// Group2 holds Minecraft product licenses only.
	Group2 LicenseGroupID = "Group2"
)

// Attributes is the attributes object the API attaches to every resource.
type Attributes struct {
	ObjectType string `json:"objectType,omitempty"`
}

// SubscribedSkus is the collection a subscribedskus GET returns.
type SubscribedSkus struct {
	TotalCount int             `json:"totalCount"`
	Items      []SubscribedSku `json:"items"`
	Attributes *Attributes     `json:"attributes,omitempty"`
}

// SubscribedSku is one product a customer subscribes to, with its license units.
// AvailableUnits is TotalUnits less ConsumedUnits.
//
// See https://learn.microsoft.com/partner-center/developer/license-resources#subscribedsku
type SubscribedSku struct {
	AvailableUnits   int           `json:"availableUnits"`
	ActiveUnits      int           `json:"activeUnits"`
	ConsumedUnits    int           `json:"consumedUnits"`
	SuspendedUnits   int           `json:"suspendedUnits"`
	TotalUnits       int           `json:"totalUnits"`
	WarningUnits     int           `json:"warningUnits"`
	ProductSku       ProductSku    `json:"productSku"`
	ServicePlans     []ServicePlan `json:"servicePlans"`
	CapabilityStatus string        `json:"capabilityStatus,omitempty"`
	Attributes       *Attributes   `json:"attributes,omitempty"`
}

// ProductSku identifies a product: ID is what LicenseAssignment.SkuID and
// LicenseUpdate.LicensesToRemove carry, Name is the product name people know
// ("Office 365 Enterprise E3") and SkuPartNumber the short code ("ENTERPRISEPACK").
// LicenseGroupID is "group1" or "group2".
type ProductSku struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	SkuPartNumber  string `json:"skuPartNumber"`
	TargetType     string `json:"targetType,omitempty"`
	LicenseGroupID string `json:"licenseGroupId"`
}

// ServicePlan is one service inside a product SKU; LicenseAssignment.ExcludedPlans
// names service plans by ID.
type ServicePlan struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	ServiceName      string `json:"serviceName"`
	CapabilityStatus string `json:"capabilityStatus,omitempty"`
	TargetType       string `json:"targetType,omitempty"`
}

// LicenseUpdate is the body of a licenseupdates POST and of its answer: the licenses to
// assign and the product SKU IDs to remove, all of one license group.
//
// See https://learn.microsoft.com/partner-center/developer/assign-licenses-to-a-user
type LicenseUpdate struct {
	LicensesToAssign []LicenseAssignment `json:"licensesToAssign,omitempty"`
	LicensesToRemove []string            `json:"licensesToRemove,omitempty"`
	// LicenseWarnings is read-only: the API fills it in its answer.
	LicenseWarnings []LicenseWarning `json:"licenseWarnings,omitempty"`
	Attributes      *Attributes      `json:"attributes,omitempty"`
}

// LicenseAssignment is one product SKU to assign. ExcludedPlans lists service plan IDs to
// leave off; nil assigns every plan.
type LicenseAssignment struct {
	SkuID         string   `json:"skuId"`
	ExcludedPlans []string `json:"excludedPlans,omitempty"`
}

// LicenseWarning is a warning the API returns with a license update. Code decodes
// whether the server sends it as a string or a number.
type LicenseWarning struct {
	Code         string   `json:"code"`
	Message      string   `json:"message"`
	ServicePlans []string `json:"servicePlans,omitempty"`
}

// UnmarshalJSON decodes a warning in any field-name case, its code a string or a number.
func (w *LicenseWarning) UnmarshalJSON(b []byte) error {
	type plain LicenseWarning
	var v struct {
		plain
		Code client.FlexString `json:"code"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = LicenseWarning(v.plain)
	w.Code = string(v.Code)
	return nil
}

// User is a customer's user as GET /v1/customers/{id}/users lists it. UsageLocation is
// the two-letter country code a user needs before a license can be assigned; State is
// "active" or "inactive".
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
type User struct {
	ID                string      `json:"id"`
	UserPrincipalName string      `json:"userPrincipalName"`
	DisplayName       string      `json:"displayName"`
	UsageLocation     string      `json:"usageLocation"`
	State             string      `json:"state"`
	Attributes        *Attributes `json:"attributes,omitempty"`
}

// License is one product a user holds, as GET
// /v1/customers/{id}/users/{user}/licenses lists it: the product SKU and the service
// plans it brings.
//
// See https://learn.microsoft.com/partner-center/developer/check-which-licenses-are-assigned-to-a-user
type License struct {
	ProductSku   ProductSku    `json:"productSku"`
	ServicePlans []ServicePlan `json:"servicePlans"`
	Attributes   *Attributes   `json:"attributes,omitempty"`
}

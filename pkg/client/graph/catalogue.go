package graph

import (
	"context"
	"net/http"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// SubscribedSku is one item of GET /v1.0/subscribedSkus, the fields bulkassign reads.
//
// See https://learn.microsoft.com/graph/api/resources/subscribedsku
type SubscribedSku struct {
	SkuID            string `json:"skuId"`
	SkuPartNumber    string `json:"skuPartNumber"`
	AppliesTo        string `json:"appliesTo"`        // User or Company: only User SKUs are assignable
	CapabilityStatus string `json:"capabilityStatus"` // Enabled, Warning, Suspended, Deleted, LockedOut
	ConsumedUnits    int    `json:"consumedUnits"`
	PrepaidUnits     struct {
		Enabled   int `json:"enabled"`
		Suspended int `json:"suspended"`
		Warning   int `json:"warning"`
		LockedOut int `json:"lockedOut"`
	} `json:"prepaidUnits"`
	ServicePlans []ServicePlanInfo `json:"servicePlans"`
}

// ServicePlanInfo is one service plan of a subscribed SKU.
type ServicePlanInfo struct {
	ServicePlanID   string `json:"servicePlanId"`
	ServicePlanName string `json:"servicePlanName"`
	AppliesTo       string `json:"appliesTo"`
}

// Catalogue reads the customer's subscribed SKUs (one GET /v1.0/subscribedSkus, which
// takes no $filter) and returns those licenses can be assigned from: appliesTo User,
// capabilityStatus Enabled or Warning. Total is prepaidUnits.enabled, Available
// enabled minus consumed (never below 0: warning units are not counted as
// assignable), Name the names table's (Graph has none; it is also an alias), Plans
// the service plans that apply to users, with the table's friendly names. Graph has
// no license groups: Group is "".
//
// See https://learn.microsoft.com/graph/api/subscribedsku-list
func (b *Backend) Catalogue(ctx context.Context, customer string) ([]client.Sku, error) {
	const op = "list subscribed SKUs"
	call := &client.Call{Kind: client.Read, Tenant: customer}
	req := client.Request{Op: op, Method: http.MethodGet, URL: b.core.Endpoint("v1.0/subscribedSkus")}
	ans, err := b.do(ctx, req, call)
	if err != nil {
		return nil, err
	}
	var out struct {
		Value []SubscribedSku `json:"value"`
	}
	if err := client.DecodeJSON(op, &call.Response, ans.Body, &out); err != nil {
		return nil, err
	}
	skus := make([]client.Sku, 0, len(out.Value))
	for _, s := range out.Value {
		if assignable(s) {
			skus = append(skus, b.neutralSku(s))
		}
	}
	return skus, nil
}

// assignable reports whether licenses of s can be assigned to users.
func assignable(s SubscribedSku) bool {
	if !strings.EqualFold(strings.TrimSpace(s.AppliesTo), "User") {
		return false
	}
	st := strings.TrimSpace(s.CapabilityStatus)
	return strings.EqualFold(st, "Enabled") || strings.EqualFold(st, "Warning")
}

// neutralSku is a subscribed SKU in the neutral vocabulary, named from the table.
func (b *Backend) neutralSku(s SubscribedSku) client.Sku {
	sku := client.Sku{
		ID:         strings.TrimSpace(s.SkuID),
		PartNumber: strings.TrimSpace(s.SkuPartNumber),
		Total:      s.PrepaidUnits.Enabled,
		Consumed:   s.ConsumedUnits,
		Available:  max(0, s.PrepaidUnits.Enabled-s.ConsumedUnits),
	}
	if name, part, ok := b.names.ByID(sku.ID); ok {
		sku.Name = name
		if sku.PartNumber == "" {
			sku.PartNumber = part
		}
		if name != "" {
			sku.Aliases = []string{name}
		}
	}
	for _, p := range s.ServicePlans {
		if !strings.EqualFold(strings.TrimSpace(p.AppliesTo), "User") {
			continue
		}
		plan := client.ServicePlan{ID: strings.TrimSpace(p.ServicePlanID), Name: strings.TrimSpace(p.ServicePlanName)}
		if friendly, ok := b.names.PlanName(plan.ID); ok {
			plan.DisplayName = friendly
		}
		sku.Plans = append(sku.Plans, plan)
	}
	return sku
}

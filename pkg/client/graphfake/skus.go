package graphfake

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// skuCollection is the body of GET /subscribedSkus.
type skuCollection struct {
	Context string          `json:"@odata.context"`
	Value   []SubscribedSku `json:"value"`
}

// getSkus answers GET /subscribedSkus from the ledger, in catalogue order, every SKU
// (Company ones too: the client filters). $select, $top and $search are ignored, as
// Graph ignores them there; $filter is refused.
func (s *Server) getSkus(o *op) *result {
	if _, ok := queryOption(o.query, "$filter"); ok {
		return unsupportedQuery("$filter is not supported on subscribedSkus: filter on the client.", o.ids)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(o.who.tenant)]
	coll := skuCollection{Context: metadata + "subscribedSkus", Value: make([]SubscribedSku, 0, len(t.order))}
	for _, k := range t.order {
		coll.Value = append(coll.Value, copySku(k.item))
	}
	return jsonResult(http.StatusOK, coll)
}

// licenseDetail is one item of GET /users/{id}/licenseDetails.
type licenseDetail struct {
	ID            string            `json:"id"`
	ServicePlans  []ServicePlanInfo `json:"servicePlans"`
	SkuID         string            `json:"skuId"`
	SkuPartNumber string            `json:"skuPartNumber"`
}

type licenseDetailCollection struct {
	Context string          `json:"@odata.context"`
	Value   []licenseDetail `json:"value"`
}

// licenseDetails answers GET /users/{id}/licenseDetails: each SKU the user holds, in
// catalogue order, with its plans; a plan disabled for the user (on every path) is
// provisioningStatus Disabled.
func (s *Server) licenseDetails(o *op, ref string) *result {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(o.who.tenant)]
	u := t.user(ref)
	if u == nil {
		return notFound(ref, o.ids)
	}
	licenses := s.view(u).licenses
	coll := licenseDetailCollection{
		Context: metadata + "users('" + u.ID + "')/licenseDetails",
		Value:   []licenseDetail{},
	}
	for _, k := range t.order {
		grants := licenses[k.id()]
		if len(grants) == 0 {
			continue
		}
		disabled := effectiveDisabled(grants)
		plans := make([]ServicePlanInfo, 0, len(k.item.ServicePlans))
		for _, p := range k.item.ServicePlans {
			if slices.Contains(disabled, p.ServicePlanID) {
				p.ProvisioningStatus = "Disabled"
			}
			plans = append(plans, p)
		}
		coll.Value = append(coll.Value, licenseDetail{
			ID:            base64.RawURLEncoding.EncodeToString([]byte(k.id() + "_" + u.ID)),
			ServicePlans:  plans,
			SkuID:         k.id(),
			SkuPartNumber: k.item.SkuPartNumber,
		})
	}
	return jsonResult(http.StatusOK, coll)
}

package graph

import (
	"reflect"

	"github.com/bulkassign/bulkassign/pkg/client/productnames"
)

// Names is a product names table: Graph lists SKUs and plans by ID and part number
// only, and people know them by name. ByID returns a SKU's display name and part
// number; PlanName a service plan's friendly name. Methods must be safe for
// concurrent use.
//
// See https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference
type Names interface {
	ByID(skuID string) (name, partNumber string, ok bool)
	PlanName(planID string) (friendly string, ok bool)
}

// ProductNames adapts a productnames.Table to Names.
func ProductNames(t *productnames.Table) Names { return tableNames{t} }

// DefaultNames is Microsoft's published table as pinned in pkg/client/productnames
// (productnames.Default()).
func DefaultNames() Names { return ProductNames(productnames.Default()) }

type tableNames struct{ t *productnames.Table }

func (n tableNames) ByID(skuID string) (name, partNumber string, ok bool) {
	if n.t == nil {
		return "", "", false
	}
	p, ok := n.t.ByID(skuID)
	if !ok {
		return "", "", false
	}
	return p.Name, p.PartNumber, true
}

func (n tableNames) PlanName(planID string) (string, bool) {
	if n.t == nil {
		return "", false
	}
	p, ok := n.t.Plan(planID)
	if !ok || p.FriendlyName == "" {
		return "", false
	}
	return p.FriendlyName, true
}

// isNilNames reports whether n is a nil pointer (or map, or func) in an interface.
func isNilNames(n Names) bool {
	if tn, ok := n.(tableNames); ok {
		return tn.t == nil
	}
	v := reflect.ValueOf(n)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Slice, reflect.Interface:
		return v.IsNil()
	}
	return false
}

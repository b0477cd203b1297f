package pcfake

import (
	"fmt"
	"slices"
	"strings"
)

// Holding is one license a user holds from the start, as ReadHoldingsCSV reads it and
// WithHoldings seeds it: the customer ("" for the default one WithHoldings names), the
// user (an ID or user principal name), the product SKU ID and the service plan IDs
// left out (nil: every plan). Line is the line of the file it came from (0: none).
type Holding struct {
	Line          int
	Customer      string
	User          string
	SkuID         string
	ExcludedPlans []string
}

// pendingHolder is a holding waiting for New to resolve it; where names its origin in
// an error.
type pendingHolder struct {
	where                   string
	customerID, user, skuID string
	excluded                []string
}

// WithHolder makes user (an ID or user principal name) hold skuID from the start, with
// every service plan; it consumes one available unit. It is WithHolding without
// excluded plans.
func WithHolder(customerID, user, skuID string) Option {
	return func(s *Server) error {
		s.pendingHold = append(s.pendingHold, pendingHolder{"WithHolder", customerID, user, skuID, nil})
		return nil
	}
}

// WithHolding makes user (an ID or user principal name) hold skuID from the start with
// the service plans excludedPlans (IDs, any case) left out; it consumes one available
// unit. A second holding of the same SKU by the same user replaces the excluded plans
// and consumes no unit. The customer and the SKU must exist (WithCustomer), the user
// must be on the customer's list if it has one (WithUsers), and every excluded plan
// must be a service plan of the SKU; the holding is not checked otherwise (an inactive
// user, or one without a usage location, may hold licenses).
func WithHolding(customerID, user, skuID string, excludedPlans []string) Option {
	return func(s *Server) error {
		s.pendingHold = append(s.pendingHold, pendingHolder{"WithHolding", customerID, user, skuID, slices.Clone(excludedPlans)})
		return nil
	}
}

// WithHoldings seeds holdings as WithHolding does, each of the customer it names or,
// when it names none, of defaultCustomerID. An error names the holding's line.
func WithHoldings(defaultCustomerID string, holdings []Holding) Option {
	return func(s *Server) error {
		for i, h := range holdings {
			where := fmt.Sprintf("holding %d", i+1)
			if h.Line > 0 {
				where = fmt.Sprintf("holding on line %d", h.Line)
			}
			customerID := h.Customer
			if strings.TrimSpace(customerID) == "" {
				customerID = defaultCustomerID
			}
			s.pendingHold = append(s.pendingHold, pendingHolder{where, customerID, h.User, h.SkuID, slices.Clone(h.ExcludedPlans)})
		}
		return nil
	}
}

// AddHolder makes user hold skuID from now on, consuming one unit, as WithHolder does
// at construction (a demo seeds its tenant this way once it knows the users). It
// returns the error for which WithHolder would make New fail.
func (s *Server) AddHolder(customerID, user, skuID string) error {
	return s.AddHolding(customerID, user, skuID, nil)
}

// AddHolding makes user hold skuID from now on, with excludedPlans left out, as
// WithHolding does at construction. It returns the error for which WithHolding would
// make New fail, and then changes nothing.
func (s *Server) AddHolding(customerID, user, skuID string, excludedPlans []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addHolder(pendingHolder{"add holding", customerID, user, skuID, excludedPlans})
}

// addHolder records a starting holding, consuming one unit unless the user holds the
// SKU already. The caller holds s.mu, or is New.
func (s *Server) addHolder(ph pendingHolder) error {
	if strings.TrimSpace(ph.customerID) == "" {
		return fmt.Errorf("%s: no customer ID", ph.where)
	}
	c := s.customers[strings.ToLower(ph.customerID)]
	if c == nil {
		return fmt.Errorf("%s: no customer %s (add it with WithCustomer)", ph.where, ph.customerID)
	}
	if strings.TrimSpace(ph.user) == "" {
		return fmt.Errorf("%s %s: no user", ph.where, ph.customerID)
	}
	key, ok := c.userKey(ph.user)
	if !ok {
		return fmt.Errorf("%s %s: no user %q in the WithUsers list", ph.where, ph.customerID, ph.user)
	}
	k := c.skus[strings.ToLower(ph.skuID)]
	if k == nil {
		return fmt.Errorf("%s %s: no SKU %q in the customer's catalogue", ph.where, ph.customerID, ph.skuID)
	}
	var plans []string
	for _, p := range ph.excluded {
		canon, ok := k.plans[strings.ToLower(strings.TrimSpace(p))]
		if !ok {
			return fmt.Errorf("%s %s: excluded plan %q is not a service plan of SKU %s", ph.where, ph.customerID, p, k.id())
		}
		if !slices.Contains(plans, canon) {
			plans = append(plans, canon)
		}
	}
	if h := c.holders[key]; h != nil {
		if _, held := h.skus[k.id()]; held {
			h.skus[k.id()] = plans
			return nil
		}
	}
	if k.item.AvailableUnits < 1 {
		return fmt.Errorf("%s %s: SKU %s has no available unit left for %s", ph.where, ph.customerID, ph.skuID, ph.user)
	}
	c.holder(key, ph.user).skus[k.id()] = plans
	k.item.AvailableUnits--
	k.item.ConsumedUnits++
	return nil
}

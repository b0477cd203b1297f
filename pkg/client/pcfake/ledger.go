package pcfake

import (
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// customer is one customer tenant: its subscribed SKUs with live units, its users (if
// a list was given) and its ledger of holdings.
type customer struct {
	id      string
	order   []*sku             // catalogue order, for GET
	skus    map[string]*sku    // by lower-cased product SKU ID
	users   map[string]*User   // by lower-cased ID and user principal name; nil: no list
	list    []*User            // the user list in the order given, for the users GET
	holders map[string]*holder // by userKey
	// madeUp holds the users of a customer without a list that a PATCH changed, by
	// userKey; the others are made up afresh on each call (MakeUser).
	madeUp map[string]*User
}

// sku is one subscribed SKU; item's AvailableUnits and ConsumedUnits are the ledger's.
type sku struct {
	item  partnercenter.SubscribedSku
	group string            // group1 or group2
	plans map[string]string // lower-cased service plan ID -> ID as in the catalogue
}

func (k *sku) id() string { return k.item.ProductSku.ID }

// holder is what one user holds: product SKU ID -> excluded plan IDs (nil: none).
type holder struct {
	name string // the user as first seen
	skus map[string][]string
}

func newCustomer(id string, items []partnercenter.SubscribedSku) *customer {
	c := &customer{
		id:      id,
		skus:    make(map[string]*sku, len(items)),
		holders: make(map[string]*holder),
	}
	for _, it := range items {
		k := &sku{item: copySku(it), plans: make(map[string]string, len(it.ServicePlans))}
		k.group = k.item.ProductSku.LicenseGroupID
		for _, p := range it.ServicePlans {
			k.plans[strings.ToLower(p.ID)] = p.ID
		}
		c.order = append(c.order, k)
		c.skus[strings.ToLower(it.ProductSku.ID)] = k
	}
	return c
}

// userKey names a user in the ledger: the user's lower-cased ID when the customer has
// a user list (so that ID and user principal name meet), else the lower-cased object
// ID the fake makes up for the path segment (objectIDOf), so that a name and the ID a
// user GET gave for it meet. ok is false for a user missing from the list.
func (c *customer) userKey(user string) (key string, ok bool) {
	if c.users == nil {
		return strings.ToLower(objectIDOf(user)), true
	}
	u := c.users[strings.ToLower(user)]
	if u == nil {
		return "", false
	}
	return strings.ToLower(u.ID), true
}

// holder returns the user's holdings, creating them named as first seen.
func (c *customer) holder(key, name string) *holder {
	h := c.holders[key]
	if h == nil {
		h = &holder{name: name, skus: make(map[string][]string)}
		c.holders[key] = h
	}
	return h
}

// outcome is what processing one licenseupdates call produced.
type outcome struct {
	answer    *answer
	applied   bool // answered 201 and committed to the ledger
	reapplied bool // applied, and an equal body was applied before for this user
	notHeld   bool // refused: a removal of a SKU the user does not hold (strict removals)
	groups    []string
}

// apply processes one licenseupdates call against the ledger, all or nothing; problem
// is a body the decoder already rejected. The caller holds no lock.
func (s *Server) apply(customerID, user string, upd partnercenter.LicenseUpdate, problem string) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return outcome{answer: customerNotFound(customerID)}
	}
	key, ok := c.userKey(user)
	if !ok {
		return outcome{answer: userNotFound(c.id, user)}
	}
	if problem != "" {
		return outcome{answer: invalidInput(problem)}
	}
	if len(upd.LicensesToAssign) == 0 && len(upd.LicensesToRemove) == 0 {
		return outcome{answer: invalidInput("The license update names no license to assign and none to remove.")}
	}

	removes, assigns, groups, refusal := c.resolve(upd)
	if refusal != nil {
		return outcome{answer: refusal, groups: groups}
	}
	if len(assigns) > 0 {
		if a := c.refuseAssignment(user); a != nil {
			return outcome{answer: a, groups: groups}
		}
	}

	var held map[string][]string
	if h := c.holders[key]; h != nil {
		held = h.skus
	}
	if s.behaviour.strictRemovals {
		for _, k := range removes {
			if _, ok := held[k.id()]; !ok {
				return outcome{answer: notHeld(user, k.id()), notHeld: true, groups: groups}
			}
		}
	}

	// Play the update on a copy: removals first, then assignments.
	next := make(map[string][]string, len(held)+len(assigns))
	for id, plans := range held {
		next[id] = plans
	}
	delta := make(map[*sku]int)
	for _, k := range removes {
		if _, ok := next[k.id()]; ok {
			delete(next, k.id())
			delta[k]--
		}
	}
	for _, a := range assigns {
		if _, ok := next[a.k.id()]; !ok {
			delta[a.k]++
		}
		next[a.k.id()] = a.plans
	}
	for _, a := range assigns {
		if d := delta[a.k]; d > 0 && a.k.item.AvailableUnits < d {
			return outcome{answer: outOfLicenses(c.id, a.k.id()), groups: groups}
		}
	}

	// Commit.
	for k, d := range delta {
		k.item.AvailableUnits -= d
		k.item.ConsumedUnits += d
	}
	if len(next) == 0 {
		delete(c.holders, key)
	} else {
		c.holder(key, user).skus = next
	}
	fp := s.fingerprint(c.id, key, upd)
	_, seen := s.fingerprints[fp]
	s.fingerprints[fp] = struct{}{}
	return outcome{answer: licenseUpdateAnswer(upd), applied: true, reapplied: seen, groups: groups}
}

// assignment is one license to assign, resolved: the SKU and the excluded plan IDs
// as the catalogue spells them.
type assignment struct {
	k     *sku
	plans []string
}

// resolve finds the SKUs and plans a license update names, before anything touches
// the ledger: an unknown SKU or plan, or a mix of license groups, is the refusal. groups
// are the license groups met, sorted.
func (c *customer) resolve(upd partnercenter.LicenseUpdate) (removes []*sku, assigns []assignment, groups []string, refusal *answer) {
	addGroup := func(g string) {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	removes = make([]*sku, 0, len(upd.LicensesToRemove))
	for i, id := range upd.LicensesToRemove {
		k := c.skus[strings.ToLower(id)]
		if k == nil {
			return nil, nil, sorted(groups), unknownSku(c.id, fmt.Sprintf("licensesToRemove[%d]", i), id)
		}
		addGroup(k.group)
		removes = append(removes, k)
	}
	assigns = make([]assignment, 0, len(upd.LicensesToAssign))
	for i, la := range upd.LicensesToAssign {
		k := c.skus[strings.ToLower(la.SkuID)]
		if k == nil {
			return nil, nil, sorted(groups), unknownSku(c.id, fmt.Sprintf("licensesToAssign[%d].skuId", i), la.SkuID)
		}
		addGroup(k.group)
		var plans []string
		for _, p := range la.ExcludedPlans {
			canon, ok := k.plans[strings.ToLower(p)]
			if !ok {
				return nil, nil, sorted(groups), errorAnswer(http.StatusBadRequest, codeInvalidInput,
					fmt.Sprintf("Service plan %s in licensesToAssign[%d].excludedPlans is not a service plan of product SKU %s.", p, i, k.id()), p)
			}
			if !slices.Contains(plans, canon) {
				plans = append(plans, canon)
			}
		}
		assigns = append(assigns, assignment{k, plans})
	}
	groups = sorted(groups)
	if len(groups) > 1 {
		return nil, nil, groups, errorAnswer(http.StatusBadRequest, codeInvalidInput,
			fmt.Sprintf("A license update may carry licenses of one license group only; this one mixes %s.", strings.Join(groups, " and ")),
			groups...)
	}
	return removes, assigns, groups, nil
}

// fingerprint hashes a customer, a user and a license update in a canonical form (IDs
// lower-cased, lists sorted), so that equal updates meet. The caller holds s.mu.
func (s *Server) fingerprint(customerID, userKey string, upd partnercenter.LicenseUpdate) uint64 {
	var b strings.Builder
	b.WriteString(strings.ToLower(customerID))
	b.WriteByte('|')
	b.WriteString(userKey)
	assigns := make([]string, 0, len(upd.LicensesToAssign))
	for _, la := range upd.LicensesToAssign {
		plans := make([]string, len(la.ExcludedPlans))
		for i, p := range la.ExcludedPlans {
			plans[i] = strings.ToLower(p)
		}
		slices.Sort(plans)
		assigns = append(assigns, strings.ToLower(la.SkuID)+"("+strings.Join(plans, ",")+")")
	}
	slices.Sort(assigns)
	removes := make([]string, len(upd.LicensesToRemove))
	for i, id := range upd.LicensesToRemove {
		removes[i] = strings.ToLower(id)
	}
	slices.Sort(removes)
	b.WriteString("|+")
	b.WriteString(strings.Join(assigns, ";"))
	b.WriteString("|-")
	b.WriteString(strings.Join(removes, ";"))
	return maphash.String(s.hashSeed, b.String())
}

// subscribedSkus answers a subscribedskus GET from the ledger. groups nil means every
// group.
func (s *Server) subscribedSkus(customerID string, groups []string) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return customerNotFound(customerID)
	}
	coll := partnercenter.SubscribedSkus{
		Items:      []partnercenter.SubscribedSku{},
		Attributes: &partnercenter.Attributes{ObjectType: "Collection"},
	}
	for _, k := range c.order {
		if groups != nil && !slices.Contains(groups, k.group) {
			continue
		}
		it := k.item
		it.ServicePlans = slices.Clone(k.item.ServicePlans)
		attrs := *k.item.Attributes
		it.Attributes = &attrs
		coll.Items = append(coll.Items, it)
	}
	coll.TotalCount = len(coll.Items)
	return jsonAnswer(http.StatusOK, coll)
}

// parseGroups reads the licenseGroupIds query values (Group1, Group2, any case,
// repeated or comma-separated). No value means every group (nil).
func parseGroups(values []string) ([]string, error) {
	var groups []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			g, ok := normaliseGroup(part)
			if !ok {
				return nil, fmt.Errorf("licenseGroupIds %q is neither Group1 nor Group2", part)
			}
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	return groups, nil
}

func sorted(ss []string) []string {
	slices.Sort(ss)
	return ss
}

package graphfake

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// tenant is one customer tenant: its subscribed SKUs with live consumed units, its
// users with what each holds, and the roles the partner holds in it.
type tenant struct {
	id             string
	order          []*sku           // catalogue order
	skus           map[string]*sku  // by lower-cased skuId
	users          map[string]*user // by lower-cased ID and user principal name
	list           []*user          // in the order added, for GET /users
	deleted        []*user          // deleted users, in the order added (WithDeletedUsers)
	roles          map[string]bool  // lower-cased role names; nil: every role
	consentRefused bool
}

// sku is one subscribed SKU; item.ConsumedUnits is the ledger's.
type sku struct {
	item  SubscribedSku
	plans map[string]string // lower-cased servicePlanId -> as in the catalogue
}

func (k *sku) id() string { return k.item.SkuID }

// user is one user with its licenses: canonical skuId -> the paths it holds it by.
// The map is replaced, never changed, so that past keeps earlier states intact.
type user struct {
	User
	licenses  map[string][]grant
	past      []snapshot // earlier states WithReadLag may still show, oldest first
	deletedAt time.Time  // when a deleted user was deleted; zero for the others
}

// grant is one path by which a user holds a SKU: directly (group "") or through a
// group, with the plans that path disables.
type grant struct {
	group    string
	disabled []string // canonical plan IDs, never nil
	updated  time.Time
}

func newTenant(id string, items []SubscribedSku) *tenant {
	t := &tenant{
		id:    id,
		skus:  make(map[string]*sku, len(items)),
		users: make(map[string]*user),
	}
	for _, it := range items {
		k := &sku{item: copySku(it), plans: make(map[string]string, len(it.ServicePlans))}
		k.item.ID = id + "_" + it.SkuID
		k.item.AccountID = id
		for _, p := range it.ServicePlans {
			k.plans[strings.ToLower(p.ServicePlanID)] = p.ServicePlanID
		}
		t.order = append(t.order, k)
		t.skus[strings.ToLower(it.SkuID)] = k
	}
	return t
}

// user finds a user by object ID or user principal name, in any case.
func (t *tenant) user(ref string) *user {
	return t.users[strings.ToLower(ref)]
}

// hasRole reports whether the partner holds any of roles in the tenant.
func (t *tenant) hasRole(roles []string) bool {
	if t.roles == nil || t.roles["global administrator"] {
		return true
	}
	for _, r := range roles {
		if t.roles[strings.ToLower(r)] {
			return true
		}
	}
	return false
}

// addUsers installs users, all or none: each needs an object ID in GUID form and a
// user principal name, unique in the tenant, and a valid usage location or none. A
// user whose ID is known replaces the earlier entry in its place, keeping its licenses.
func (t *tenant) addUsers(users []User) error {
	upns := make(map[string]string, len(users))
	for i, u := range users {
		if !isGUID(u.ID) {
			return fmt.Errorf("user %d (%q): the ID %q is not a GUID", i+1, u.UserPrincipalName, u.ID)
		}
		if strings.TrimSpace(u.UserPrincipalName) == "" {
			return fmt.Errorf("user %d (%s) has no user principal name", i+1, u.ID)
		}
		if t.deletedUser(u.ID) != nil {
			return fmt.Errorf("user %d (%s): the ID is a deleted user's", i+1, u.ID)
		}
		if u.UsageLocation != "" && !validCountry(u.UsageLocation) {
			return fmt.Errorf("user %d (%s): usage location %q is not an ISO 3166-1 alpha-2 code", i+1, u.ID, u.UsageLocation)
		}
		upn := strings.ToLower(u.UserPrincipalName)
		if other, dup := upns[upn]; dup && !strings.EqualFold(other, u.ID) {
			return fmt.Errorf("user %d (%s): user principal name %s is also user %s's", i+1, u.ID, u.UserPrincipalName, other)
		}
		upns[upn] = u.ID
		if known := t.users[upn]; known != nil && !strings.EqualFold(known.ID, u.ID) {
			return fmt.Errorf("user %d (%s): user principal name %s belongs to user %s", i+1, u.ID, u.UserPrincipalName, known.ID)
		}
	}
	for _, in := range users {
		in.UsageLocation = strings.ToUpper(in.UsageLocation)
		if u := t.users[strings.ToLower(in.ID)]; u != nil {
			delete(t.users, strings.ToLower(u.UserPrincipalName))
			u.User = in
			t.users[strings.ToLower(in.UserPrincipalName)] = u
			continue
		}
		u := &user{User: in, licenses: make(map[string][]grant)}
		t.list = append(t.list, u)
		t.users[strings.ToLower(in.ID)] = u
		t.users[strings.ToLower(in.UserPrincipalName)] = u
	}
	return nil
}

// seed is a holding given to WithHolder, WithGroupHolder, AddHolder or AddGroupHolder.
type seed struct {
	tenant, user, sku, group string
	disabled                 []string
}

// addSeed records a starting holding unchecked by the rules of assignLicense (usage
// location, conflicts), consuming one unit if the user did not hold the SKU yet.
func (t *tenant) addSeed(sd seed, free func(*sku) int, now time.Time) error {
	u := t.user(sd.user)
	if u == nil {
		return fmt.Errorf("no user %q in tenant %s (add it with WithUsers)", sd.user, t.id)
	}
	k := t.skus[strings.ToLower(sd.sku)]
	if k == nil {
		return fmt.Errorf("no SKU %s in tenant %s", sd.sku, t.id)
	}
	disabled, err := k.canonicalPlans(sd.disabled)
	if err != nil {
		return err
	}
	grants := u.licenses[k.id()]
	if len(grants) == 0 && free(k) < 1 {
		return fmt.Errorf("SKU %s of tenant %s has no free unit left for %s", sd.sku, t.id, sd.user)
	}
	if len(grants) == 0 {
		k.item.ConsumedUnits++
	}
	next := maps.Clone(u.licenses) // copy on write: WithReadLag may still show the old map
	next[k.id()] = setGrant(grants, grant{group: sd.group, disabled: disabled, updated: now})
	u.licenses = next
	return nil
}

// canonicalPlans spells plan IDs as the catalogue does, refusing a plan that is not
// one of the SKU's, and drops repeats. The result is never nil.
func (k *sku) canonicalPlans(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		c, ok := k.plans[strings.ToLower(id)]
		if !ok {
			return nil, fmt.Errorf("service plan %s is not a plan of SKU %s", id, k.id())
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// setGrant replaces or adds the grant of g's path, keeping the direct grant first and
// the group grants in group order.
func setGrant(grants []grant, g grant) []grant {
	out := make([]grant, 0, len(grants)+1)
	for _, x := range grants {
		if !strings.EqualFold(x.group, g.group) {
			out = append(out, x)
		}
	}
	out = append(out, g)
	slices.SortFunc(out, func(a, b grant) int { return strings.Compare(strings.ToLower(a.group), strings.ToLower(b.group)) })
	return out
}

// direct returns the user's direct grant of a SKU, if any.
func direct(grants []grant) (grant, bool) {
	for _, g := range grants {
		if g.group == "" {
			return g, true
		}
	}
	return grant{}, false
}

// effectiveDisabled is what assignedLicenses shows for a SKU held by several paths: a
// plan is disabled only when every path disables it.
func effectiveDisabled(grants []grant) []string {
	if len(grants) == 0 {
		return []string{}
	}
	out := []string{}
	for _, p := range grants[0].disabled {
		all := true
		for _, g := range grants[1:] {
			if !slices.Contains(g.disabled, p) {
				all = false
				break
			}
		}
		if all {
			out = append(out, p)
		}
	}
	return out
}

// assigned lists the assignedLicenses of a user's licenses in catalogue order.
func (t *tenant) assigned(licenses map[string][]grant) []AssignedLicense {
	out := []AssignedLicense{}
	for _, k := range t.order {
		if grants := licenses[k.id()]; len(grants) > 0 {
			out = append(out, AssignedLicense{DisabledPlans: effectiveDisabled(grants), SkuID: k.id()})
		}
	}
	return out
}

// states lists the licenseAssignmentStates of a user's licenses in catalogue order,
// one per path.
func (t *tenant) states(licenses map[string][]grant) []LicenseAssignmentState {
	out := []LicenseAssignmentState{}
	for _, k := range t.order {
		for _, g := range licenses[k.id()] {
			st := LicenseAssignmentState{
				DisabledPlans:       slices.Clone(g.disabled),
				Error:               "None",
				LastUpdatedDateTime: g.updated.UTC().Format(time.RFC3339),
				SkuID:               k.id(),
				State:               "Active",
			}
			if g.group != "" {
				group := g.group
				st.AssignedByGroup = &group
			}
			out = append(out, st)
		}
	}
	return out
}

// errNoTenant is the error of a seeding call naming an unknown tenant.
var errNoTenant = errors.New("no such tenant (add it with WithTenant)")

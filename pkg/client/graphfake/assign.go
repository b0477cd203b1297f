package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// assignRequest is a decoded assignLicense body.
type assignRequest struct {
	add    []AssignedLicense
	remove []string
}

// decodeAssign reads an assignLicense body: both addLicenses and removeLicenses are
// required (null only WithNullLicenseLists), disabledPlans may be left out, every ID
// is a GUID. Keys match in any case.
func (s *Server) decodeAssign(o *op) (assignRequest, *result) {
	var req assignRequest
	if !isJSON(o.header) {
		return req, graphError(http.StatusBadRequest, codeBadRequest, msgBadJSON, o.ids)
	}
	var fields map[string]json.RawMessage
	if err := decodeStrict(o.body, &fields); err != nil || fields == nil {
		return req, graphError(http.StatusBadRequest, codeBadRequest, msgBadJSON, o.ids)
	}
	var addRaw, removeRaw json.RawMessage
	for k, v := range fields {
		switch {
		case strings.EqualFold(k, "addLicenses"):
			addRaw = v
		case strings.EqualFold(k, "removeLicenses"):
			removeRaw = v
		default:
			return req, graphError(http.StatusBadRequest, codeBadRequest, fmt.Sprintf(
				"The parameter '%s' in the request payload is not a valid parameter for the operation 'assignLicense'.", k), o.ids)
		}
	}
	var missing []string
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"addLicenses", addRaw}, {"removeLicenses", removeRaw}} {
		if f.raw == nil || (string(f.raw) == "null" && !s.nullLists) {
			missing = append(missing, f.name)
		}
	}
	if missing != nil {
		return req, missingParameters(missing, o.ids)
	}
	if json.Unmarshal(addRaw, &req.add) != nil || json.Unmarshal(removeRaw, &req.remove) != nil {
		return req, graphError(http.StatusBadRequest, codeBadRequest, msgBadJSON, o.ids)
	}
	for _, a := range req.add {
		for _, id := range append([]string{a.SkuID}, a.DisabledPlans...) {
			if !isGUID(id) {
				return req, badGUID(id, o.ids)
			}
		}
	}
	for _, id := range req.remove {
		if !isGUID(id) {
			return req, badGUID(id, o.ids)
		}
	}
	return req, nil
}

func badGUID(v string, id ids) *result {
	return graphError(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'Edm.Guid'.", v), id)
}

// isJSON reports whether a request says its body is JSON.
func isJSON(h http.Header) bool {
	return strings.Contains(strings.ToLower(h.Get("Content-Type")), "json")
}

// assignLicense answers POST /users/{id|userPrincipalName}/assignLicense: removals
// and additions applied together or not at all, with 200 and the user.
func (s *Server) assignLicense(o *op, ref string) *result {
	req, bad := s.decodeAssign(o)
	if bad != nil {
		return bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(o.who.tenant)]
	u := t.user(ref)
	if u == nil {
		return notFound(ref, o.ids)
	}
	next, delta, problem := s.plan(t, u, req)
	if problem != "" {
		return badRequest(problem, o.ids)
	}
	for k, d := range delta {
		k.item.ConsumedUnits += d
	}
	s.record(u)
	u.licenses = next
	body := t.renderUser(u, s.view(u), defaultUserProps, metadata+"users/$entity")
	return &result{status: http.StatusOK, body: body, applied: true}
}

// plan plays an assignLicense on a copy of the user's licenses: it returns the
// licenses after it and the change of each SKU's consumed units, or the message of
// the first rule it breaks. The caller holds s.mu.
func (s *Server) plan(t *tenant, u *user, req assignRequest) (map[string][]grant, map[*sku]int, string) {
	adds := make([]*sku, len(req.add))
	for i, a := range req.add {
		if adds[i] = t.skus[strings.ToLower(a.SkuID)]; adds[i] == nil {
			return nil, nil, fmt.Sprintf(msgInvalidSkuTempl, a.SkuID)
		}
		if slices.Contains(adds[:i], adds[i]) {
			return nil, nil, fmt.Sprintf("License %s appears more than once in addLicenses.", adds[i].id())
		}
	}
	removes := make([]*sku, len(req.remove))
	for i, id := range req.remove {
		if removes[i] = t.skus[strings.ToLower(id)]; removes[i] == nil {
			return nil, nil, fmt.Sprintf(msgInvalidSkuTempl, id)
		}
	}
	if len(adds) > 0 && u.UsageLocation == "" {
		return nil, nil, msgUsageLocation
	}
	next := make(map[string][]grant, len(u.licenses)+len(adds))
	for id, grants := range u.licenses {
		next[id] = slices.Clone(grants)
	}
	delta := make(map[*sku]int)
	for _, k := range removes {
		grants := next[k.id()]
		if len(grants) == 0 {
			return nil, nil, msgNotHeld
		}
		if _, ok := direct(grants); !ok {
			return nil, nil, msgInherited
		}
		grants = slices.DeleteFunc(grants, func(g grant) bool { return g.group == "" })
		next[k.id()] = grants
		if len(grants) == 0 {
			delete(next, k.id())
			delta[k]--
		}
	}
	now := time.Now()
	for i, k := range adds {
		if k.item.AppliesTo != "User" {
			return nil, nil, fmt.Sprintf("License %s applies to the company and cannot be assigned to a user.", k.id())
		}
		disabled, err := k.canonicalPlans(req.add[i].DisabledPlans)
		if err != nil {
			return nil, nil, fmt.Sprintf("Service plan in disabledPlans of license %s is not valid: %v.", k.id(), err)
		}
		held := len(next[k.id()]) > 0
		if !held {
			delta[k]++
		}
		if (!held && s.free(k) < delta[k]) || (held && s.readdNeedsSeat && s.free(k) < 1) {
			return nil, nil, fmt.Sprintf(msgNoLicensesTempl, k.id())
		}
		next[k.id()] = setGrant(next[k.id()], grant{disabled: disabled, updated: now})
	}
	if problem := s.checkPlans(t, next, adds); problem != "" {
		return nil, nil, problem
	}
	return next, delta, ""
}

// checkPlans applies the seeded plan rules to the plans a user would have enabled,
// for the plans of the SKUs the request adds.
func (s *Server) checkPlans(t *tenant, licenses map[string][]grant, adds []*sku) string {
	if len(s.conflicts) == 0 && len(s.depends) == 0 {
		return ""
	}
	enabled := make(map[string]string) // lower-cased -> as in the catalogue
	added := make(map[string]bool)
	for _, k := range t.order {
		grants := licenses[k.id()]
		if len(grants) == 0 {
			continue
		}
		disabled := effectiveDisabled(grants)
		for _, p := range k.item.ServicePlans {
			if slices.Contains(disabled, p.ServicePlanID) {
				continue
			}
			enabled[strings.ToLower(p.ServicePlanID)] = p.ServicePlanID
			if slices.Contains(adds, k) {
				added[strings.ToLower(p.ServicePlanID)] = true
			}
		}
	}
	for _, c := range s.conflicts {
		a, okA := enabled[c[0]]
		b, okB := enabled[c[1]]
		if okA && okB && (added[c[0]] || added[c[1]]) {
			return fmt.Sprintf(msgExclusiveTempl, a, b)
		}
	}
	for _, k := range t.order {
		for _, p := range k.item.ServicePlans {
			id := strings.ToLower(p.ServicePlanID)
			requires := s.depends[id]
			if len(requires) == 0 || !added[id] || enabled[id] == "" {
				continue
			}
			if !slices.ContainsFunc(requires, func(r string) bool { return enabled[r] != "" }) {
				return fmt.Sprintf(msgDependsTempl, p.ServicePlanID, strings.Join(requires, ","))
			}
		}
	}
	return ""
}

// patchUser answers PATCH /users/{id|userPrincipalName}: usageLocation (an ISO
// 3166-1 alpha-2 code, any case, or null to clear it), displayName and
// accountEnabled are kept; other user properties are accepted and not kept; 204.
func (s *Server) patchUser(o *op, ref string) *result {
	var fields map[string]json.RawMessage
	if !isJSON(o.header) || decodeStrict(o.body, &fields) != nil || fields == nil {
		return graphError(http.StatusBadRequest, codeBadRequest, msgBadJSON, o.ids)
	}
	var loc, name *string
	var enabled *bool
	for k, v := range fields {
		p, known := canonical(userProps, k)
		var err error
		switch {
		case !known:
			return graphError(http.StatusBadRequest, codeBadRequest, fmt.Sprintf(
				"The property '%s' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type.", k), o.ids)
		case p == "usageLocation":
			err = json.Unmarshal(v, &loc)
			if err == nil && loc != nil && *loc != "" && !validCountry(*loc) {
				err = fmt.Errorf("not a country code")
			}
		case p == "displayName":
			err = json.Unmarshal(v, &name)
		case p == "accountEnabled":
			err = json.Unmarshal(v, &enabled)
		case p == "id" || p == "assignedLicenses" || p == "licenseAssignmentStates":
			return badRequest(fmt.Sprintf("Property '%s' is read-only and cannot be set.", p), o.ids)
		}
		if err != nil {
			return badRequest(fmt.Sprintf("Invalid value specified for property '%s' of resource 'User'.", p), o.ids)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.tenants[strings.ToLower(o.who.tenant)].user(ref)
	if u == nil {
		return notFound(ref, o.ids)
	}
	s.record(u)
	if _, set := fieldFold(fields, "usageLocation"); set {
		u.UsageLocation = ""
		if loc != nil {
			u.UsageLocation = strings.ToUpper(*loc)
		}
	}
	if name != nil {
		u.DisplayName = *name
	}
	if enabled != nil {
		u.Disabled = !*enabled
	}
	return &result{status: http.StatusNoContent, applied: true}
}

// fieldFold finds a JSON object member named in any case.
func fieldFold(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

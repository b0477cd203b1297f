package graphfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Paths of the inspection endpoints that WithInspection serves.
const (
	inspectPrefix       = "/_graphfake/"
	InspectStatsPath    = "/_graphfake/stats"
	InspectHoldingsPath = "/_graphfake/holdings"
	InspectUnitsPath    = "/_graphfake/units"
	InspectRequestsPath = "/_graphfake/requests"
)

// SkuUnits is one item of the /_graphfake/units answer: the live units of one
// subscribed SKU of a tenant.
type SkuUnits struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	AppliesTo     string `json:"appliesTo"`
	Enabled       int    `json:"enabled"`
	Warning       int    `json:"warning"`
	Consumed      int    `json:"consumed"`
	Free          int    `json:"free"` // what an assignment may still take
}

// Holdings returns a copy of a tenant's ledger: for each user who holds anything,
// keyed by object ID, the SKU IDs held and the plans disabled for each, as
// assignedLicenses shows them (a plan held by several paths is disabled only if every
// path disables it; never nil). Units the catalogue lists as consumed belong to no
// user and are not in it. An unknown tenant gives nil.
func (s *Server) Holdings(tenantID string) map[string]map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil {
		return nil
	}
	out := make(map[string]map[string][]string)
	for _, u := range t.list {
		for _, al := range t.assigned(u.licenses) {
			if out[u.ID] == nil {
				out[u.ID] = make(map[string][]string)
			}
			out[u.ID][al.SkuID] = al.DisabledPlans
		}
	}
	return out
}

// LicenseStates returns a user's licenseAssignmentStates: one per path (direct, or
// each group) by which it holds each SKU; nil for an unknown tenant or user.
func (s *Server) LicenseStates(tenantID, user string) []LicenseAssignmentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil || t.user(user) == nil {
		return nil
	}
	return t.states(t.user(user).licenses)
}

// User returns a tenant's user as the fake has it now (usage location after a PATCH,
// for example).
func (s *Server) User(tenantID, user string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil || t.user(user) == nil {
		return User{}, false
	}
	return t.user(user).User, true
}

// Units returns the units of one SKU of a tenant an assignment may still take (see
// WithWarningUnitsAssignable) and those consumed; zeros when either is unknown.
func (s *Server) Units(tenantID, skuID string) (free, consumed int) {
	units, _ := s.skuUnits(tenantID, skuID)
	if len(units) == 0 {
		return 0, 0
	}
	return units[0].Free, units[0].Consumed
}

// skuUnits lists the units of a tenant's SKUs in catalogue order, or of the one SKU
// named (any case); known is false for an unknown tenant.
func (s *Server) skuUnits(tenantID, skuID string) (units []SkuUnits, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil {
		return nil, false
	}
	units = []SkuUnits{}
	for _, k := range t.order {
		if skuID != "" && !strings.EqualFold(k.id(), skuID) {
			continue
		}
		units = append(units, SkuUnits{
			SkuID: k.id(), SkuPartNumber: k.item.SkuPartNumber, AppliesTo: k.item.AppliesTo,
			Enabled: k.item.PrepaidUnits.Enabled, Warning: k.item.PrepaidUnits.Warning,
			Consumed: k.item.ConsumedUnits, Free: s.free(k),
		})
	}
	return units, true
}

// serveInspection builds the mux of the inspection endpoints:
//
//	GET /_graphfake/stats                      Stats
//	GET /_graphfake/holdings?tenant=ID         Holdings(ID): {userId: {skuId: [disabled plans]}}
//	GET /_graphfake/units?tenant=ID[&sku=ID]   [SkuUnits...] in catalogue order, or of the one SKU
//	GET /_graphfake/requests                   Requests(): the request log
//
// They need no token, meet no latency, budget or fault, and count in no Stats. An
// unknown tenant or SKU is answered 404, a missing tenant 400, with {"error": "..."}.
func (s *Server) serveInspection() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+InspectStatsPath, func(w http.ResponseWriter, r *http.Request) {
		writeInspection(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET "+InspectHoldingsPath, func(w http.ResponseWriter, r *http.Request) {
		id, ok := inspectedTenant(w, r)
		if !ok {
			return
		}
		if h := s.Holdings(id); h != nil {
			writeInspection(w, http.StatusOK, h)
			return
		}
		writeInspectionError(w, http.StatusNotFound, "no tenant "+id)
	})
	mux.HandleFunc("GET "+InspectUnitsPath, func(w http.ResponseWriter, r *http.Request) {
		id, ok := inspectedTenant(w, r)
		if !ok {
			return
		}
		sku := strings.TrimSpace(r.URL.Query().Get("sku"))
		units, known := s.skuUnits(id, sku)
		switch {
		case !known:
			writeInspectionError(w, http.StatusNotFound, "no tenant "+id)
		case sku != "" && len(units) == 0:
			writeInspectionError(w, http.StatusNotFound, fmt.Sprintf("no SKU %s in tenant %s", sku, id))
		default:
			writeInspection(w, http.StatusOK, units)
		}
	})
	mux.HandleFunc("GET "+InspectRequestsPath, func(w http.ResponseWriter, r *http.Request) {
		log := s.Requests()
		if log == nil {
			log = []Request{}
		}
		writeInspection(w, http.StatusOK, log)
	})
	mux.HandleFunc(inspectPrefix, func(w http.ResponseWriter, r *http.Request) {
		paths := []string{InspectStatsPath, InspectHoldingsPath, InspectUnitsPath, InspectRequestsPath}
		if slices.Contains(paths, r.URL.Path) {
			w.Header().Set("Allow", "GET, HEAD")
			writeInspectionError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+": the inspection endpoints answer GET only")
			return
		}
		writeInspectionError(w, http.StatusNotFound, fmt.Sprintf("no inspection endpoint answers %s %s; try GET %s, %s?tenant=ID, %s?tenant=ID[&sku=ID] or %s",
			r.Method, r.URL.Path, InspectStatsPath, InspectHoldingsPath, InspectUnitsPath, InspectRequestsPath))
	})
	s.inspect = mux
}

// inspectedTenant reads the tenant query parameter, answering 400 when it is missing.
func inspectedTenant(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := strings.TrimSpace(r.URL.Query().Get("tenant"))
	if id == "" {
		writeInspectionError(w, http.StatusBadRequest, "the tenant query parameter is required: ?tenant=ID")
		return "", false
	}
	return id, true
}

func writeInspection(w http.ResponseWriter, status int, v any) {
	b := append(encodeJSON(v), '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeInspectionError(w http.ResponseWriter, status int, msg string) {
	writeInspection(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

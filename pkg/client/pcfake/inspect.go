package pcfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Paths of the inspection endpoints that WithInspection serves.
const (
	InspectStatsPath    = "/_pcfake/stats"
	InspectHoldingsPath = "/_pcfake/holdings"
	InspectUnitsPath    = "/_pcfake/units"
	InspectRequestsPath = "/_pcfake/requests"
)

// SkuUnits is one item of the /_pcfake/units answer: the live units of one subscribed
// SKU of a customer, as the ledger has them.
type SkuUnits struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	LicenseGroup  string `json:"licenseGroupId"`
	Available     int    `json:"available"`
	Consumed      int    `json:"consumed"`
}

// serveInspection adds the inspection endpoints to the mux. They bypass serve: no
// token, latency, rate limit, fault or counter applies to them.
func (s *Server) serveInspection() {
	s.mux.HandleFunc("GET "+InspectStatsPath, func(w http.ResponseWriter, r *http.Request) {
		writeInspection(w, http.StatusOK, s.Stats())
	})
	s.mux.HandleFunc("GET "+InspectHoldingsPath, func(w http.ResponseWriter, r *http.Request) {
		id, ok := inspectedCustomer(w, r)
		if !ok {
			return
		}
		h := s.Holdings(id)
		if h == nil {
			writeInspectionError(w, http.StatusNotFound, fmt.Sprintf("no customer %s", id))
			return
		}
		writeInspection(w, http.StatusOK, h)
	})
	s.mux.HandleFunc("GET "+InspectUnitsPath, func(w http.ResponseWriter, r *http.Request) {
		id, ok := inspectedCustomer(w, r)
		if !ok {
			return
		}
		sku := strings.TrimSpace(r.URL.Query().Get("sku"))
		units, known := s.skuUnits(id, sku)
		switch {
		case !known:
			writeInspectionError(w, http.StatusNotFound, fmt.Sprintf("no customer %s", id))
		case sku != "" && len(units) == 0:
			writeInspectionError(w, http.StatusNotFound, fmt.Sprintf("no SKU %s in the catalogue of customer %s", sku, id))
		default:
			writeInspection(w, http.StatusOK, units)
		}
	})
	s.mux.HandleFunc("GET "+InspectRequestsPath, func(w http.ResponseWriter, r *http.Request) {
		log := s.Requests()
		if log == nil {
			log = []Request{}
		}
		writeInspection(w, http.StatusOK, log)
	})
	s.mux.HandleFunc("/_pcfake/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case InspectStatsPath, InspectHoldingsPath, InspectUnitsPath, InspectRequestsPath:
			w.Header().Set("Allow", "GET, HEAD")
			writeInspectionError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: the inspection endpoints answer GET only", r.Method, r.URL.Path))
			return
		}
		writeInspectionError(w, http.StatusNotFound, fmt.Sprintf("no inspection endpoint answers %s %s; try GET %s, %s?customer=ID, %s?customer=ID[&sku=ID] or %s",
			r.Method, r.URL.Path, InspectStatsPath, InspectHoldingsPath, InspectUnitsPath, InspectRequestsPath))
	})
}

// skuUnits lists the units of a customer's SKUs in catalogue order, or of the one SKU
// named (any case); known is false for an unknown customer.
func (s *Server) skuUnits(customerID, skuID string) (units []SkuUnits, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return nil, false
	}
	units = []SkuUnits{}
	for _, k := range c.order {
		if skuID != "" && !strings.EqualFold(k.id(), skuID) {
			continue
		}
		units = append(units, SkuUnits{
			SkuID:         k.id(),
			SkuPartNumber: k.item.ProductSku.SkuPartNumber,
			LicenseGroup:  k.group,
			Available:     k.item.AvailableUnits,
			Consumed:      k.item.ConsumedUnits,
		})
	}
	return units, true
}

// inspectedCustomer reads the customer query parameter, answering 400 when it is missing.
func inspectedCustomer(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := strings.TrimSpace(r.URL.Query().Get("customer"))
	if id == "" {
		writeInspectionError(w, http.StatusBadRequest, "the customer query parameter is required: ?customer=ID")
		return "", false
	}
	return id, true
}

func writeInspection(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value served here is made of strings, numbers, maps and slices.
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeInspectionError(w http.ResponseWriter, status int, msg string) {
	writeInspection(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

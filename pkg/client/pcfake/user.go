package pcfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// licenseItem is one license a user holds, in a user licenses GET answer.
type licenseItem struct {
	ProductSku   partnercenter.ProductSku    `json:"productSku"`
	ServicePlans []partnercenter.ServicePlan `json:"servicePlans"`
	Attributes   partnercenter.Attributes    `json:"attributes"`
}

type licenseCollection struct {
	TotalCount int                      `json:"totalCount"`
	Items      []licenseItem            `json:"items"`
	Attributes partnercenter.Attributes `json:"attributes"`
}

// userUpdate is the body of a user PATCH: the fields the fake can change. Other fields
// of the User resource are accepted and ignored.
type userUpdate struct {
	UsageLocation *string `json:"usageLocation"`
	DisplayName   *string `json:"displayName"`
}

// serveUser answers a user GET: the user as the users listing shows it.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-user-account-by-id
func (s *Server) serveUser(w http.ResponseWriter, r *http.Request, ex *Request) {
	if !s.sleep(r.Context()) || s.injectFailure(w, ex) {
		return
	}
	a := s.lookupUser(ex.Customer, ex.User)
	if a.status == http.StatusOK {
		s.count(func(st *Stats) { st.UserLookups++ })
	}
	s.write(w, ex, a)
}

func (s *Server) lookupUser(customerID, user string) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return customerNotFound(customerID)
	}
	u, _ := c.findUser(user, s.behaviour)
	if u == nil {
		return userNotFound(c.id, user)
	}
	return jsonAnswer(http.StatusOK, itemOf(u))
}

// serveUpdateUser answers a user PATCH: it sets the usage location (and display name)
// the body names and answers 200 with the user.
//
// See https://learn.microsoft.com/partner-center/developer/update-user-accounts-for-a-customer
func (s *Server) serveUpdateUser(w http.ResponseWriter, r *http.Request, ex *Request) {
	upd, problem := decodeUserUpdate(w, r)
	if upd.UsageLocation != nil {
		ex.UsageLocation = *upd.UsageLocation
	}
	if !s.sleep(r.Context()) || s.injectFailure(w, ex) {
		return
	}
	a := s.updateUser(ex.Customer, ex.User, upd, problem)
	if a.status == http.StatusOK {
		s.count(func(st *Stats) { st.UserUpdates++ })
	}
	s.write(w, ex, a)
}

// decodeUserUpdate reads a user PATCH body. problem is "" for a usable body, else the
// description of a 400 answer.
func decodeUserUpdate(w http.ResponseWriter, r *http.Request) (upd userUpdate, problem string) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&upd); err != nil {
		if errors.Is(err, io.EOF) {
			return userUpdate{}, "The request body is empty: send the user's fields to change."
		}
		return userUpdate{}, fmt.Sprintf("The request body is not a valid User: %v.", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return userUpdate{}, "The request body holds more than one JSON value."
	}
	switch {
	case upd.UsageLocation == nil && upd.DisplayName == nil:
		return upd, "The user update names nothing to change: send usageLocation."
	case upd.UsageLocation != nil && !isCountryCode(*upd.UsageLocation):
		return upd, fmt.Sprintf("usageLocation %q is not a two-letter country code (ISO 3166-1 alpha-2, such as US).", *upd.UsageLocation)
	case upd.DisplayName != nil && strings.TrimSpace(*upd.DisplayName) == "":
		return upd, "displayName is empty."
	}
	return upd, ""
}

// isCountryCode reports whether s is two ASCII letters.
func isCountryCode(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, b := range []byte(s) {
		if (b < 'A' || b > 'Z') && (b < 'a' || b > 'z') {
			return false
		}
	}
	return true
}

// updateUser applies a user PATCH: customer (60003), user (60002), then the body
// (800002). The usage location is kept in upper case.
func (s *Server) updateUser(customerID, user string, upd userUpdate, problem string) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return customerNotFound(customerID)
	}
	u, madeUp := c.findUser(user, s.behaviour)
	if u == nil {
		return userNotFound(c.id, user)
	}
	if problem != "" {
		return invalidInput(problem)
	}
	if madeUp {
		if c.madeUp == nil {
			c.madeUp = make(map[string]*User)
		}
		c.madeUp[strings.ToLower(u.ID)] = u
	}
	if upd.UsageLocation != nil {
		u.UsageLocation = strings.ToUpper(*upd.UsageLocation)
	}
	if upd.DisplayName != nil {
		u.DisplayName = *upd.DisplayName
	}
	return jsonAnswer(http.StatusOK, itemOf(u))
}

// serveUserLicenses answers a user licenses GET: the licenses the user holds in the
// ledger, of the license groups asked for (none: group1, as the service does).
func (s *Server) serveUserLicenses(w http.ResponseWriter, r *http.Request, ex *Request) {
	if !s.sleep(r.Context()) || s.injectFailure(w, ex) {
		return
	}
	groups, err := parseGroups(queryValues(r.URL.Query(), "licenseGroupIds"))
	if err != nil {
		s.write(w, ex, invalidInput(err.Error()+"."))
		return
	}
	if groups == nil {
		groups = []string{"group1"}
	}
	ex.Groups = groups
	a := s.userLicenses(ex.Customer, ex.User, groups)
	if a.status == http.StatusOK {
		s.count(func(st *Stats) { st.UserLicenseLookups++ })
	}
	s.write(w, ex, a)
}

// userLicenses lists what one user holds, in catalogue order, each SKU with its
// service plans less the excluded ones.
func (s *Server) userLicenses(customerID, user string, groups []string) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return customerNotFound(customerID)
	}
	key, ok := c.userKey(user)
	if !ok {
		return userNotFound(c.id, user)
	}
	coll := licenseCollection{
		Items:      []licenseItem{},
		Attributes: partnercenter.Attributes{ObjectType: "Collection"},
	}
	if h := c.holders[key]; h != nil {
		for _, k := range c.order {
			excluded, held := h.skus[k.id()]
			if !held || !containsFold(groups, k.group) {
				continue
			}
			plans := make([]partnercenter.ServicePlan, 0, len(k.item.ServicePlans))
			for _, p := range k.item.ServicePlans {
				if !containsFold(excluded, p.ID) {
					plans = append(plans, p)
				}
			}
			coll.Items = append(coll.Items, licenseItem{
				ProductSku:   k.item.ProductSku,
				ServicePlans: plans,
				Attributes:   partnercenter.Attributes{ObjectType: "License"},
			})
		}
	}
	coll.TotalCount = len(coll.Items)
	return jsonAnswer(http.StatusOK, coll)
}

package pcfake

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// Page sizes of the users GET.
const (
	defaultUserPageSize = 100
	maxUserPageSize     = 500
)

// generatedUserDomain is the domain GenerateUsers uses when given none.
const generatedUserDomain = "contoso.onmicrosoft.com"

// userItem is one user in a users GET answer.
type userItem struct {
	ID                string                   `json:"id"`
	UserPrincipalName string                   `json:"userPrincipalName"`
	DisplayName       string                   `json:"displayName"`
	UsageLocation     string                   `json:"usageLocation"`
	State             string                   `json:"state"`
	Attributes        partnercenter.Attributes `json:"attributes"`
}

// linkHeader is one header a link asks the caller to send.
type linkHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// link is a link of a collection answer; URI is relative to /v1.
type link struct {
	URI     string       `json:"uri"`
	Method  string       `json:"method"`
	Headers []linkHeader `json:"headers"`
}

type userLinks struct {
	Self link  `json:"self"`
	Next *link `json:"next,omitempty"`
}

// userPage is the body of a users GET: one page of the customer's users.
type userPage struct {
	TotalCount int                      `json:"totalCount"` // the items on this page
	Items      []userItem               `json:"items"`
	Links      userLinks                `json:"links"`
	Attributes partnercenter.Attributes `json:"attributes"`
}

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

// AddUsers adds users to a customer's user list from now on, as WithUsers does at
// construction (a demo adds the users it generates this way). A customer without a
// list gets one, even from an empty users: from then on only listed users exist. It
// returns the error for which WithUsers would make New panic, and then adds no one.
func (s *Server) AddUsers(customerID string, users []User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.addUsers(customerID, users); err != nil {
		return fmt.Errorf("add users of customer %s: %w", customerID, err)
	}
	return nil
}

// addUsers installs users in a customer's list, all or none. The caller holds s.mu, or
// is New.
func (s *Server) addUsers(customerID string, users []User) error {
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return errors.New("no such customer (add it with WithCustomer)")
	}
	for i, u := range users {
		if strings.TrimSpace(u.ID) == "" {
			return fmt.Errorf("user %d (%q) has no ID", i+1, u.UserPrincipalName)
		}
	}
	if c.users == nil {
		c.users = make(map[string]*User)
	}
	for _, in := range users {
		u := c.users[strings.ToLower(in.ID)]
		if u != nil && strings.EqualFold(u.ID, in.ID) {
			// The same user again: the new details replace the old, in its place.
			if u.UserPrincipalName != "" && c.users[strings.ToLower(u.UserPrincipalName)] == u {
				delete(c.users, strings.ToLower(u.UserPrincipalName))
			}
			*u = in
		} else {
			u = new(User)
			*u = in
			c.list = append(c.list, u)
		}
		c.users[strings.ToLower(u.ID)] = u
		if u.UserPrincipalName != "" {
			c.users[strings.ToLower(u.UserPrincipalName)] = u
		}
	}
	return nil
}

// refuseAssignment returns the answer refusing an assignment to user, a user on the
// customer's list, or nil when the user may be assigned licenses: an inactive user or
// one without a usage location may not. A customer without a list refuses no one.
func (c *customer) refuseAssignment(user string) *answer {
	if c.users == nil {
		return nil
	}
	u := c.users[strings.ToLower(user)]
	switch {
	case u == nil:
		return nil
	case isInactive(u.State):
		return inactiveUser(user)
	case strings.TrimSpace(u.UsageLocation) == "":
		return invalidUsageLocation(user)
	}
	return nil
}

func isInactive(state string) bool {
	return strings.EqualFold(strings.TrimSpace(state), "inactive")
}

// serveUsers answers a users GET: one page of the customer's user list.
func (s *Server) serveUsers(w http.ResponseWriter, r *http.Request, ex *Request) {
	if !s.sleep(r.Context()) || s.injectFailure(w, ex) {
		return
	}
	q := r.URL.Query()
	size, err := pageSize(queryValues(q, "size"))
	if err != nil {
		s.write(w, ex, invalidInput(err.Error()))
		return
	}
	next := false
	if seek := queryValues(q, "seekOperation"); len(seek) > 0 {
		if !strings.EqualFold(seek[0], "Next") {
			s.write(w, ex, invalidInput(fmt.Sprintf(
				"seekOperation %q is not supported: request links.next as the previous page gave it.", seek[0])))
			return
		}
		next = true
	}
	a := s.usersPage(ex.Customer, size, next, r.Header.Get("MS-ContinuationToken"))
	if a.status == http.StatusOK {
		s.count(func(st *Stats) {
			st.UserPages++
			if !next {
				st.UserListings++
			}
		})
	}
	s.write(w, ex, a)
}

// pageSize reads the size query value: absent, the default; above the maximum, the
// maximum; else a whole number from 1.
func pageSize(values []string) (int, error) {
	if len(values) == 0 {
		return defaultUserPageSize, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(values[0]))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("size %q is not a whole number from 1 to %d.", values[0], maxUserPageSize)
	}
	return min(n, maxUserPageSize), nil
}

// usersPage answers one page of a customer's users: the first, or with next the one
// at which token points.
func (s *Server) usersPage(customerID string, size int, next bool, token string) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return customerNotFound(customerID)
	}
	key := strings.ToLower(c.id)
	offset := 0
	if next {
		token = strings.TrimSpace(token)
		if token == "" {
			return invalidInput("seekOperation=Next needs the MS-ContinuationToken header that links.next of the previous page lists.")
		}
		off, ok := s.readContinuationToken(key, token)
		if !ok || off > len(c.list) {
			return invalidInput("The MS-ContinuationToken header is not a continuation token of this customer's user list.")
		}
		offset = off
	}
	end := min(offset+size, len(c.list))
	page := userPage{
		Items:      make([]userItem, 0, end-offset),
		Attributes: partnercenter.Attributes{ObjectType: "Collection"},
	}
	for _, u := range c.list[offset:end] {
		state := u.State
		if strings.TrimSpace(state) == "" {
			state = "active"
		}
		page.Items = append(page.Items, userItem{
			ID:                u.ID,
			UserPrincipalName: u.UserPrincipalName,
			DisplayName:       u.DisplayName,
			UsageLocation:     u.UsageLocation,
			State:             state,
			Attributes:        partnercenter.Attributes{ObjectType: "CustomerUser"},
		})
	}
	page.TotalCount = len(page.Items)
	self := "/customers/" + url.PathEscape(c.id) + "/users?size=" + strconv.Itoa(size)
	page.Links.Self = link{URI: self, Method: http.MethodGet, Headers: []linkHeader{}}
	if end < len(c.list) {
		page.Links.Next = &link{
			URI:     self + "&seekOperation=Next",
			Method:  http.MethodGet,
			Headers: []linkHeader{{Key: "MS-ContinuationToken", Value: s.continuationToken(key, end)}},
		}
	}
	return jsonAnswer(http.StatusOK, page)
}

// continuationToken makes the opaque token that points at offset in a customer's user
// list: the offset and a MAC binding it to this Server and the customer, so that a
// token of another customer, or of another Server, is refused.
func (s *Server) continuationToken(customerKey string, offset int) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+binary.MaxVarintLen64), s.tokenMAC(customerKey, offset))
	b = binary.AppendUvarint(b, uint64(offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

// readContinuationToken returns the offset a token of continuationToken points at.
func (s *Server) readContinuationToken(customerKey, token string) (offset int, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 9 {
		return 0, false
	}
	off, n := binary.Uvarint(b[8:])
	if n <= 0 || 8+n != len(b) || off > math.MaxInt32 {
		return 0, false
	}
	if binary.BigEndian.Uint64(b[:8]) != s.tokenMAC(customerKey, int(off)) {
		return 0, false
	}
	return int(off), true
}

func (s *Server) tokenMAC(customerKey string, offset int) uint64 {
	return maphash.String(s.hashSeed, "users|"+customerKey+"|"+strconv.Itoa(offset))
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
	h := c.holders[key]
	if h != nil {
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

// queryValues returns the values of a query parameter named in any case.
func queryValues(q url.Values, name string) []string {
	var values []string
	for k, vs := range q {
		if strings.EqualFold(k, name) {
			values = append(values, vs...)
		}
	}
	return values
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// GenerateUsers makes n users of domain (contoso.onmicrosoft.com when empty) for
// tests and demos: user i (from 1) has the user principal name user0000i@domain (five
// digits at least), display name "User 0000i", usage location US and state active,
// and an ID in GUID form (version 4) drawn from seed, so that the same n, domain and
// seed give the same users. The IDs are distinct. To make some users unfit for an
// assignment, change them before WithUsers or AddUsers:
//
//	users := pcfake.GenerateUsers(1000, "contoso.onmicrosoft.com", 1)
//	users[10].UsageLocation = "" // never given a usage location
//	users[20].State = "inactive" // deleted
func GenerateUsers(n int, domain string, seed int64) []User {
	if n <= 0 {
		return nil
	}
	if strings.TrimSpace(domain) == "" {
		domain = generatedUserDomain
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5bd1e9955bd1e995))
	seen := make(map[uuid.UUID]struct{}, n)
	users := make([]User, n)
	for i := range users {
		var id uuid.UUID
		for {
			binary.BigEndian.PutUint64(id[:8], rng.Uint64())
			binary.BigEndian.PutUint64(id[8:], rng.Uint64())
			id[6] = id[6]&0x0f | 0x40 // version 4
			id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
			if _, dup := seen[id]; !dup {
				break
			}
		}
		seen[id] = struct{}{}
		num := fmt.Sprintf("%05d", i+1)
		users[i] = User{
			ID:                id.String(),
			UserPrincipalName: "user" + num + "@" + domain,
			DisplayName:       "User " + num,
			UsageLocation:     "US",
			State:             "active",
		}
	}
	return users
}

package pcfake

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// Page sizes of the users GET.
const (
	defaultUserPageSize = 100
	maxUserPageSize     = 500
)

// deletedUsersFilter is the filter that asks the users listing for the deleted users.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-deleted-users-for-a-customer
const deletedUsersFilter = `{"Field":"UserState","Value":"Inactive","Operator":"equals"}`

// userItem is one user in a users GET answer, and the answer of a user GET or PATCH.
type userItem struct {
	ID                string                   `json:"id"`
	UserPrincipalName string                   `json:"userPrincipalName"`
	DisplayName       string                   `json:"displayName"`
	UsageLocation     string                   `json:"usageLocation"`
	State             string                   `json:"state"`
	Attributes        partnercenter.Attributes `json:"attributes"`
}

// itemOf is a user as the API shows it: a user without a state is "active".
func itemOf(u *User) userItem {
	state := u.State
	if strings.TrimSpace(state) == "" {
		state = "active"
	}
	return userItem{
		ID:                u.ID,
		UserPrincipalName: u.UserPrincipalName,
		DisplayName:       u.DisplayName,
		UsageLocation:     u.UsageLocation,
		State:             state,
		Attributes:        partnercenter.Attributes{ObjectType: "CustomerUser"},
	}
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

// listing is what a users GET asks for.
type listing struct {
	size    int
	next    bool   // seekOperation=Next
	token   string // MS-ContinuationToken
	deleted bool   // the deleted users only (the UserState filter)
	filter  string // the filter as sent, for the links
}

// serveUsers answers a users GET: one page of the customer's user list.
func (s *Server) serveUsers(w http.ResponseWriter, r *http.Request, ex *Request) {
	if !s.sleep(r.Context()) || s.injectFailure(w, ex) {
		return
	}
	q := r.URL.Query()
	var l listing
	var err error
	if l.size, err = pageSize(queryValues(q, "size")); err != nil {
		s.write(w, ex, invalidInput(err.Error()))
		return
	}
	if seek := queryValues(q, "seekOperation"); len(seek) > 0 {
		if !strings.EqualFold(seek[0], "Next") {
			s.write(w, ex, invalidInput(fmt.Sprintf(
				"seekOperation %q is not supported: request links.next as the previous page gave it.", seek[0])))
			return
		}
		l.next = true
	}
	if f := queryValues(q, "filter"); len(f) > 0 {
		if l.deleted, err = parseUserFilter(f); err != nil {
			s.write(w, ex, invalidInput(err.Error()))
			return
		}
		l.filter = f[0]
	}
	l.token = r.Header.Get("MS-ContinuationToken")
	a := s.usersPage(ex.Customer, l)
	if a.status == http.StatusOK {
		s.count(func(st *Stats) {
			st.UserPages++
			if !l.next {
				st.UserListings++
				if l.deleted {
					st.DeletedUserListings++
				}
			}
		})
	}
	s.write(w, ex, a)
	a.recycle()
}

// parseUserFilter reads the filter query value: the one filter the documentation
// describes, {"Field":"UserState","Value":"Inactive","Operator":"equals"} (names and
// values in any case), which lists the deleted users only.
func parseUserFilter(values []string) (deleted bool, err error) {
	if len(values) > 1 {
		return false, fmt.Errorf("filter is given %d times: give it once.", len(values))
	}
	var f struct{ Field, Value, Operator string }
	if err := json.Unmarshal([]byte(values[0]), &f); err != nil {
		return false, fmt.Errorf("filter is not a JSON object: %v. The users listing takes filter=%s.", err, deletedUsersFilter)
	}
	if !strings.EqualFold(f.Field, "UserState") || !strings.EqualFold(f.Value, "Inactive") || !strings.EqualFold(f.Operator, "equals") {
		return false, fmt.Errorf("filter %s is not supported: the users listing takes filter=%s.", values[0], deletedUsersFilter)
	}
	return true, nil
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

// listed reports whether a listing shows u: the deleted users only with the filter,
// else the others (and the deleted ones too WithDeletedUsersInListing).
func (s *Server) listed(u *User, deleted bool) bool {
	if deleted {
		return isInactive(u.State)
	}
	return s.behaviour.deletedInListing || !isInactive(u.State)
}

// usersPage answers one page of a customer's users: the first, or with next the one
// at which the token points. A token is a place in the customer's list, bound to the
// customer and to whether the listing is of deleted users.
func (s *Server) usersPage(customerID string, l listing) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[strings.ToLower(customerID)]
	if c == nil {
		return customerNotFound(customerID)
	}
	scope := strings.ToLower(c.id)
	if l.deleted {
		scope += "|deleted"
	}
	offset := 0
	if l.next {
		token := strings.TrimSpace(l.token)
		if token == "" {
			return invalidInput("seekOperation=Next needs the MS-ContinuationToken header that links.next of the previous page lists.")
		}
		off, ok := s.readContinuationToken(scope, token)
		if !ok || off > len(c.list) {
			return invalidInput("The MS-ContinuationToken header is not a continuation token of this listing of the customer's users (same customer, same filter).")
		}
		offset = off
	}
	page := userPage{
		Items:      make([]userItem, 0, min(l.size, len(c.list)-offset)),
		Attributes: partnercenter.Attributes{ObjectType: "Collection"},
	}
	end := offset
	for ; end < len(c.list) && len(page.Items) < l.size; end++ {
		if u := c.list[end]; s.listed(u, l.deleted) {
			page.Items = append(page.Items, itemOf(u))
		}
	}
	more := false
	for i := end; i < len(c.list) && !more; i++ {
		more = s.listed(c.list[i], l.deleted)
	}
	page.TotalCount = len(page.Items)
	self := "/customers/" + url.PathEscape(c.id) + "/users?size=" + strconv.Itoa(l.size)
	if l.filter != "" {
		self += "&filter=" + url.QueryEscape(l.filter)
	}
	page.Links.Self = link{URI: self, Method: http.MethodGet, Headers: []linkHeader{}}
	if more {
		page.Links.Next = &link{
			URI:     self + "&seekOperation=Next",
			Method:  http.MethodGet,
			Headers: []linkHeader{{Key: "MS-ContinuationToken", Value: s.continuationToken(scope, end)}},
		}
	}
	return pageAnswer(&page)
}

// continuationToken makes the opaque token that points at offset in a customer's user
// list: the offset and a MAC binding it to this Server, the customer and the filter
// (scope), so that a token of another customer, listing or Server is refused.
func (s *Server) continuationToken(scope string, offset int) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+binary.MaxVarintLen64), s.tokenMAC(scope, offset))
	b = binary.AppendUvarint(b, uint64(offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

// readContinuationToken returns the offset a token of continuationToken points at.
func (s *Server) readContinuationToken(scope, token string) (offset int, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 9 {
		return 0, false
	}
	off, n := binary.Uvarint(b[8:])
	if n <= 0 || 8+n != len(b) || off > math.MaxInt32 {
		return 0, false
	}
	if binary.BigEndian.Uint64(b[:8]) != s.tokenMAC(scope, int(off)) {
		return 0, false
	}
	return int(off), true
}

func (s *Server) tokenMAC(scope string, offset int) uint64 {
	return maphash.String(s.hashSeed, "users|"+scope+"|"+strconv.Itoa(offset))
}

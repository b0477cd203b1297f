package pcfake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// generatedUserDomain is the domain GenerateUsers uses when given none.
const generatedUserDomain = "contoso.onmicrosoft.com"

// userNamespace is the UUID namespace of the object IDs the fake makes up for users
// known only by name (version 5 UUIDs of the lower-cased name).
var userNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/bulkassign/bulkassign/pkg/client/pcfake#users"))

// MakeUser returns the user the fake makes up for a customer without a user list
// (WithUsers), as a user GET answers it: name is trimmed; the ID is name when it is a
// GUID (8-4-4-4-12 hexadecimal digits), else a version 5 UUID of the lower-cased name
// (stable: the same name always gives the same ID, whatever its case); the user
// principal name and the display name are name when it holds an "@", else empty and
// name; the usage location is US and the state active. ReadUsersCSV makes up missing
// IDs the same way, and a fake seeded from a list of names can use it:
//
//	for _, name := range names {
//		users = append(users, pcfake.MakeUser(name))
//	}
func MakeUser(name string) User {
	name = strings.TrimSpace(name)
	u := User{ID: objectIDOf(name), DisplayName: name, UsageLocation: "US", State: "active"}
	if strings.Contains(name, "@") {
		u.UserPrincipalName = name
	}
	return u
}

// objectIDOf is the object ID of a user known by name: name itself when it is a GUID,
// else a version 5 UUID of the lower-cased name.
func objectIDOf(name string) string {
	if client.IsGUID(name) {
		return name
	}
	return uuid.NewSHA1(userNamespace, []byte(strings.ToLower(name))).String()
}

// AddUsers adds users to a customer's user list from now on, as WithUsers does at
// construction (a demo adds the users it generates this way). A customer without a
// list gets one, even from an empty users: from then on only listed users exist. It
// returns the error for which WithUsers would make New fail, and then adds no one.
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

// findUser finds the user a user GET or PATCH names, by ID or user principal name as
// the behaviour allows; nil when the API would answer 60002. For a customer without a
// list it is the user a PATCH changed, or a new made-up one (MakeUser): the caller may
// change a listed or remembered user (under s.mu), not a new made-up one (madeUp).
func (c *customer) findUser(seg string, b behaviour) (u *User, madeUp bool) {
	if c.users == nil {
		if b.objectIDLookupsOnly && !client.IsGUID(seg) {
			return nil, false
		}
		if u := c.madeUp[strings.ToLower(objectIDOf(seg))]; u != nil {
			return u, false
		}
		mu := MakeUser(seg)
		mu.ID = objectIDOf(seg) // the segment untrimmed, as the ledger knows it
		return &mu, true
	}
	u = c.users[strings.ToLower(seg)]
	switch {
	case u == nil:
		return nil, false
	case b.objectIDLookupsOnly && !strings.EqualFold(u.ID, seg):
		return nil, false
	case isInactive(u.State) && !b.deletedFoundByID:
		return nil, false
	}
	return u, false
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

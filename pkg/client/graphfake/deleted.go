package graphfake

import (
	"fmt"
	"strings"
	"time"
)

// WithDeletedUsers gives a tenant deleted users, restorable for 30 days in Entra ID:
// GET /v1.0/directory/deletedItems/microsoft.graph.user lists them, and nothing else
// finds them (a request naming one is answered 404, as for a user who never
// existed). Each needs an object ID in GUID form, unique among the tenant's users
// and deleted users, and a user principal name. A deleted user holds no license:
// deleting a user frees its units. Its deletedDateTime is when New ran.
//
// See https://learn.microsoft.com/graph/api/directory-deleteditems-list
func WithDeletedUsers(tenantID string, users []User) Option {
	users = append([]User(nil), users...)
	return func(s *Server) error {
		s.pendingUsers = append(s.pendingUsers, func() error {
			t := s.tenants[strings.ToLower(tenantID)]
			if t == nil {
				return fmt.Errorf("WithDeletedUsers %s: %w", tenantID, errNoTenant)
			}
			if err := t.addDeleted(users, time.Now()); err != nil {
				return fmt.Errorf("WithDeletedUsers %s: %w", tenantID, err)
			}
			return nil
		})
		return nil
	}
}

// addDeleted installs deleted users, all or none.
func (t *tenant) addDeleted(users []User, at time.Time) error {
	ids := make(map[string]bool, len(users))
	for i, u := range users {
		id := strings.ToLower(u.ID)
		switch {
		case !isGUID(u.ID):
			return fmt.Errorf("deleted user %d (%q): the ID %q is not a GUID", i+1, u.UserPrincipalName, u.ID)
		case strings.TrimSpace(u.UserPrincipalName) == "":
			return fmt.Errorf("deleted user %d (%s) has no user principal name", i+1, u.ID)
		case ids[id] || t.users[id] != nil || t.deletedUser(id) != nil:
			return fmt.Errorf("deleted user %d: the ID %s is another user's", i+1, u.ID)
		}
		ids[id] = true
	}
	for _, in := range users {
		in.UsageLocation = strings.ToUpper(in.UsageLocation)
		t.deleted = append(t.deleted, &user{User: in, licenses: map[string][]grant{}, deletedAt: at})
	}
	return nil
}

// deletedUser finds a deleted user by lower-cased object ID.
func (t *tenant) deletedUser(id string) *user {
	for _, u := range t.deleted {
		if strings.EqualFold(u.ID, id) {
			return u
		}
	}
	return nil
}

// deletedPath reports whether the path segments below /v1.0 are
// directory/deletedItems/microsoft.graph.user, in any case.
func deletedPath(segs []string) bool {
	return len(segs) == 3 && strings.EqualFold(segs[0], "directory") &&
		strings.EqualFold(segs[1], "deletedItems") && strings.EqualFold(segs[2], "microsoft.graph.user")
}

package graphfake_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

const deletedPath = "/v1.0/directory/deletedItems/microsoft.graph.user"

func TestDeletedUsersAreListedApartAndFoundNowhereElse(t *testing.T) {
	gone := graphfake.GenerateUsers(3, "gone.example", 99)
	s, hc, users := newFake(t, 2,
		graphfake.WithDeletedUsers(tenant, gone),
		graphfake.WithHolder(tenant, "user00001@contoso.onmicrosoft.com", skuE3, nil))

	p := readPage(t, get(t, hc, deletedPath+"?$select=id,userPrincipalName,deletedDateTime,assignedLicenses&$top=2"))
	if p.Context != "https://graph.microsoft.com/v1.0/$metadata#directory/deletedItems/microsoft.graph.user(id,userPrincipalName,deletedDateTime,assignedLicenses)" {
		t.Errorf("context = %q", p.Context)
	}
	if len(p.Value) != 2 || p.Value[0]["id"] != gone[0].ID || p.Value[1]["userPrincipalName"] != gone[1].UserPrincipalName {
		t.Fatalf("first page = %v", p.Value)
	}
	if p.Value[0]["deletedDateTime"] == nil || !reflect.DeepEqual(p.Value[0]["assignedLicenses"], []any{}) {
		t.Errorf("deleted user = %v, want a deletedDateTime and no license", p.Value[0])
	}
	if !strings.HasPrefix(p.NextLink, baseURL+deletedPath+"?") {
		t.Fatalf("nextLink = %q", p.NextLink)
	}
	last := readPage(t, get(t, hc, p.NextLink))
	if len(last.Value) != 1 || last.Value[0]["id"] != gone[2].ID || last.NextLink != "" {
		t.Fatalf("last page = %+v", last)
	}

	// The listing of active users shows none of them, and the link of one listing
	// does not page the other.
	active := readPage(t, get(t, hc, "/v1.0/users?$select=id,deletedDateTime"))
	if len(active.Value) != 2 || active.Value[0]["id"] != users[0].ID || active.Value[0]["deletedDateTime"] != nil {
		t.Fatalf("active users = %v", active.Value)
	}
	other := strings.Replace(p.NextLink, deletedPath, "/v1.0/users", 1)
	wantError(t, get(t, hc, other), http.StatusBadRequest, "Request_BadRequest", "$skiptoken")

	// A deleted user cannot be read, updated or given a license.
	wantError(t, get(t, hc, "/v1.0/users/"+gone[0].ID), http.StatusNotFound, "Request_ResourceNotFound", gone[0].ID)
	wantError(t, assign(t, hc, gone[0].ID, addBody(skuE5)), http.StatusNotFound, "Request_ResourceNotFound", gone[0].ID)
	if st := s.Stats(); st.DeletedPages != 2 || st.UserListings != 1 {
		t.Errorf("stats: %d deleted pages, %d listings; want 2, 1", st.DeletedPages, st.UserListings)
	}
	if h := s.Holdings(tenant); len(h) != 1 {
		t.Errorf("holdings = %v, want user00001's only", h)
	}
}

func TestDeletedUsersListingMethodsRolesAndSeeding(t *testing.T) {
	_, hc, _ := newFake(t, 1, graphfake.WithRoles(tenant, graphfake.RoleLicenseAdministrator))
	wantError(t, get(t, hc, deletedPath), http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges")
	wantError(t, do(t, hc, call{method: http.MethodPost, path: deletedPath, body: "{}"}), http.StatusMethodNotAllowed, "Request_BadRequest", "not allowed")
	wantError(t, get(t, hc, "/v1.0/directory/deletedItems/microsoft.graph.group"), http.StatusBadRequest, "BadRequest", "segment 'microsoft.graph.group'")
	wantError(t, get(t, hc, "/v1.0/directory/roles"), http.StatusBadRequest, "BadRequest", "segment 'roles'")

	_, hc, _ = newFake(t, 1)
	if p := readPage(t, get(t, hc, deletedPath)); len(p.Value) != 0 || p.NextLink != "" {
		t.Fatalf("no deleted users: page = %+v", p)
	}

	users := graphfake.GenerateUsers(1, "", 1)
	skus := sampleSkus(t)
	for name, opts := range map[string][]graphfake.Option{
		"an active user's ID": {graphfake.WithUsers(tenant, users), graphfake.WithDeletedUsers(tenant, users)},
		"no tenant":           {graphfake.WithDeletedUsers(otherID, users)},
		"not a GUID":          {graphfake.WithDeletedUsers(tenant, []graphfake.User{{ID: "x", UserPrincipalName: "a@b"}})},
		"no name":             {graphfake.WithDeletedUsers(tenant, []graphfake.User{{ID: users[0].ID}})},
	} {
		all := append([]graphfake.Option{graphfake.WithTenant(tenant, skus)}, opts...)
		if _, err := graphfake.New(all...); err == nil || !strings.Contains(err.Error(), "WithDeletedUsers") {
			t.Errorf("%s: New = %v, want an error naming WithDeletedUsers", name, err)
		}
	}
}

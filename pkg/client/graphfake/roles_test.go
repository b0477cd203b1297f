package graphfake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestGDAPRoles(t *testing.T) {
	type allowed struct{ skus, users, patch, assign bool }
	cases := []struct {
		roles []string
		opts  []graphfake.Option
		want  allowed
	}{
		{[]string{graphfake.RoleUserAdministrator}, nil, allowed{true, true, true, true}},
		{[]string{graphfake.RoleLicenseAdministrator}, nil, allowed{true, false, true, true}},
		{[]string{graphfake.RoleLicenseAdministrator}, []graphfake.Option{graphfake.WithLicenseAdminCanListUsers()}, allowed{true, true, true, true}},
		{[]string{graphfake.RoleLicenseAdministrator, graphfake.RoleDirectoryReaders}, nil, allowed{true, true, true, true}},
		{[]string{graphfake.RoleDirectoryReaders}, nil, allowed{true, true, false, false}},
		{[]string{graphfake.RoleGlobalReader}, nil, allowed{true, true, false, false}},
		{[]string{graphfake.RoleDirectoryWriters}, nil, allowed{false, false, false, true}},
		{[]string{"global administrator"}, nil, allowed{true, true, true, true}},
		{[]string{"Helpdesk Administrator"}, nil, allowed{false, false, false, false}},
		{[]string{}, nil, allowed{false, false, false, false}},
	}
	for _, c := range cases {
		name := strings.Join(c.roles, "+")
		if len(c.opts) > 0 {
			name += " (License Admin may list)"
		}
		t.Run(name, func(t *testing.T) {
			s, hc, users := newFake(t, 1, append(c.opts, graphfake.WithRoles(tenant, c.roles...))...)
			check := func(what string, ok bool, r reply, success int) {
				t.Helper()
				if ok {
					wantStatus(t, r, success)
					return
				}
				wantError(t, r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			}
			u := users[0].ID
			check("skus", c.want.skus, get(t, hc, "/v1.0/subscribedSkus"), http.StatusOK)
			check("users", c.want.users, get(t, hc, "/v1.0/users"), http.StatusOK)
			check("user", c.want.users, get(t, hc, "/v1.0/users/"+u), http.StatusOK)
			check("count", c.want.users, do(t, hc, call{path: "/v1.0/users/$count", header: map[string]string{"ConsistencyLevel": "eventual"}}), http.StatusOK)
			check("patch", c.want.patch, patchLocation(t, hc, u, nil), http.StatusNoContent)
			check("assign", c.want.assign, assign(t, hc, u, addBody(skuE3)), http.StatusOK)
			if !c.want.assign {
				wantUnits(t, s, skuE3, 4800, 1200)
			}
		})
	}
}

func TestSetRolesAtRuntime(t *testing.T) {
	s, hc, users := newFake(t, 1)
	wantStatus(t, assign(t, hc, users[0].ID, addBody(skuE3)), http.StatusOK) // every role by default
	if err := s.SetRoles(tenant, graphfake.RoleGlobalReader); err != nil {
		t.Fatal(err)
	}
	wantError(t, assign(t, hc, users[0].ID, removeBody(skuE3)), http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges")
	if err := s.SetRoles(tenant, graphfake.RoleGlobalAdministrator); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, assign(t, hc, users[0].ID, removeBody(skuE3)), http.StatusOK)
	if err := s.SetRoles(otherID, graphfake.RoleGlobalReader); err == nil {
		t.Fatal("SetRoles accepted an unknown tenant")
	}
	if st := s.Stats(); st.Forbidden != 1 {
		t.Fatalf("Forbidden = %d", st.Forbidden)
	}
}

package graph_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func byID(users []client.User) map[string]client.User {
	out := map[string]client.User{}
	for _, u := range users {
		out[u.ID] = u
	}
	return out
}

func TestLookupUsersByIDAndNameWithWhatTheyHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := graphfake.GenerateUsers(20, "contoso.onmicrosoft.com", 1)
		users[1].UserPrincipalName = "o'brien@contoso.onmicrosoft.com"
		users[2].Disabled = true
		users[3].UsageLocation = ""
		e := newEnv(t, 0, []graphfake.Option{
			graphfake.WithUsers(tenantA, users),
			graphfake.WithHolder(tenantA, users[0].ID, skuE3, []string{planSway}),
			graphfake.WithGroupHolder(tenantA, users[0].ID, skuE5, groupID, nil),
			graphfake.WithHolder(tenantA, users[1].ID, skuE5, nil),
			graphfake.WithGroupHolder(tenantA, users[1].ID, skuE5, groupID, nil),
		})
		names := []string{users[0].ID, strings.ToUpper(users[1].UserPrincipalName), users[2].ID, users[3].UserPrincipalName,
			"ghost@contoso.onmicrosoft.com", users[0].ID}
		got, err := e.be.LookupUsers(context.Background(), tenantA, names)
		if err != nil {
			t.Fatal(err)
		}
		m := byID(got)
		if len(got) != 4 {
			t.Fatalf("found %d users, want 4: %+v", len(got), got)
		}
		u0 := m[users[0].ID]
		want0 := []client.License{{SkuID: skuE3, DisabledPlans: []string{planSway}}, {SkuID: skuE5, Inherited: true}}
		if !u0.LicensesKnown || !reflect.DeepEqual(u0.Licenses, want0) || u0.UsageLocation != "US" || u0.State != client.UserActive {
			t.Errorf("user 0 = %+v, want licenses %+v", u0, want0)
		}
		// Held directly and through a group: removable directly, so not Inherited.
		if u1 := m[users[1].ID]; !reflect.DeepEqual(u1.Licenses, []client.License{{SkuID: skuE5}}) || u1.PrincipalName != users[1].UserPrincipalName {
			t.Errorf("user 1 = %+v", u1)
		}
		if u2 := m[users[2].ID]; u2.State != client.UserActive || !u2.Active() || !u2.LicensesKnown || len(u2.Licenses) != 0 {
			t.Errorf("disabled account = %+v, want active, no license", u2)
		}
		if u3 := m[users[3].ID]; u3.UsageLocation != "" {
			t.Errorf("user without usage location = %+v", u3)
		}
		// Object IDs and principal names take one request each, quotes doubled.
		var filters []string
		for _, s := range e.rec.sent() {
			u, _ := url.Parse(s.URL)
			filters = append(filters, u.Query().Get("$filter"))
			if sel := u.Query().Get("$select"); sel != "id,userPrincipalName,usageLocation,accountEnabled,assignedLicenses,licenseAssignmentStates" {
				t.Errorf("$select = %q", sel)
			}
		}
		want := []string{
			"id in ('" + users[0].ID + "','" + users[2].ID + "')",
			"userPrincipalName in ('O''BRIEN@CONTOSO.ONMICROSOFT.COM','" + users[3].UserPrincipalName + "','ghost@contoso.onmicrosoft.com')",
		}
		if !reflect.DeepEqual(filters, want) {
			t.Errorf("filters %q, want %q", filters, want)
		}
	})
}

func TestLookupUsersSendsAtMost15ValuesARequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 40, nil)
		var names []string
		for _, u := range e.users[:31] {
			names = append(names, u.ID)
		}
		got, err := e.be.LookupUsers(context.Background(), tenantA, names)
		if err != nil || len(got) != 31 {
			t.Fatalf("LookupUsers = %d users, %v", len(got), err)
		}
		if st := e.fake.Stats(); st.UserLookups != 3 {
			t.Errorf("%d lookups, want 3 (15 + 15 + 1)", st.UserLookups)
		}
		if got, err := e.be.LookupUsers(context.Background(), tenantA, nil); err != nil || got != nil || len(e.rec.sent()) != 3 {
			t.Errorf("no names: %v, %v; sent %d", got, err, len(e.rec.sent()))
		}
	})
}

func TestListUsersFollowsPagesAndListsDeletedUsersAsInactive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gone := graphfake.GenerateUsers(2, "gone.example", 5)
		e := newEnv(t, 1500, []graphfake.Option{
			graphfake.WithDeletedUsers(tenantA, gone),
			graphfake.WithHolder(tenantA, "user01500@contoso.onmicrosoft.com", skuE5, nil),
		})
		var sizes []int
		var last client.User
		err := e.be.ListUsers(context.Background(), tenantA, false, func(us []client.User) error {
			sizes = append(sizes, len(us))
			last = us[len(us)-1]
			return nil
		})
		if err != nil || !reflect.DeepEqual(sizes, []int{999, 501}) {
			t.Fatalf("ListUsers: pages %v, %v", sizes, err)
		}
		if last.ID != e.users[1499].ID || !last.LicensesKnown || !reflect.DeepEqual(last.Licenses, []client.License{{SkuID: skuE5}}) {
			t.Errorf("last user = %+v", last)
		}
		var deleted []client.User
		err = e.be.ListUsers(context.Background(), tenantA, true, func(us []client.User) error {
			deleted = append(deleted, us...)
			return nil
		})
		if err != nil || len(deleted) != 2 {
			t.Fatalf("deleted users: %+v, %v", deleted, err)
		}
		for i, u := range deleted {
			if u.ID != gone[i].ID || u.PrincipalName != gone[i].UserPrincipalName || u.State != client.UserInactive || u.Active() || u.LicensesKnown {
				t.Errorf("deleted user %d = %+v", i, u)
			}
		}
		reqs := e.rec.sent()
		u, _ := url.Parse(reqs[len(reqs)-1].URL)
		if u.Path != "/v1.0/directory/deletedItems/microsoft.graph.user" || u.Query().Get("$select") != "id,userPrincipalName" {
			t.Errorf("deleted users read from %s", reqs[len(reqs)-1].URL)
		}
	})
}

func TestListUsersRefusesLinksElsewhereAndLoops(t *testing.T) {
	for name, link := range map[string]string{
		"another host":   "https://graph.evil.example/v1.0/users?$skiptoken=x",
		"another scheme": "http://graph.microsoft.com/v1.0/users?$skiptoken=x",
		"another port":   "https://graph.microsoft.com:8443/v1.0/users?$skiptoken=x",
		"a loop":         "https://graph.microsoft.com:443/v1.0/users?$skiptoken=same",
		"not absolute":   "/v1.0/users?$skiptoken=x",
	} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, 1, nil)
			e.rec.hook = func(r *http.Request, _ []byte) (*http.Response, error, bool) {
				return answer(r, http.StatusOK, nil, `{"@odata.nextLink":"`+link+`","value":[{"id":"`+e.users[0].ID+`"}]}`), nil, true
			}
			pages := 0
			err := e.be.ListUsers(context.Background(), tenantA, false, func([]client.User) error { pages++; return nil })
			if err == nil || !strings.Contains(err.Error(), "next page link") {
				t.Fatalf("%s: ListUsers = %v after %d pages, want a refusal", name, err, pages)
			}
			if strings.Contains(err.Error(), "skiptoken") {
				t.Errorf("%s: the error repeats the link's query: %v", name, err)
			}
			for _, s := range e.rec.sent() {
				if u, _ := url.Parse(s.URL); u.Scheme != "https" || u.Hostname() != "graph.microsoft.com" || u.Port() != "" && u.Port() != "443" {
					t.Errorf("%s: a request went to %s", name, s.URL)
				}
			}
		})
	}
}

func TestUserLicensesAndAnUnknownUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, []graphfake.Option{graphfake.WithGroupHolder(tenantA, "user00002@contoso.onmicrosoft.com", skuE3, groupID, []string{planYammer})})
		lics, err := e.be.UserLicenses(context.Background(), tenantA, e.users[1].ID)
		want := []client.License{{SkuID: skuE3, DisabledPlans: []string{planYammer}, Inherited: true}}
		if err != nil || !reflect.DeepEqual(lics, want) {
			t.Fatalf("UserLicenses = %+v, %v; want %+v", lics, err, want)
		}
		u, _ := url.Parse(e.rec.sent()[0].URL)
		if u.Path != "/v1.0/users/"+e.users[1].ID || u.Query().Get("$select") != "assignedLicenses,licenseAssignmentStates" {
			t.Errorf("read %s", u)
		}
		_, err = e.be.UserLicenses(context.Background(), tenantA, "b0b0b0b0-0000-4000-8000-000000000000")
		if e := wantReason(t, err, http.StatusNotFound, client.ReasonUserNotFound); e.Code != "Request_ResourceNotFound" {
			t.Errorf("code %q", e.Code)
		}
		// Without a role that reads users the refusal names the roles needed.
		e = newEnv(t, 2, []graphfake.Option{graphfake.WithRoles(tenantA, graphfake.RoleLicenseAdministrator)})
		_, err = e.be.UserLicenses(context.Background(), tenantA, e.users[0].ID)
		if ae := wantReason(t, err, http.StatusForbidden, client.ReasonMissingRole); !strings.Contains(ae.Description, "User Administrator, or License Administrator with Directory Readers") {
			t.Errorf("403 description %q", ae.Description)
		}
		if !slices.Contains([]string{"Authorization_RequestDenied"}, err.(*client.APIError).Code) {
			t.Errorf("error %v", err)
		}
	})
}

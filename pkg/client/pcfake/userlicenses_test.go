package pcfake_test

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestAssignmentNeedsUsageLocation(t *testing.T) {
	users := []pcfake.User{
		{ID: "2a4c6e8f-1b3d-4f5a-8c7e-9d0b1a2c3e4f", UserPrincipalName: "nolocation@contoso.onmicrosoft.com", UsageLocation: "", State: "active"},
		{ID: "3b5d7f9a-2c4e-4a6b-9d8f-0e1c2b3d4f5a", UserPrincipalName: "blank@contoso.onmicrosoft.com", UsageLocation: "  ", State: "active"},
		{ID: "4c6e8a0b-3d5f-4b7c-8e9a-1f2d3c4e5a6b", UserPrincipalName: "ok@contoso.onmicrosoft.com", UsageLocation: "DE", State: "active"},
	}
	s, hc := newFake(t,
		pcfake.WithUsers(cust, users),
		pcfake.WithHolder(cust, users[0].ID, skuE3), // seeding is not checked
	)
	wantUnits(t, s, skuE5, 5500, 500)
	wantUnits(t, s, skuE3, 4799, 1201)

	for name, tc := range map[string]struct {
		user string
		upd  partnercenter.LicenseUpdate
	}{
		"assign by UPN":      {users[0].UserPrincipalName, assign(skuE5)},
		"assign by ID":       {strings.ToUpper(users[0].ID), assign(skuE5)},
		"blank location":     {users[1].UserPrincipalName, assign(skuE5)},
		"swap keeps nothing": {users[0].UserPrincipalName, swap(skuE3, skuE5)},
		"reassign held SKU":  {users[0].ID, assign(skuE3)},
	} {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, postUpdate(t, hc, tc.user, "", tc.upd), http.StatusBadRequest, "800002")
			if e.Description != "License assignment cannot be done for user with invalid usage location." {
				t.Fatalf("description %q", e.Description)
			}
			if !reflect.DeepEqual(e.Data, []string{tc.user}) {
				t.Fatalf("data %v, want the user", e.Data)
			}
		})
	}
	// Nothing was applied.
	wantUnits(t, s, skuE5, 5500, 500)
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := s.Holdings(cust); len(got) != 1 || !reflect.DeepEqual(got[users[0].ID], map[string][]string{skuE3: nil}) {
		t.Fatalf("holdings %v, want only the seeded E3", got)
	}
	if st := s.Stats(); st.Applied != 0 {
		t.Fatalf("%d applied", st.Applied)
	}

	// A user with a location is assigned; a removal needs no location.
	wantStatus(t, postUpdate(t, hc, users[2].UserPrincipalName, "", assign(skuE5)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, users[0].UserPrincipalName, "", remove(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE5, 5499, 501)
	wantUnits(t, s, skuE3, 4800, 1200)
}

func TestAssignmentRefusedForInactiveUser(t *testing.T) {
	users := pcfake.GenerateUsers(2, "contoso.onmicrosoft.com", 5)
	users[0].State = "Inactive"
	users[0].UsageLocation = "" // the state is reported first
	s, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithHolder(cust, users[0].UserPrincipalName, skuE3))

	e := wantError(t, postUpdate(t, hc, users[0].UserPrincipalName, "", swap(skuE3, skuE5)), http.StatusBadRequest, "800002")
	if !strings.Contains(e.Description, "inactive user") || !reflect.DeepEqual(e.Data, []string{users[0].UserPrincipalName}) {
		t.Fatalf("answer %+v, want one naming an inactive user", e)
	}
	wantUnits(t, s, skuE5, 5500, 500)
	wantUnits(t, s, skuE3, 4799, 1201)

	// Removing is allowed; the active user is assigned.
	wantStatus(t, postUpdate(t, hc, users[0].ID, "", remove(skuE3)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, users[1].ID, "", assign(skuE5)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuE5, 5499, 501)

	// The listing leaves the deleted user out; the deleted users' listing shows it.
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil))
	if len(page.Items) != 1 || page.Items[0].ID != users[1].ID || page.Items[0].State != "active" {
		t.Fatalf("listing = %+v, want the active user only", page.Items)
	}
	page = decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "filter="+url.QueryEscape(deletedFilter)), nil))
	if len(page.Items) != 1 || page.Items[0].ID != users[0].ID || page.Items[0].State != "Inactive" {
		t.Fatalf("deleted users' listing = %+v, want the inactive user with its state", page.Items)
	}
}

func TestUserLicensesFollowTheLedger(t *testing.T) {
	users := pcfake.GenerateUsers(3, "contoso.onmicrosoft.com", 9)
	s, hc := newFake(t, pcfake.WithUsers(cust, users))
	catalogue := decodeSkus(t, getSkus(t, hc, ""))
	bySku := map[string]partnercenter.SubscribedSku{}
	for _, it := range catalogue.Items {
		bySku[it.ProductSku.ID] = it
	}
	licenses := func(user, query string) wireLicenses {
		t.Helper()
		return decodeStrict[wireLicenses](t, get(t, hc, licensesPath(cust, user, query), nil))
	}
	skuIDs := func(l wireLicenses) []string {
		var ids []string
		for _, it := range l.Items {
			ids = append(ids, it.ProductSku.ID)
		}
		return ids
	}
	both := "licenseGroupIds=Group1&licenseGroupIds=Group2"

	u := users[0]
	if l := licenses(u.ID, both); l.TotalCount != 0 || l.Items == nil || len(l.Items) != 0 || l.Attributes.ObjectType != "Collection" {
		t.Fatalf("before any assignment: %+v", l)
	}

	withExcluded := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE3, ExcludedPlans: []string{strings.ToUpper(planSway), planYammer}}}}
	wantStatus(t, postUpdate(t, hc, u.UserPrincipalName, "", withExcluded), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, u.ID, "", assign(skuMinecraft)), http.StatusCreated)

	l := licenses(u.UserPrincipalName, both)
	if l.TotalCount != 2 || !reflect.DeepEqual(skuIDs(l), []string{skuMinecraft, skuE3}) && !reflect.DeepEqual(skuIDs(l), []string{skuE3, skuMinecraft}) {
		t.Fatalf("both groups: %v (totalCount %d), want E3 and Minecraft", skuIDs(l), l.TotalCount)
	}
	for _, it := range l.Items {
		sku := bySku[it.ProductSku.ID]
		if it.ProductSku != sku.ProductSku || it.Attributes.ObjectType != "License" {
			t.Fatalf("license %+v, want the catalogue's productSku %+v and objectType License", it, sku.ProductSku)
		}
		want := sku.ServicePlans
		if it.ProductSku.ID == skuE3 {
			want = slices.DeleteFunc(slices.Clone(sku.ServicePlans), func(p partnercenter.ServicePlan) bool {
				return p.ID == planSway || p.ID == planYammer
			})
			if len(want) != len(sku.ServicePlans)-2 {
				t.Fatalf("the sample E3 lacks Sway or Yammer")
			}
		}
		if !reflect.DeepEqual(it.ServicePlans, want) && !(len(it.ServicePlans) == 0 && len(want) == 0) {
			t.Fatalf("plans of %s = %+v, want %+v", it.ProductSku.ID, it.ServicePlans, want)
		}
	}

	// No licenseGroupIds: group1 only, as the service's default; Group2 alone: Minecraft.
	if got := skuIDs(licenses(u.ID, "")); !reflect.DeepEqual(got, []string{skuE3}) {
		t.Fatalf("default groups: %v, want E3 only", got)
	}
	if got := skuIDs(licenses(u.ID, "licenseGroupIds=Group2")); !reflect.DeepEqual(got, []string{skuMinecraft}) {
		t.Fatalf("Group2: %v, want Minecraft only", got)
	}

	// Reassigning with every plan brings the plans back; a swap and a removal show.
	wantStatus(t, postUpdate(t, hc, u.ID, "", assign(skuE3)), http.StatusCreated)
	if l := licenses(u.ID, ""); len(l.Items) != 1 || len(l.Items[0].ServicePlans) != len(bySku[skuE3].ServicePlans) {
		t.Fatalf("after reassigning every plan: %+v", l)
	}
	wantStatus(t, postUpdate(t, hc, u.ID, "", swap(skuE3, skuE5)), http.StatusCreated)
	if got := skuIDs(licenses(u.ID, "")); !reflect.DeepEqual(got, []string{skuE5}) {
		t.Fatalf("after the swap: %v, want E5", got)
	}
	wantStatus(t, postUpdate(t, hc, u.ID, "", remove(skuE5)), http.StatusCreated)
	if got := skuIDs(licenses(u.ID, both)); !reflect.DeepEqual(got, []string{skuMinecraft}) {
		t.Fatalf("after removing E5: %v, want Minecraft", got)
	}
	// Another user holds nothing.
	if got := licenses(users[1].UserPrincipalName, both); got.TotalCount != 0 {
		t.Fatalf("other user: %+v", got)
	}
	if st := s.Stats(); st.UserLicenseLookups != 8 {
		t.Fatalf("%d license lookups counted, want 8", st.UserLicenseLookups)
	}
}

func TestUserLicensesErrors(t *testing.T) {
	s, hc := newFake(t, pcfake.WithUsers(cust, pcfake.GenerateUsers(1, "contoso.onmicrosoft.com", 1)), pcfake.WithRequestLog())
	e := wantError(t, get(t, hc, licensesPath(cust, "mallory@contoso.onmicrosoft.com", ""), nil), http.StatusNotFound, "60002")
	if !reflect.DeepEqual(e.Data, []string{"mallory@contoso.onmicrosoft.com"}) {
		t.Fatalf("data %v", e.Data)
	}
	wantError(t, get(t, hc, licensesPath("11111111-2222-4333-8444-555555555555", "u", ""), nil), http.StatusNotFound, "60003")
	wantError(t, get(t, hc, licensesPath(cust, "user00001@contoso.onmicrosoft.com", "licenseGroupIds=Group3"), nil), http.StatusBadRequest, "800002")
	if st := s.Stats(); st.UserLicenseLookups != 0 {
		t.Fatalf("%d refused lookups counted", st.UserLicenseLookups)
	}

	// Without a user list every user exists and holds what the ledger says.
	s2, hc2 := newFake(t, pcfake.WithRequestLog())
	wantStatus(t, do(t, hc2, call{method: http.MethodPost, path: updatesPath(cust, "anyone@contoso.com"), body: mustJSON(t, assign(skuE3))}), http.StatusCreated)
	l := decodeStrict[wireLicenses](t, get(t, hc2, licensesPath(cust, "ANYONE@contoso.com", ""), nil))
	if l.TotalCount != 1 || l.Items[0].ProductSku.ID != skuE3 {
		t.Fatalf("licenses without a user list: %+v", l)
	}
	reqs := s2.Requests()
	last := reqs[len(reqs)-1]
	if last.User != "ANYONE@contoso.com" || !reflect.DeepEqual(last.Groups, []string{"group1"}) {
		t.Fatalf("logged %+v, want the user and the default group1", last)
	}
}

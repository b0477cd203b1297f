package pcfake_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestAddUsersAfterConstruction(t *testing.T) {
	s, hc := newFake(t)
	// Before: every user exists.
	wantStatus(t, postUpdate(t, hc, "early@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusCreated)

	users := pcfake.GenerateUsers(3, "contoso.onmicrosoft.com", 2)
	users[1].UsageLocation = ""
	if err := s.AddUsers(strings.ToUpper(cust), users); err != nil {
		t.Fatal(err)
	}
	// After: only listed users exist, and the checks apply.
	wantError(t, postUpdate(t, hc, "late@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusNotFound, "60002")
	wantError(t, postUpdate(t, hc, users[1].UserPrincipalName, "", assign(skuE3)), http.StatusBadRequest, "800002")
	wantStatus(t, postUpdate(t, hc, users[0].UserPrincipalName, "", assign(skuE3)), http.StatusCreated)

	// The same user again replaces the entry in its place; new users go at the end.
	fixed := users[1]
	fixed.UsageLocation = "FR"
	fixed.UserPrincipalName = "renamed@contoso.onmicrosoft.com"
	more := pcfake.GenerateUsers(4, "contoso.onmicrosoft.com", 2)[3:]
	if err := s.AddUsers(cust, append([]pcfake.User{fixed}, more...)); err != nil {
		t.Fatal(err)
	}
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil))
	var upns []string
	for _, u := range page.Items {
		upns = append(upns, u.UserPrincipalName)
	}
	want := []string{users[0].UserPrincipalName, "renamed@contoso.onmicrosoft.com", users[2].UserPrincipalName, more[0].UserPrincipalName}
	if !reflect.DeepEqual(upns, want) || page.Items[1].UsageLocation != "FR" {
		t.Fatalf("list %v (second at %q), want %v with FR", upns, page.Items[1].UsageLocation, want)
	}
	wantError(t, postUpdate(t, hc, users[1].UserPrincipalName, "", assign(skuE3)), http.StatusNotFound, "60002")
	wantStatus(t, postUpdate(t, hc, "renamed@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusCreated)

	// Errors add no one.
	if err := s.AddUsers("11111111-2222-4333-8444-555555555555", users); err == nil {
		t.Fatal("no error for an unknown customer")
	}
	bad := []pcfake.User{{ID: "5d7f9b1c-4e6a-4c8d-9f0b-2a3e4d5f6a7b", UserPrincipalName: "fine@contoso.onmicrosoft.com", UsageLocation: "US"}, {UserPrincipalName: "noid@contoso.onmicrosoft.com"}}
	err := s.AddUsers(cust, bad)
	if err == nil || !strings.Contains(err.Error(), "noid@contoso.onmicrosoft.com") {
		t.Fatalf("error %v, want one naming the user without an ID", err)
	}
	wantError(t, postUpdate(t, hc, "fine@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusNotFound, "60002")
	if n := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, ""), nil)).TotalCount; n != 4 {
		t.Fatalf("%d users listed after a refused AddUsers, want 4", n)
	}
}

func TestGenerateUsers(t *testing.T) {
	a := pcfake.GenerateUsers(1200, "fabrikam.com", 42)
	b := pcfake.GenerateUsers(1200, "fabrikam.com", 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same arguments gave different users")
	}
	c := pcfake.GenerateUsers(1200, "fabrikam.com", 43)
	ids := make(map[string]bool, len(a))
	for i, u := range a {
		id, err := uuid.Parse(u.ID)
		if err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 || id.String() != u.ID {
			t.Fatalf("user %d ID %q is not a lower-case version 4 GUID (%v)", i+1, u.ID, err)
		}
		if ids[u.ID] {
			t.Fatalf("ID %s repeats", u.ID)
		}
		ids[u.ID] = true
		if c[i].ID == u.ID {
			t.Fatalf("seeds 42 and 43 gave user %d the same ID", i+1)
		}
		num := fmt.Sprintf("%05d", i+1)
		want := pcfake.User{ID: u.ID, UserPrincipalName: "user" + num + "@fabrikam.com", DisplayName: "User " + num, UsageLocation: "US", State: "active"}
		if u != want || c[i].UserPrincipalName != want.UserPrincipalName {
			t.Fatalf("user %d = %+v, want %+v", i+1, u, want)
		}
	}
	// A prefix: the first users do not depend on n.
	if !reflect.DeepEqual(pcfake.GenerateUsers(10, "fabrikam.com", 42), a[:10]) {
		t.Fatal("GenerateUsers(10) is not the start of GenerateUsers(1200)")
	}
	if got := pcfake.GenerateUsers(1, "", 1)[0].UserPrincipalName; got != "user00001@contoso.onmicrosoft.com" {
		t.Fatalf("empty domain: %s", got)
	}
	if got := pcfake.GenerateUsers(0, "fabrikam.com", 1); got != nil {
		t.Fatalf("n=0: %v", got)
	}
	if got := pcfake.GenerateUsers(100000, "x.com", 1)[99999].UserPrincipalName; got != "user100000@x.com" {
		t.Fatalf("user 100000: %s", got)
	}
}

func ExampleGenerateUsers() {
	users := pcfake.GenerateUsers(4, "contoso.onmicrosoft.com", 1)
	users[2].UsageLocation = "" // never given a usage location: assignments are refused
	users[3].State = "inactive" // deleted: assignments are refused
	fake, err := pcfake.New(
		pcfake.WithCustomer(pcfake.DefaultCustomerID, nil),
		pcfake.WithUsers(pcfake.DefaultCustomerID, users),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = fake
	for _, u := range users {
		fmt.Printf("%s %q %s\n", u.UserPrincipalName, u.UsageLocation, u.State)
	}
	// Output:
	// user00001@contoso.onmicrosoft.com "US" active
	// user00002@contoso.onmicrosoft.com "US" active
	// user00003@contoso.onmicrosoft.com "" active
	// user00004@contoso.onmicrosoft.com "US" inactive
}

func TestMakeUser(t *testing.T) {
	ns := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/bulkassign/bulkassign/pkg/client/pcfake#users"))
	want := pcfake.User{ID: uuid.NewSHA1(ns, []byte("ann@contoso.com")).String(), UserPrincipalName: "Ann@Contoso.com",
		DisplayName: "Ann@Contoso.com", UsageLocation: "US", State: "active"}
	if got := pcfake.MakeUser("  Ann@Contoso.com "); got != want {
		t.Fatalf("MakeUser = %+v, want %+v (the documented namespace)", got, want)
	}
	id := "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
	if got := pcfake.MakeUser(id); got.ID != id || got.UserPrincipalName != "" {
		t.Fatalf("MakeUser(GUID) = %+v, want the GUID as ID, no principal name", got)
	}
	// Not a GUID in its usual form: a made-up ID.
	for _, name := range []string{"{3f2504e0-4f89-41d3-9a0c-0305e82c3301}", "3f2504e04f8941d39a0c0305e82c3301", "kiosk"} {
		if got := pcfake.MakeUser(name); got.ID == name || uuid.MustParse(got.ID).Version() != 5 {
			t.Fatalf("MakeUser(%q) = %+v, want a version 5 ID", name, got)
		}
	}
}

package pcfake_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// These tests point the Partner Center client that bulkassign runs with at the fake,
// in process: the fake must answer the requests that client sends.

func newBackend(t *testing.T, fake *pcfake.Server, token string) *partnercenter.Backend {
	t.Helper()
	b, err := partnercenter.NewBackend(
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})),
		client.WithBaseURL("https://partnercenter.test/"),
		client.WithHTTPClient(&http.Client{Transport: fake.Transport()}),
		client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1}),
	)
	if err != nil {
		t.Fatalf("NewBackend: %v", err)
	}
	return b
}

func TestBackendLooksUpUsersAndWhatTheyHold(t *testing.T) {
	users := pcfake.GenerateUsers(3, "contoso.onmicrosoft.com", 12)
	users[1].UsageLocation = ""
	users[2].State = "inactive"
	ctx := context.Background()
	for _, idOnly := range []bool{false, true} {
		opts := []pcfake.Option{pcfake.WithUsers(cust, users), pcfake.WithHolding(cust, users[0].ID, skuE3, []string{planSway})}
		if idOnly {
			opts = append(opts, pcfake.WithObjectIDLookupsOnly())
		}
		fake, _ := newFake(t, opts...)
		b := newBackend(t, fake, testToken)
		if _, err := b.Catalogue(ctx, cust); err != nil {
			t.Fatal(err)
		}
		got, err := b.LookupUsers(ctx, cust, []string{users[0].UserPrincipalName, users[1].ID, "nobody@contoso.onmicrosoft.com", users[2].UserPrincipalName})
		if err != nil {
			t.Fatal(err)
		}
		want := []client.User{
			{ID: users[0].ID, PrincipalName: users[0].UserPrincipalName, UsageLocation: "US", State: "active",
				Licenses: []client.License{{SkuID: skuE3, DisabledPlans: []string{planSway}}}, LicensesKnown: true},
			{ID: users[1].ID, PrincipalName: users[1].UserPrincipalName, State: "active", Licenses: []client.License{}, LicensesKnown: true},
		}
		if idOnly {
			want = want[1:] // a principal name is not found
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("object ID lookups only %v: users =\n%+v\nwant\n%+v", idOnly, got, want)
		}
	}
}

func TestBackendListsActiveAndDeletedUsersApart(t *testing.T) {
	users := pcfake.GenerateUsers(1300, "contoso.onmicrosoft.com", 13)
	var wantActive, wantDeleted []string
	for i := range users {
		if i%3 == 0 {
			users[i].State = "inactive"
			wantDeleted = append(wantDeleted, users[i].ID)
		} else {
			wantActive = append(wantActive, users[i].ID)
		}
	}
	fake, _ := newFake(t, pcfake.WithUsers(cust, users))
	b := newBackend(t, fake, testToken)
	for _, deleted := range []bool{false, true} {
		var ids []string
		pages := 0
		err := b.ListUsers(context.Background(), cust, deleted, func(us []client.User) error {
			pages++
			for _, u := range us {
				if u.Active() == deleted {
					t.Errorf("deleted %v: user %+v listed", deleted, u)
				}
				ids = append(ids, u.ID)
			}
			return nil
		})
		want := wantActive
		if deleted {
			want = wantDeleted
		}
		if err != nil || !slices.Equal(ids, want) || pages != (len(want)+499)/500 {
			t.Fatalf("deleted %v: %d users in %d pages, %v; want %d", deleted, len(ids), pages, err, len(want))
		}
	}
	if st := fake.Stats(); st.UserListings != 2 || st.DeletedUserListings != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestBackendSetsTheUsageLocationBeforeAnAssignment(t *testing.T) {
	users := pcfake.GenerateUsers(2, "contoso.onmicrosoft.com", 14)
	users[0].UsageLocation, users[1].UsageLocation = "", ""
	fake, _ := newFake(t, pcfake.WithUsers(cust, users))
	b := newBackend(t, fake, testToken)
	ctx := context.Background()

	_, err := b.Apply(ctx, client.Change{Customer: cust, User: users[1].UserPrincipalName, Group: "group1", Assign: []client.Assignment{{SkuID: skuE3}}}, nil)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Reason != client.ReasonNoUsageLocation {
		t.Fatalf("assignment without a usage location: %v, want reason %q", err, client.ReasonNoUsageLocation)
	}
	applied, err := b.Apply(ctx, client.Change{Customer: cust, User: users[0].UserPrincipalName, Group: "group1",
		Assign: []client.Assignment{{SkuID: skuE3, DisabledPlans: []string{planYammer}}}, UsageLocation: "US"}, nil)
	if err != nil || !applied.UsageLocationSet {
		t.Fatalf("Apply = %+v, %v; want the usage location set and the license assigned", applied, err)
	}
	if u := fake.Users(cust)[0]; u.UsageLocation != "US" {
		t.Fatalf("user after Apply: %+v", u)
	}
	if got := fake.Holdings(cust)[users[0].UserPrincipalName]; !reflect.DeepEqual(got, map[string][]string{skuE3: {planYammer}}) {
		t.Fatalf("holdings = %v", got)
	}
	if st := fake.Stats(); st.UserUpdates != 1 || st.Applied != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestBackendSeesTheRefusalsTheFakePlays(t *testing.T) {
	ctx := context.Background()
	const secret = "eyJ0eXAiOiJKV1Qi.no-mfa.SECRET-DO-NOT-LEAK"
	fake, _ := newFake(t, pcfake.WithTokenCheck(func(string) bool { return true }), pcfake.WithMFACheck(func(string) bool { return false }))
	_, err := newBackend(t, fake, secret).Catalogue(ctx, cust)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Reason != client.ReasonMFARequired || apiErr.Code != partnercenter.CodeMFARequired {
		t.Fatalf("token without MFA: %v, want reason %q", err, client.ReasonMFARequired)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("the error repeats the token: %v", err)
	}

	fake, _ = newFake(t, pcfake.WithStrictRemovals())
	_, err = newBackend(t, fake, testToken).Apply(ctx, client.Change{Customer: cust, User: "ann@contoso.com", Group: "group1", Remove: []string{skuE3}}, nil)
	if !errors.As(err, &apiErr) || apiErr.Reason != client.ReasonNotHeld {
		t.Fatalf("removal of a license not held: %v, want reason %q", err, client.ReasonNotHeld)
	}
}

package pcfake_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// deletedFilter asks the users listing for the deleted users.
const deletedFilter = `{"Field":"UserState","Value":"Inactive","Operator":"equals"}`

func deletedQuery(size int) string {
	return "size=" + strconv.Itoa(size) + "&filter=" + url.QueryEscape(deletedFilter)
}

// listQuery pages through a listing from its first page's query, returning the users.
func listQuery(t *testing.T, hc *http.Client, query string) (ids []string, pages int) {
	t.Helper()
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, query), nil))
	for {
		pages++
		if len(page.Items) == 0 && page.Links.Next != nil {
			t.Fatalf("page %d is empty but has a next link", pages)
		}
		for _, u := range page.Items {
			ids = append(ids, u.ID)
		}
		if page.Links.Next == nil {
			return ids, pages
		}
		page = decodeStrict[wireUserPage](t, followNext(t, hc, page.Links.Next))
	}
}

func TestListingLeavesDeletedUsersOut(t *testing.T) {
	users := pcfake.GenerateUsers(12, "contoso.onmicrosoft.com", 8)
	var active, deleted []string
	for i := range users {
		if i == 1 || i == 4 || i == 5 || i == 9 {
			users[i].State = []string{"inactive", "Inactive", " INACTIVE "}[i%3]
			deleted = append(deleted, users[i].ID)
		} else {
			active = append(active, users[i].ID)
		}
	}
	s, hc := newFake(t, pcfake.WithUsers(cust, users))
	ids, pages := listQuery(t, hc, "size=3")
	if strings.Join(ids, ",") != strings.Join(active, ",") || pages != 3 {
		t.Fatalf("listing: %d pages of %v, want 3 pages of the 8 active users in order", pages, ids)
	}
	first := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, deletedQuery(3)), nil))
	wantSelf := "/customers/" + cust + "/users?size=3&filter=" + url.QueryEscape(deletedFilter)
	if first.Links.Self.URI != wantSelf || first.Links.Next == nil || first.Links.Next.URI != wantSelf+"&seekOperation=Next" {
		t.Fatalf("deleted listing links = %+v, want self %s and next with the filter", first.Links, wantSelf)
	}
	for _, u := range first.Items {
		if u.State == "active" {
			t.Fatalf("deleted listing shows an active user %+v", u)
		}
	}
	ids, pages = listQuery(t, hc, deletedQuery(3))
	if strings.Join(ids, ",") != strings.Join(deleted, ",") || pages != 2 {
		t.Fatalf("deleted listing: %d pages of %v, want 2 pages of %v", pages, ids, deleted)
	}
	// The filter's names and values in any case.
	lower := `{"field":"userstate","value":"INACTIVE","operator":"Equals"}`
	if ids, _ := listQuery(t, hc, "size=10&Filter="+url.QueryEscape(lower)); len(ids) != 4 {
		t.Fatalf("filter in other cases listed %d users", len(ids))
	}
	if st := s.Stats(); st.UserListings != 4 || st.DeletedUserListings != 3 {
		t.Fatalf("stats: %d listings, %d of deleted users; want 4, 3", st.UserListings, st.DeletedUserListings)
	}
}

func TestListingEndsWithoutAnEmptyPage(t *testing.T) {
	users := pcfake.GenerateUsers(5, "contoso.onmicrosoft.com", 9)
	users[3].State, users[4].State = "inactive", "inactive"
	_, hc := newFake(t, pcfake.WithUsers(cust, users))
	page := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "size=3"), nil))
	if len(page.Items) != 3 || page.Links.Next != nil {
		t.Fatalf("page = %+v, want the 3 active users and no next link", page)
	}
	// No deleted user: an empty collection.
	_, hc = newFake(t, pcfake.WithUsers(cust, users[:3]))
	page = decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, deletedQuery(3)), nil))
	if page.TotalCount != 0 || page.Items == nil || len(page.Items) != 0 || page.Links.Next != nil {
		t.Fatalf("no deleted user: %+v", page)
	}
}

func TestDeletedUsersInListingOption(t *testing.T) {
	users := pcfake.GenerateUsers(4, "contoso.onmicrosoft.com", 10)
	users[2].State = "inactive"
	_, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithDeletedUsersInListing())
	if ids, _ := listQuery(t, hc, "size=2"); len(ids) != 4 || ids[2] != users[2].ID {
		t.Fatalf("listing = %v, want all 4 users in order", ids)
	}
	if ids, _ := listQuery(t, hc, deletedQuery(2)); len(ids) != 1 || ids[0] != users[2].ID {
		t.Fatalf("deleted listing = %v, want the inactive user only", ids)
	}
}

func TestListingRefusesBadFiltersAndForeignTokens(t *testing.T) {
	users := pcfake.GenerateUsers(6, "contoso.onmicrosoft.com", 11)
	for i := range 3 {
		users[i].State = "inactive"
	}
	_, hc := newFake(t, pcfake.WithUsers(cust, users))
	for name, q := range map[string]string{
		"not JSON":      "filter=" + url.QueryEscape("UserState eq Inactive"),
		"active users":  "filter=" + url.QueryEscape(`{"Field":"UserState","Value":"Active","Operator":"equals"}`),
		"another field": "filter=" + url.QueryEscape(`{"Field":"DisplayName","Value":"Inactive","Operator":"equals"}`),
		"another op":    "filter=" + url.QueryEscape(`{"Field":"UserState","Value":"Inactive","Operator":"startswith"}`),
		"twice":         "filter=" + url.QueryEscape(deletedFilter) + "&filter=" + url.QueryEscape(deletedFilter),
	} {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, get(t, hc, usersPath(cust, q), nil), http.StatusBadRequest, "800002")
			if !strings.Contains(e.Description, "filter") {
				t.Fatalf("description %q does not name the filter", e.Description)
			}
		})
	}
	// A token is bound to the filter: it does not continue the other listing.
	plain := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, "size=2"), nil))
	del := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, deletedQuery(2)), nil))
	plainTok, delTok := nextToken(t, plain.Links.Next), nextToken(t, del.Links.Next)
	wantError(t, get(t, hc, usersPath(cust, "size=2&seekOperation=Next"), map[string]string{"MS-ContinuationToken": delTok}), http.StatusBadRequest, "800002")
	wantError(t, get(t, hc, usersPath(cust, deletedQuery(2)+"&seekOperation=Next"), map[string]string{"MS-ContinuationToken": plainTok}), http.StatusBadRequest, "800002")
	next := decodeStrict[wireUserPage](t, get(t, hc, usersPath(cust, deletedQuery(2)+"&seekOperation=Next"), map[string]string{"MS-ContinuationToken": delTok}))
	if len(next.Items) != 1 || next.Items[0].ID != users[2].ID {
		t.Fatalf("deleted page 2 = %+v", next.Items)
	}
}

package main

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestCheckUsersSkipsUsersTheAPIWouldRefuse lists the customer's users once (over
// several pages) and plans rows of unknown, inactive and location-less users as
// skipped; plan exits 1, run --check-users sends only the rest, and the result CSV
// carries the object ID of users given by principal name.
func TestCheckUsersSkipsUsersTheAPIWouldRefuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := pcfake.GenerateUsers(1200, "contoso.com", 1) // 3 pages of 500
		users[1].State = "inactive"
		users[2].UsageLocation = ""
		e := newEnv(t, pcfake.WithUsers(testCustomer, users))
		var in strings.Builder
		in.WriteString("user,sku,remove_sku\n")
		for i := 0; i < 5; i++ {
			fmt.Fprintf(&in, "%s,ENTERPRISEPACK,\n", strings.ToUpper(users[i].UserPrincipalName)) // any case
		}
		fmt.Fprintf(&in, "%s,ENTERPRISEPACK,\n", users[5].ID)                   // by object ID
		in.WriteString("nobody@contoso.com,ENTERPRISEPACK,\n")                  // unknown
		fmt.Fprintf(&in, "%s,,ENTERPRISEPREMIUM\n", users[2].UserPrincipalName) // removal: no location needed
		input := e.file("in.csv", in.String())

		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", input)
		if code != ExitRowsFailed {
			t.Fatalf("plan: exit %d, want 1: %s", code, e.stderr.String())
		}
		for _, want := range []string{"user not active", "no usage location", "user not found: nobody@contoso.com"} {
			if !strings.Contains(e.stdout.String(), want) {
				t.Errorf("plan does not report %q:\n%s", want, e.stdout.String())
			}
		}
		if st := e.fake.Stats(); st.UserListings != 1 || st.UserPages != 3 || st.Posts != 0 {
			t.Fatalf("%d listings over %d pages and %d POSTs; want one listing of 3 pages, no POST", st.UserListings, st.UserPages, st.Posts)
		}

		out := e.path("result.csv")
		code = e.run(t.Context(), nil, "run", "--check-users", "--customer", testCustomer, "--input", input, "--output", out)
		if code != ExitRowsFailed {
			t.Fatalf("run: exit %d, want 1: %s", code, e.stderr.String())
		}
		byUser := map[string]report.Result{}
		for _, r := range e.results(out) {
			byUser[strings.ToLower(r.User+"|"+r.RemoveSku)] = r
		}
		want := map[string]report.Status{
			users[0].UserPrincipalName: report.StatusSucceeded, users[1].UserPrincipalName: report.StatusSkipped,
			users[2].UserPrincipalName: report.StatusSkipped, users[3].UserPrincipalName: report.StatusSucceeded,
			users[5].ID: report.StatusSucceeded, "nobody@contoso.com": report.StatusSkipped,
			users[2].UserPrincipalName + "|ENTERPRISEPREMIUM": report.StatusSucceeded,
		}
		for u, st := range want {
			k := strings.ToLower(u)
			if !strings.Contains(k, "|") {
				k += "|"
			}
			if byUser[k].Status != st {
				t.Errorf("%s: %s %q, want %s", u, byUser[k].Status, byUser[k].ErrorMessage, st)
			}
		}
		if got := byUser[strings.ToLower(users[0].UserPrincipalName)+"|"].UserID; got != users[0].ID {
			t.Fatalf("user_id %q, want the object ID %s", got, users[0].ID)
		}
		if st := e.fake.Stats(); st.ByStatus[400] != 0 {
			t.Fatalf("%d requests refused by the API: the check let them through", st.ByStatus[400])
		}
	})
}

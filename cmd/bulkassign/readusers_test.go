package main

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestReadUsersSkipsUsersTheAPIWouldRefuse reads the users a small file names (a
// lookup each, never a listing of the whole tenant) and plans rows of unknown,
// deleted and location-less users as skipped; plan exits 1, run (--check-users, the
// old name of --read-users) sends only the rest, and the result CSV carries the object
// ID of users given by principal name.
func TestReadUsersSkipsUsersTheAPIWouldRefuse(t *testing.T) {
	for _, deleted := range []string{"found by ID", "listed apart"} {
		t.Run("deleted users "+deleted, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testReadUsersSkips(t, deleted == "found by ID") })
		})
	}
}

func testReadUsersSkips(t *testing.T, deletedFoundByID bool) {
	users := pcfake.GenerateUsers(1200, "contoso.com", 1)
	users[1].State = "inactive"
	users[2].UsageLocation = ""
	opts := []pcfake.Option{pcfake.WithUsers(testCustomer, users), pcfake.WithHolder(testCustomer, users[2].ID, skuE5)}
	if deletedFoundByID {
		opts = append(opts, pcfake.WithDeletedUsersFoundByID())
	}
	e := newEnv(t, opts...)
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
		t.Fatalf("plan: exit %d, want 1: %s", code, e.all())
	}
	contains(t, "plan", e.stdout.String(), "user not active", "no usage location", "user not found")
	if st := e.fake.Stats(); st.UserListings != st.DeletedUserListings || st.Posts != 0 || st.UserLookups < 5 {
		t.Fatalf("stats %+v: want lookups, no listing of the whole tenant, no POST", st)
	}

	out := e.path("result.csv")
	code = e.run(t.Context(), nil, "run", "--check-users", "--customer", testCustomer, "--input", input, "--output", out)
	if code != ExitRowsFailed {
		t.Fatalf("run: exit %d, want 1: %s", code, e.all())
	}
	byUser := map[string]report.Result{}
	for _, r := range e.results(out) {
		byUser[strings.ToLower(r.User+"|"+r.RemoveSku)] = r
	}
	want := map[string]report.Status{
		users[0].UserPrincipalName + "|": report.StatusSucceeded, users[1].UserPrincipalName + "|": report.StatusSkipped,
		users[2].UserPrincipalName + "|": report.StatusSkipped, users[3].UserPrincipalName + "|": report.StatusSucceeded,
		users[5].ID + "|": report.StatusSucceeded, "nobody@contoso.com|": report.StatusSkipped,
		users[2].UserPrincipalName + "|ENTERPRISEPREMIUM": report.StatusSucceeded,
	}
	for k, st := range want {
		if r := byUser[strings.ToLower(k)]; r.Status != st {
			t.Errorf("%s: %s %q, want %s", k, r.Status, r.ErrorMessage, st)
		}
	}
	if got := byUser[strings.ToLower(users[0].UserPrincipalName)+"|"].UserID; got != users[0].ID {
		t.Fatalf("user_id %q, want the object ID %s", got, users[0].ID)
	}
	if st := e.fake.Stats(); st.ByStatus[400] != 0 {
		t.Fatalf("%d requests refused by the API: the reads let them through", st.ByStatus[400])
	}
}

// TestReadUsersListsALargeShareOfTheTenant: 600 users of a tenant of 1200 cost more
// than 1000 reads to look up; the plan finds them in a listing instead.
func TestReadUsersListsALargeShareOfTheTenant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := pcfake.GenerateUsers(1200, "contoso.com", 1)
		e := newEnv(t, pcfake.WithUsers(testCustomer, users), pcfake.WithHolder(testCustomer, users[0].ID, skuE3))
		var in strings.Builder
		in.WriteString("user,sku\n")
		for i := 0; i < 600; i++ {
			fmt.Fprintf(&in, "%s,ENTERPRISEPACK\n", users[i].UserPrincipalName)
		}
		out := e.path("plan.csv")
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", e.file("in.csv", in.String()), "--out", out,
			"--read-rate", "500")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		st := e.fake.Stats()
		// The 600 users are on the first two pages; the third is fetched while the
		// second is decoded.
		if st.UserListings != 1 || st.UserPages > 3 || st.UserLookups != 0 || st.UserLicenseLookups != 600 {
			t.Fatalf("stats %+v: want one listing of at most 3 pages and each found user's licenses", st)
		}
		contains(t, "stderr", e.stderr.String(), "Reading 600 user(s)", "found in a listing")
		unchanged := 0
		for _, r := range e.results(out) {
			if r.Status == report.StatusUnchanged {
				unchanged++
			}
		}
		if unchanged != 1 {
			t.Fatalf("%d unchanged rows, want 1 (the user who holds E3)", unchanged)
		}
	})
}

// TestReadsLogTheirProgress: reads that take a while log "reading users" every five
// seconds, with the users found, the reads made and the most the plan said they take,
// the reads growing from line to line up to that bound.
func TestReadsLogTheirProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := pcfake.GenerateUsers(100, "contoso.com", 1)
		e := newEnv(t, pcfake.WithUsers(testCustomer, users))
		var in strings.Builder
		in.WriteString("user,sku\n")
		for _, u := range users[:40] {
			fmt.Fprintf(&in, "%s,ENTERPRISEPACK\n", u.UserPrincipalName)
		}
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", e.file("in.csv", in.String()),
			"--read-rate", "4", "--log-format", "json")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		var progress []map[string]any
		for _, l := range jsonLines(t, e.stderr.String()) {
			if l["message"] == "reading users" {
				progress = append(progress, l)
			}
		}
		// 40 users looked up, each found then read for its licenses, at 4 reads/s: about
		// 20 s, so four lines five seconds apart (the first as the reads begin).
		if len(progress) < 3 || len(progress) > 5 {
			t.Fatalf("%d progress lines for reads of about 20 s, want one every 5 s:\n%s", len(progress), e.stderr.String())
		}
		last := 0.0
		for _, l := range progress {
			reads, atMost := l["reads"].(float64), l["reads_at_most"].(float64)
			if l["customer"] != testCustomer || l["users"] != 40.0 || reads <= last || reads > atMost || l["found"] == nil {
				t.Errorf("progress line %v: want customer, 40 users, found, reads growing up to reads_at_most", l)
			}
			last = reads
		}
	})
}

// TestUsageLocationIsSetBeforeTheAssignment: --usage-location gives a user without one
// a usage location (a PATCH) before its assignment, instead of skipping its row.
func TestUsageLocationIsSetBeforeTheAssignment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := pcfake.GenerateUsers(3, "contoso.com", 1)
		users[1].UsageLocation = ""
		e := newEnv(t, pcfake.WithUsers(testCustomer, users))
		in := e.file("in.csv", "user,sku\n"+users[0].UserPrincipalName+",ENTERPRISEPACK\n"+users[1].UserPrincipalName+",ENTERPRISEPACK\n")
		sum := e.path("summary.json")
		code := e.run(t.Context(), nil, "run", "--usage-location", "GB", "--customer", testCustomer, "--input", in,
			"--output", e.path("result.csv"), "--summary-json", sum)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		if st := e.fake.Stats(); st.UserUpdates != 1 || st.Applied != 2 {
			t.Fatalf("stats %+v: want one PATCH and two updates", st)
		}
		if got := e.fake.Users(testCustomer)[1].UsageLocation; got != "GB" {
			t.Fatalf("usage location %q, want GB", got)
		}
		if s := e.summary(sum); s["usage_locations_set"] != float64(1) {
			t.Fatalf("summary %v", s)
		}
	})
}

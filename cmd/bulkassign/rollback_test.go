package main

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

const planSway = "a23b959c-7ce8-4e57-9140-b90eb88a9e97"

func TestRollbackRestoresTheLedger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t,
			pcfake.WithHolder(testCustomer, "ann@contoso.com", skuE3),
			pcfake.WithHolder(testCustomer, "carol@contoso.com", skuE3),
			pcfake.WithHolder(testCustomer, "dan@contoso.com", skuMinecraft),
			pcfake.WithHolding(testCustomer, "erin@contoso.com", skuE3, []string{planSway}), // E3 without Sway
		)
		before := e.ledger()
		availE3, _ := e.fake.Units(testCustomer, skuE3)

		in := e.file("in.csv", "user,sku,remove_sku,excluded_plans\n"+
			"ann@contoso.com,ENTERPRISEPACK,,\n"+ // already held: unchanged, nothing to undo
			"bob@contoso.com,ENTERPRISEPACK,,\n"+ // new: the rollback removes it
			"carol@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n"+ // swap: swapped back
			"dan@contoso.com,,Minecraft Education Edition Faculty,\n"+ // removal: assigned again
			"erin@contoso.com,ENTERPRISEPACK,,YAMMER_ENTERPRISE\n"+ // other plans: restored
			"frank@contoso.com,ENTERPRISEPREMIUM,,\n"+
			"frank@contoso.com,Minecraft Education Edition Faculty,,\n"+ // two groups
			"gus@contoso.com,,ENTERPRISEPREMIUM,\n") // removal of a SKU not held: unchanged
		out := e.path("result.csv")
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out); code != ExitOK {
			t.Fatalf("run: exit %d: %s", code, e.all())
		}
		if reflect.DeepEqual(before, e.ledger()) {
			t.Fatal("the run changed nothing: the test proves nothing")
		}
		want := map[int]report.Status{2: report.StatusUnchanged, 3: report.StatusSucceeded, 4: report.StatusSucceeded,
			5: report.StatusSucceeded, 6: report.StatusSucceeded, 7: report.StatusSucceeded, 8: report.StatusSucceeded,
			9: report.StatusUnchanged}
		for _, r := range e.results(out) {
			if r.Status != want[r.Line] {
				t.Errorf("line %d (%s): %s %q, want %s", r.Line, r.User, r.Status, r.ErrorMessage, want[r.Line])
			}
			if r.Status == report.StatusUnchanged && (r.RequestID != "" || r.HTTPStatus != 0) {
				t.Errorf("line %d is unchanged yet was sent: %+v", r.Line, r)
			}
		}
		// Nothing is sent for ann and gus: 6 updates (frank's are one per license group).
		if n := len(e.posts()); n != 6 {
			t.Fatalf("%d POSTs, want 6", n)
		}
		rollback := report.RollbackPath(out)
		b, err := os.ReadFile(rollback)
		if err != nil {
			t.Fatalf("no rollback file: %v", err)
		}
		if first, _, _ := strings.Cut(string(b), "\n"); first != strings.Join(report.RollbackHeader, ",") {
			t.Fatalf("rollback header %q", first)
		}
		rows, err := report.ReadRollback(rollback)
		if err != nil {
			t.Fatal(err)
		}
		// Each row undoes one change, naming the user by object ID and the lines it
		// undoes; ann and gus, whose licenses the run did not change, are not in it.
		got := map[string]string{}
		for _, r := range rows {
			got[fmt.Sprint(r.Lines)+" "+strings.ToLower(r.User)] = strings.ToLower(r.Sku + "|" + r.SkuName + "|" + r.RemoveSku + "|" + strings.Join(r.ExcludedPlans, ";"))
		}
		wantRows := map[string]string{
			"[3] " + userID("bob@contoso.com"):   "||" + skuE3 + "|",
			"[4] " + userID("carol@contoso.com"): skuE3 + "|office 365 enterprise e3|" + skuE5 + "|none",
			"[5] " + userID("dan@contoso.com"):   skuMinecraft + "|minecraft education edition faculty||none",
			"[6] " + userID("erin@contoso.com"):  skuE3 + "|office 365 enterprise e3||" + planSway,
			"[7] " + userID("frank@contoso.com"): "||" + skuE5 + "|",
			"[8] " + userID("frank@contoso.com"): "||" + skuMinecraft + "|",
		}
		if !reflect.DeepEqual(got, wantRows) {
			t.Fatalf("rollback rows:\n got  %v\n want %v", got, wantRows)
		}
		contains(t, "summary", e.stdout.String(), "Rollback: 6 row(s)", rollback)

		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", rollback, "--output", e.path("rolled-back.csv"))
		if code != ExitOK {
			t.Fatalf("rollback run: exit %d: %s", code, e.all())
		}
		if after := e.ledger(); !reflect.DeepEqual(before, after) {
			t.Fatalf("ledger after rollback differs:\nbefore %v\nafter  %v", before, after)
		}
		if avail, _ := e.fake.Units(testCustomer, skuE3); avail != availE3 {
			t.Fatalf("E3 available %d after rollback, %d before", avail, availE3)
		}
	})
}

func TestRunThatChangesNothingWritesNoRollback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithHolder(testCustomer, "ann@contoso.com", skuE3))
		out := e.path("result.csv")
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/shortfall.csv", "--output", out); code != ExitShortfall {
			t.Fatalf("exit %d", code)
		}
		if _, err := os.Stat(report.RollbackPath(out)); err == nil {
			t.Fatal("a rollback file for a run that sent nothing")
		}
		// Every row already holds: unchanged, nothing sent, no rollback, exit 0.
		out = e.path("result2.csv")
		in := e.file("in.csv", "user,sku\nann@contoso.com,ENTERPRISEPACK\nANN@contoso.com,Office 365 Enterprise E3\n")
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out); code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		for _, r := range e.results(out) {
			if r.Status != report.StatusUnchanged {
				t.Fatalf("row %+v, want unchanged", r)
			}
		}
		if len(e.posts()) != 0 {
			t.Fatal("an update was sent for a license the user holds")
		}
		if _, err := os.Stat(report.RollbackPath(out)); err == nil {
			t.Fatal("a rollback file for a run that changed nothing")
		}
		contains(t, "summary", e.stdout.String(), "2 unchanged")
	})
}

// TestRunWithoutReadingUsersWritesNoRollback: --read-users=false plans every row as a
// change; without knowing what users held the run cannot undo itself.
func TestRunWithoutReadingUsersWritesNoRollback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithHolder(testCustomer, "ann@contoso.com", skuE3))
		out := e.path("result.csv")
		in := e.file("in.csv", "user,sku\nann@contoso.com,ENTERPRISEPACK\nbob@contoso.com,ENTERPRISEPACK\n")
		sum := e.path("summary.json")
		code := e.run(t.Context(), nil, "run", "--read-users=false", "--customer", testCustomer, "--input", in, "--output", out,
			"--summary-json", sum)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		if st := e.fake.Stats(); st.UserLookups+st.UserLicenseLookups+st.UserPages != 0 || st.Posts != 2 {
			t.Fatalf("stats %+v: want no user read and both rows sent", st)
		}
		for _, r := range e.results(out) {
			if r.Status != report.StatusSucceeded {
				t.Fatalf("row %+v", r)
			}
		}
		if _, err := os.Stat(report.RollbackPath(out)); err == nil {
			t.Fatal("a rollback file without reading users")
		}
		contains(t, "log", e.stderr.String(), "no rollback file")
		if s := e.summary(sum); s["upper_bound"] != true || s["rollback"] != "" {
			t.Fatalf("summary %v", s)
		}
	})
}

func TestRunWithRollbackOffWritesNoRollback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--rollback=false", "--customer", testCustomer,
			"--input", "../../samples/onboarding.csv", "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e.all())
		}
		if len(e.posts()) != 11 {
			t.Fatalf("%d POSTs, want 11", len(e.posts()))
		}
		if _, err := os.Stat(report.RollbackPath(out)); err == nil {
			t.Fatal("--rollback=false wrote a rollback file")
		}
	})
}

// TestResumeWithRollbackOffSaysWhatTheOldRollbackCovers: an interrupted run wrote a
// rollback file for what it sent; resumed with --rollback=false, the run warns that the
// rollback is off and names the file and the lines it undoes, and leaves it as it was.
func TestResumeWithRollbackOffSaysWhatTheOldRollbackCovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		in := e.file("in.csv", usersCSV(30, "ENTERPRISEPACK"))
		interruptedRun(t, e, in, out)
		rollback := report.RollbackPath(out)
		before, err := os.ReadFile(rollback)
		if err != nil {
			t.Fatalf("the interrupted run wrote no rollback: %v", err)
		}
		rows, err := report.ReadRollback(rollback)
		if err != nil {
			t.Fatal(err)
		}
		var lines []int
		for _, r := range rows {
			lines = append(lines, r.Lines...)
		}
		if len(lines) == 0 || len(lines) >= 30 {
			t.Fatalf("the interrupted run's rollback undoes %d lines: the test proves nothing", len(lines))
		}

		e.stdout.Reset()
		e.stderr.Reset()
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out, "--resume", "--rollback=false")
		if code != ExitOK {
			t.Fatalf("resume: exit %d: %s", code, e.all())
		}
		contains(t, "resume's output", e.all(), "the rollback is off", rollback, report.LinesText(lines, 10),
			"what this session changes is not in it")
		after, err := os.ReadFile(rollback)
		if err != nil || string(after) != string(before) {
			t.Fatalf("the resume with the rollback off changed the old rollback file (err %v)", err)
		}

		// A resume with the rollback on says nothing of the kind.
		e.stdout.Reset()
		e.stderr.Reset()
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out, "--resume"); code != ExitOK {
			t.Fatalf("second resume: exit %d: %s", code, e.all())
		}
		if strings.Contains(e.all(), "the rollback is off") {
			t.Fatalf("a resume with the rollback on warns it is off:\n%s", e.all())
		}
	})
}

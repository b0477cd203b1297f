package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// fakeServer is `bulkassign fake-server` serving on loopback for a test.
type fakeServer struct {
	addr   string
	stdout syncBuffer
	stop   func() error // stops it and returns what serveFake returned
	// transport carries the requests of commands run against it over loopback; its
	// idle connections are closed before the server shuts down, which would otherwise
	// wait 5 s for a connection dialled and never used.
	transport *http.Transport
}

func startFakeServer(t *testing.T, args ...string) *fakeServer {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	fs := &fakeServer{transport: &http.Transport{}}
	m := &Main{Stdout: &fs.stdout, Stderr: &fs.stdout}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- m.serveFake(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), func(addr string) { addrc <- addr })
	}()
	select {
	case fs.addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("fake-server stopped: %v\n%s", err, fs.stdout.String())
	}
	stopped := false
	var stopErr error
	fs.stop = func() error {
		if !stopped {
			stopped = true
			fs.transport.CloseIdleConnections()
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { fs.stop() })
	return fs
}

// pcClient is a Partner Center client of the fake server with token tok.
func (fs *fakeServer) pcClient(t *testing.T, tok string) *partnercenter.Client {
	t.Helper()
	c, err := partnercenter.New(client.WithBaseURL("http://"+fs.addr+"/"),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runAgainst runs a bulkassign command against the fake server over loopback.
func (fs *fakeServer) runAgainst(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	vars := map[string]string{EnvBaseURL: "http://" + fs.addr + "/", EnvAccessToken: "fake-server-token"}
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] },
		Transport: fs.transport}
	err := m.Run(t.Context(), args)
	out := stdout.String() + stderr.String()
	if err != nil {
		out += "\nbulkassign: " + err.Error()
	}
	return ExitCode(err), out
}

func TestFakeServerServesPartnerCenterOnLoopback(t *testing.T) {
	fs := startFakeServer(t, "--token", "fake-server-token")
	ctx := t.Context()
	c := fs.pcClient(t, "fake-server-token")
	skus, _, err := c.GetSubscribedSkus(ctx, testCustomer, partnercenter.Group1, partnercenter.Group2)
	if err != nil {
		t.Fatal(err)
	}
	if len(skus) != 6 {
		t.Fatalf("%d SKUs, want the sample catalogue's 6", len(skus))
	}
	// The users of the sample files exist; others do not.
	if _, _, err := c.GetUser(ctx, testCustomer, "amelia.hart@contoso.onmicrosoft.com"); err != nil {
		t.Fatalf("a user of samples/onboarding.csv: %v", err)
	}
	var apiErr *client.APIError
	if _, _, err := c.GetUser(ctx, testCustomer, "nobody@contoso.onmicrosoft.com"); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("an unknown user: %v", err)
	}
	// The users the migration sample swaps hold E3.
	lics, _, err := c.UserLicenses(ctx, testCustomer, "migrated.user01@contoso.onmicrosoft.com", partnercenter.Group1)
	if err != nil || len(lics) != 1 || lics[0].ProductSku.ID != skuE3 {
		t.Fatalf("migrated.user01 holds %+v (%v), want E3", lics, err)
	}
	_, _, err = c.UpdateLicenses(ctx, testCustomer, "amelia.hart@contoso.onmicrosoft.com", partnercenter.LicenseUpdate{
		LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE3}}})
	if err != nil {
		t.Fatal(err)
	}
	// The wrong token is refused.
	_, _, err = fs.pcClient(t, "wrong").GetSubscribedSkus(ctx, testCustomer)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("wrong token: %v", err)
	}
	if err := fs.stop(); err != nil {
		t.Fatalf("fake-server: %v", err)
	}
	out := fs.stdout.String()
	contains(t, "stdout", out, "http://"+fs.addr+"/", "1 updates applied", testCustomer)
	if strings.Contains(out, "fake-server-token") {
		t.Fatal("the configured token was printed")
	}
}

// TestPlanAgainstTheFakeServerFindsTheSampleUsers: `plan` over loopback reads the
// sample files' users and what they hold.
func TestPlanAgainstTheFakeServerFindsTheSampleUsers(t *testing.T) {
	fs := startFakeServer(t)
	for _, sample := range []string{"onboarding", "migration", "shortfall"} {
		code, out := fs.runAgainst(t, "plan", "--customer", testCustomer, "--input", "../../samples/"+sample+".csv", "-o", "json",
			"--read-rate", "2000")
		want := ExitOK
		if sample == "shortfall" {
			want = ExitShortfall
		}
		if code != want {
			t.Fatalf("%s: exit %d, want %d\n%s", sample, code, want, out)
		}
		if strings.Contains(out, "user not found") || strings.Contains(out, `"upper_bound": true`) {
			t.Fatalf("%s: users not read or not found:\n%s", sample, out)
		}
	}
	// The migration's users hold E3: their swaps free 40 E3 seats.
	code, out := fs.runAgainst(t, "plan", "--customer", testCustomer, "--input", "../../samples/migration.csv", "-o", "json", "--read-rate", "2000")
	if code != ExitOK || !strings.Contains(out, `"to_free": 40`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// A user of none of the samples is not found.
	dir := t.TempDir()
	in := dir + "/in.csv"
	os.WriteFile(in, []byte("user,sku\nnobody@contoso.onmicrosoft.com,ENTERPRISEPACK\n"), 0o644)
	if code, out := fs.runAgainst(t, "plan", "--customer", testCustomer, "--input", in, "--read-rate", "2000"); code != ExitRowsFailed || !strings.Contains(out, "user not found") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestFakeServerUsersHoldsAndAnswers: --users adds users, --holds gives them licenses,
// --strict-removals and --require-mfa play the API's other answers, and --write-rate
// throttles updates.
func TestFakeServerUsersHoldsAndAnswers(t *testing.T) {
	dir := t.TempDir()
	users := dir + "/users.csv"
	holds := dir + "/holds.csv"
	in := dir + "/in.csv"
	os.WriteFile(users, []byte("user_principal_name,id,usage_location,state\nzoe@contoso.com,,US,active\nyann@contoso.com,,US,active\n"), 0o644)
	os.WriteFile(holds, []byte("customer,user,sku,excluded_plans\n,zoe@contoso.com,"+skuE3+",\n"), 0o644)
	os.WriteFile(in, []byte("user,sku,remove_sku\nzoe@contoso.com,ENTERPRISEPACK,\nyann@contoso.com,ENTERPRISEPACK,\nyann@contoso.com,,ENTERPRISEPREMIUM\n"), 0o644)

	fs := startFakeServer(t, "--users", users, "--holds", holds, "--strict-removals", "--write-rate", "2", "--burst", "1")
	out := dir + "/result.csv"
	code, text := fs.runAgainst(t, "run", "--customer", testCustomer, "--input", in, "--output", out, "--rate", "50", "--read-rate", "2000")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, text)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := report.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]report.Status{2: report.StatusUnchanged, 3: report.StatusSucceeded, 4: report.StatusUnchanged}
	for _, r := range rs {
		if r.Status != want[r.Line] {
			t.Errorf("line %d: %s %q, want %s", r.Line, r.Status, r.ErrorMessage, want[r.Line])
		}
	}
	if err := fs.stop(); err != nil {
		t.Fatal(err)
	}
	contains(t, "fake-server", fs.stdout.String(), "1 updates applied")

	mfa := startFakeServer(t, "--require-mfa")
	code, text = mfa.runAgainst(t, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
	if code == ExitOK || !strings.Contains(text, "multi-factor authentication") {
		t.Fatalf("--require-mfa: exit %d\n%s", code, text)
	}
}

func TestFakeServerRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/users.csv"
	os.WriteFile(bad, []byte("name\nzoe\n"), 0o644)
	for _, args := range [][]string{
		{"--fail-rate", "2"},
		{"--customer", "not-a-guid"},
		{"--users", bad},
		{"--users", dir + "/missing.csv"},
		{"--api", "bogus"},
		{"--holds", dir + "/missing.csv"},
	} {
		m := &Main{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
		err := m.serveFake(t.Context(), append([]string{"--addr", "127.0.0.1:0"}, args...), func(string) { t.Errorf("%v: served", args) })
		if ExitCode(err) != ExitUsage || err.Error() == "" {
			t.Errorf("%v: %v (exit %d), want a usage error", args, err, ExitCode(err))
		}
	}
}

// rawGet makes one call to the fake server without retrying, and returns its status.
func rawGet(t *testing.T, method, url string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(`{"licensesToAssign":[{"skuId":"`+skuE3+`"}]}`))
	req.Header.Set("Authorization", "Bearer any")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestFakeServerReadAndWriteRates: --read-rate throttles reads only, --write-rate
// writes only. (The rates are low enough that no token comes back while the test
// runs, however slow the machine: a read every 1,000 s, a write every 500 s.)
func TestFakeServerReadAndWriteRates(t *testing.T) {
	fs := startFakeServer(t, "--read-rate", "0.001", "--write-rate", "0.002", "--burst", "1")
	base := "http://" + fs.addr + "/v1/customers/" + pcfake.DefaultCustomerID
	get := base + "/subscribedskus"
	post := base + "/users/amelia.hart@contoso.onmicrosoft.com/licenseupdates"
	if a, b := rawGet(t, http.MethodGet, get), rawGet(t, http.MethodGet, get); a != 200 || b != 429 {
		t.Fatalf("two reads: %d, %d; want 200 then 429", a, b)
	}
	if a, b := rawGet(t, http.MethodPost, post), rawGet(t, http.MethodPost, post); a != 201 || b != 429 {
		t.Fatalf("two writes after the reads' budget ran out: %d, %d; want 201 then 429", a, b)
	}
	if err := fs.stop(); err != nil {
		t.Fatal(err)
	}
	contains(t, "fake-server", fs.stdout.String(), "1 updates applied, 2 throttled")
}

// TestFakeServerEqualReadAndWriteRates: the same number for both limits sets both.
func TestFakeServerEqualReadAndWriteRates(t *testing.T) {
	fs := startFakeServer(t, "--read-rate", "0.001", "--write-rate", "0.001", "--burst", "1")
	base := "http://" + fs.addr + "/v1/customers/" + pcfake.DefaultCustomerID
	if a, b := rawGet(t, http.MethodGet, base+"/subscribedskus"), rawGet(t, http.MethodGet, base+"/subscribedskus"); a != 200 || b != 429 {
		t.Fatalf("two reads: %d, %d; want 200 then 429", a, b)
	}
	post := base + "/users/amelia.hart@contoso.onmicrosoft.com/licenseupdates"
	if a, b := rawGet(t, http.MethodPost, post), rawGet(t, http.MethodPost, post); a != 201 || b != 429 {
		t.Fatalf("two writes: %d, %d; want 201 then 429", a, b)
	}
}

// TestFakeServerObjectIDLookupsOnly: a Partner Center that finds users by object ID
// only; the plan finds the sample users in a listing instead.
func TestFakeServerObjectIDLookupsOnly(t *testing.T) {
	fs := startFakeServer(t, "--object-id-lookups-only")
	code, out := fs.runAgainst(t, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--read-rate", "2000")
	if code != ExitOK || strings.Contains(out, "user not found") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

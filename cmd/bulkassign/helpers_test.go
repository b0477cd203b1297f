package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/samples"
)

const (
	testCustomer = pcfake.DefaultCustomerID
	testToken    = "test-access-token-Zq81DoNotLeak"
	skuE3        = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuE5        = "c7df2760-2c81-4ef7-b578-5b5392b571df"
	skuP1        = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4"
	skuMinecraft = "984df360-9a74-4647-8cf8-696749f6247a"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a run's logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// env is a command run against an in-process pcfake: build it inside the synctest
// bubble so that the fake's clock is the bubble's.
type env struct {
	t         *testing.T
	fake      *pcfake.Server
	dir       string
	stdout    syncBuffer
	stderr    syncBuffer
	stdin     io.Reader
	vars      map[string]string
	transport http.RoundTripper

	mu        sync.Mutex
	onRequest func(*http.Request) // called before each request reaches its server
}

func newEnv(t *testing.T, opts ...pcfake.Option) *env {
	t.Helper()
	skus, err := pcfake.LoadCatalogue(bytes.NewReader(samples.Catalogue))
	if err != nil {
		t.Fatal(err)
	}
	all := append([]pcfake.Option{
		pcfake.WithCustomer(testCustomer, skus),
		pcfake.WithToken(testToken),
		pcfake.WithRequestLog(),
	}, opts...)
	fake, err := pcfake.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t:    t,
		fake: fake,
		dir:  t.TempDir(),
		vars: map[string]string{EnvAccessToken: testToken, EnvBaseURL: "https://pc.test/"},
	}
	e.transport = fake.Transport()
	return e
}

// hook calls f with every request before it reaches its server (from then on).
func (e *env) hook(f func(*http.Request)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onRequest = f
}

// RoundTrip is the transport Main gets: the hook, then e.transport.
func (e *env) RoundTrip(r *http.Request) (*http.Response, error) {
	e.mu.Lock()
	f := e.onRequest
	e.mu.Unlock()
	if f != nil {
		f(r)
	}
	return e.transport.RoundTrip(r)
}

// main is the Main a command of the env runs with.
func (e *env) main(abort <-chan struct{}) *Main {
	vars := e.vars
	stdin := e.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	return &Main{Stdin: stdin, Stdout: &e.stdout, Stderr: &e.stderr, Getenv: func(k string) string { return vars[k] },
		Abort: abort, Transport: e}
}

// run runs the command and returns its exit code; stdout and stderr hold its output
// (stderr ends with the error main would print).
func (e *env) run(ctx context.Context, abort <-chan struct{}, args ...string) int {
	e.stdout.Reset()
	e.stderr.Reset()
	err := e.main(abort).Run(ctx, args)
	if err != nil && err.Error() != "" && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(&e.stderr, "bulkassign:", err)
	}
	return ExitCode(err)
}

// all is what the last command printed, standard output then standard error.
func (e *env) all() string { return e.stdout.String() + e.stderr.String() }

// file writes content to a file of the env's directory and returns its path.
func (e *env) file(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// path is a path in the env's directory.
func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

func (e *env) results(path string) []report.Result {
	e.t.Helper()
	f, err := os.Open(path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	rs, err := report.Read(f)
	if err != nil {
		e.t.Fatalf("read %s: %v", path, err)
	}
	return rs
}

// summary reads a --summary-json file.
func (e *env) summary(path string) map[string]any {
	e.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		e.t.Fatalf("summary is not JSON: %v\n%s", err, b)
	}
	return s
}

func (e *env) posts() []pcfake.Request {
	var out []pcfake.Request
	for _, r := range e.fake.Requests() {
		if r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

// ledger is the fake's ledger keyed by lower-cased object ID (users named by
// principal name are made up as MakeUser does, or found in the customer's list), with
// lower-cased SKU IDs and sorted excluded plans, for comparing.
func (e *env) ledger() map[string]map[string][]string {
	ids := map[string]string{}
	for _, u := range e.fake.Users(testCustomer) {
		ids[strings.ToLower(u.UserPrincipalName)] = strings.ToLower(u.ID)
	}
	out := map[string]map[string][]string{}
	for name, skus := range e.fake.Holdings(testCustomer) {
		key := strings.ToLower(name)
		if id, ok := ids[key]; ok {
			key = id
		} else if !client.IsGUID(key) {
			key = strings.ToLower(pcfake.MakeUser(name).ID)
		}
		m := map[string][]string{}
		for sku, ex := range skus {
			ex = append([]string(nil), ex...)
			for i := range ex {
				ex[i] = strings.ToLower(ex[i])
			}
			sort.Strings(ex)
			if len(ex) == 0 {
				ex = nil
			}
			m[strings.ToLower(sku)] = ex
		}
		out[key] = m
	}
	return out
}

// userID is the object ID the fake gives a user named upn (no user list).
func userID(upn string) string { return strings.ToLower(pcfake.MakeUser(upn).ID) }

// usersCSV is an input assigning sku to n users.
func usersCSV(n int, sku string) string {
	var b strings.Builder
	b.WriteString("user,sku\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%05d@contoso.com,%s\n", i, sku)
	}
	return b.String()
}

// byLine counts result rows per input line and status.
func byLine(rs []report.Result) map[int]map[report.Status]int {
	m := map[int]map[report.Status]int{}
	for _, r := range rs {
		if m[r.Line] == nil {
			m[r.Line] = map[report.Status]int{}
		}
		m[r.Line][r.Status]++
	}
	return m
}

// contains fails the test for each want that s lacks.
func contains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// router sends each request to the in-process server of its host.
type router map[string]http.RoundTripper

func (rt router) RoundTrip(r *http.Request) (*http.Response, error) {
	if t, ok := rt[r.URL.Host]; ok {
		return t.RoundTrip(r)
	}
	return nil, errors.New("no test server for host " + r.URL.Host)
}

// rollbackSwapsBack checks that out's rollback file holds n rows, each giving E3 back
// for E5 (the undo of samples/migration.csv).
func (e *env) rollbackSwapsBack(out string, n int) {
	e.t.Helper()
	rb, err := report.ReadRollback(report.RollbackPath(out))
	if err != nil || len(rb) != n {
		e.t.Fatalf("rollback: %d rows, %v; want %d", len(rb), err, n)
	}
	for _, r := range rb {
		if !strings.EqualFold(r.Sku, skuE3) || !strings.EqualFold(r.RemoveSku, skuE5) {
			e.t.Fatalf("rollback row %+v, want E3 back for E5", r)
		}
	}
}

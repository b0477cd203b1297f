package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/samples"
)

const (
	testCustomer = pcfake.DefaultCustomerID
	testToken    = "test-access-token-Zq81DoNotLeak"
	skuE3        = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuE5        = "c7df2760-2c81-4ef7-b578-5b5392b571df"
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
	vars      map[string]string
	transport http.RoundTripper
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
	e := &env{
		t:    t,
		fake: pcfake.New(all...),
		dir:  t.TempDir(),
		vars: map[string]string{EnvAccessToken: testToken, EnvBaseURL: "https://pc.test/"},
	}
	e.transport = e.fake.Transport()
	return e
}

// run runs the command and returns its exit code; stdout and stderr hold its output
// (stderr ends with the error main would print).
func (e *env) run(ctx context.Context, abort <-chan struct{}, args ...string) int {
	e.stdout.Reset()
	e.stderr.Reset()
	m := &Main{Stdout: &e.stdout, Stderr: &e.stderr, Getenv: func(k string) string { return e.vars[k] },
		Abort: abort, Transport: e.transport}
	err := m.Run(ctx, args)
	if err != nil && err.Error() != "" {
		fmt.Fprintln(&e.stderr, "bulkassign:", err)
	}
	return ExitCode(err)
}

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

func (e *env) posts() []pcfake.Request {
	var out []pcfake.Request
	for _, r := range e.fake.Requests() {
		if r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

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

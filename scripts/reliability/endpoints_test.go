//go:build reliability

package reliability

import (
	"bufio"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// This file holds the HTTP endpoints the suite runs in its own process: a front that
// passes the API through to the fake or answers its POSTs with a redirect, a listener
// elsewhere that records whatever reaches it, a token endpoint, and a listener that
// serves TLS and plain HTTP on one port.

// The sign-in settings of the runs that sign in with the secure application model.
const (
	clientID     = "5f0c3a1e-8b9d-4e2f-a6c7-0d1e2f3a4b5c"
	tenantID     = "contoso.onmicrosoft.com"
	clientSecret = "reliability-Client-Secret-9d8e7f6a5b4c"
	refreshToken = "reliability-Refresh-Token-1a2b3c4d5e6f"
	// stolenToken is what the listener elsewhere hands out: it must never be stored.
	stolenToken = "elsewhere-Refresh-Token-0f9e8d7c6b5a"
)

// secrets are every secret a run knows; no file or log of the tool may hold one.
var secrets = []string{accessToken, clientSecret, refreshToken, stolenToken}

// seen is one request a recorder received.
type seen struct {
	Method, Path  string
	Authorization bool // it carried an Authorization header
	Secret        bool // its body carried the client secret or the refresh token
}

// recorder is a listener elsewhere: it records every request and answers as a
// successful API or token endpoint would, so that a client that followed a redirect
// to it would take the answer for a success.
type recorder struct {
	mu   sync.Mutex
	seen []seen
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rc.mu.Lock()
	rc.seen = append(rc.seen, seen{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization") != "",
		Secret: strings.Contains(string(body), clientSecret) || strings.Contains(string(body), url.QueryEscape(refreshToken))})
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(r.URL.Path, "token") {
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3600,"access_token":"elsewhere-access-token","refresh_token":%q}`, stolenToken)
		return
	}
	w.Header().Set("MS-RequestId", r.Header.Get("MS-RequestId"))
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
	fmt.Fprint(w, `{"licensesToAssign":[],"licenseWarnings":[],"attributes":{"objectType":"LicenseUpdate"}}`)
}

func (rc *recorder) requests() []seen {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seen(nil), rc.seen...)
}

// front passes every request through to the fake, except, while redirect is set, the
// licenseupdates POSTs, which it answers with status and Location redirect + the path.
type front struct {
	proxy    *httputil.ReverseProxy
	status   int
	redirect atomic.Pointer[string]
	answered atomic.Int64 // redirects answered
}

func newFront(t *testing.T, f *fakeServer, status int) *front {
	t.Helper()
	u, err := url.Parse(f.base)
	if err != nil {
		t.Fatal(err)
	}
	return &front{proxy: httputil.NewSingleHostReverseProxy(u), status: status}
}

func (fr *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if to := fr.redirect.Load(); to != nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/licenseupdates") {
		fr.answered.Add(1)
		w.Header().Set("Location", *to+strings.TrimPrefix(r.URL.RequestURI(), "/"))
		w.WriteHeader(fr.status)
		return
	}
	fr.proxy.ServeHTTP(w, r)
}

// serve serves h on a listener at addr (host:0) until the test ends; it returns the
// base URL ("http://host:port/").
func serve(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// serveTLSAndPlain serves tlsHandler over TLS and plainHandler over plain HTTP on one
// loopback port, telling them apart by the first byte a client sends (a TLS handshake
// starts with 0x16). It returns the port's https base URL and the file of the TLS
// certificate, for SSL_CERT_FILE.
func serveTLSAndPlain(t *testing.T, dir string, tlsHandler, plainHandler http.Handler) (string, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := &chanListener{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	plainLn := &chanListener{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(c)
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				b, err := br.Peek(1)
				_ = c.SetReadDeadline(time.Time{})
				if err != nil {
					c.Close()
					return
				}
				to := plainLn
				if b[0] == 0x16 {
					to = tlsLn
				}
				to.hand(&peekedConn{Conn: c, r: br})
			}()
		}
	}()
	srv := httptest.NewUnstartedServer(tlsHandler)
	srv.Listener.Close()
	srv.Listener = tlsLn
	srv.StartTLS()
	plain := &http.Server{Handler: plainHandler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = plain.Serve(plainLn) }()
	t.Cleanup(func() {
		ln.Close()
		srv.Close()
		plain.Close()
	})
	certFile := filepath.Join(dir, "front-cert.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/", certFile
}

// chanListener is a listener fed connections by hand.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *chanListener) hand(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *chanListener) Addr() net.Addr { return l.addr }

// peekedConn is a connection whose first bytes were peeked through r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// tokenServer is a token endpoint: it issues access tokens that live lifetime (the
// refresh token unchanged), or answers every request as mode says.
type tokenServer struct {
	lifetime time.Duration

	mu       sync.Mutex
	mode     string // "ok", "503", "refuse" or "redirect"
	to       string // with "redirect": the Location
	issued   map[string]time.Time
	requests []time.Time
	wrong    int // requests without the client ID, the client secret or the refresh token
}

func newTokenServer(lifetime time.Duration, mode string) *tokenServer {
	return &tokenServer{lifetime: lifetime, mode: mode, issued: map[string]time.Time{}}
}

// tokenPath is the path of the token endpoint under its base URL, {tenant} included.
const tokenPath = "{tenant}/oauth2/v2.0/token"

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.requests = append(ts.requests, time.Now())
	if r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != clientSecret ||
		r.PostForm.Get("refresh_token") != refreshToken || r.PostForm.Get("grant_type") != "refresh_token" {
		ts.wrong++
	}
	w.Header().Set("Content-Type", "application/json")
	switch ts.mode {
	case "503":
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred. Please try again.","error_codes":[90033]}`)
	case "refuse":
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"AADSTS70000: The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.","error_codes":[70000]}`)
	case "redirect":
		w.Header().Set("Location", ts.to)
		w.WriteHeader(http.StatusTemporaryRedirect)
	default:
		tok := fmt.Sprintf("reliability-access-%04d-%d", len(ts.requests), time.Now().UnixNano())
		ts.issued[tok] = time.Now().Add(ts.lifetime)
		b, _ := json.Marshal(map[string]any{"token_type": "Bearer", "access_token": tok, "refresh_token": refreshToken,
			"expires_in": int(ts.lifetime / time.Second), "ext_expires_in": int(ts.lifetime / time.Second)})
		w.Write(b)
	}
}

// count is the number of token requests so far.
func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.requests)
}

// check says whether a bearer token is one this endpoint issued and still alive.
func (ts *tokenServer) check(token string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.issued[token]
	switch {
	case !ok:
		return errors.New("a token the endpoint never issued")
	case time.Now().After(exp):
		return fmt.Errorf("a token expired %s ago", time.Since(exp).Round(time.Millisecond))
	}
	return nil
}

// signInEnv is the environment of a run that signs in with the secure application
// model against a token endpoint, calling the API at apiBase.
func signInEnv(apiBase string, extra ...string) []string {
	return cleanEnv(append([]string{"PARTNER_CENTER_BASE_URL=" + apiBase, "PARTNER_CENTER_CLIENT_ID=" + clientID,
		"PARTNER_CENTER_CLIENT_SECRET=" + clientSecret, "PARTNER_CENTER_TENANT_ID=" + tenantID}, extra...)...)
}

// writeRefreshToken writes the refresh token file (mode 0600) and returns its path.
func writeRefreshToken(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "refresh-token")
	if err := os.WriteFile(path, []byte(refreshToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// counter is an API that must receive nothing: it counts and refuses every request.
type counter struct{ n atomic.Int64 }

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	w.WriteHeader(http.StatusInternalServerError)
}

package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// MaxEarlyRefresh is the most time before its expiry at which an access token is
// replaced; a token that lives less than 50 minutes is replaced when a tenth of its
// life remains.
const MaxEarlyRefresh = 5 * time.Minute

// maxLifetime caps an expires_in that would overflow time arithmetic.
const maxLifetime = 24 * time.Hour

// refreshSchedule returns, for a token that lives life and expires at exp, when it is
// replaced (refreshAt, once less than min(MaxEarlyRefresh, life/10) remains) and until
// when it is still handed out after that early refresh failed (usableUntil, while more
// than half of that margin remains). A token without a lifetime is never refreshed
// early: both times are zero.
func refreshSchedule(exp time.Time, life time.Duration) (refreshAt, usableUntil time.Time) {
	if exp.IsZero() || life <= 0 {
		return time.Time{}, time.Time{}
	}
	margin := min(MaxEarlyRefresh, life/10)
	return exp.Add(-margin), exp.Add(-margin / 2)
}

// TokenSource hands out App+User access tokens of the secure application model, one per
// tenant: for Partner Center the partner's own (tenant ""), for Microsoft Graph under
// GDAP one per customer tenant, each obtained with the partner's refresh token. It is a
// client.TokenSource and a client.TokenInvalidator, safe for concurrent use. Make one
// with Credentials.
type TokenSource struct {
	tenantID string // the partner's own tenant, as configured
	ownKey   string
	clientID string
	secret   Secret
	tokenURL string // may hold {tenant}
	scope    string
	file     string // the refresh token file, when the refresh token came from one
	fromFile struct{ refresh, secret bool }
	onRotate func(error)
	hc       *http.Client
	policy   client.RetryPolicy
	randN    func(int64) int64
	known    knownSecrets

	writeMu sync.Mutex
	stored  Secret // the refresh token last written to file, under writeMu

	mu       sync.Mutex
	refresh  Secret
	tenants  map[string]*tenantState
	count    int
	inflight int           // token requests under way, for every tenant
	settled  chan struct{} // closed (and replaced) each time one of them ends
}

// tenantState is the cache of one tenant.
type tenantState struct {
	tok         *oauth2.Token
	refreshAt   time.Time // replace tok from here on; zero: never
	usableUntil time.Time // after a failed early refresh, tok is handed out until then
	tried       bool      // the early refresh of tok failed: no other before usableUntil
	flight      *flight   // the request under way, shared by every caller
	refused     *Error    // a refused sign-in, answered again without a request
	count       int
}

// usable returns the cached token if it may be handed out at now.
func (st *tenantState) usable(now time.Time) *oauth2.Token {
	switch {
	case st.tok == nil:
		return nil
	case st.refreshAt.IsZero() || now.Before(st.refreshAt):
		return st.tok
	case st.tried && now.Before(st.usableUntil):
		return st.tok
	}
	return nil
}

// flight is one token request (with its retries) that every caller asking for the same
// tenant meanwhile waits for. It runs until it ends or every waiter has left.
type flight struct {
	done    chan struct{}
	cancel  context.CancelFunc
	waiters int
	tok     *oauth2.Token
	err     error
}

var (
	_ client.TokenSource      = (*TokenSource)(nil)
	_ client.TokenInvalidator = (*TokenSource)(nil)
)

// Token returns an access token for tenant ("" is the configured tenant ID): the cached
// one while it is fresh, else a new one from the token endpoint. Callers asking for one
// tenant at the same time share one request. When ctx ends Token returns at once; the
// request goes on for the other callers and is abandoned when none is left.
//
// A token is replaced once less than min(MaxEarlyRefresh, a tenth of its lifetime)
// remains. If that replacement fails while the token still lives, the token is handed
// out until half of that margin remains, without another request; then the failure is
// returned. A sign-in the endpoint refused is answered again without a new request.
func (s *TokenSource) Token(ctx context.Context, tenant string) (*oauth2.Token, error) {
	key, name, err := s.tenant(tenant)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sign in to tenant %s: %w", name, err)
	}
	s.mu.Lock()
	st := s.state(key)
	if tok := st.usable(time.Now()); tok != nil {
		s.mu.Unlock()
		return tok, nil
	}
	if st.refused != nil {
		err := st.refused
		s.mu.Unlock()
		return nil, err
	}
	f := st.flight
	if f == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		st.flight = f
		go s.run(fctx, st, f, name, key != s.ownKey)
	}
	f.waiters++
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		s.mu.Lock()
		if f.waiters--; f.waiters == 0 {
			f.cancel()
			if st.flight == f {
				st.flight = nil // a later caller starts afresh
			}
		}
		s.mu.Unlock()
		return nil, fmt.Errorf("sign in to tenant %s: %w", name, ctx.Err())
	}
}

// run makes the request of f and hands its result to f's waiters.
func (s *TokenSource) run(ctx context.Context, st *tenantState, f *flight, name string, customer bool) {
	defer f.cancel()
	tok, err := s.fetch(ctx, name, customer)
	s.mu.Lock()
	defer close(f.done)
	defer s.mu.Unlock()
	if st.flight == f {
		st.flight = nil
	}
	var se *Error
	switch {
	case err == nil:
		st.tok, st.tried = tok, false
		st.refreshAt, st.usableUntil = refreshSchedule(tok.Expiry, time.Duration(tok.ExpiresIn)*time.Second)
		st.count++
		s.count++
	case !errors.As(err, &se):
		// Canceled: nothing learned.
	default:
		if !se.transient {
			st.refused = se
		}
		if st.tok != nil && !st.refreshAt.IsZero() && time.Now().Before(st.usableUntil) {
			st.tried = true
			tok, err = st.tok, nil
		}
	}
	f.tok, f.err = tok, err
}

// fetch makes one token request for tenant name, retrying transient failures.
func (s *TokenSource) fetch(ctx context.Context, name string, customer bool) (*oauth2.Token, error) {
	t := target{tenant: name, customer: customer, scrub: s.known.scrub}
	endpoint := strings.ReplaceAll(s.tokenURL, "{tenant}", url.PathEscape(name))
	var (
		a    tokenAnswer
		sent Secret
	)
	do := func() outcome {
		s.mu.Lock()
		sent = s.refresh
		s.inflight++
		s.mu.Unlock()
		defer s.settle()
		form := url.Values{
			"client_id":     {s.clientID},
			"client_secret": {s.secret.Reveal()},
			"grant_type":    {"refresh_token"},
			"refresh_token": {sent.Reveal()},
			"scope":         {s.scope},
		}
		var o outcome
		a, o = postForm(ctx, s.hc, endpoint, form, t)
		if o.err == nil && a.RefreshToken != "" {
			s.rotate(Secret(a.RefreshToken))
		}
		return o
	}
	o, err := retry(ctx, s.policy, s.randN, do)
	if err == nil && o.err != nil && o.err.Setting == SettingRefreshToken && !o.err.transient && s.replaced(ctx, sent) {
		// Another tenant's answer rotated the refresh token while this request was
		// under way: an endpoint that revokes replaced tokens gets one more request.
		o, err = retry(ctx, s.policy, s.randN, do)
	}
	if err != nil {
		return nil, fmt.Errorf("sign in to tenant %s: %w", name, err)
	}
	if o.err != nil {
		s.fixSetting(o.err)
		return nil, o.err
	}
	s.known.add(a.AccessToken)
	tok := &oauth2.Token{AccessToken: a.AccessToken, TokenType: a.TokenType}
	if secs := int64(a.ExpiresIn); secs > 0 {
		life := maxLifetime
		if secs < int64(maxLifetime/time.Second) {
			life = time.Duration(secs) * time.Second
		}
		tok.ExpiresIn = int64(life / time.Second)
		tok.Expiry = time.Now().Add(life)
	}
	return tok, nil
}

// settle ends a token request: every replaced call waiting for it looks again.
func (s *TokenSource) settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	close(s.settled)
	s.settled = make(chan struct{})
}

// replaced reports whether the refresh token sent was replaced, once every token request
// under way has ended (one of them may bring the replacement); false when ctx ends.
func (s *TokenSource) replaced(ctx context.Context, sent Secret) bool {
	for {
		s.mu.Lock()
		done, busy, ch := s.refresh != sent, s.inflight > 0, s.settled
		s.mu.Unlock()
		if done || !busy {
			return done
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// rotate makes next the refresh token of every later request and stores it in the
// refresh token file, if there is one, telling OnRotate.
func (s *TokenSource) rotate(next Secret) {
	s.known.add(next.Reveal())
	s.mu.Lock()
	changed := next != s.refresh
	s.refresh = next
	s.mu.Unlock()
	if !changed || s.file == "" {
		return
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	latest := s.refresh
	s.mu.Unlock()
	if latest == s.stored {
		return // a rotation that arrived meanwhile was stored already
	}
	err := writeFileAtomic(s.file, []byte(latest.Reveal()+"\n"))
	if err == nil {
		s.stored = latest
	} else {
		err = scrubErr(err, s.known.scrub)
	}
	if s.onRotate != nil {
		s.onRotate(err)
	}
}

// fixSetting names the file a refused secret came from rather than the secret.
func (s *TokenSource) fixSetting(e *Error) {
	switch {
	case e.Setting == SettingRefreshToken && s.fromFile.refresh:
		e.Setting = SettingRefreshTokenFile
	case e.Setting == SettingClientSecret && s.fromFile.secret:
		e.Setting = SettingClientSecretFile
	}
}

// tenant resolves the tenant a caller names to its cache key and its name in messages.
func (s *TokenSource) tenant(tenant string) (key, name string, err error) {
	name = strings.TrimSpace(tenant)
	if name == "" {
		name = s.tenantID
	}
	key = strings.ToLower(name)
	if key != s.ownKey && !strings.Contains(s.tokenURL, "{tenant}") {
		return "", "", &Error{Tenant: name, Setting: SettingTokenURL,
			Description: "the token URL has no {tenant} placeholder, so it signs in to the tenant " + s.tenantID + " only",
			Advice:      "put {tenant} in the token URL where the tenant goes"}
	}
	return key, name, nil
}

// state returns the cache of key, made on first use; s.mu is held.
func (s *TokenSource) state(key string) *tenantState {
	st := s.tenants[key]
	if st == nil {
		st = &tenantState{}
		s.tenants[key] = st
	}
	return st
}

// Invalidate tells the source that the service rejected accessToken of tenant; the
// next Token call for tenant fetches a new one unless a newer one is cached already.
func (s *TokenSource) Invalidate(tenant, accessToken string) {
	key, _, err := s.tenant(tenant)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.tenants[key]; st != nil && st.tok != nil && st.tok.AccessToken == accessToken {
		st.tok, st.tried = nil, false
	}
}

// Refreshes reports how many access tokens the source has obtained, for all tenants.
func (s *TokenSource) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// TenantRefreshes reports how many access tokens the source has obtained for tenant
// ("" is the configured tenant ID).
func (s *TokenSource) TenantRefreshes(tenant string) int {
	key, _, err := s.tenant(tenant)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.tenants[key]; st != nil {
		return st.count
	}
	return 0
}

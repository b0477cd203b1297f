package graphfake

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultTokenLifetime is how long an access token of the token endpoint lasts.
const defaultTokenLifetime = time.Hour

// graphScope is the scope a token request must ask for (v2.0), graphResource the
// resource (v1).
const (
	graphScope    = "https://graph.microsoft.com/.default"
	graphResource = "https://graph.microsoft.com"
)

// identity is who a bearer token speaks for: the tenant it was issued for (Graph has
// no tenant in its URLs: the token selects it) and the app (client) that asked.
type identity struct {
	tenant, app string
}

type accessToken struct {
	who     identity
	expires time.Time
}

type refreshToken struct {
	app     string // the client it was issued to; "" for a seeded one
	revoked bool
}

// WithStaticToken makes the fake accept token, forever, as an access token for
// tenantID of the app DefaultClientID, beside those its token endpoint issues.
func WithStaticToken(token, tenantID string) Option {
	return func(s *Server) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("WithStaticToken: the token is empty")
		}
		s.pendingUsers = append(s.pendingUsers, func() error {
			t := s.tenants[strings.ToLower(tenantID)]
			if t == nil {
				return fmt.Errorf("WithStaticToken for %s: %w", tenantID, errNoTenant)
			}
			s.staticTokens[token] = identity{tenant: t.id, app: DefaultClientID}
			return nil
		})
		return nil
	}
}

// WithApp registers an app (client ID and secret) with the token endpoint; once one
// is registered only registered apps get tokens. Without WithApp any client ID with
// a non-empty secret does.
func WithApp(clientID, secret string) Option {
	return func(s *Server) error {
		if strings.TrimSpace(clientID) == "" || secret == "" {
			return errors.New("WithApp: the client ID and the client secret must not be empty")
		}
		if s.apps == nil {
			s.apps = make(map[string]string)
		}
		s.apps[strings.ToLower(clientID)] = secret
		return nil
	}
}

// WithRefreshToken makes token a refresh token the token endpoint accepts, for any
// tenant and app (a partner's refresh token of the secure application model works
// for every customer). Once one is given, only those given and those the endpoint
// issued are accepted; without WithRefreshToken any non-empty refresh token is.
func WithRefreshToken(token string) Option {
	return func(s *Server) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("WithRefreshToken: the refresh token is empty")
		}
		if s.seedRefresh == nil {
			s.seedRefresh = make(map[string]bool)
		}
		s.seedRefresh[token] = true
		return nil
	}
}

// WithTokenLifetime sets how long the token endpoint's access tokens last (default
// one hour); an expired one is answered 401.
func WithTokenLifetime(d time.Duration) Option {
	return func(s *Server) error {
		if d < time.Second {
			return fmt.Errorf("WithTokenLifetime: %v is shorter than a second", d)
		}
		s.tokenLifetime = d
		return nil
	}
}

// WithRefreshTokenRotation sets whether each token answer carries a new refresh
// token (rotate, the default) or the one sent, and whether a refresh token is
// refused once it was used (revokeUsed; off by default, as Entra ID lets an old
// refresh token live on: on, it checks that a client keeps the newest).
func WithRefreshTokenRotation(rotate, revokeUsed bool) Option {
	return func(s *Server) error {
		s.rotate, s.revokeUsed = rotate, revokeUsed
		return nil
	}
}

// WithTokenEndpoint chooses which token endpoints the fake serves: "v2.0" (the
// default, /{tenant}/oauth2/v2.0/token with scope), "v1" (/{tenant}/oauth2/token with
// resource=https://graph.microsoft.com, answering expires_in as a string) or "both".
// The notes leave open which one CSP apps need; the other path is answered 404.
func WithTokenEndpoint(version string) Option {
	return func(s *Server) error {
		switch strings.ToLower(version) {
		case "v2.0", "v2":
			s.tokenV1, s.tokenV2 = false, true
		case "v1", "v1.0":
			s.tokenV1, s.tokenV2 = true, false
		case "both":
			s.tokenV1, s.tokenV2 = true, true
		default:
			return fmt.Errorf("WithTokenEndpoint: %q is not v2.0, v1 or both", version)
		}
		return nil
	}
}

// WithConsentRefused makes the token endpoint refuse tokens for tenantID as a tenant
// where the app was never consented does: 400 invalid_grant, AADSTS65001.
func WithConsentRefused(tenantID string) Option {
	return func(s *Server) error {
		s.pendingUsers = append(s.pendingUsers, func() error {
			t := s.tenants[strings.ToLower(tenantID)]
			if t == nil {
				return fmt.Errorf("WithConsentRefused %s: %w", tenantID, errNoTenant)
			}
			t.consentRefused = true
			return nil
		})
		return nil
	}
}

// authenticate finds who an Authorization header speaks for, or says why it is
// refused (never quoting the token).
func (s *Server) authenticate(header string) (identity, string) {
	scheme, tok, _ := strings.Cut(strings.TrimSpace(header), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return identity{}, msgNoToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if who, ok := s.staticTokens[tok]; ok {
		return who, ""
	}
	at := s.accessTokens[tok]
	switch {
	case at == nil:
		return identity{}, msgBadToken
	case !time.Now().Before(at.expires):
		return identity{}, msgExpiredToken
	}
	return at.who, ""
}

// tokenPath recognises /{tenant}/oauth2/v2.0/token and /{tenant}/oauth2/token.
func tokenPath(p string) (tenantID, version string, ok bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(segs) == 4 && strings.EqualFold(segs[1], "oauth2") && strings.EqualFold(segs[2], "v2.0") && strings.EqualFold(segs[3], "token"):
		return segs[0], "v2.0", true
	case len(segs) == 3 && strings.EqualFold(segs[1], "oauth2") && strings.EqualFold(segs[2], "token"):
		return segs[0], "v1", true
	}
	return "", "", false
}

// newSecret makes an opaque token.
func newSecret(prefix string) string {
	return prefix + rand.Text() + rand.Text()
}

// issue records a new access token (and, rotating, a new refresh token) for who.
// The caller holds s.mu.
func (s *Server) issue(who identity, used string) (access, refresh string) {
	now := time.Now()
	if len(s.accessTokens) >= 4096 {
		for k, at := range s.accessTokens {
			if !now.Before(at.expires) {
				delete(s.accessTokens, k)
			}
		}
	}
	access = newSecret("gf-at.")
	s.accessTokens[access] = &accessToken{who: who, expires: now.Add(s.tokenLifetime)}
	refresh = used
	if s.rotate {
		refresh = newSecret("gf-rt.")
		s.refreshTokens[refresh] = &refreshToken{app: strings.ToLower(who.app)}
	}
	if s.revokeUsed && refresh != used {
		s.refreshTokens[used].revoked = true
	}
	return access, refresh
}

// tokenAnswer is a successful token answer: v2.0 with numbers, v1 with strings.
func (s *Server) tokenAnswer(version, access, refresh string) any {
	secs := int(s.tokenLifetime / time.Second)
	if version == "v1" {
		now := time.Now()
		return map[string]string{
			"token_type": "Bearer", "scope": "https://graph.microsoft.com/User.ReadWrite.All https://graph.microsoft.com/Directory.ReadWrite.All",
			"expires_in": strconv.Itoa(secs), "ext_expires_in": strconv.Itoa(secs),
			"expires_on": strconv.FormatInt(now.Add(s.tokenLifetime).Unix(), 10), "not_before": strconv.FormatInt(now.Unix(), 10),
			"resource": graphResource, "access_token": access, "refresh_token": refresh,
		}
	}
	return map[string]any{
		"token_type": "Bearer", "scope": "https://graph.microsoft.com/User.ReadWrite.All https://graph.microsoft.com/Directory.ReadWrite.All https://graph.microsoft.com/.default",
		"expires_in": secs, "ext_expires_in": secs, "access_token": access, "refresh_token": refresh,
	}
}

// scopeOK reports whether a v2.0 scope asks for Graph's .default (other OpenID
// scopes may come along).
func scopeOK(scope string) bool {
	fields := strings.Fields(scope)
	return slices.ContainsFunc(fields, func(f string) bool { return strings.EqualFold(f, graphScope) }) &&
		!slices.ContainsFunc(fields, func(f string) bool {
			return !strings.EqualFold(f, graphScope) && !slices.Contains([]string{"offline_access", "openid", "profile"}, strings.ToLower(f))
		})
}

// secretOK compares a client secret in constant time.
func secretOK(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

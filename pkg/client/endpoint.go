package client

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// CheckEndpoint refuses a URL that would carry a credential in clear text: it must be
// an absolute https URL, or http to a loopback host (a local fake). The error names
// the URL with its user information and query left out.
func CheckEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", scrubRawURL(raw))
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s: plain http is refused for a host that is not loopback (a credential would travel in clear text); use https", scrubURL(u))
	default:
		return fmt.Errorf("%s: scheme must be https", scrubURL(u))
	}
}

// IsLoopback reports whether host (a name or an IP address, without port) is this
// machine: localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// TokenSource hands out access tokens. tenant is "" for an API that takes one token for
// every customer (Partner Center), or the customer's tenant ID for an API that takes a
// token per customer tenant (Microsoft Graph under GDAP). Token may block while it
// signs in and must return when ctx ends.
type TokenSource interface {
	Token(ctx context.Context, tenant string) (*oauth2.Token, error)
}

// TokenInvalidator is a TokenSource that can be told the service rejected one of its
// access tokens, so that its next Token call for that tenant fetches a new one.
type TokenInvalidator interface {
	Invalidate(tenant, accessToken string)
}

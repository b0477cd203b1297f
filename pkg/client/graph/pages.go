package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// usersPage is one page of a users listing.
type usersPage struct {
	NextLink string `json:"@odata.nextLink"`
	Value    []User `json:"value"`
}

// eachPage GETs u and the pages after it, following @odata.nextLink as given, and
// hands each page's users to page. A link to another scheme, host or port (it would
// carry the token there), or to a page already read, ends the listing with an error.
//
// See https://learn.microsoft.com/graph/paging
func (b *Backend) eachPage(ctx context.Context, customer, op string, u *url.URL, page func([]User) error) error {
	seen := map[string]bool{u.String(): true}
	for n := 1; ; n++ {
		call := &client.Call{Kind: client.Read, Tenant: customer}
		ans, err := b.do(ctx, client.Request{Op: op, Method: http.MethodGet, URL: u}, call)
		if err != nil {
			return err
		}
		var p usersPage
		if err := client.DecodeJSON(op, &call.Response, ans.Body, &p); err != nil {
			return err
		}
		if err := page(p.Value); err != nil {
			return err
		}
		if p.NextLink == "" {
			return nil
		}
		if n >= maxPages {
			return fmt.Errorf("%s: more than %d pages; the listing was stopped", op, maxPages)
		}
		next, err := b.nextPage(p.NextLink, seen)
		if err != nil {
			return fmt.Errorf("%s: page %d (request ID %s): %w", op, n, call.RequestID, err)
		}
		u = next
	}
}

// nextPage checks an @odata.nextLink: an absolute URL on the scheme, host and port
// of the base URL, not seen before.
func (b *Backend) nextPage(link string, seen map[string]bool) (*url.URL, error) {
	next, err := url.Parse(link)
	if err != nil || !next.IsAbs() || next.Host == "" {
		return nil, fmt.Errorf("the next page link is not an absolute URL")
	}
	base := b.core.Base()
	if !sameOrigin(base, next) {
		return nil, fmt.Errorf("the next page link points to %s://%s, not %s://%s; not followed (it would carry the token there)",
			next.Scheme, next.Host, base.Scheme, base.Host)
	}
	if seen[next.String()] {
		return nil, fmt.Errorf("the next page link repeats an earlier page; the listing would not end")
	}
	seen[next.String()] = true
	return next, nil
}

// sameOrigin reports whether two URLs have the same scheme, host and port (the
// scheme's default port when none is given).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

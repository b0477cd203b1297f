package partnercenter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Op names of the user calls, as they appear in errors and Attempts.
const (
	opListUsers       = "list users"
	opGetUserLicenses = "get user licenses"
)

// deletedUsersFilter asks the users listing for the deleted users only, which it
// leaves out otherwise.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-deleted-users-for-a-customer
const deletedUsersFilter = `{"Field":"UserState","Value":"Inactive","Operator":"equals"}`

// DefaultUserPageSize is the page size ListUsers and ListUsersPages ask for when given 0.
const DefaultUserPageSize = 500

// maxUserPages bounds how many pages ListUsersPages follows: at 500 users a page, 50 million
// users, far more than any tenant holds, so that a server whose next links never end
// cannot keep a run busy for ever.
const maxUserPages = 100_000

// Errors behind a next page link ListUsersPages refuses; they are wrapped with the page
// number and the IDs of the call that returned the link.
var (
	errForeignNextLink  = errors.New("next page link leaves the API")
	errBadNextLink      = errors.New("unusable next page link")
	errRepeatedNextLink = errors.New("next page link repeats an earlier page")
	errTooManyPages     = errors.New("too many pages")
)

// pageLinks are a paged collection's links; only next matters.
type pageLinks struct {
	Self *link `json:"self,omitempty"`
	Next *link `json:"next,omitempty"`
}

// link is a request the server describes: {"uri": "...", "method": "GET", "headers":
// [{"key": "MS-ContinuationToken", "value": "..."}]}.
type link struct {
	URI     string       `json:"uri"`
	Method  string       `json:"method"`
	Headers []linkHeader `json:"headers"`
}

// linkHeader is one header of a link.
type linkHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AllUsers returns every user of customerID, in the order the API lists them. It is
// ListUsersPages collecting the pages: the same requests, page size, link checks, loop
// guard, retries, *Response and errors. On an error ListUsers returns no users, never an
// incomplete list. It holds the whole directory in memory (listing a million users
// allocates about 900 MB): a caller that needs only some of the users, or a summary of
// them, should use ListUsersPages.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
func (c *Client) AllUsers(ctx context.Context, customerID string, pageSize int) ([]User, *client.Response, error) {
	return c.allUsers(ctx, customerID, pageSize, maxUserPages)
}

// allUsers is AllUsers following at most maxPages pages.
func (c *Client) allUsers(ctx context.Context, customerID string, pageSize, maxPages int) ([]User, *client.Response, error) {
	users := []User{}
	resp, err := c.listUserPages(ctx, customerID, pageSize, maxPages, false, func(page []User) error {
		users = append(users, page...)
		return nil
	})
	if err != nil {
		return nil, resp, err
	}
	return users, resp, nil
}

// ListUsersPages lists the users of customerID a page at a time, following the pages of
// GET .../v1/customers/{customerID}/users?size={pageSize}, and calls page with each
// page's users as the page arrives, in the order the API lists them. pageSize 0 asks for
// DefaultUserPageSize (500) users a page; a negative size is an error. Each page is
// decoded on its own and nothing of it is kept once page returns, so that listing a
// directory of a million users holds a page and the next at a time; page may keep the
// slice it is given. The next page is requested as soon as this page's link to it is
// read, so that its round trip overlaps the decoding and handling of this one. page is
// called from the caller's goroutine, never for a page that failed to arrive or
// decode; it may be called with an empty slice.
//
// Each answer's links.next names the next page: a URI relative to /v1 (resolved against
// {base}/v1/), an absolute path "/v1/..." or a full URL on the API's own scheme and
// host, with the headers to send (MS-ContinuationToken). The client's own headers
// (Authorization, MS-RequestId...) cannot be replaced by a link's. A link to another
// host, with dot segments, a method other than GET or a malformed header is refused
// before anything is sent. Paging stops at the first page without links.next; a next
// link that repeats an earlier page, or more than 100,000 pages, is an error.
//
// Every page is one logical call with its own MS-RequestId, retried like any other call.
// The returned *Response is that of the last page requested (the failing page on an
// error), except Attempts, which counts the attempts of all pages; the typed errors
// (*APIError, *TransportError...) count the failing page's attempts only. An error that
// page returns stops the listing (the page requested ahead is abandoned) and is
// returned wrapped as "list users: page N: ...", so that errors.Is and errors.As find
// it. On any error
// the pages already handed to page are all the caller has: it must treat the listing
// as incomplete.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-all-user-accounts-for-a-customer
func (c *Client) ListUsersPages(ctx context.Context, customerID string, pageSize int, page func([]User) error) (*client.Response, error) {
	return c.listUserPages(ctx, customerID, pageSize, maxUserPages, false, page)
}

// listUserPages is ListUsersPages following at most maxPages pages.
func (c *Client) listUserPages(ctx context.Context, customerID string, pageSize, maxPages int, deleted bool, handle func([]User) error) (*client.Response, error) {
	return listPages(ctx, c, customerID, pageSize, maxPages, deleted, handle)
}

// nextCall turns a next page link into the call that fetches the page.
func (c *Client) nextCall(op string, l *link) (client.Request, error) {
	if m := strings.TrimSpace(l.Method); m != "" && !strings.EqualFold(m, http.MethodGet) {
		return client.Request{}, fmt.Errorf("%w: method %q, want GET", errBadNextLink, m)
	}
	u, err := c.resolveLink(l.URI)
	if err != nil {
		return client.Request{}, err
	}
	var h http.Header
	for i, kv := range l.Headers {
		if !client.ValidHeaderName(kv.Key) {
			return client.Request{}, fmt.Errorf("%w: header %d has an invalid name", errBadNextLink, i+1)
		}
		if !client.ValidHeaderValue(kv.Value) {
			// The value is the continuation: name the header only.
			return client.Request{}, fmt.Errorf("%w: header %s has an invalid value", errBadNextLink, http.CanonicalHeaderKey(kv.Key))
		}
		if h == nil {
			h = make(http.Header, len(l.Headers))
		}
		h.Add(kv.Key, kv.Value)
	}
	return client.Request{Op: op, Method: http.MethodGet, URL: u, Header: h}, nil
}

// resolveLink resolves a link's URI: a path relative to /v1 ("/customers/x/users?..."
// or "customers/x/users?..."), an absolute path that already starts with /v1/ (or with
// the base URL's path followed by v1/), or a full URL whose scheme and host are the base
// URL's and whose path lies under the base URL's path. The query is kept as sent; the
// fragment is dropped.
func (c *Client) resolveLink(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: empty URI", errBadNextLink)
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: URI does not parse", errBadNextLink)
	}
	if ref.User != nil {
		return nil, fmt.Errorf("%w: URI carries user information", errBadNextLink)
	}
	if ref.Opaque != "" {
		return nil, fmt.Errorf("%w: URI is not a path or an http URL", errBadNextLink)
	}
	base := c.core.Base()
	basePath := base.EscapedPath() // ends with "/"
	p := ref.EscapedPath()
	var rest string // the escaped path below the base URL's path
	switch {
	case ref.Scheme != "" || ref.Host != "":
		scheme := ref.Scheme
		if scheme == "" {
			scheme = base.Scheme
		}
		if !strings.EqualFold(scheme, base.Scheme) || !sameHost(scheme, ref.Host, base) {
			return nil, fmt.Errorf("%w: host %q is not the API's host %q", errForeignNextLink, ref.Host, base.Host)
		}
		if !strings.HasPrefix(p, basePath) {
			return nil, fmt.Errorf("%w: path lies outside the base URL", errForeignNextLink)
		}
		rest = p[len(basePath):]
	case p == "":
		return nil, fmt.Errorf("%w: URI has no path", errBadNextLink)
	case strings.HasPrefix(p, basePath+"v1/"):
		rest = p[len(basePath):]
	case strings.HasPrefix(p, "/v1/"):
		rest = p[1:]
	case strings.HasPrefix(p, "v1/"):
		rest = p
	case strings.HasPrefix(p, "/"):
		rest = "v1" + p
	default:
		rest = "v1/" + p
	}
	for _, seg := range strings.Split(rest, "/") {
		if s, err := url.PathUnescape(seg); err != nil || s == "." || s == ".." {
			return nil, fmt.Errorf("%w: URI has dot segments", errBadNextLink)
		}
	}
	u := c.core.Endpoint(rest)
	u.RawQuery = ref.RawQuery
	return u, nil
}

// sameHost reports whether a URL of the given scheme and host (host[:port]) reaches
// the same host and port as base, a missing port being the scheme's default.
func sameHost(scheme, host string, base *url.URL) bool {
	split := func(scheme, host string) (string, string) {
		u := url.URL{Host: host}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(scheme)]
		}
		return strings.ToLower(u.Hostname()), port
	}
	h1, p1 := split(scheme, host)
	h2, p2 := split(base.Scheme, base.Host)
	return h1 == h2 && p1 == p2
}

// callKey identifies a page request by its URL and headers, for the loop guard. It is a
// hash so that 100,000 continuation tokens do not have to be kept.
func callKey(cl client.Request) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(cl.URL.String()))
	keys := make([]string, 0, len(cl.Header))
	for k := range cl.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range cl.Header[k] {
			h.Write([]byte{0})
			h.Write([]byte(k))
			h.Write([]byte{0})
			h.Write([]byte(v))
		}
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// UserLicenses lists the licenses user of customerID holds, restricted to the given
// license groups (the API's default, group1, when none is given): GET
// .../v1/customers/{customerID}/users/{user}/licenses with one licenseGroupIds parameter
// per group. user is the user's object ID or user principal name, escaped as one path
// segment.
//
// See https://learn.microsoft.com/partner-center/developer/check-which-licenses-are-assigned-to-a-user
// and https://learn.microsoft.com/partner-center/developer/get-licenses-assigned-to-a-user-by-license-group
func (c *Client) UserLicenses(ctx context.Context, customerID, user string, groups ...LicenseGroupID) ([]License, *client.Response, error) {
	op := opGetUserLicenses
	call := &client.Call{Kind: client.Read}
	call.CorrelationID = c.core.CorrelationID()
	if err := checkSegment("customer ID", customerID); err != nil {
		return nil, &call.Response, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkSegment("user", user); err != nil {
		return nil, &call.Response, fmt.Errorf("%s: %w", op, err)
	}
	lics, err := getItems[License](ctx, c, op, "v1/customers/"+url.PathEscape(customerID)+"/users/"+url.PathEscape(user)+"/licenses", groups, call)
	return lics, &call.Response, err
}

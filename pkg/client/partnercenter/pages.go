package partnercenter

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// page is one page of GET .../users with items of type T: User, or the lean listedUser
// the backend decodes (only the fields a plan uses).
type page[T any] struct {
	Items []T        `json:"items"`
	Links *pageLinks `json:"links,omitempty"`
}

// fetched is a page's answer, or why it has none.
type fetched struct {
	ans  *client.Answer
	call *client.Call
	err  error
}

// listPages lists the users of customerID a page at a time (see ListUsersPages): each
// page's next link is read first, the next page is requested while this page's items
// are decoded and handed to handle, so that the round trip and the decoding overlap.
// At most one page is fetched ahead, and nothing of a page is kept once handle returns.
func listPages[T any](ctx context.Context, c *Client, customerID string, pageSize, maxPages int, deleted bool, handle func([]T) error) (*client.Response, error) {
	op := opListUsers
	resp := &client.Response{CorrelationID: c.core.CorrelationID()}
	first, err := c.firstPage(op, customerID, pageSize, deleted, handle != nil)
	if err != nil {
		return resp, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetch := func(req client.Request) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			call := &client.Call{Kind: client.Read}
			ans, err := c.do(ctx, req, call)
			ch <- fetched{ans: ans, call: call, err: err}
		}()
		return ch
	}
	next := fetch(first)
	seen := map[[sha256.Size]byte]bool{callKey(first): true}
	attempts := 0
	for n := 1; ; n++ {
		f := <-next
		pageResp := &f.call.Response
		attempts += pageResp.Attempts
		pageResp.Attempts = attempts
		if f.err != nil {
			return pageResp, f.err
		}
		pageOp := fmt.Sprintf("%s: page %d", op, n)
		p := page[T]{Items: make([]T, 0, min(pageSize, DefaultUserPageSize))}
		items, rawLinks, walked := pageParts(f.ans.Body)
		switch {
		case !walked:
			// Not a page the walk reads: decoded whole, for its error or its items.
			if err := client.DecodeJSON(pageOp, pageResp, f.ans.Body, &p); err != nil {
				return pageResp, err
			}
		default:
			for _, raw := range rawLinks {
				if err := client.DecodeJSON(pageOp, pageResp, raw, &p.Links); err != nil {
					return pageResp, err
				}
			}
		}
		more := p.Links != nil && p.Links.Next != nil
		if more {
			req, err := c.nextPage(op, n, maxPages, p.Links.Next, pageResp, seen)
			if err != nil {
				return pageResp, err
			}
			next = fetch(req)
		}
		for _, raw := range items { // none unless walked
			if err := decodeItems(raw, &p.Items); err != nil {
				return pageResp, fmt.Errorf("%s: decode the users (request ID %s): %w", pageOp, pageResp.RequestID, err)
			}
		}
		if p.Items == nil {
			p.Items = []T{}
		}
		if err := handle(p.Items); err != nil {
			return pageResp, fmt.Errorf("%s: page %d: %w", op, n, err)
		}
		if !more {
			return pageResp, nil
		}
	}
}

// firstPage checks the arguments of a listing and returns its first request.
func (c *Client) firstPage(op, customerID string, pageSize int, deleted, hasHandle bool) (client.Request, error) {
	if !hasHandle {
		return client.Request{}, fmt.Errorf("%s: no page function", op)
	}
	if err := checkSegment("customer ID", customerID); err != nil {
		return client.Request{}, fmt.Errorf("%s: %w", op, err)
	}
	switch {
	case pageSize < 0:
		return client.Request{}, fmt.Errorf("%s: page size %d: must not be negative (0 means %d)", op, pageSize, DefaultUserPageSize)
	case pageSize == 0:
		pageSize = DefaultUserPageSize
	}
	u := c.core.Endpoint("v1/customers/" + url.PathEscape(customerID) + "/users")
	q := url.Values{"size": {strconv.Itoa(pageSize)}}
	if deleted {
		q.Set("filter", deletedUsersFilter)
	}
	u.RawQuery = q.Encode()
	return client.Request{Op: op, Method: http.MethodGet, URL: u}, nil
}

// nextPage turns page n's next link into the next request, refusing a link that
// leaves the API, repeats an earlier page, or goes past maxPages. A link's problems
// name the page and the request that returned the link, never the link itself: its
// query and headers carry the continuation.
func (c *Client) nextPage(op string, n, maxPages int, l *link, resp *client.Response, seen map[[sha256.Size]byte]bool) (client.Request, error) {
	pageErr := func(err error) error {
		return fmt.Errorf("%s: page %d: %w (%s)", op, n, err, idsText(resp.RequestID, c.core.CorrelationID()))
	}
	if n >= maxPages {
		return client.Request{}, pageErr(fmt.Errorf("%w: still a next page after %d", errTooManyPages, maxPages))
	}
	req, err := c.nextCall(op, l)
	if err != nil {
		return client.Request{}, pageErr(err)
	}
	key := callKey(req)
	if seen[key] {
		return client.Request{}, pageErr(errRepeatedNextLink)
	}
	seen[key] = true
	return req, nil
}

// decodeItems decodes a page's items: the lean users of a plan's listing by
// decodeListedUsers, others by encoding/json.
func decodeItems[T any](raw []byte, items *[]T) error {
	if lean, ok := any(items).(*[]listedUser); ok {
		return decodeListedUsers(raw, lean)
	}
	return json.Unmarshal(raw, items)
}

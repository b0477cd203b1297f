package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"
)

// This file builds and sends one attempt: its token, its request with the headers
// every attempt carries, and its answer read within bounds.

// token asks the token source for an access token and remembers it for scrubbing.
func (c *Client) token(ctx context.Context, tenant string) (*oauth2.Token, error) {
	t, err := c.ts.Token(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if t == nil || t.AccessToken == "" {
		return nil, errors.New("the token source returned an empty access token")
	}
	c.mu.Lock()
	c.lastToken = t.AccessToken
	c.mu.Unlock()
	return t, nil
}

// knownSecrets returns the secrets the client knows, for scrubbing.
func (c *Client) knownSecrets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastToken == "" {
		return nil
	}
	return []string{c.lastToken}
}

// newRequest builds one attempt's request with every header.
func (c *Client) newRequest(ctx context.Context, req Request, requestID string, token *oauth2.Token) (*http.Request, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL.String(), body)
	if err != nil {
		return nil, err
	}
	h := hr.Header
	for k, vs := range req.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, vs := range c.headers {
		h[k] = append([]string(nil), vs...)
	}
	token.SetAuthHeader(hr)
	h.Set("Accept", "application/json")
	h.Set(c.requestIDHdr, requestID)
	if c.correlHdr != "" {
		h.Set(c.correlHdr, c.correlationID)
	}
	h.Set("User-Agent", c.userAgent)
	if req.Body != nil {
		h.Set("Content-Type", "application/json")
		hr.ContentLength = int64(len(req.Body))
	}
	return hr, nil
}

// send makes one attempt and reads the whole answer, so that the connection can be
// reused before a retry. A failure to read the body counts as a transport error.
func (c *Client) send(req *http.Request) (*Answer, error) {
	hr, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	body, err := readBody(hr)
	if err != nil {
		return nil, fmt.Errorf("read %d answer: %w", hr.StatusCode, err)
	}
	return &Answer{Status: hr.StatusCode, Header: hr.Header, Body: body}, nil
}

// maxPrealloc is the most readBody allocates for a body before reading it.
const maxPrealloc = 1 << 20

// readBody reads an answer's body, at most maxBodySize bytes, sizing the buffer from
// the answer's length when known (http.Response.ContentLength, else the
// Content-Length header of a Response made by hand), up to maxPrealloc: a length that
// lies costs no more than that before the body shows it.
func readBody(hr *http.Response) ([]byte, error) {
	if hr.ContentLength > maxBodySize {
		return nil, errBodyTooLarge
	}
	size := 512
	n := hr.ContentLength
	if n <= 0 { // unknown (-1), none (204, 304), or a Response made by hand that left it 0
		if h, err := strconv.ParseInt(hr.Header.Get("Content-Length"), 10, 64); err == nil {
			n = h
		}
	}
	if n >= 0 {
		// bytes.MinRead more: ReadFrom grows a buffer with less room than that before
		// each read, the one that finds EOF included, and growing copies the body.
		size = int(min(n, maxPrealloc)) + bytes.MinRead
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(io.LimitReader(hr.Body, maxBodySize+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxBodySize {
		return nil, errBodyTooLarge
	}
	return buf.Bytes(), nil
}

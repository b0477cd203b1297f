package client

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// rotatingSource hands out "old" until invalidated, then "new".
type rotatingSource struct {
	mu          sync.Mutex
	current     string
	invalidated []string
}

func (s *rotatingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: s.current}, nil
}

func (s *rotatingSource) Invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, tok)
	s.current = "new-access-token-value"
}

func TestUnauthorizedRefreshesTheTokenOnce(t *testing.T) {
	src := &rotatingSource{current: "old-access-token-value"}
	var seen []string
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer new-access-token-value" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":800001,"description":"partner token missing"}`))
			return
		}
		w.Write([]byte(`{"totalCount":0,"items":[]}`))
	})
	c := setupInProcess(t, h, WithTokenSource(src))
	_, resp, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	if err != nil {
		t.Fatalf("call after refresh failed: %v", err)
	}
	if resp.Attempts != 2 || len(seen) != 2 || seen[0] != "Bearer old-access-token-value" {
		t.Fatalf("attempts %d, tokens sent %v", resp.Attempts, seen)
	}
	if len(src.invalidated) != 1 || src.invalidated[0] != "old-access-token-value" {
		t.Fatalf("invalidated %v", src.invalidated)
	}
}

func TestUnauthorizedTwiceIsFinal(t *testing.T) {
	src := &rotatingSource{current: "old-access-token-value"}
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusUnauthorized)
	})
	c := setupInProcess(t, h, WithTokenSource(src))
	_, resp, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, want a 401 APIError", err)
	}
	if calls != 2 || resp.Attempts != 2 {
		t.Fatalf("%d calls, %d attempts: want exactly one refresh", calls, resp.Attempts)
	}
}

func TestUnauthorizedWithStaticTokenIsFinalAtOnce(t *testing.T) {
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusUnauthorized)
	})
	c := setupInProcess(t, h)
	_, _, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || calls != 1 {
		t.Fatalf("got %v after %d calls", err, calls)
	}
}

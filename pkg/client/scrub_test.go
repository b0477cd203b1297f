package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestScrubIgnoresCaseAndFragments(t *testing.T) {
	const secret = "0.AXEAr7Zq81-refresh-Token-DoNotLeak-9f3c"
	tests := []struct{ in, want string }{
		{"token " + secret + " refused", "token REDACTED refused"},
		{"TOKEN " + strings.ToUpper(secret) + " refused", "TOKEN REDACTED refused"},
		{"echoed in part: " + secret[5:25] + "...", "echoed in part: REDACTED..."},
		{"two parts " + secret[:14] + " and " + strings.ToLower(secret[20:34]), "two parts REDACTED and REDACTED"},
		{"a short run " + secret[3:12] + " stays", "a short run " + secret[3:12] + " stays"},
		{"nothing secret here", "nothing secret here"},
	}
	for _, tt := range tests {
		if got := Scrub(tt.in, secret); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Scrub("a x b", "x"); got != "a x b" {
		t.Errorf("a one-letter secret replaced: %q", got)
	}
}

// TestAPIErrorScrubsEchoedToken: a server that echoes the access token in another
// case, or part of it, in its error body never gets it into the error text.
func TestAPIErrorScrubsEchoedToken(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc(skusPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":"` + strings.ToUpper(testToken) + `","description":"bad token ` + testToken[3:20] + `","source":"` + strings.ToLower(testToken) + `"}`))
	})
	_, _, err := c.GetSubscribedSkus(context.Background(), testCustomer)
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{err.Error(), apiErr.Code, apiErr.Description, apiErr.Source} {
		if strings.Contains(strings.ToLower(s), strings.ToLower(testToken[3:15])) {
			t.Errorf("error text leaks the token: %q", s)
		}
	}
}

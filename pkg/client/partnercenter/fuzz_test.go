package partnercenter_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/clienttest"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// fuzzToken is the access token of the fuzzed client: no error text may hold it, even
// when the server echoes it back in its answer.
const fuzzToken = "eyJ0eXAiOiJKV1Qi.fuzz-Secret-Token-Q7"

const (
	fuzzCustomer = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"
	fuzzUser     = "ada@contoso.onmicrosoft.com"
	fuzzSku      = "f8a1db68-be16-40ed-86d5-cb42ce701560"
)

// cannedAnswer is an http.RoundTripper that answers every request with the same status,
// Retry-After and body, and records the MS-RequestId and token of each attempt.
type cannedAnswer struct {
	status     int
	retryAfter string
	body       []byte

	mu       sync.Mutex
	requests []string // MS-RequestId per attempt
	badAuth  int      // attempts without "Bearer fuzzToken"
}

func (c *cannedAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.requests = append(c.requests, req.Header.Get("MS-RequestId"))
	if req.Header.Get("Authorization") != "Bearer "+fuzzToken {
		c.badAuth++
	}
	c.mu.Unlock()
	h := clienttest.JSON()
	if c.retryAfter != "" {
		h.Set("Retry-After", c.retryAfter)
	}
	return clienttest.Answer(req, c.status, h, c.body), nil
}

// take returns the attempts recorded since the last call.
func (c *cannedAnswer) take() (ids []string, badAuth int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, badAuth = c.requests, c.badAuth
	c.requests, c.badAuth = nil, 0
	return ids, badAuth
}

// FuzzDecodeAPIAnswers feeds arbitrary answers (any status from 100 to 599, any
// Retry-After, any body) to GetSubscribedSkus and UpdateLicenses through the client's
// whole path: retries, the shared 429 pause, checkResponse and decoding. It runs in a
// synctest bubble, so that Retry-After and back-off waits pass in fake time.
//
// The properties: no panic; every call returns a *client.Response with the attempt count, and
// all attempts of one call carry one MS-RequestId; a non-2xx answer is an *client.APIError
// with its status (a *client.ThrottleError, its wait within the policy's cap, for a 429 and
// only then), after 5 attempts when the status is worth a retry (429, 5xx but 501) and
// 1 otherwise; a 2xx answer is never an *client.APIError and decodes exactly when its body is
// valid JSON for the answer's type; and no error text holds the access token.
//
// Seeds are in testdata/fuzz/FuzzDecodeAPIAnswers: the documentation's 60012 and
// subscribedskus answers, the throttling answer, gateway errors, answers echoing the
// token, and garbage.
func FuzzDecodeAPIAnswers(f *testing.F) {
	f.Fuzz(func(t *testing.T, status uint16, retryAfter string, body []byte) {
		code := 100 + int(status)%500
		synctest.Test(t, func(t *testing.T) {
			checkAnswer(t, code, retryAfter, body)
		})
	})
}

func checkAnswer(t *testing.T, code int, retryAfter string, body []byte) {
	rt := &cannedAnswer{status: code, retryAfter: retryAfter, body: body}
	policy := client.DefaultRetryPolicy()
	c, err := partnercenter.New(
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fuzzToken})),
		client.WithBaseURL("https://api.partnercenter.test/"),
		client.WithHTTPClient(&http.Client{Transport: rt}),
		client.WithRetryPolicy(policy),
	)
	if err != nil {
		t.Fatal(err)
	}
	ok2xx := code >= 200 && code <= 299
	retried := code == http.StatusTooManyRequests || code >= 500 && code != http.StatusNotImplemented
	wantAttempts := 1
	if retried {
		wantAttempts = policy.MaxAttempts
	}
	ctx := context.Background()

	check := func(op string, resp *client.Response, err error) {
		t.Helper()
		ids, badAuth := rt.take()
		if resp == nil {
			t.Fatalf("%s: nil *client.Response (err %v)", op, err)
		}
		if resp.Attempts != wantAttempts || len(ids) != wantAttempts || resp.StatusCode != code {
			t.Fatalf("%s %d: %d attempts (%d sent), status %d; want %d attempts", op, code, resp.Attempts, len(ids), resp.StatusCode, wantAttempts)
		}
		if badAuth > 0 {
			t.Fatalf("%s: %d attempts without the bearer token", op, badAuth)
		}
		if distinct := slices.Compact(slices.Clone(ids)); len(distinct) != 1 || ids[0] == "" || ids[0] != resp.RequestID {
			t.Fatalf("%s: attempts carried request IDs %v, client.Response says %q; want one ID on every attempt", op, ids, resp.RequestID)
		}
		if err != nil && strings.Contains(err.Error(), fuzzToken) {
			t.Fatalf("%s %d: the error text holds the access token: %s", op, code, err)
		}
		var apiErr *client.APIError
		var thrErr *client.ThrottleError
		isAPI, isThrottle := errors.As(err, &apiErr), errors.As(err, &thrErr)
		if ok2xx {
			if isAPI {
				t.Fatalf("%s %d: a 2xx answer gave an *client.APIError: %v", op, code, err)
			}
			return
		}
		if !isAPI {
			t.Fatalf("%s %d: error %v (%T), want an *client.APIError", op, code, err, err)
		}
		if apiErr.StatusCode != code || apiErr.Attempts != wantAttempts || apiErr.RequestID != resp.RequestID {
			t.Fatalf("%s %d: *client.APIError status %d, %d attempts, request ID %q; want %d, %d, %q", op, code, apiErr.StatusCode, apiErr.Attempts, apiErr.RequestID, code, wantAttempts, resp.RequestID)
		}
		if isThrottle != (code == http.StatusTooManyRequests) {
			t.Fatalf("%s %d: *client.ThrottleError %v, want it for a 429 only", op, code, isThrottle)
		}
		if isThrottle {
			if thrErr.RetryAfter < 0 || thrErr.RetryAfter > policy.MaxRetryAfter {
				t.Fatalf("%s: RetryAfter %v for Retry-After %q, want 0 to %v", op, thrErr.RetryAfter, retryAfter, policy.MaxRetryAfter)
			}
			// Retry-After in seconds is 1*DIGIT (RFC 9110); "+0" or "-1" are no such value.
			digits := retryAfter != "" && strings.Trim(retryAfter, "0123456789") == ""
			// (Compared in seconds first: a huge value times time.Second overflows.)
			if secs, err := strconv.Atoi(retryAfter); digits && err == nil && secs <= int(policy.MaxRetryAfter/time.Second) &&
				thrErr.RetryAfter != time.Duration(secs)*time.Second {
				t.Fatalf("%s: RetryAfter %v for Retry-After %q", op, thrErr.RetryAfter, retryAfter)
			}
		}
	}

	skus, resp, err := c.GetSubscribedSkus(ctx, fuzzCustomer, partnercenter.Group1, partnercenter.Group2)
	check("GetSubscribedSkus", resp, err)
	if ok2xx {
		decodes := json.Unmarshal(body, new(partnercenter.SubscribedSkus)) == nil
		if (err == nil) != decodes {
			t.Fatalf("GetSubscribedSkus %d: err %v, but the body decodes: %v", code, err, decodes)
		}
		if err == nil && skus == nil {
			t.Fatal("GetSubscribedSkus: nil items without an error")
		}
	}

	sent := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: fuzzSku}}}
	upd, resp, err := c.UpdateLicenses(ctx, fuzzCustomer, fuzzUser, sent)
	check("UpdateLicenses", resp, err)
	if ok2xx {
		empty := strings.TrimSpace(string(body)) == ""
		// A body must decode and be a LicenseUpdate: say so, or carry one of its lists.
		var probe struct {
			LicensesToAssign, LicensesToRemove, LicenseWarnings []json.RawMessage
			Attributes                                          *struct{ ObjectType string }
		}
		decodes := empty || json.Unmarshal(body, new(partnercenter.LicenseUpdate)) == nil && json.Unmarshal(body, &probe) == nil &&
			(probe.LicensesToAssign != nil || probe.LicensesToRemove != nil || probe.LicenseWarnings != nil ||
				probe.Attributes != nil && strings.EqualFold(probe.Attributes.ObjectType, "LicenseUpdate"))
		if (err == nil) != decodes {
			t.Fatalf("UpdateLicenses %d: err %v, but the body is a LicenseUpdate: %v", code, err, decodes)
		}
		if err == nil && upd == nil {
			t.Fatal("UpdateLicenses: nil update without an error")
		}
		if err == nil && empty && !reflect.DeepEqual(upd.LicensesToAssign, sent.LicensesToAssign) {
			t.Fatalf("UpdateLicenses: an empty 2xx answer gave %+v, want the update sent", upd)
		}
	}
}

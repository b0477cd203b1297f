package graph

import (
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Graph error codes bulkassign tells apart.
//
// See https://learn.microsoft.com/graph/errors
const (
	CodeBadRequest       = "Request_BadRequest"
	CodeResourceNotFound = "Request_ResourceNotFound"
	CodeDenied           = "Authorization_RequestDenied"
)

// RolesNeeded names the GDAP roles a partner needs in a customer tenant for every
// call bulkassign makes there: reading SKUs and users, assigning licenses, setting a
// usage location.
//
// See https://learn.microsoft.com/partner-center/dap-api-impact
const RolesNeeded = "User Administrator, or License Administrator with Directory Readers"

// Substrings of Graph's assignLicense refusals, lower case: the words Graph's answers are
// known to use (https://learn.microsoft.com/graph/api/user-assignlicense and partners'
// reports), matched loosely since Microsoft does not fix them.
var reasonTexts = []struct {
	text   string
	reason client.Reason
}{
	{"usage location", client.ReasonNoUsageLocation},
	{"does not have any available licenses", client.ReasonNoSeats},
	{"does not correspond to a valid company license", client.ReasonUnknownSku},
	{"does not have a corresponding license", client.ReasonNotHeld},
	{"inherited from a group", client.ReasonInherited},
	{"mutually exclusive", client.ReasonConflictingPlans},
	{"depends on the service plan", client.ReasonMissingPrerequisite},
}

// reasonOf maps a Graph refusal to a Reason; ReasonUnknown leaves what the status
// alone tells.
func reasonOf(status int, code, message string) client.Reason {
	if status == http.StatusForbidden || strings.EqualFold(code, CodeDenied) {
		return client.ReasonMissingRole
	}
	if status == http.StatusNotFound || strings.EqualFold(code, CodeResourceNotFound) {
		return client.ReasonUserNotFound
	}
	if status != http.StatusBadRequest {
		return client.ReasonUnknown
	}
	m := strings.ToLower(message)
	for _, rt := range reasonTexts {
		if strings.Contains(m, rt.text) {
			return rt.reason
		}
	}
	return client.ReasonUnknown
}

// classify sets the Reason of a Graph refusal the core returned, and names the roles
// needed in a 403's description.
func classify(err error) {
	var e *client.APIError
	if !errors.As(err, &e) {
		return
	}
	refine(e)
}

// refine sets e's Reason from its status, code and description.
func refine(e *client.APIError) {
	if r := reasonOf(e.StatusCode, e.Code, e.Description); r != client.ReasonUnknown {
		e.Reason = r
	}
	if e.Reason == client.ReasonMissingRole && !strings.Contains(e.Description, RolesNeeded) {
		e.Description = strings.TrimSpace(e.Description + " The partner's GDAP roles in the customer tenant must include " + RolesNeeded + ".")
	}
}

// graphError is Graph's error body.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// itemError turns a batch item's final non-2xx answer into the error a direct call
// would have returned: an *APIError (a *client.ThrottleError for a 429 that outlasted
// the retries) with Graph's code and message and the item's request ID.
func (b *Backend) itemError(op string, call *client.Call, ans itemAnswer) error {
	e := client.APIError{
		Op:            op,
		StatusCode:    ans.status,
		RequestID:     call.RequestID,
		CorrelationID: b.core.CorrelationID(),
		Attempts:      call.Attempts,
	}
	var body graphError
	if json.Unmarshal(ans.body, &body) == nil {
		e.Code = b.core.Scrub(body.Error.Code)
		e.Description = b.core.Scrub(html.UnescapeString(body.Error.Message))
	}
	switch {
	case ans.status == http.StatusUnauthorized:
		e.Reason = client.ReasonUnauthorized
	case ans.status == http.StatusTooManyRequests:
		e.Reason = client.ReasonThrottled
	case ans.status >= 500:
		e.Reason = client.ReasonService
	}
	refine(&e)
	if ans.status == http.StatusTooManyRequests {
		return &client.ThrottleError{APIError: e, RetryAfter: ans.retryAfter}
	}
	return &e
}

// retryAfterOf reads a batch item's Retry-After (seconds or a date), the policy's
// default when absent, capped.
func retryAfterOf(p client.RetryPolicy, h http.Header, now time.Time) time.Duration {
	return client.RetryAfterWait(p, h.Get("Retry-After"), now)
}

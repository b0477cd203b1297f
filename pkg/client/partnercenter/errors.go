package partnercenter

import (
	"errors"
	"net/http"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// Error codes of Partner Center that bulkassign tells apart.
//
// See https://learn.microsoft.com/partner-center/developer/error-codes
const (
	CodeOutOfLicenses  = "60012"  // 400: no license unit left for an assignment
	CodeUserNotFound   = "60002"  // 404: no user with that object ID
	CodeTenantNotFound = "60003"  // 404: no such customer
	CodeNoRelationship = "20002"  // 403: no commerce relationship with the customer
	CodeMFARequired    = "900421" // 401: the App+User token carries no multi-factor authentication
	CodeInvalidInput   = "800002" // 400: invalid request input
)

// classify sets the Reason of a Partner Center refusal: the codes above, and the
// descriptions users report for the refusals the documentation gives no code for.
func classify(err error) {
	var e *client.APIError
	if !errors.As(err, &e) {
		return
	}
	if r := reasonOf(e.StatusCode, e.Code, e.Description); r != client.ReasonUnknown {
		e.Reason = r
	}
}

// reasonOf maps a status, code and description to a Reason; ReasonUnknown keeps what
// the shared machinery found from the status alone.
func reasonOf(status int, code, description string) client.Reason {
	d := strings.ToLower(description)
	switch {
	case code == CodeMFARequired || status == http.StatusUnauthorized && strings.Contains(d, "multi-factor"):
		return client.ReasonMFARequired
	case code == CodeOutOfLicenses:
		return client.ReasonNoSeats
	case code == CodeUserNotFound:
		return client.ReasonUserNotFound
	case code == CodeNoRelationship || status == http.StatusForbidden:
		return client.ReasonMissingRole
	case strings.Contains(d, "usage location"):
		return client.ReasonNoUsageLocation
	case strings.Contains(d, "does not have a corresponding license"):
		return client.ReasonNotHeld
	case strings.Contains(d, "mutually exclusive"):
		return client.ReasonConflictingPlans
	case strings.Contains(d, "depends on the service plan"):
		return client.ReasonMissingPrerequisite
	}
	return client.ReasonUnknown
}

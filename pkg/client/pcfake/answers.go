package pcfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// Error codes the fake answers with; see
// https://learn.microsoft.com/partner-center/developer/error-codes
const (
	codeUserNotFound       = 60002
	codeTenantNotFound     = 60003
	codeOutOfLicenses      = 60012
	codeTokenMissing       = 800001
	codeMFARequired        = 900421
	codeInvalidInput       = 800002
	codeUnexpectedFailure  = 800003
	errorSource            = "PartnerFD"
	outOfLicensesText      = "We&#39;re sorry, it looks like you\u2019ve run out of licenses. Buy more licenses, and then try again."
	outOfLicensesDataTempl = "LicenseQuotaExceededException : Subscription with Account %s and SKU %s does not have any available licenses left."
	// usageLocationText is the description users of the real service report for an
	// assignment to a user without a usage location.
	usageLocationText = "License assignment cannot be done for user with invalid usage location."
	inactiveUserText  = "License assignment cannot be done for an inactive user: restore the user first."
	// notHeldText is the refusal the directory behind Partner Center is reported to
	// give for removing a license the user does not hold (WithStrictRemovals).
	notHeldText = "User does not have a corresponding license"
	mfaText     = "Multi-factor authentication is required: the App+User access token must come from a sign-in that used multi-factor authentication (MFA)."
)

// answer is a complete HTTP answer, kept as bytes so that a repeated request ID can be
// answered exactly as the first time.
type answer struct {
	status     int
	body       []byte
	retryAfter int      // seconds; 0: no Retry-After header
	groups     []string // license groups the request touched, for the request log
	buf        *[]byte  // the pooled buffer body is in (pageAnswer), given back by recycle
}

// apiError is the error body of Partner Center. Code is a number, as in the docs'
// 60012 example.
type apiError struct {
	Code        int      `json:"code"`
	Description string   `json:"description"`
	Data        []string `json:"data"`
	Source      string   `json:"source"`
}

// throttleError is the different body of a 429 answer.
type throttleError struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

// licenseUpdateResult is the body of a successful licenseupdates POST. It differs from
// partnercenter.LicenseUpdate in always sending licenseWarnings (as an empty array) and
// attributes, as the docs' example does.
type licenseUpdateResult struct {
	LicensesToAssign []partnercenter.LicenseAssignment `json:"licensesToAssign"`
	LicensesToRemove []string                          `json:"licensesToRemove,omitempty"`
	LicenseWarnings  []partnercenter.LicenseWarning    `json:"licenseWarnings"`
	Attributes       partnercenter.Attributes          `json:"attributes"`
}

// jsonAnswer encodes v without HTML escaping, so that the docs' "&#39;" reaches the
// client verbatim rather than as "\u0026#39;".
func jsonAnswer(status int, v any) *answer {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value encoded here is a plain struct of strings, numbers and slices.
		panic(fmt.Sprintf("pcfake: encode answer: %v", err))
	}
	return &answer{status: status, body: buf.Bytes()}
}

func errorAnswer(status, code int, description string, data ...string) *answer {
	if data == nil {
		data = []string{}
	}
	return jsonAnswer(status, apiError{Code: code, Description: description, Data: data, Source: errorSource})
}

func invalidInput(description string) *answer {
	return errorAnswer(http.StatusBadRequest, codeInvalidInput, description)
}

func customerNotFound(customerID string) *answer {
	return errorAnswer(http.StatusNotFound, codeTenantNotFound,
		fmt.Sprintf("Customer tenant %s was not found.", customerID), customerID)
}

func unknownSku(customerID, field, skuID string) *answer {
	return errorAnswer(http.StatusBadRequest, codeInvalidInput,
		fmt.Sprintf("Product SKU %q in %s is not subscribed by customer %s.", skuID, field, customerID), skuID)
}

// outOfLicenses is the docs' 60012 answer, word for word, with the customer and SKU.
func outOfLicenses(customerID, skuID string) *answer {
	return errorAnswer(http.StatusBadRequest, codeOutOfLicenses, outOfLicensesText,
		fmt.Sprintf(outOfLicensesDataTempl, customerID, skuID))
}

func unauthorized() *answer {
	return errorAnswer(http.StatusUnauthorized, codeTokenMissing,
		"The partner token is missing or not valid: send Authorization: Bearer <access token>.")
}

func throttled(seconds int) *answer {
	a := jsonAnswer(http.StatusTooManyRequests, throttleError{
		StatusCode: http.StatusTooManyRequests,
		Message:    fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", seconds),
	})
	a.retryAfter = seconds
	return a
}

func serviceFailure(status int) *answer {
	return errorAnswer(status, codeUnexpectedFailure,
		"An unexpected error occurred in the service. Try again later.")
}

func licenseUpdateAnswer(upd partnercenter.LicenseUpdate) *answer {
	res := licenseUpdateResult{
		LicensesToAssign: upd.LicensesToAssign,
		LicensesToRemove: upd.LicensesToRemove,
		LicenseWarnings:  []partnercenter.LicenseWarning{},
		Attributes:       partnercenter.Attributes{ObjectType: "LicenseUpdate"},
	}
	if res.LicensesToAssign == nil {
		res.LicensesToAssign = []partnercenter.LicenseAssignment{}
	}
	return jsonAnswer(http.StatusCreated, res)
}

// invalidUsageLocation refuses an assignment to a user without a usage location.
func invalidUsageLocation(user string) *answer {
	return errorAnswer(http.StatusBadRequest, codeInvalidInput, usageLocationText, user)
}

// inactiveUser refuses an assignment to a user whose state is inactive.
func inactiveUser(user string) *answer {
	return errorAnswer(http.StatusBadRequest, codeInvalidInput, inactiveUserText, user)
}

// userNotFound is the 60002 answer for a user missing from a customer's user list.
func userNotFound(customerID, user string) *answer {
	return errorAnswer(http.StatusNotFound, codeUserNotFound,
		fmt.Sprintf("User %s was not found in customer %s.", user, customerID), user)
}

// mfaRequired refuses a token without multi-factor authentication (WithMFACheck).
func mfaRequired() *answer {
	return errorAnswer(http.StatusUnauthorized, codeMFARequired, mfaText)
}

// notHeld refuses the removal of a SKU the user does not hold (WithStrictRemovals).
func notHeld(user, skuID string) *answer {
	return errorAnswer(http.StatusBadRequest, codeInvalidInput, notHeldText, user, skuID)
}

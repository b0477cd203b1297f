package graphfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Graph error codes the fake answers with. See
// https://learn.microsoft.com/graph/errors
const (
	codeBadRequest         = "BadRequest"
	codeRequestBadRequest  = "Request_BadRequest"
	codeNotFound           = "Request_ResourceNotFound"
	codeUnsupportedQuery   = "Request_UnsupportedQuery"
	codeDenied             = "Authorization_RequestDenied"
	codeInvalidToken       = "InvalidAuthenticationToken"
	codeTooManyRequests    = "TooManyRequests"
	codeServiceUnavailable = "serviceNotAvailable"
	codeGeneralException   = "generalException"
	codeFailedDependency   = "FailedDependency"
)

// Messages of the errors bulkassign matches (see the package documentation for their
// sources and how certain each is).
const (
	msgUsageLocation   = "License assignment cannot be done for user with invalid usage location."
	msgNoLicensesTempl = "Subscription with SKU %s does not have any available licenses."
	msgInvalidSkuTempl = "License %s does not correspond to a valid company License."
	msgNotHeld         = "User does not have a corresponding license."
	msgInherited       = "User license is inherited from a group membership and it cannot be removed directly from the user."
	msgExclusiveTempl  = "License assignment failed because service plans %s,%s are mutually exclusive."
	msgDependsTempl    = "License assignment failed because service plan %s depends on the service plan(s) %s."
	msgMissingTempl    = "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: %s."
	msgNotFoundTempl   = "Resource '%s' does not exist or one of its queried reference-property objects are not present."
	msgDenied          = "Insufficient privileges to complete the operation."
	msgNoToken         = "Access token is empty."
	msgBadToken        = "Access token validation failure. Invalid audience."
	msgExpiredToken    = "Lifetime validation failed, the token is expired."
	msgTooManyClauses  = "Too many child clauses specified in search filter expression containing 'OR' operators: %d. Max allowed: %d."
	msgPageSizeTempl   = "Invalid page size specified: '%s'. Must be between 1 and 999 inclusive."
	msgRawCount        = "Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
	msgBadJSON         = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
	msgBatchNoCT       = "Write request id : %s does not contain Content-Type header or body."
)

// graphContentType is the Content-Type of Graph's JSON answers.
const graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// result is one Graph answer (of a direct call or of a batch item) before it is
// written: status, headers beyond the common ones, body.
type result struct {
	status     int
	header     http.Header
	body       []byte
	text       bool // body is text/plain (GET /users/$count)
	retryAfter int  // seconds; 0: none
	applied    bool // a write changed the ledger
	// listing marks a users GET answered 200: "first" for a first page of all users,
	// "filter" for a first page of a filtered query, "next" for a later page.
	listing string
}

// innerError is the innerError of Graph's error body.
type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

type errorBody struct {
	Error struct {
		Code       string     `json:"code"`
		Message    string     `json:"message"`
		InnerError innerError `json:"innerError"`
	} `json:"error"`
}

// ids are the identifiers an answer echoes.
type ids struct {
	requestID, clientRequestID string
}

// graphError builds a Graph error answer.
func graphError(status int, code, message string, id ids) *result {
	var b errorBody
	b.Error.Code = code
	b.Error.Message = message
	b.Error.InnerError = innerError{
		Date:            time.Now().UTC().Format("2006-01-02T15:04:05"),
		RequestID:       id.requestID,
		ClientRequestID: id.clientRequestID,
	}
	return jsonResult(status, b)
}

// jsonResult encodes v without HTML escaping.
func jsonResult(status int, v any) *result {
	return &result{status: status, body: encodeJSON(v)}
}

func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value encoded here is made of strings, numbers, maps and slices.
		panic(fmt.Sprintf("graphfake: encode answer: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func badRequest(message string, id ids) *result {
	return graphError(http.StatusBadRequest, codeRequestBadRequest, message, id)
}

func unsupportedQuery(message string, id ids) *result {
	return graphError(http.StatusBadRequest, codeUnsupportedQuery, message, id)
}

func notFound(ref string, id ids) *result {
	return graphError(http.StatusNotFound, codeNotFound, fmt.Sprintf(msgNotFoundTempl, ref), id)
}

func denied(id ids) *result {
	return graphError(http.StatusForbidden, codeDenied, msgDenied, id)
}

// unauthorized is the 401 of a missing, unknown or expired access token. It names
// the problem, never the token.
func unauthorized(message string, id ids) *result {
	r := graphError(http.StatusUnauthorized, codeInvalidToken, message, id)
	r.header = http.Header{}
	r.header.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
	return r
}

// throttledResult is the 429 of a request over a budget, as the throttling page
// shows it.
func throttledResult(secs int, scope, info string, id ids) *result {
	r := graphError(http.StatusTooManyRequests, codeTooManyRequests, "Please retry again later.", id)
	r.retryAfter = secs
	r.header = http.Header{}
	if scope != "" {
		r.header.Set("x-ms-throttle-scope", scope)
		r.header.Set("x-ms-throttle-information", info)
	}
	return r
}

func serviceFailure(status int, id ids) *result {
	if status == http.StatusServiceUnavailable {
		return graphError(status, codeServiceUnavailable, "Service is unavailable. Try again later.", id)
	}
	return graphError(status, codeGeneralException, "General exception while processing.", id)
}

// segmentNotFound is Graph's answer to a path it does not serve.
func segmentNotFound(segment string, id ids) *result {
	return graphError(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", segment), id)
}

func methodNotAllowed(id ids) *result {
	return graphError(http.StatusMethodNotAllowed, codeRequestBadRequest, "Specified HTTP method is not allowed for the request target.", id)
}

// missingParameters is the 400 of an assignLicense body without a key.
func missingParameters(names []string, id ids) *result {
	return badRequest(fmt.Sprintf(msgMissingTempl, strings.Join(names, ", ")), id)
}

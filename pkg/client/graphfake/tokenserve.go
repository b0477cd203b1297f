package graphfake

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tokenError is the error body of the Microsoft identity platform's token endpoint.
type tokenError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
	Suberror      string `json:"suberror,omitempty"`
}

// tokenRefusal is a refused token request: status, OAuth error and AADSTS code and
// text.
type tokenRefusal struct {
	status   int
	err      string
	code     int
	text     string
	suberror string
}

func refuse(status int, err string, code int, text string) *tokenRefusal {
	return &tokenRefusal{status: status, err: err, code: code, text: text}
}

// serveToken answers POST /{tenant}/oauth2/v2.0/token (and /oauth2/token, v1): a
// refresh_token grant for Graph, as the secure application model uses it. See
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenantID, version string) {
	o := s.newOp(r)
	o.ex.Path, o.ex.Query = r.URL.Path, ""
	s.begin(r.Method)
	defer s.end(o.ex)
	s.count(func(st *Stats) { st.TokenRequests++ })
	if !s.sleep(r.Context()) {
		return
	}
	var body any
	status := http.StatusOK
	access, refresh, refusal := s.token(r, tenantID, version, o.ex)
	if refusal != nil {
		status = refusal.status
		now := time.Now().UTC()
		trace := uuid.NewString()
		body = tokenError{
			Error: refusal.err,
			Description: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
				refusal.code, refusal.text, trace, o.ids.clientRequestID, now.Format("2006-01-02 15:04:05Z")),
			Codes:         []int{refusal.code},
			Timestamp:     now.Format("2006-01-02 15:04:05Z"),
			TraceID:       trace,
			CorrelationID: o.ids.clientRequestID,
			ErrorURI:      "https://login.microsoftonline.com/error?code=" + strconv.Itoa(refusal.code),
			Suberror:      refusal.suberror,
		}
	} else {
		s.count(func(st *Stats) { st.TokensIssued++ })
		body = s.tokenAnswer(version, access, refresh)
	}
	b := encodeJSON(body)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("client-request-id", o.ids.clientRequestID)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	o.ex.Status = status
}

// token checks a token request and issues tokens, or refuses it. It never puts a
// secret or a token in a refusal or in the log entry ex.
func (s *Server) token(r *http.Request, tenantID, version string, ex *Request) (access, refresh string, _ *tokenRefusal) {
	if (version == "v1" && !s.tokenV1) || (version == "v2.0" && !s.tokenV2) {
		return "", "", refuse(http.StatusNotFound, "invalid_request", 900561,
			"graphfake does not serve this token endpoint (see WithTokenEndpoint).")
	}
	if r.Method != http.MethodPost {
		return "", "", refuse(http.StatusBadRequest, "invalid_request", 900561,
			fmt.Sprintf("The endpoint only accepts POST, OPTIONS requests. Received a %s request.", r.Method))
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return "", "", refuse(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
	}
	form := r.PostForm
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = form.Get("client_id"), form.Get("client_secret")
	}
	ex.App = clientID
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenantID)]
	if t == nil {
		return "", "", refuse(http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenantID))
	}
	ex.Tenant = t.id
	if refusal := s.checkClient(form.Get("grant_type"), clientID, secret, t.id); refusal != nil {
		return "", "", refusal
	}
	if refusal := checkAudience(version, form.Get("scope"), form.Get("resource"), t.id); refusal != nil {
		return "", "", refusal
	}
	rt := form.Get("refresh_token")
	if refusal := s.checkRefresh(rt, clientID); refusal != nil {
		return "", "", refusal
	}
	if t.consentRefused {
		refusal := refuse(http.StatusBadRequest, "invalid_grant", 65001, fmt.Sprintf(
			"The user or administrator has not consented to use the application with ID '%s' named 'bulkassign'. Send an interactive authorization request for this user and resource.", clientID))
		refusal.suberror = "consent_required"
		return "", "", refusal
	}
	access, refresh = s.issue(identity{tenant: t.id, app: strings.ToLower(clientID)}, rt)
	return access, refresh, nil
}

// checkClient checks the grant type and the client's credentials. The caller holds
// s.mu.
func (s *Server) checkClient(grantType, clientID, secret, tenantID string) *tokenRefusal {
	switch {
	case grantType == "":
		return refuse(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
	case grantType != "refresh_token":
		return refuse(http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type. graphfake serves grant_type=refresh_token.")
	case strings.TrimSpace(clientID) == "":
		return refuse(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
	}
	want, registered := s.apps[strings.ToLower(clientID)]
	switch {
	case s.apps != nil && !registered:
		return refuse(http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
			clientID, tenantID))
	case secret == "":
		return refuse(http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case registered && !secretOK(secret, want):
		return refuse(http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
	}
	return nil
}

// checkAudience checks that a v2.0 request asks for the Graph .default scope, a v1
// request for the Graph resource.
func checkAudience(version, scope, resource, tenantID string) *tokenRefusal {
	if version == "v1" {
		if !strings.EqualFold(strings.TrimSuffix(resource, "/"), graphResource) {
			return refuse(http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf(
				"The resource principal named %s was not found in the tenant named %s.", resource, tenantID))
		}
		return nil
	}
	switch {
	case strings.TrimSpace(scope) == "":
		return refuse(http.StatusBadRequest, "invalid_request", 90014,
			"The required field 'scope' is missing from the credential. Ensure that you have all the necessary parameters for the login request.")
	case !scopeOK(scope):
		return refuse(http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf(
			"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope))
	}
	return nil
}

// checkRefresh checks a refresh token, recording one accepted for the first time.
// The caller holds s.mu.
func (s *Server) checkRefresh(rt, clientID string) *tokenRefusal {
	if strings.TrimSpace(rt) == "" {
		return refuse(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
	}
	known := s.refreshTokens[rt]
	switch {
	case known == nil && (s.seedRefresh == nil || s.seedRefresh[rt]):
		s.refreshTokens[rt] = &refreshToken{}
	case known == nil:
		return refuse(http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	case known.revoked:
		return refuse(http.StatusBadRequest, "invalid_grant", 70008,
			"The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	case known.app != "" && known.app != strings.ToLower(clientID):
		return refuse(http.StatusBadRequest, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
	}
	return nil
}

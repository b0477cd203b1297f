package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// refusingEndpoint answers every request with an OAuth error.
func refusingEndpoint(status int, body map[string]any) *tokenEndpoint {
	e := newEndpoint(time.Hour)
	e.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
		return true
	}
	return e
}

func TestRefusalsNameTheSettingToFix(t *testing.T) {
	const customer = "fabrikam.onmicrosoft.com"
	cases := []struct {
		tenant, code, oauth, suberror string
		setting                       string
		says                          []string
	}{
		{"", "AADSTS700082", "invalid_grant", "", SettingRefreshToken, []string{"90 days", "refresh token"}},
		{"", "AADSTS70008", "invalid_grant", "", SettingRefreshToken, []string{"expired"}},
		{"", "AADSTS50173", "invalid_grant", "", SettingRefreshToken, []string{"revoked"}},
		{"", "AADSTS9002313", "invalid_request", "", SettingRefreshToken, []string{"malformed"}},
		{"", "AADSTS7000215", "invalid_client", "", SettingClientSecret, []string{"client secret is wrong"}},
		{"", "AADSTS7000222", "invalid_client", "", SettingClientSecret, []string{"client secret has expired"}},
		{"", "AADSTS700016", "unauthorized_client", "", SettingClientID, []string{"client ID", "tenant ID"}},
		{"", "AADSTS90002", "invalid_request", "", SettingTenantID, []string{"tenant was not found"}},
		{"", "AADSTS900023", "invalid_request", "", SettingTenantID, []string{"tenant ID"}},
		{"", "AADSTS65001", "invalid_grant", "consent_required", SettingRefreshToken, []string{"consent"}},
		{"", "AADSTS50076", "invalid_grant", "basic_action", SettingRefreshToken, []string{"multi-factor"}},
		{"", "AADSTS50079", "interaction_required", "", SettingRefreshToken, []string{"multi-factor"}},
		{"", "AADSTS50020", "invalid_grant", "", SettingTenantID, []string{"not a member"}},
		{"", "AADSTS500011", "invalid_resource", "", SettingScope, []string{"scope"}},
		{"", "", "invalid_scope", "", SettingScope, []string{"scope"}},
		{customer, "AADSTS65001", "invalid_grant", "", "", []string{"the customer " + customer + " has not consented", "GDAP"}},
		{customer, "", "invalid_grant", "consent_required", "", []string{"the customer " + customer + " has not consented"}},
		{customer, "", "consent_required", "", "", []string{"the customer " + customer + " has not consented"}},
		{customer, "AADSTS700016", "unauthorized_client", "", "", []string{customer + " has not consented"}},
		{customer, "AADSTS500011", "invalid_resource", "", "", []string{customer + " has not consented"}},
		{customer, "AADSTS50020", "invalid_grant", "", "", []string{"no access to the customer " + customer, "GDAP"}},
		{customer, "AADSTS90002", "invalid_request", "", "", []string{"customer tenant " + customer + " was not found"}},
		{customer, "AADSTS50076", "invalid_grant", "", SettingRefreshToken, []string{"multi-factor"}},
		{customer, "AADSTS53003", "access_denied", "", "", []string{"Conditional Access"}},
	}
	for _, c := range cases {
		t.Run(c.tenant+c.code+c.oauth, func(t *testing.T) {
			desc := "The server says no.\r\nTrace ID: 1"
			if c.code != "" {
				desc = c.code + ": " + desc
			}
			body := map[string]any{"error": c.oauth, "error_description": desc, "suberror": c.suberror}
			_, err := newSource(t, testSettings(refusingEndpoint(http.StatusBadRequest, body))).Token(context.Background(), c.tenant)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *signin.Error", err, err)
			}
			if want := c.code; want != "" && se.Code != want || want == "" && se.Code != c.oauth {
				t.Errorf("Code %q", se.Code)
			}
			if se.Setting != c.setting || se.Transient() {
				t.Errorf("Setting %q transient %v, want %q and a refusal", se.Setting, se.Transient(), c.setting)
			}
			msg := err.Error()
			wantTenant := c.tenant
			if wantTenant == "" {
				wantTenant = testTenant
			}
			for _, want := range append(c.says, "tenant "+wantTenant) {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not say %q", msg, want)
				}
			}
			if c.code != "" && strings.Count(msg, c.code+":") != 1 {
				t.Errorf("%q does not give the code once", msg)
			}
			if strings.Contains(msg, "Trace ID") {
				t.Errorf("%q holds more than the description's first line", msg)
			}
			if strings.Contains(msg, "PARTNER_CENTER") || strings.Contains(msg, "--") {
				t.Errorf("%q names a flag or variable, not a setting", msg)
			}
		})
	}
}

func TestRefusedSecretsFromFilesNameTheFile(t *testing.T) {
	dir := t.TempDir()
	secretFile, refreshFile := filepath.Join(dir, "secret"), filepath.Join(dir, "refresh")
	os.WriteFile(secretFile, []byte("  "+testSecret+"\n"), 0o600)
	os.WriteFile(refreshFile, []byte(testRefresh+"\n"), 0o600)
	for code, want := range map[string]string{
		"AADSTS7000215": SettingClientSecretFile,
		"AADSTS700082":  SettingRefreshTokenFile,
	} {
		e := refusingEndpoint(http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": code + ": no"})
		s := testSettings(e)
		s.ClientSecret, s.ClientSecretFile = "", secretFile
		s.RefreshToken, s.RefreshTokenFile = "", refreshFile
		_, err := newSource(t, s).Token(context.Background(), "")
		var se *Error
		if !errors.As(err, &se) || se.Setting != want {
			t.Errorf("%s: Setting %q, want %q (%v)", code, se.Setting, want, err)
		}
		if got := e.forms[0].Get("client_secret"); got != testSecret {
			t.Errorf("client secret from the file sent as %q", got)
		}
	}
}

func TestUnansweredErrorsSayWhatHappened(t *testing.T) {
	e := refusingEndpoint(http.StatusOK, map[string]any{"token_type": "Bearer"})
	_, err := newSource(t, testSettings(e)).Token(context.Background(), "")
	var se *Error
	if !errors.As(err, &se) || se.Setting != SettingTokenURL || !strings.Contains(err.Error(), "no access token") {
		t.Errorf("answer without a token: %v", err)
	}
	e = refusingEndpoint(http.StatusServiceUnavailable, map[string]any{"error": "temporarily_unavailable", "error_description": "AADSTS90033: busy"})
	s := testSettings(e)
	s.Retry.MaxAttempts, s.Retry.MaxWait = 2, time.Millisecond
	_, err = newSource(t, s).Token(context.Background(), "")
	if !errors.As(err, &se) || !se.Transient() || se.Status != 503 || e.requests() != 2 {
		t.Errorf("busy endpoint: %v after %d requests", err, e.requests())
	}
	// %+v and %#v of the error show no secret either.
	if out := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(out, testSecret) || strings.Contains(out, testRefresh) {
		t.Errorf("formatted error shows a secret: %s", out)
	}
}

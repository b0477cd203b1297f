package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client/signin"
	"github.com/bulkassign/bulkassign/pkg/job"
)

var loginHelp = &help{
	usage: "bulkassign login --refresh-token-file FILE [--api partnercenter|graph] [--tenant ID]",
	about: "Signs a partner admin in with the device code flow (open the page it names on any device, enter the code,\n" +
		"complete MFA) and saves the refresh token, mode 0600, where --refresh-token-file expects it.\n" +
		"The app registration (its client ID in $" + EnvClientID + ") needs: \"Allow public client flows\" set to Yes\n" +
		"(or a client secret in $" + EnvClientSecret + "), and the delegated permission of the API in use: Partner Center's\n" +
		"user_impersonation, or Graph's LicenseAssignment.ReadWrite.All and User.ReadWrite.All, admin-consented.",
	groups: []flagGroup{{"Sign-in", []string{"api", "refresh-token-file", "tenant", "token-url", "device-auth-url"}}},
	examples: []string{
		"PARTNER_CENTER_CLIENT_ID=... PARTNER_CENTER_TENANT_ID=contoso.onmicrosoft.com bulkassign login --refresh-token-file ~/.bulkassign/refresh-token",
		"bulkassign login --api graph --refresh-token-file ~/.bulkassign/graph-refresh-token",
	},
	env: []string{EnvClientID + " (required), " + EnvTenantID + " (or --tenant), " + EnvClientSecret + " (confidential apps only)"},
}

// login is `bulkassign login`.
func (m *Main) login(ctx context.Context, args []string) error {
	fs := m.newFlagSet("login", loginHelp)
	api := fs.String("api", job.APIPartnerCenter, "the `API` the token is for: partnercenter or graph")
	file := fs.String("refresh-token-file", "", "`FILE` to save the refresh token in (required)")
	tenant := fs.String("tenant", "", "the partner's tenant `ID` or domain (default $"+EnvTenantID+")")
	tokenURL := fs.String("token-url", "", "token endpoint `URL`; {tenant} stands for the tenant")
	deviceURL := fs.String("device-auth-url", "", "device authorization endpoint `URL`; {tenant} stands for the tenant")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usageError("--refresh-token-file is required: where to save the refresh token")
	}
	cfg := signin.DeviceConfig{
		TenantID:      strings.TrimSpace(*tenant),
		ClientID:      strings.TrimSpace(m.Getenv(EnvClientID)),
		ClientSecret:  signin.Secret(strings.TrimSpace(m.Getenv(EnvClientSecret))),
		Scopes:        []string{signin.PartnerCenterLoginScopes},
		DeviceAuthURL: *deviceURL,
		TokenURL:      *tokenURL,
	}
	switch *api {
	case job.APIPartnerCenter:
	case job.APIGraph:
		cfg.Scopes = []string{signin.GraphLoginScopes}
	default:
		return usageError("--api %q: must be partnercenter or graph", *api)
	}
	if cfg.TenantID == "" {
		cfg.TenantID = strings.TrimSpace(m.Getenv(EnvTenantID))
	}
	if cfg.ClientID == "" {
		return usageError("no client ID: set $%s to the app registration's application (client) ID", EnvClientID)
	}
	if m.Transport != nil {
		cfg.HTTPClient = &http.Client{Transport: m.Transport}
	}
	token, err := signin.DeviceLogin(ctx, cfg, func(c signin.DeviceCode) {
		fmt.Fprintf(m.Stderr, "To sign in, open %s and enter the code %s (it expires at %s).\nSign in as a partner admin, with MFA.\n",
			c.VerificationURI, c.UserCode, c.Expiry.Local().Format("15:04"))
	})
	if err != nil {
		return &ExitError{Code: exitCodeOf(err), Err: settingsError(err)}
	}
	if err := signin.WriteRefreshTokenFile(*file, token); err != nil {
		return &ExitError{Code: ExitRowsFailed, Err: err}
	}
	fmt.Fprintf(m.Stdout, "Signed in. The refresh token is in %s (mode 0600); pass --refresh-token-file %s to plan and run.\n", *file, shellQuote(*file))
	return nil
}

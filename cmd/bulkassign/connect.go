package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/client/signin"
	"github.com/bulkassign/bulkassign/pkg/job"
)

// Environment variables bulkassign reads.
const (
	EnvBaseURL      = "PARTNER_CENTER_BASE_URL"
	EnvAccessToken  = "PARTNER_CENTER_ACCESS_TOKEN"
	EnvClientID     = "PARTNER_CENTER_CLIENT_ID"
	EnvClientSecret = "PARTNER_CENTER_CLIENT_SECRET"
	EnvTenantID     = "PARTNER_CENTER_TENANT_ID"
	EnvRefreshToken = "PARTNER_CENTER_REFRESH_TOKEN"
	EnvTokenURL     = "PARTNER_CENTER_TOKEN_URL"
	EnvGraphToken   = "GRAPH_ACCESS_TOKEN"
	EnvGraphBaseURL = "GRAPH_BASE_URL"
)

// envHelp lists the environment variables for help texts.
var envHelp = []string{
	EnvAccessToken + "   a ready App+User access token (Partner Center)",
	EnvGraphToken + "            a ready access token for one customer tenant (Graph)",
	EnvClientID + ", " + EnvClientSecret + ", " + EnvTenantID + ", " + EnvRefreshToken + "   the secure application model",
	EnvBaseURL + ", " + EnvGraphBaseURL + ", " + EnvTokenURL + "   endpoints (tests, sovereign clouds)",
}

// connFlags are the flags that say which API to talk to and how.
type connFlags struct {
	api              string
	customer         string
	baseURL          string
	simulate         bool
	catalogue        string
	productNames     string
	latency          time.Duration
	refreshTokenFile string
	clientSecretFile string
	tokenURL         string
	logLevel         string
	logFormat        string
	readRate         float64
}

var connGroup = flagGroup{"Connection", []string{"api", "customer", "product-names", "simulate", "catalogue", "simulate-latency", "base-url",
	"refresh-token-file", "client-secret-file", "token-url", "log-level", "log-format"}}

func (f *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.api, "api", job.APIPartnerCenter, "the `API`: partnercenter or graph (a row's customer is then the customer's tenant ID)")
	fs.StringVar(&f.customer, "customer", "", "the customer `ID` (a GUID; with --api graph, its tenant ID); for plan and run, that of rows without a customer column")
	fs.StringVar(&f.baseURL, "base-url", "", "the API's base `URL` (default $"+EnvBaseURL+" or $"+EnvGraphBaseURL+", else the API's own); https only, unless loopback")
	fs.BoolVar(&f.simulate, "simulate", false, "talk to a built-in local copy of the API (its users those of the input, if any); no account needed")
	fs.StringVar(&f.catalogue, "catalogue", "", "with --simulate: a catalogue `FILE` instead of the built-in sample")
	fs.StringVar(&f.productNames, "product-names", "", "with --api graph: Microsoft's product names CSV `FILE` (\"Product names and service plan identifiers for licensing\"), so that rows may name SKUs and plans by display name")
	fs.DurationVar(&f.latency, "simulate-latency", 60*time.Millisecond, "with --simulate: mean answer `latency`")
	fs.StringVar(&f.refreshTokenFile, "refresh-token-file", "", "`FILE` holding the refresh token (else the token itself in $"+EnvRefreshToken+"); rotated tokens are written back (mode 0600)")
	fs.StringVar(&f.clientSecretFile, "client-secret-file", "", "`FILE` holding the app's client secret (else the secret itself in $"+EnvClientSecret+")")
	fs.StringVar(&f.tokenURL, "token-url", "", "token endpoint `URL`; {tenant} stands for the tenant (default $"+EnvTokenURL+", else login.microsoftonline.com)")
	fs.Float64Var(&f.readRate, "read-rate", 0, "reads per second at most, retries included (default 50)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&f.logFormat, "log-format", "", "log `format`: console or json (default console on a terminal, else json)")
}

// check refuses flag values that cannot work, before anything is read.
func (f *connFlags) check() error {
	switch f.api {
	case job.APIPartnerCenter, job.APIGraph:
	default:
		return usageError("--api %q: must be partnercenter or graph", f.api)
	}
	if f.customer != "" && !client.IsGUID(f.customer) {
		return usageError("--customer %q: not a customer ID (a GUID such as 0c39d6d5-c70d-4c55-bc02-f620844f3fd1)", f.customer)
	}
	if f.catalogue != "" && !f.simulate {
		return usageError("--catalogue goes with --simulate")
	}
	if f.simulate && f.customer == "" {
		f.customer = pcfake.DefaultCustomerID // the simulated tenant of the documentation's examples
	}
	if _, err := zerolog.ParseLevel(f.logLevel); err != nil || f.logLevel == "" {
		return usageError("--log-level %q: must be debug, info, warn or error", f.logLevel)
	}
	switch f.logFormat {
	case "", "console", "json":
	default:
		return usageError("--log-format %q: must be console or json", f.logFormat)
	}
	if f.readRate < 0 || f.readRate > 10000 {
		return usageError("--read-rate %v: must be between 0 and 10000 reads per second", f.readRate)
	}
	return nil
}

// settings turns the flags and the environment into the job's settings.
func (m *Main) settings(f *connFlags, pacing client.PacingConfig, log zerolog.Logger) (job.Settings, error) {
	s := job.Settings{API: f.api, Pacing: pacing, ProductNames: f.productNames}
	if f.readRate > 0 {
		s.Pacing.Read.Rate = f.readRate
	}
	if m.Transport != nil {
		s.HTTPClient = &http.Client{Transport: m.Transport}
	}
	if f.simulate {
		s.Simulate = &job.Simulation{Latency: f.latency}
		if f.catalogue != "" {
			b, err := os.ReadFile(f.catalogue)
			if err != nil {
				return s, usageError("read --catalogue: %w", err)
			}
			s.Simulate.Catalogue = b
		}
		return s, nil
	}
	s.BaseURL = f.baseURL
	env := func(k string) string { return strings.TrimSpace(m.Getenv(k)) }
	if s.BaseURL == "" {
		s.BaseURL = env(EnvBaseURL)
		if f.api == job.APIGraph {
			s.BaseURL = env(EnvGraphBaseURL)
		}
	}
	c := signin.Settings{
		AccessToken:      signin.Secret(env(EnvAccessToken)),
		ClientID:         env(EnvClientID),
		ClientSecret:     signin.Secret(env(EnvClientSecret)),
		ClientSecretFile: f.clientSecretFile,
		TenantID:         env(EnvTenantID),
		RefreshToken:     signin.Secret(env(EnvRefreshToken)),
		RefreshTokenFile: f.refreshTokenFile,
		TokenURL:         f.tokenURL,
		OnRotate: func(err error) {
			if err != nil {
				log.Error().Err(err).Msg("the refresh token rotated but could not be stored: the next run may fail to sign in")
				return
			}
			log.Info().Str("file", f.refreshTokenFile).Msg("stored the rotated refresh token")
		},
	}
	if c.TokenURL == "" {
		c.TokenURL = env(EnvTokenURL)
	}
	if f.api == job.APIGraph {
		c.AccessToken, c.StaticTenant = signin.Secret(env(EnvGraphToken)), f.customer
	}
	for _, file := range []string{f.refreshTokenFile, f.clientSecretFile} {
		if file != "" {
			if w := signin.CheckFileMode(file); w != "" {
				log.Warn().Msg(w)
			}
		}
	}
	s.Credentials = c
	return s, nil
}

// connect connects to the API the flags name, signing in at once.
func (m *Main) connect(ctx context.Context, f *connFlags, pacing client.PacingConfig, log zerolog.Logger) (*job.Session, error) {
	s, err := m.settings(f, pacing, log)
	if err != nil {
		return nil, err
	}
	sess, err := job.Connect(ctx, s)
	if err != nil {
		return nil, settingsError(err)
	}
	return sess, nil
}

// settingFlags maps the settings the libraries name to what a user sets.
var settingFlags = map[string]string{
	signin.SettingAccessToken:       "$" + EnvAccessToken + " (or $" + EnvGraphToken + " with --api graph)",
	signin.SettingAccessTokenTenant: "--customer (the tenant $" + EnvGraphToken + " is for)",
	signin.SettingClientID:          "$" + EnvClientID,
	signin.SettingClientSecret:      "$" + EnvClientSecret + " or --client-secret-file",
	signin.SettingClientSecretFile:  "--client-secret-file",
	signin.SettingTenantID:          "$" + EnvTenantID,
	signin.SettingRefreshToken:      "$" + EnvRefreshToken + " or --refresh-token-file",
	signin.SettingRefreshTokenFile:  "--refresh-token-file",
	signin.SettingTokenURL:          "--token-url or $" + EnvTokenURL,
	"API":                           "--api",
	"base URL":                      "--base-url or $" + EnvBaseURL,
	"output":                        "--output",
	"resume or output":              "--resume, or another --output",
	"input":                         "--input",
	"customer":                      "--customer",
	"catalogue":                     "--catalogue",
	"product names":                 "--product-names",
	"usage location":                "--usage-location",
}

// settingsError adds to a library's error the flags or variables of the settings it
// names, keeping the error (and its exit code) as it is.
func settingsError(err error) error {
	var se *signin.Error
	var je *job.SettingError
	var names []string
	switch {
	case errors.Is(err, signin.ErrNoCredentials):
		return &ExitError{Code: ExitUsage, Err: errors.New("no credentials: set $" + EnvAccessToken +
			" (or $" + EnvGraphToken + " with --api graph) to a ready access token; or, for the secure application model, $" +
			EnvClientID + ", $" + EnvClientSecret + " or --client-secret-file, $" + EnvTenantID + ", and $" + EnvRefreshToken +
			" or --refresh-token-file (which `bulkassign login` writes); or pass --simulate to try the tool on a local Partner Center")}
	case errors.As(err, &se):
		names = append(append(names, se.Missing...), se.Setting)
	case errors.As(err, &je):
		names = append(names, je.Setting)
	default:
		return err
	}
	var where []string
	for _, n := range names {
		if fl := settingFlags[n]; fl != "" && !slices.Contains(where, fl) {
			where = append(where, fl)
		}
	}
	if len(where) == 0 {
		return err
	}
	return &ExitError{Code: exitCodeOf(err), Err: fmt.Errorf("%w (set %s)", err, strings.Join(where, "; "))}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/client/signin"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/samples"
)

const version = client.Version

// Environment variables bulkassign reads.
const (
	EnvBaseURL      = "PARTNER_CENTER_BASE_URL"
	EnvAccessToken  = "PARTNER_CENTER_ACCESS_TOKEN"
	EnvClientID     = "PARTNER_CENTER_CLIENT_ID"
	EnvClientSecret = "PARTNER_CENTER_CLIENT_SECRET"
	EnvTenantID     = "PARTNER_CENTER_TENANT_ID"
	EnvRefreshToken = "PARTNER_CENTER_REFRESH_TOKEN"
	EnvTokenURL     = "PARTNER_CENTER_TOKEN_URL"
)

// simulatedToken is the bearer token the in-process Partner Center of --simulate expects.
const simulatedToken = "simulated-access-token"

// commonFlags are the flags plan and run share.
type commonFlags struct {
	customer  string
	input     string
	shortfall string
	baseURL   string
	simulate  bool
	catalogue string
	latency   time.Duration
	logLevel  string

	refreshTokenFile string
	tokenURL         string
	checkUsers       bool
}

// register adds the shared flags; checkUsers is --check-users' default (on for plan,
// off for run).
func (f *commonFlags) register(fs *flag.FlagSet, checkUsers bool) {
	fs.BoolVar(&f.checkUsers, "check-users", checkUsers, "list each customer's users once and plan rows whose user does not exist, is not active or has no usage location as skipped")
	fs.StringVar(&f.customer, "customer", "", "customer ID (GUID) for rows without a customer column")
	fs.StringVar(&f.input, "input", "", "input CSV of user/SKU rows (required)")
	fs.StringVar(&f.shortfall, "shortfall", "abort", "on a capacity shortfall: abort (send nothing) or partial (grant rows in file order while units last)")
	fs.StringVar(&f.baseURL, "base-url", "", "Partner Center base URL (default $"+EnvBaseURL+", else "+client.DefaultBaseURL+")")
	fs.BoolVar(&f.simulate, "simulate", false, "run against a built-in local Partner Center seeded from the sample catalogue; needs no account")
	fs.StringVar(&f.catalogue, "catalogue", "", "with --simulate: a subscribedskus JSON catalogue instead of the built-in sample")
	fs.DurationVar(&f.latency, "simulate-latency", 60*time.Millisecond, "with --simulate: mean answer latency of the local Partner Center")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.refreshTokenFile, "refresh-token-file", "", "file holding the secure application model's refresh token (default $"+EnvRefreshToken+"); rotated tokens are written back to it")
	fs.StringVar(&f.tokenURL, "token-url", "", "token endpoint (default $"+EnvTokenURL+", else https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token)")
}

func (f *commonFlags) validate() error {
	if f.input == "" {
		return usageError("--input is required: the CSV of user/SKU rows")
	}
	switch planner.Shortfall(f.shortfall) {
	case planner.ShortfallAbort, planner.ShortfallPartial:
	default:
		return usageError("--shortfall %q: must be abort or partial", f.shortfall)
	}
	if f.customer != "" && !isGUID(f.customer) {
		return usageError("--customer %q: not a customer ID (a GUID such as %s)", f.customer, pcfake.DefaultCustomerID)
	}
	if f.catalogue != "" && !f.simulate {
		return usageError("--catalogue goes with --simulate")
	}
	if _, err := zerolog.ParseLevel(f.logLevel); err != nil || f.logLevel == "" {
		return usageError("--log-level %q: must be debug, info, warn or error", f.logLevel)
	}
	return nil
}

// session is what a command talks to: the client, and with --simulate the local fake.
type session struct {
	client   *client.Client
	fake     *pcfake.Server
	endpoint string
	credKind string
	customer string
}

// connect builds the Partner Center client from the flags and the environment. It
// checks the credentials are there before anything is sent.
func (m *Main) connect(f *commonFlags, log zerolog.Logger, extra ...client.Option) (*session, error) {
	s := &session{customer: f.customer}
	opts := []client.Option{}
	if f.simulate {
		cat := samples.Catalogue
		if f.catalogue != "" {
			b, err := os.ReadFile(f.catalogue)
			if err != nil {
				return nil, usageError("read catalogue: %w", err)
			}
			cat = b
		}
		skus, err := pcfake.LoadCatalogue(bytes.NewReader(cat))
		if err != nil {
			return nil, usageError("load catalogue: %w", err)
		}
		if s.customer == "" {
			s.customer = pcfake.DefaultCustomerID
		}
		fakeOpts := []pcfake.Option{
			pcfake.WithCustomer(s.customer, skus),
			pcfake.WithToken(simulatedToken),
			pcfake.WithLatency(f.latency, f.latency*2/3),
		}
		if s.customer != pcfake.DefaultCustomerID {
			fakeOpts = append(fakeOpts, pcfake.WithCustomer(pcfake.DefaultCustomerID, skus))
		}
		// The simulated tenant holds the input's users, active with a usage location,
		// so that --check-users finds them.
		for customer, users := range simulatedUsers(f.input, s.customer) {
			fakeOpts = append(fakeOpts, pcfake.WithUsers(customer, users))
		}
		s.fake = pcfake.New(fakeOpts...)
		s.endpoint = "built-in local Partner Center (--simulate)"
		s.credKind = "simulated token"
		opts = append(opts,
			client.WithBaseURL("http://pcfake.invalid/"),
			client.WithHTTPClient(&http.Client{Transport: s.fake.Transport()}),
			client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: simulatedToken})),
		)
	} else {
		base := f.baseURL
		source := "--base-url"
		if base == "" {
			base, source = m.Getenv(EnvBaseURL), EnvBaseURL
		}
		if base == "" {
			base, source = client.DefaultBaseURL, "default"
		}
		if err := checkEndpoint(base); err != nil {
			return nil, usageError("%s: %w", source, err)
		}
		ts, kind, err := m.credentials(f, log)
		if err != nil {
			return nil, err
		}
		s.endpoint = base
		s.credKind = kind
		opts = append(opts, client.WithBaseURL(base), client.WithTokenSource(ts))
		if m.Transport != nil {
			opts = append(opts, client.WithHTTPClient(&http.Client{Transport: m.Transport}))
		}
	}
	opts = append(opts, extra...)
	c, err := client.New(opts...)
	if err != nil {
		return nil, usageError("configure client: %w", err)
	}
	s.client = c
	s.endpoint = scrubURL(s.endpoint)
	return s, nil
}

// credentials picks the sign-in: the secure application model (client ID, secret,
// tenant and refresh token) when any of its settings is given, else a ready access
// token. With the secure application model it signs in at once, so that a refused
// refresh token or secret is reported before any row is planned or sent.
func (m *Main) credentials(f *commonFlags, log zerolog.Logger) (oauth2.TokenSource, string, error) {
	refresh := strings.TrimSpace(m.Getenv(EnvRefreshToken))
	clientID := strings.TrimSpace(m.Getenv(EnvClientID))
	secret := strings.TrimSpace(m.Getenv(EnvClientSecret))
	tenant := strings.TrimSpace(m.Getenv(EnvTenantID))
	if refresh != "" || f.refreshTokenFile != "" || clientID != "" || secret != "" {
		var missing []string
		for _, kv := range [][2]string{{EnvClientID, clientID}, {EnvClientSecret, secret}, {EnvTenantID, tenant}} {
			if kv[1] == "" {
				missing = append(missing, kv[0])
			}
		}
		if refresh == "" && f.refreshTokenFile == "" {
			missing = append(missing, EnvRefreshToken+" or --refresh-token-file")
		}
		if len(missing) > 0 {
			return nil, "", usageError("incomplete secure application model sign-in: set %s", strings.Join(missing, ", "))
		}
		tokenURL, source := f.tokenURL, "--token-url"
		if tokenURL == "" {
			tokenURL, source = strings.TrimSpace(m.Getenv(EnvTokenURL)), EnvTokenURL
		}
		if tokenURL != "" {
			if err := checkEndpoint(tokenURL); err != nil {
				return nil, "", usageError("%s: %w", source, err)
			}
		}
		file := f.refreshTokenFile
		if refresh != "" {
			file = "" // the environment's token wins; rotations then live for this run only
			if f.refreshTokenFile != "" {
				return nil, "", usageError("both %s and --refresh-token-file are set; use one", EnvRefreshToken)
			}
		}
		ts, err := signin.New(context.Background(), signin.Config{
			TenantID:         tenant,
			ClientID:         clientID,
			ClientSecret:     signin.Secret(secret),
			RefreshToken:     signin.Secret(refresh),
			RefreshTokenFile: file,
			TokenURL:         tokenURL,
			HTTPClient:       m.httpClient(),
			OnRotate: func(err error) {
				if err != nil {
					log.Error().Err(err).Msg("the refresh token rotated but could not be stored: the next run may fail to sign in")
					return
				}
				log.Info().Str("file", file).Msg("stored the rotated refresh token")
			},
		})
		if err != nil {
			return nil, "", usageError("sign in: %w", err)
		}
		if _, err := ts.Token(); err != nil {
			return nil, "", usageError("%w", err)
		}
		kind := "secure application model (refresh token from " + EnvRefreshToken + ")"
		if file != "" {
			kind = "secure application model (refresh token from " + file + ")"
		}
		return ts, kind, nil
	}
	token := strings.TrimSpace(m.Getenv(EnvAccessToken))
	if token == "" {
		return nil, "", usageError("no credentials: set %s to an App+User access token, or %s, %s, %s and %s (or --refresh-token-file) for the secure application model; or use --simulate to try the tool without an account",
			EnvAccessToken, EnvClientID, EnvClientSecret, EnvTenantID, EnvRefreshToken)
	}
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}), "access token from " + EnvAccessToken, nil
}

// httpClient is the HTTP client of the token endpoint: nil (the default) unless a
// test routes requests in-process.
func (m *Main) httpClient() *http.Client {
	if m.Transport == nil {
		return nil
	}
	return &http.Client{Transport: m.Transport}
}

// simulatedUsers reads the user and customer columns of the input, leniently (the
// planner reports what is wrong with it), and makes a simulated user of each user per
// customer the simulation serves.
func simulatedUsers(input, defaultCustomer string) map[string][]pcfake.User {
	f, err := os.Open(input)
	if err != nil {
		return nil
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil
	}
	userCol, customerCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "user":
			userCol = i
		case "customer":
			customerCol = i
		}
	}
	if userCol < 0 {
		return nil
	}
	seen := map[string]bool{}
	out := map[string][]pcfake.User{}
	defaultCustomer = strings.ToLower(defaultCustomer)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		if userCol >= len(rec) {
			continue
		}
		customer := defaultCustomer
		if customerCol >= 0 && customerCol < len(rec) && strings.TrimSpace(rec[customerCol]) != "" {
			customer = strings.ToLower(strings.TrimSpace(rec[customerCol]))
		}
		user := strings.TrimSpace(rec[userCol])
		key := customer + "\x00" + strings.ToLower(user)
		if user == "" || seen[key] || customer != defaultCustomer {
			continue
		}
		seen[key] = true
		u := pcfake.User{UsageLocation: "US", State: "active"}
		if isGUID(user) {
			u.ID, u.UserPrincipalName = strings.ToLower(user), strings.ToLower(user)+"@simulated.invalid"
		} else {
			u.ID, u.UserPrincipalName = uuid.NewSHA1(uuid.NameSpaceOID, []byte(strings.ToLower(user))).String(), user
		}
		u.DisplayName = u.UserPrincipalName
		out[customer] = append(out[customer], u)
	}
	return out
}

// checkEndpoint refuses a base URL that would send a token in clear text: it must be
// https unless its host is loopback.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", scrubURL(raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s: plain http is refused for a host that is not loopback (the access token would travel in clear text); use https", scrubURL(raw))
	default:
		return fmt.Errorf("%s: scheme must be https", scrubURL(raw))
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// scrubURL drops user info and the query from a URL before it is shown.
func scrubURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// newLogger logs to w: console format when w is a terminal, JSON otherwise.
func newLogger(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	var out io.Writer = w
	if isTerminal(w) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger()
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// openInput opens the input CSV with a clear message for the usual mistakes.
func openInput(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usageError("open input %s: no such file", path)
		}
		return nil, usageError("open input: %w", err)
	}
	if st.IsDir() {
		return nil, usageError("open input %s: is a directory, not a CSV file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError("open input: %w", err)
	}
	return f, nil
}

// buildPlan plans the input against the customer's catalogue and reports what it
// found: warnings, the capacity table and the requests per license group. Input errors
// map to exit 2, a shortfall under abort to exit 3.
func (m *Main) buildPlan(ctx context.Context, f *commonFlags, s *session, log zerolog.Logger, done func(c, u, sku, rm string) bool) (*planner.Plan, error) {
	in, err := openInput(f.input)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	opts := planner.Options{
		DefaultCustomer: s.customer,
		Shortfall:       planner.Shortfall(f.shortfall),
		Done:            done,
	}
	if f.checkUsers {
		opts.Users = s.client
	}
	plan, err := planner.Build(ctx, in, s.client, opts)
	var inputErr *planner.InputError
	if errors.As(err, &inputErr) {
		fmt.Fprintf(m.Stderr, "%s: %d problem(s) in the input; nothing was sent:\n", f.input, len(inputErr.Problems))
		for _, p := range inputErr.Problems {
			fmt.Fprintf(m.Stderr, "  %s\n", problemText(p))
		}
		return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("plan %s: %d input problem(s)", f.input, len(inputErr.Problems))}
	}
	if plan != nil {
		for _, w := range plan.Warnings {
			if w.Line > 0 {
				log.Warn().Int("line", w.Line).Msg(w.Message)
			} else {
				log.Warn().Msg(w.Message)
			}
		}
		if len(plan.Capacity) > 0 {
			fmt.Fprintln(m.Stdout)
			if werr := report.WriteCapacityTable(m.Stdout, capacityRows(plan.Capacity)); werr != nil {
				return nil, fmt.Errorf("write capacity table: %w", werr)
			}
			fmt.Fprintln(m.Stdout)
			if werr := report.WriteRequestCounts(m.Stdout, plan.RequestsPerGroup()); werr != nil {
				return nil, fmt.Errorf("write request counts: %w", werr)
			}
		}
	}
	var short *planner.ShortfallError
	if errors.As(err, &short) {
		fmt.Fprintln(m.Stderr, "\nNot enough licenses; nothing was sent:")
		for _, line := range strings.Split(strings.TrimSpace(short.Error()), "\n") {
			fmt.Fprintf(m.Stderr, "  %s\n", line)
		}
		fmt.Fprintln(m.Stderr, "Buy more licenses, shorten the input, or pass --shortfall partial to grant rows in file order while units last.")
		return plan, &ExitError{Code: ExitShortfall, Err: errors.New("capacity shortfall")}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted while planning; nothing was sent")}
		}
		// A customer or token the API refuses is a setting to fix (exit 2); an API that
		// failed or did not answer is worth trying again later (exit 1).
		code := ExitUsage
		var apiErr *client.APIError
		var transErr *client.TransportError
		if errors.As(err, &transErr) || errors.As(err, &apiErr) && (apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusTooManyRequests) {
			code = ExitRowsFailed
		}
		return nil, &ExitError{Code: code, Err: fmt.Errorf("plan %s (nothing was sent): %w", f.input, err)}
	}
	m.reportSkipped(plan)
	return plan, nil
}

// reportSkipped says, before anything is sent, how many rows the plan skips and why.
func (m *Main) reportSkipped(plan *planner.Plan) {
	reasons := map[string]int{}
	var order []string
	for i := 0; i < plan.NumRows(); i++ {
		r := plan.Row(i)
		if r.Status != planner.StatusSkipped {
			continue
		}
		if reasons[r.Reason] == 0 {
			order = append(order, r.Reason)
		}
		reasons[r.Reason]++
	}
	for _, reason := range order {
		fmt.Fprintf(m.Stdout, "%d row(s) planned as skipped: %s\n", reasons[reason], reason)
	}
}

func problemText(p planner.Problem) string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

func capacityRows(cs []planner.Capacity) []report.CapacityRow {
	rows := make([]report.CapacityRow, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, report.CapacityRow{
			Customer:      c.Customer,
			SkuName:       c.SkuName,
			SkuPartNumber: c.SkuPartNumber,
			SkuID:         c.SkuID,
			LicenseGroup:  c.LicenseGroup,
			Available:     c.Available,
			Requested:     c.Requested,
			Freed:         c.Freed,
			LeftAfter:     c.LeftAfter,
			Shortfall:     c.Shortfall,
		})
	}
	return rows
}

// plannedResult is the result row of a plan row before anything is sent.
func plannedResult(r planner.Row, correlationID string) report.Result {
	res := report.Result{
		Line:          r.Line,
		Customer:      r.Customer,
		User:          r.User,
		Sku:           r.Sku,
		SkuID:         r.SkuID,
		RemoveSku:     r.RemoveSku,
		LicenseGroup:  r.LicenseGroup,
		Status:        report.StatusPlanned,
		CorrelationID: correlationID,
		UserID:        r.UserID,
	}
	if r.Status == planner.StatusSkipped {
		res.Status = report.StatusSkipped
		res.ErrorMessage = r.Reason
	}
	return res
}

// refuseExisting refuses an output path that already exists, before anything is sent.
func refuseExisting(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return usageError("check output %s: %w", path, err)
	}
	if st.IsDir() {
		return usageError("output %s is a directory; name a file", path)
	}
	return usageError("output %s exists; pass --resume to continue that run, or choose another path", path)
}

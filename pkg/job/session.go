package job

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graph"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/productnames"
	"github.com/bulkassign/bulkassign/pkg/client/signin"
)

// The APIs a session can speak.
const (
	APIPartnerCenter = partnercenter.API
	APIGraph         = graph.API
)

// Settings are what a session is made of: the API, where it is, how to sign in and how
// to pace the calls. The zero value is Partner Center at its default address, paced at
// DefaultPacing, signing in with Credentials.
type Settings struct {
	API     string // APIPartnerCenter ("" too) or APIGraph
	BaseURL string // "" for the API's default
	// Credentials are the sign-in settings; their HTTPClient is set from HTTPClient.
	Credentials signin.Settings
	// Simulate, when set, makes the session talk to a built-in local copy of the API
	// instead (no account, no network); Credentials and BaseURL are not used.
	Simulate *Simulation
	// HTTPClient, when set, carries every request (the API's and the token endpoint's):
	// tests route them to in-process fakes.
	HTTPClient *http.Client
	// Pacing paces the calls; its zero value is DefaultPacing(APIPartnerCenter).
	Pacing client.PacingConfig
	// Observer, when set, sees every attempt (logs, benchmarks).
	Observer func(client.Attempt)
	// ProductNames, for Graph, is a file of Microsoft's "Product names and service plan
	// identifiers for licensing" CSV, whose display names rows may then use; "" for the
	// table pinned in the build (see productnames.Default).
	ProductNames string
}

// DefaultPacing is the pace of an API when nothing else is said: Partner Center does
// not publish its limits (10 writes and 50 reads a second to start, adapting to its
// 429s); Graph publishes 3,000 writes per 150 s per app and tenant (20/s) and 35,000
// writes per 5 minutes per app across tenants (about 116/s).
func DefaultPacing(api string) client.PacingConfig {
	if api == APIGraph {
		return client.PacingConfig{
			Read:      client.Budget{Rate: 50, Burst: 10},
			Write:     client.Budget{Rate: 20, Burst: 5},
			PerTenant: true,
			AppWrite:  client.Budget{Rate: 35000.0 / 300, Burst: 20},
		}
	}
	return client.PacingConfig{Read: client.Budget{Rate: 50, Burst: 5}, Write: client.Budget{Rate: 10, Burst: 1}}
}

// Session is a connection to one API: its backend and the pacing every call goes
// through.
type Session struct {
	Backend client.Backend
	Pacing  *client.Pacing
	// Endpoint and CredentialsFrom say, for logs, where calls go and where the
	// credentials came from; neither holds a secret.
	Endpoint        string
	CredentialsFrom string

	sim *simulated // with Settings.Simulate
}

// SettingError is a setting that cannot be used: Setting names it (as the library
// names settings: "API", "base URL", ...), Err says why.
type SettingError struct {
	Setting string
	Err     error
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

// Connect builds the session s describes and signs in at once (one token request for
// the partner's tenant), so that refused credentials end the job before anything is
// read: the sign-in error is a *signin.Error.
func Connect(ctx context.Context, s Settings) (*Session, error) {
	api := strings.ToLower(strings.TrimSpace(s.API))
	switch api {
	case "", APIPartnerCenter:
		api = APIPartnerCenter
	case APIGraph:
	default:
		return nil, &SettingError{Setting: "API", Err: fmt.Errorf("%q: want %s or %s", s.API, APIPartnerCenter, APIGraph)}
	}
	cfg := s.Pacing
	if cfg == (client.PacingConfig{}) {
		cfg = DefaultPacing(api)
	}
	sess := &Session{Pacing: client.NewPacing(cfg)}
	opts := []client.Option{client.WithLimiter(sess.Pacing)}
	if s.Observer != nil {
		opts = append(opts, client.WithObserver(s.Observer))
	}
	names, err := loadNames(api, s.ProductNames)
	if err != nil {
		return nil, err
	}
	if s.Simulate != nil {
		sim := *s.Simulate
		sim.names = names
		return sess, sess.simulate(api, &sim, opts)
	}
	creds := s.Credentials
	if s.HTTPClient != nil {
		creds.HTTPClient = s.HTTPClient
		opts = append(opts, client.WithHTTPClient(s.HTTPClient))
	}
	if api == APIGraph && creds.Scope == "" {
		creds.Scope = graph.Scope
	}
	ts, from, err := signin.Credentials(ctx, creds)
	if err != nil {
		return nil, err
	}
	if _, err := ts.Token(ctx, ""); err != nil {
		return nil, err
	}
	sess.CredentialsFrom = from
	opts = append(opts, client.WithTokens(ts))
	if s.BaseURL != "" {
		opts = append(opts, client.WithBaseURL(s.BaseURL))
	}
	b, err := newBackend(api, opts, names)
	if err != nil {
		return nil, &SettingError{Setting: "base URL", Err: err}
	}
	sess.Backend = b
	sess.Endpoint = b.(interface{ BaseURL() string }).BaseURL()
	return sess, nil
}

// newBackend is the one place backends are chosen; names is Graph's product names
// table (nil: the pinned one).
func newBackend(api string, opts []client.Option, names graph.Names) (client.Backend, error) {
	if api == APIGraph {
		return newGraph(opts, names)
	}
	return partnercenter.NewBackend(opts...)
}

// newGraph is a Graph backend naming SKUs from names (nil: the pinned table).
func newGraph(opts []client.Option, names graph.Names) (*graph.Backend, error) {
	b, err := graph.NewBackend(opts...)
	if err != nil || names == nil {
		return b, err
	}
	return b, b.UseNames(names)
}

// loadNames loads the product names file of Settings.ProductNames (Graph only).
func loadNames(api, path string) (graph.Names, error) {
	if path == "" {
		return nil, nil
	}
	if api != APIGraph {
		return nil, &SettingError{Setting: "product names", Err: errors.New("only Microsoft Graph needs a product names table: Partner Center names its SKUs")}
	}
	t, err := productnames.LoadFile(path)
	if err != nil {
		return nil, &SettingError{Setting: "product names", Err: err}
	}
	return graph.ProductNames(t), nil
}

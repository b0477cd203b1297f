package partnercenter

import (
	"context"
	"fmt"
	"regexp"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// DefaultBaseURL is the Partner Center REST endpoint.
//
// See https://learn.microsoft.com/partner-center/developer/partner-center-rest-urls
const DefaultBaseURL = "https://api.partnercenter.microsoft.com/"

// partnerCenterClient is the MS-PartnerCenter-Client header.
const partnerCenterClient = "bulkassign " + client.Version

// Client calls the Partner Center REST API through the shared HTTP machinery of
// pkg/client. It is safe for concurrent use; all calls of one Client share one
// correlation ID and one limiter.
type Client struct {
	core *client.Client
}

// New returns a Client. opts are pkg/client's options, applied after Partner Center's
// defaults: DefaultBaseURL, the MS-RequestId and MS-CorrelationId headers, X-Locale
// en-US (WithLocale) and MS-PartnerCenter-Client naming bulkassign. A token source
// (client.WithTokenSource or client.WithTokens) is required.
func New(opts ...client.Option) (*Client, error) {
	all := append([]client.Option{
		client.WithBaseURL(DefaultBaseURL),
		client.WithRequestIDHeader("MS-RequestId"),
		client.WithCorrelationIDHeader("MS-CorrelationId"),
		client.WithHeader("X-Locale", "en-US"),
		client.WithHeader("MS-PartnerCenter-Client", partnerCenterClient),
	}, opts...)
	core, err := client.New(all...)
	if err != nil {
		return nil, fmt.Errorf("new Partner Center client: %w", err)
	}
	return &Client{core: core}, nil
}

var localeRe = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// WithLocale sets the X-Locale header, en-US by default. It must look like a language
// tag such as en-US or fr-FR.
func WithLocale(locale string) client.Option {
	if !localeRe.MatchString(locale) {
		return func(*client.Client) error {
			return fmt.Errorf("locale %q: must be a language tag such as en-US", locale)
		}
	}
	return client.WithHeader("X-Locale", locale)
}

// CorrelationID returns the MS-CorrelationId the client sends on every request; print
// it so that support can find the run.
func (c *Client) CorrelationID() string { return c.core.CorrelationID() }

// BaseURL returns the endpoint the client calls, scrubbed for display.
func (c *Client) BaseURL() string { return c.core.BaseURL() }

// Core returns the shared HTTP client under this one (its limiter paces every call).
func (c *Client) Core() *client.Client { return c.core }

// do runs one call through the shared machinery and classifies Partner Center's
// refusals (see reasonOf).
func (c *Client) do(ctx context.Context, req client.Request, call *client.Call) (*client.Answer, error) {
	ans, err := c.core.Do(ctx, req, call)
	classify(err)
	return ans, err
}

// idsText is "request ID x, correlation ID y", for errors that are not the core's.
func idsText(requestID, correlationID string) string {
	return "request ID " + requestID + ", correlation ID " + correlationID
}

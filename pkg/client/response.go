package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"time"
)

// errorBody is every error body shape the APIs send, decoded leniently:
//
//	{"code": 60012, "description": "...", "data": ["..."], "source": "PartnerFD"}
//	{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}
//	{"error": {"code": "...", "message": "..."}}  (Graph, gateways)
//
// Field names match in any case.
//
// See https://learn.microsoft.com/partner-center/developer/error-codes
type errorBody struct {
	Code        FlexString  `json:"code"`
	Description string      `json:"description"`
	Message     string      `json:"message"`
	Data        FlexStrings `json:"data"`
	Source      string      `json:"source"`
	Error       *struct {
		Code    FlexString `json:"code"`
		Message string     `json:"message"`
	} `json:"error"`
}

// checkResponse turns a final non-2xx answer into an *APIError, or a *ThrottleError for
// a 429. A body that is empty or not JSON still gives an *APIError with the status.
// Known secrets are scrubbed from the server's texts.
func (c *Client) checkResponse(op string, resp *Response, ans *Answer, retryAfter time.Duration, secrets ...string) error {
	e := APIError{
		Op:            op,
		StatusCode:    ans.Status,
		RequestID:     resp.RequestID,
		CorrelationID: resp.CorrelationID,
		Attempts:      resp.Attempts,
	}
	var b errorBody
	if body := bytes.TrimSpace(ans.Body); len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &b) == nil {
		e.Code = string(b.Code)
		e.Description = b.Description
		if e.Description == "" {
			e.Description = b.Message
		}
		if b.Error != nil {
			if e.Code == "" {
				e.Code = string(b.Error.Code)
			}
			if e.Description == "" {
				e.Description = b.Error.Message
			}
		}
		e.Code = replaceKnown(e.Code, secrets)
		e.Description = replaceKnown(html.UnescapeString(e.Description), secrets)
		for _, d := range b.Data {
			e.Data = append(e.Data, replaceKnown(html.UnescapeString(d), secrets))
		}
		e.Source = replaceKnown(b.Source, secrets)
	}
	switch {
	case ans.Status >= 300 && ans.Status <= 399:
		e.Reason = ReasonRedirected
		where := "elsewhere"
		if loc, err := url.Parse(ans.Header.Get("Location")); err == nil && loc.String() != "" {
			where = scrubURL(loc)
		}
		e.Description = "the API redirected the call to " + where + "; redirects are not followed (they would carry the credentials elsewhere)"
	case ans.Status == http.StatusUnauthorized:
		e.Reason = ReasonUnauthorized
	case ans.Status == http.StatusTooManyRequests:
		e.Reason = ReasonThrottled
	case ans.Status >= 500:
		e.Reason = ReasonService
	}
	if ans.Status == http.StatusTooManyRequests {
		return &ThrottleError{APIError: e, RetryAfter: retryAfter}
	}
	return &e
}

// FlexString decodes a JSON string or number (or any other value, as its JSON text)
// into a string, so that an error code decodes whether the server sends 60012 or
// "60012". null decodes to "".
type FlexString string

// UnmarshalJSON never fails on a well-formed value.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	default:
		*s = FlexString(b)
	}
	return nil
}

// FlexStrings decodes an array of strings, tolerating a single string and elements
// that are not strings (kept as their JSON text).
type FlexStrings []string

// UnmarshalJSON never fails on a well-formed value.
func (ss *FlexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		var s FlexString
		if err := s.UnmarshalJSON(b); err != nil {
			return err
		}
		if s == "" {
			*ss = nil
		} else {
			*ss = FlexStrings{string(s)}
		}
		return nil
	}
	var raw []FlexString
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(FlexStrings, 0, len(raw))
	for _, r := range raw {
		out = append(out, string(r))
	}
	*ss = out
	return nil
}

// DecodeJSON decodes an answer's body into v, naming the call and its request ID in
// the error.
func DecodeJSON(op string, resp *Response, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: decode %s answer (request ID %s): %w", op, statusText(resp.StatusCode), resp.RequestID, err)
	}
	return nil
}

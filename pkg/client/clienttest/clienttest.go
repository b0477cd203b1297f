// Package clienttest holds what the tests of the client, the backends, the sign-in and
// the command share: an in-process transport that serves requests with an
// http.Handler, without a network, so that goroutines in a testing/synctest bubble stay
// durably blocked and the bubble's clock runs; and a transport made of a function.
package clienttest

import (
	"net/http"
	"net/http/httptest"
)

// Handler returns a transport that serves every request with h, in process. Like a
// real transport it reads the request as a server would (RequestURI, RemoteAddr),
// closes its body, and fails when the request's context has ended.
func Handler(h http.Handler) http.RoundTripper { return handlerTransport{h} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "192.0.2.1:1234"
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if req.Body != nil {
		req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = req
	return res, nil
}

// RoundTripFunc is a transport made of a function.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

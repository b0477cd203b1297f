// Package clienttest holds what the tests of the client, the backends, the sign-in and
// the command share: an in-process transport that serves requests with an
// http.Handler, without a network, so that goroutines in a testing/synctest bubble stay
// durably blocked and the bubble's clock runs; a transport that answers every request
// the same, from memory, for benchmarks that measure the client alone; and a transport
// made of a function.
package clienttest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// Canned returns a transport that answers every request with status, header and body,
// from memory: no handler, no recorder, no network. It reads and closes the request's
// body as a server would.
func Canned(status int, header http.Header, body []byte) http.RoundTripper {
	line := statusLine(status)
	return RoundTripFunc(func(req *http.Request) (*http.Response, error) {
		return answer(req, status, line, header, body), nil
	})
}

// Answer is the answer to req with status, a copy of header and body, as a transport
// returns it; req's body is read and closed.
func Answer(req *http.Request, status int, header http.Header, body []byte) *http.Response {
	return answer(req, status, statusLine(status), header, body)
}

func statusLine(status int) string { return strconv.Itoa(status) + " " + http.StatusText(status) }

func answer(req *http.Request, status int, line string, header http.Header, body []byte) *http.Response {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		Status:        line,
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// JSON is the header of a JSON answer.
func JSON() http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}}
}

package graphfake

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrConnectionDropped is what Transport returns, wrapped, when the fake drops a
// connection (WithDropRate): the update was applied but no answer came. It wraps
// io.ErrUnexpectedEOF, as a connection closed mid-exchange does.
var ErrConnectionDropped = fmt.Errorf("graphfake: connection closed without an answer: %w", io.ErrUnexpectedEOF)

// Transport returns an http.RoundTripper that serves requests in process, without a
// listener: it calls ServeHTTP in the caller's goroutine and returns what it wrote.
// It suits tests, including testing/synctest bubbles, where latency and Retry-After
// then pass in fake time. A dropped connection becomes an error wrapping
// io.ErrUnexpectedEOF (see ErrConnectionDropped); a request whose context ends before
// an answer returns the context's error.
func (s *Server) Transport() http.RoundTripper {
	return transport{s}
}

type transport struct{ s *Server }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("graphfake: read request body: %w", err)
		}
		body = b
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := req.Clone(ctx)
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "192.0.2.1:1234"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if req.URL.Scheme == "https" {
		in.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: req.URL.Hostname()}
	}

	rec := &recorder{header: make(http.Header)}
	if dropped := serveCatchingAbort(t.s, rec, in); dropped {
		return nil, ErrConnectionDropped
	}
	if !rec.wrote {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec.WriteHeader(http.StatusOK)
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.sent,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// serveCatchingAbort calls h and reports whether it aborted with http.ErrAbortHandler,
// the way a net/http server drops a connection. Other panics propagate.
func serveCatchingAbort(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				aborted = true
				return
			}
			panic(v)
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// recorder is a minimal http.ResponseWriter that keeps the answer.
type recorder struct {
	header http.Header // what the handler sets
	sent   http.Header // the header as of WriteHeader
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.wrote {
		return
	}
	r.wrote = true
	r.status = status
	r.sent = r.header.Clone()
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	return r.body.Write(p)
}

package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ShouldRetry reports whether an attempt that ended with statusCode (0 when no answer
// arrived) or with the transport error err is worth another attempt: a 429, a 5xx other
// than 501 Not Implemented, or a transport error (a refused or dropped connection, a
// timeout) other than a certificate the client does not trust or an oversized answer.
// Every other status is final: 2xx succeeded and 4xx (400, 401, 403, 404, 409...) will
// not change by sending the same request again. The caller checks its context first.
//
// See https://learn.microsoft.com/partner-center/developer/api-throttling-guidance
func ShouldRetry(statusCode int, err error) bool {
	if err != nil {
		var (
			unknownAuthority *x509.UnknownAuthorityError
			hostname         x509.HostnameError
			invalid          x509.CertificateInvalidError
			verification     *tls.CertificateVerificationError
		)
		switch {
		case errors.As(err, &unknownAuthority), errors.As(err, &hostname),
			errors.As(err, &invalid), errors.As(err, &verification),
			errors.Is(err, errBodyTooLarge):
			return false
		}
		return true
	}
	switch {
	case statusCode == http.StatusTooManyRequests:
		return true
	case statusCode == http.StatusNotImplemented:
		return false
	case statusCode >= 500 && statusCode <= 599:
		return true
	}
	return false
}

// Backoff is the wait after failed attempt number attempt (1 for the first): a random
// duration in [0, min(p.MaxWait, p.MinWait*2^(attempt-1))], the "full jitter" of
// exponential back-off, so that many callers that failed together do not retry together.
// randN returns a number in [0, n), like rand.Int64N.
func Backoff(p RetryPolicy, attempt int, randN func(n int64) int64) time.Duration {
	c := backoffCap(p, attempt)
	if c <= 0 {
		return 0
	}
	if c == math.MaxInt64 {
		return time.Duration(randN(int64(c)))
	}
	return time.Duration(randN(int64(c) + 1))
}

// backoffCap is the upper bound of backoff: MinWait doubled per attempt, at most MaxWait.
func backoffCap(p RetryPolicy, attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	c := p.MinWait
	for i := 1; i < attempt && c < p.MaxWait; i++ {
		if c > math.MaxInt64/2 {
			c = math.MaxInt64
			break
		}
		c *= 2
	}
	return min(c, p.MaxWait)
}

// ParseRetryAfter reads a Retry-After header value, either a number of seconds ("57")
// or an HTTP date, relative to now. ok is false when the value is absent or malformed.
// A date in the past is a wait of 0; a huge number of seconds saturates.
//
// See https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if value[0] >= '0' && value[0] <= '9' {
		secs, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return math.MaxInt64, true
			}
			return 0, false
		}
		if secs > uint64(math.MaxInt64/int64(time.Second)) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// RetryAfterWait is how long a 429 holds the client back: the server's Retry-After,
// p.DefaultRetryAfter when it is absent or malformed, at most p.MaxRetryAfter.
func RetryAfterWait(p RetryPolicy, value string, now time.Time) time.Duration {
	d, ok := ParseRetryAfter(value, now)
	if !ok {
		d = p.DefaultRetryAfter
	}
	return min(d, p.MaxRetryAfter)
}

package client

import (
	"bufio"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// A Content-Length that lies (a short body under a long length, a 304 that names one)
// costs readBody no more than maxPrealloc before the body shows what it is.
func TestReadBodyBoundsWhatALengthCosts(t *testing.T) {
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 33554000\r\n\r\nabc",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 33554000\r\n\r\n",
	} {
		hr, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = readBody(hr)
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 2*maxPrealloc {
			t.Errorf("%q: allocated %d bytes (ContentLength %d, err %v), want at most about %d", raw[:24], d, hr.ContentLength, err, maxPrealloc)
		}
	}
	// A body as long as it says is read whole.
	body := strings.Repeat("x", 3*maxPrealloc)
	hr, err := http.ReadResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readBody(hr); err != nil || string(got) != body {
		t.Errorf("a %d-byte body: read %d bytes, %v", len(body), len(got), err)
	}
}

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// jsonLines returns the log lines of stderr that are JSON objects, failing the test on
// a line that starts like one and does not parse.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, l)
		}
		out = append(out, m)
	}
	return out
}

func TestLogFormats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		args := []string{"plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--log-level", "debug"}
		// Not a terminal: JSON by default, and with --log-format json.
		for _, format := range []string{"", "json"} {
			a := args
			if format != "" {
				a = append(a, "--log-format", format)
			}
			if code := e.run(t.Context(), nil, a...); code != ExitOK {
				t.Fatalf("exit %d\n%s", code, e.all())
			}
			lines := jsonLines(t, e.stderr.String())
			if len(lines) == 0 || lines[0]["message"] != "planning" || lines[0]["level"] != "info" || lines[0]["customer"] != testCustomer {
				t.Fatalf("--log-format %q: %v", format, lines)
			}
		}
		if code := e.run(t.Context(), nil, append(args, "--log-format", "console")...); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		if lines := jsonLines(t, e.stderr.String()); len(lines) != 0 {
			t.Fatalf("--log-format console wrote JSON: %v", lines)
		}
		contains(t, "console log", e.stderr.String(), "INF", "planning", "customer="+testCustomer)
		if strings.Contains(e.stderr.String(), "\x1b[") {
			t.Fatalf("colour escapes in a log that is not a terminal: %q", e.stderr.String())
		}
		if code := e.run(t.Context(), nil, append(args, "--log-level", "warn")...); code != ExitOK || len(jsonLines(t, e.stderr.String())) != 0 {
			t.Fatalf("--log-level warn logged info lines:\n%s", e.stderr.String())
		}
	})
}

// TestLogDurationsCarryUnits: a duration in a log line reads as one ("30s"), not as a
// bare number of milli- or nanoseconds.
func TestLogDurationsCarryUnits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(300*time.Millisecond, 0))
		ctx, cancel := context.WithCancel(t.Context())
		signalAfterFirstPost(e, time.Second, cancel, 0, nil)
		e.run(ctx, nil, "run", "--customer", testCustomer, "--input", e.file("in.csv", usersCSV(30, "ENTERPRISEPACK")),
			"--output", e.path("result.csv"), "--log-level", "debug")
		checked := 0
		for _, m := range jsonLines(t, e.stderr.String()) {
			for k, v := range m {
				if !strings.Contains(k, "timeout") && !strings.Contains(k, "time_left") && !strings.Contains(k, "elapsed") &&
					!strings.Contains(k, "wait") && !strings.Contains(k, "retry_after") {
					continue
				}
				checked++
				s, ok := v.(string)
				if _, err := time.ParseDuration(s); !ok || err != nil {
					t.Errorf("%s: %v is not a duration with its unit (%s)", k, v, m["message"])
				}
			}
		}
		if checked == 0 {
			t.Fatal("no duration was logged: the test covers nothing")
		}
	})
}

//go:build reliability

package reliability

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestRedirects: the API answers the job's licenseupdates POSTs with a redirect
// elsewhere, its GETs passing through to the fake:
//
//   - 307 to another port of the same host;
//   - 302 to another host (127.0.0.2), which a client that follows turns into a GET
//     whose 200 a careless client takes for success;
//   - from an https base URL, 307 to plain http on the same host and port (the port
//     serves both; the tool trusts the test certificate through SSL_CERT_FILE).
//
// Where the redirect points, a listener records anything it gets and answers as a
// successful API would. It must get nothing (so never an Authorization header); the
// lines whose update was redirected must end failed, not succeeded, with the
// redirect's status, and the lines held before unchanged; the run exits 1. A resume
// with the API passing everything through must then send every update again (the fake
// applies each change of the plan once) and end with the ledger exact.
func TestRedirects(t *testing.T) {
	s := newSetup(t)
	variants := []struct {
		name   string
		status int
		tls    bool
		host   string // host of the listener elsewhere
	}{
		{"307 to another port", http.StatusTemporaryRedirect, false, "127.0.0.1"},
		{"302 to another host", http.StatusFound, false, "127.0.0.2"},
		{"https to http 307", http.StatusTemporaryRedirect, true, ""},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			dir := filepath.Join(s.dir, strings.ReplaceAll(v.name, " ", "-"))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			f := s.startFake(t, dir, latencyFlags()...)
			fr := newFront(t, f.fakeServer, v.status)
			elsewhere := &recorder{}
			env := cleanEnv("PARTNER_CENTER_ACCESS_TOKEN=" + accessToken)
			var base, to string
			if v.tls {
				var cert string
				base, cert = serveTLSAndPlain(t, dir, fr, elsewhere)
				to = "http" + strings.TrimPrefix(base, "https")
				env = append(env, "SSL_CERT_FILE="+cert)
			} else {
				base = serve(t, "127.0.0.1:0", fr)
				to = serve(t, v.host+":0", elsewhere)
			}
			env = append(env, "PARTNER_CENTER_BASE_URL="+base)
			fr.redirect.Store(&to)
			s.checkRedirected(t, f, fr, elsewhere, dir, env, v.name, v.status)
		})
	}
}

// checkRedirected runs the job through a front that redirects its POSTs, checks what
// became of them, then resumes with the front passing everything through.
func (s *setup) checkRedirected(t *testing.T, f *jobFake, fr *front, elsewhere *recorder, dir string, env []string, name string, status int) {
	t.Helper()
	output := filepath.Join(dir, "result.csv")
	logPath := filepath.Join(dir, "run.log")
	start := time.Now()
	r := startToolEnv(t, env, logPath, s.bin, s.runArgs(output, false)...)
	code := r.wait(t, 10*time.Minute)
	elapsed := time.Since(start)
	if code != 1 {
		t.Errorf("the run exited with %d, want 1 (rows failed); log:\n%s", code, tail(logPath, 20))
	}
	got := elsewhere.requests()
	auth := 0
	for _, q := range got {
		if q.Authorization {
			auth++
		}
	}
	if len(got) != 0 {
		t.Errorf("the listener elsewhere got %d requests (%d with an Authorization header), first %+v", len(got), auth, got[0])
	}
	if fr.answered.Load() == 0 {
		t.Fatalf("the front redirected nothing: the test proved nothing; log:\n%s", tail(logPath, 20))
	}
	finals := report.Final(readOutput(t, output))
	counts := map[report.Status]int{}
	var p problems
	for _, res := range finals {
		counts[res.Status]++
		i := res.Line - 2
		switch {
		case i < 0 || i >= len(s.job.Rows):
			p.addf("result for line %d, which is no input row", res.Line)
		case s.job.Unchanged[i] && res.Status != report.StatusUnchanged:
			p.addf("line %d held before the run, yet it is %s", res.Line, res.Status)
		case !s.job.Unchanged[i] && (res.Status != report.StatusFailed || res.HTTPStatus != status):
			p.addf("line %d, redirected: %s %d %s; want failed %d", res.Line, res.Status, res.HTTPStatus, res.ErrorMessage, status)
		}
	}
	if len(finals) != len(s.job.Rows) {
		p.addf("%d lines have a result, the input has %d", len(finals), len(s.job.Rows))
	}
	if err := p.err("lines of the redirected run"); err != nil {
		t.Error(err)
	}
	if st := f.stats(); st.Applied != 0 {
		t.Errorf("the fake applied %d updates although every POST was redirected", st.Applied)
	}
	sample := ""
	for _, res := range finals {
		if res.Status == report.StatusFailed {
			sample = res.ErrorMessage
			break
		}
	}

	// The API passes everything through again: the resume sends every update.
	fr.redirect.Store(nil)
	resumeLog := filepath.Join(dir, "resume.log")
	r2 := startToolEnv(t, env, resumeLog, s.bin, s.runArgs(output, true)...)
	if code := r2.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("the resume exited with %d; log:\n%s", code, tail(resumeLog, 20))
	}
	o := s.checkFinalState(t, f, output)
	st := f.stats()
	if want := s.job.changes(licenseGroups(s.skus)); st.Applied != want {
		t.Errorf("the resume applied %d updates; the plan has %d changes, none applied before", st.Applied, want)
	}
	if len(elsewhere.requests()) != 0 {
		t.Errorf("the listener elsewhere got requests during the resume")
	}
	checkNoSecret(t, secrets, logPath, resumeLog, output, report.RollbackPath(output))
	t.Logf("FIGURES redirects (%s): rows=%d exit=%d redirects_answered=%d requests_elsewhere=%d authorization_headers_elsewhere=%d "+
		"lines_failed=%d lines_succeeded=%d lines_unchanged=%d message=%q first_run=%s resume_exit=0 resume_applied=%d lines_after_resume: succeeded=%d unchanged=%d lost=%d duplicated=%d",
		name, len(s.job.Rows), code, fr.answered.Load(), len(got), auth, counts[report.StatusFailed], counts[report.StatusSucceeded],
		counts[report.StatusUnchanged], sample, elapsed.Round(time.Millisecond), st.Applied, o.Succeeded, o.Unchanged, o.Lost, o.Duplicated)
}

// TestTokenRedirect: the token endpoint answers 307 to a listener elsewhere that would
// hand out a new refresh token. The sign-in must fail with exit 2 after one request,
// nothing re-posted elsewhere (no client secret, no refresh token), the refresh token
// file left as it was, and nothing sent to the API.
func TestTokenRedirect(t *testing.T) {
	s := newSetup(t)
	elsewhere := &recorder{}
	ts := newTokenServer(time.Hour, "redirect")
	ts.to = serve(t, "127.0.0.1:0", elsewhere) + "token"
	tokenBase := serve(t, "127.0.0.1:0", ts)
	api := &counter{}
	apiBase := serve(t, "127.0.0.1:0", api)
	rtFile := writeRefreshToken(t, s.dir)
	output := filepath.Join(s.dir, "result.csv")
	logPath := filepath.Join(s.dir, "run.log")
	r := startToolEnv(t, signInEnv(apiBase), logPath, s.bin,
		s.runArgs(output, false, "--refresh-token-file", rtFile, "--token-url", tokenBase+tokenPath)...)
	code := r.wait(t, 2*time.Minute)
	msg := strings.TrimSpace(tail(logPath, 3))
	if code != 2 {
		t.Errorf("the run exited with %d, want 2 (a refused sign-in); log:\n%s", code, msg)
	}
	got := elsewhere.requests()
	if len(got) != 0 {
		t.Errorf("the listener elsewhere got %d requests: %+v", len(got), got)
	}
	b, err := os.ReadFile(rtFile)
	if err != nil || strings.TrimSpace(string(b)) != refreshToken {
		t.Errorf("the refresh token file changed: %v", err)
	}
	if n := api.n.Load(); n != 0 {
		t.Errorf("the API got %d requests", n)
	}
	if _, err := os.Stat(output); err == nil {
		t.Errorf("the output %s was created", output)
	}
	if !strings.Contains(msg, "redirect") {
		t.Errorf("the message does not say the token endpoint redirected: %s", msg)
	}
	checkNoSecret(t, secrets, logPath)
	t.Logf("FIGURES token-redirect: exit=%d token_requests=%d requests_elsewhere=%d refresh_token_file_unchanged=%v api_requests=%d message=%q",
		code, ts.count(), len(got), err == nil && strings.TrimSpace(string(b)) == refreshToken, api.n.Load(), msg)
	if ts.count() != 1 {
		t.Errorf("%d token requests; a redirect is a refused sign-in, not retried", ts.count())
	}
}

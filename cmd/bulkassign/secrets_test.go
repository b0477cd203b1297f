package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// TestNoSecretInAnyOutput runs plan and a whole run at debug level, with token
// refreshes, rotations, a refused token, failing rows and a refused sign-in, and looks
// for every secret in stdout, stderr and every file written (the refresh token file
// aside, whose job is to hold one).
func TestNoSecretInAnyOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := newIdentity(6 * time.Minute)
		e, tokenFile := newSignInEnv(t, id, pcfake.WithFailureRate(0.1), pcfake.WithSeed(3))
		var seen strings.Builder
		in := e.file("in.csv", usersCSV(150, "ENTERPRISEPACK")+"user99999@contoso.com,Minecraft Education Edition Faculty\n")
		e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", in, "--log-level", "debug",
			"--refresh-token-file", tokenFile, "--out", e.path("plan.csv"), "--summary-json", e.path("plan-summary.json"))
		seen.WriteString(e.all())
		// Invalidate the current token once mid-run: a 401 and a refresh.
		time.AfterFunc(30*time.Second, func() {
			id.set(func(id *identity) {
				for k := range id.issued {
					id.issued[k] = time.Now()
				}
			})
		})
		e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", e.path("result.csv"),
			"--log-level", "debug", "--log-format", "console", "--rate", "1", "--refresh-token-file", tokenFile,
			"--summary-json", e.path("summary.json"))
		seen.WriteString(e.all())
		// A refused sign-in, at debug level too, with the secrets in the environment,
		// whose answer quotes the refresh token in capitals and a part of the client
		// secret: the message reaches stderr and the summary's stop reason scrubbed.
		id.set(func(id *identity) { id.fail, id.echo = "AADSTS7000222", true })
		e.vars[EnvRefreshToken] = firstRefresh
		e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", e.path("result2.csv"),
			"--log-level", "debug", "--summary-json", e.path("summary2.json"))
		seen.WriteString(e.all())
		contains(t, "refused sign-in's stderr", e.stderr.String(), "AADSTS7000222", "You sent ")
		if reason, _ := e.summary(e.path("summary2.json"))["stop_reason"].(string); !strings.Contains(reason, "You sent ") {
			t.Fatalf("the summary's stop reason %q does not carry the refusal's words: the test proves nothing", reason)
		}
		if e.fake.Stats().Unauthorized == 0 {
			t.Fatal("the run never had a token refused: the test does not cover that path")
		}
		if !strings.Contains(seen.String(), `"level":"debug"`) && !strings.Contains(seen.String(), "DBG") {
			t.Fatal("no debug line was logged")
		}
		files := 0
		err := filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || p == tokenFile {
				return err
			}
			b, err := os.ReadFile(p)
			seen.WriteString("\n--- " + p + "\n" + string(b))
			files++
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < 7 { // the input, plan.csv, two summaries of runs and the plan's, result.csv, its rollback and manifest
			t.Fatalf("only %d files written: the test covers too little", files)
		}
		all := seen.String()
		secrets := append(id.allSecrets(), echoed)
		if len(secrets) < 6 {
			t.Fatalf("only %d secrets issued: the test covers too little", len(secrets))
		}
		for _, s := range secrets {
			if i := strings.Index(strings.ToLower(all), strings.ToLower(s)); i >= 0 {
				t.Fatalf("secret %q... appears in the output: %q", s[:8], all[max(0, i-200):i])
			}
		}
	})
}

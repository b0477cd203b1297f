package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// TestBadInputsAreRefused runs every malformed or hostile input of the corpus in
// testdata/badinput (and a few made at test time: a directory, a path that cannot be
// opened, a 100 MB single line, a line of 2 MB of commas) through `bulkassign run`:
// each must end in exit 2 with a message naming the problem and its line, no request
// sent, and no output file. The corpus also holds two ';'-separated files, which are
// valid: they run.
func TestBadInputsAreRefused(t *testing.T) {
	type tc struct {
		file      string   // in testdata/badinput, or made by setup
		says      []string // in stderr
		catalogue string   // --catalogue for --simulate runs
		valid     bool     // not refused: the run succeeds
	}
	cases := []tc{
		{file: "empty.csv", says: []string{"empty file"}},
		{file: "bom-only.csv", says: []string{"empty file"}},
		{file: "no-header.csv", says: []string{"line 1", `missing required column "user"`}},
		{file: "missing-user-column.csv", says: []string{"line 1", `missing required column "user"`}},
		{file: "missing-sku-column.csv", says: []string{"line 1", `missing required column "sku"`}},
		{file: "duplicate-column.csv", says: []string{"line 1", `duplicate column "sku"`}},
		{file: "unknown-sku.csv", says: []string{"line 3", "Ofice 365 Enterprise E3", "did you mean", "Office 365 Enterprise E3"}},
		{file: "sku-id-not-subscribed.csv", says: []string{"line 2", "unknown SKU"}},
		{file: "ambiguous-sku.csv", says: []string{"line 2", "ambiguous", "CONTOSO_SUITE_A", "CONTOSO_SUITE_B"},
			catalogue: "testdata/ambiguous-catalogue.json"},
		{file: "malformed-customer-guid.csv", says: []string{"line 2", "not a customer ID"}},
		{file: "malformed-user-guid.csv", says: []string{"line 2", "neither a user object ID"}},
		{file: "overlong-field.csv", says: []string{"line 2", "longer than 1024 bytes"}},
		{file: "nul-byte.csv", says: []string{"line 2", "NUL byte"}},
		{file: "invalid-utf8.csv", says: []string{"line 3", "not valid UTF-8"}},
		{file: "windows-1252.csv", says: []string{"line 2", "not valid UTF-8", "Windows-1252", `save it as "CSV UTF-8 (comma delimited)"`}},
		{file: "binary-png.csv", says: []string{"line 1", "missing required column"}},
		{file: "formula-injection.csv", says: []string{"line 2", "formula"}},
		{file: "formula-injection-at.csv", says: []string{"line 2", "formula"}},
		{file: "formula-injection-plus-minus.csv", says: []string{"line 2", "line 3", "formula"}},
		{file: "ten-columns-too-many.csv", says: []string{"line 2", "number of fields"}},
		{file: "fields-300.csv", says: []string{"line 1", "300 columns", "at most 256"}},
		{file: "bare-quote.csv", says: []string{"line 2", "malformed CSV"}},
		{file: "unterminated-quote.csv", says: []string{"line 2", "malformed CSV"}},
		{file: "contradiction.csv", says: []string{"line 3", "line 2", "both get and lose"}},
		{file: "unknown-service-plan.csv", says: []string{"line 2", "NO_SUCH_PLAN", "unknown service plan"}},
		{file: "no-sku-no-remove.csv", says: []string{"line 2", "remove_sku"}},
		{file: "user-with-space.csv", says: []string{"line 2", "space"}},
		{file: "user-two-ats.csv", says: []string{"line 2", "more than one @"}},
		{file: "empty-user.csv", says: []string{"line 2", "user"}},
		{file: "duplicate-conflicting-plans.csv", says: []string{"line 3", "line 2", "excluded_plans"}},
		{file: "semicolon-separated.csv", valid: true},
		{file: "semicolon-quoted-plans.csv", valid: true},
		{file: "<directory>", says: []string{"is a directory"}},
		{file: "<unopenable>", says: []string{"open input"}},
		{file: "<missing>", says: []string{"no such file"}},
		{file: "<100MB single line>", says: []string{"line 2", "longer than 1048576 bytes"}},
		{file: "<2MB of commas>", says: []string{"line 3", "longer than 1048576 bytes"}},
	}
	entries, err := os.ReadDir("testdata/badinput")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.file] = true
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("testdata/badinput/%s has no case", e.Name())
		}
	}
	if n := len(entries); n < 32 {
		t.Fatalf("only %d inputs in testdata/badinput", n)
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				input := filepath.Join("testdata/badinput", c.file)
				switch c.file {
				case "<directory>":
					input = e.dir
				case "<unopenable>":
					// A symlink to itself cannot be opened, even by root.
					input = e.path("loop.csv")
					if err := os.Symlink(input, input); err != nil {
						t.Fatal(err)
					}
				case "<missing>":
					input = e.path("no-such-file.csv")
				case "<100MB single line>":
					input = e.file("huge.csv", "user,sku\n"+strings.Repeat("x", 100<<20)+"@contoso.com,ENTERPRISEPACK\n")
				case "<2MB of commas>":
					input = e.file("commas.csv", "user,sku\nalice@contoso.com,ENTERPRISEPACK\n"+strings.Repeat(",", 2<<20)+"\n")
				}
				out := e.path("result.csv")
				args := []string{"run", "--customer", testCustomer, "--input", input, "--output", out}
				if c.catalogue != "" {
					// A catalogue of its own needs the simulated Partner Center.
					args = append(args, "--simulate", "--catalogue", c.catalogue)
				}
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				code := e.run(t.Context(), nil, args...)
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				stderr := e.stderr.String()
				if c.valid {
					checkValidSemicolonInput(t, e, code, out)
					return
				}
				if code != ExitUsage {
					t.Fatalf("exit %d, want 2\n%s", code, stderr)
				}
				contains(t, "message", stderr, c.says...)
				if st := e.fake.Stats(); st.Posts != 0 || st.Requests > 1 {
					t.Errorf("%d requests sent, %d POSTs: a bad input is refused before anything but the catalogue is read", st.Requests, st.Posts)
				}
				for _, p := range []string{out, report.LockPath(out), report.ManifestPath(out)} {
					if _, err := os.Stat(p); err == nil {
						t.Errorf("%s was left behind", p)
					}
				}
				if c.file == "<2MB of commas>" {
					// The line is refused by its length: what refusing it costs does not
					// grow with the line (four times as long costs about as much), and
					// stays bounded.
					grew := after.TotalAlloc - before.TotalAlloc
					longer := e.file("commas8.csv", "user,sku\n"+strings.Repeat(",", 8<<20)+"\n")
					runtime.ReadMemStats(&before)
					if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", longer, "--output", out); code != ExitUsage {
						t.Fatalf("8 MB of commas: exit %d", code)
					}
					runtime.ReadMemStats(&after)
					grew8 := after.TotalAlloc - before.TotalAlloc
					if grew > 256<<20 || grew8 > grew+32<<20 {
						t.Errorf("refusing a 2 MB line allocated %d MB, an 8 MB line %d MB", grew>>20, grew8>>20)
					}
				}
			})
		})
	}
}

// checkValidSemicolonInput: a ';'-separated file runs; a ';' inside a quoted cell
// separates excluded plans.
func checkValidSemicolonInput(t *testing.T, e *env, code int, out string) {
	t.Helper()
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (a valid ';'-separated file)\n%s", code, e.all())
	}
	rs := e.results(out)
	if len(rs) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rs {
		if r.Status != report.StatusSucceeded || r.SkuID != skuE3 {
			t.Fatalf("row %+v", r)
		}
	}
	h := e.ledger()
	if _, ok := h[userID("alice@contoso.com")][skuE3]; !ok {
		t.Fatalf("alice holds %v", h[userID("alice@contoso.com")])
	}
	if ex := h[userID("alice@contoso.com")][skuE3]; len(rs) == 2 && len(ex) != 2 {
		t.Fatalf("alice's excluded plans %v, want YAMMER_ENTERPRISE and SWAY", ex)
	}
}

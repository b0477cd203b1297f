package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
)

// TestBadInputsAreRefused runs every malformed or hostile input of the corpus in
// testdata/badinput (and a few made at test time: a directory, a path that cannot be
// opened, a 100 MB single line) through `bulkassign run`: each must end in exit 2 with
// a message naming the problem and its line, no request sent, and no output file.
func TestBadInputsAreRefused(t *testing.T) {
	type tc struct {
		file      string   // in testdata/badinput, or made by setup
		says      []string // in stderr
		catalogue string   // --catalogue for --simulate runs
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
		{file: "windows-1252.csv", says: []string{"line 2", "not valid UTF-8"}},
		{file: "binary-png.csv", says: []string{"line 1", "missing required column"}},
		{file: "formula-injection.csv", says: []string{"line 2", "formula"}},
		{file: "formula-injection-at.csv", says: []string{"line 2", "formula"}},
		{file: "formula-injection-plus-minus.csv", says: []string{"line 2", "line 3", "formula"}},
		{file: "ten-columns-too-many.csv", says: []string{"line 2", "number of fields"}},
		{file: "bare-quote.csv", says: []string{"line 2", "malformed CSV"}},
		{file: "unterminated-quote.csv", says: []string{"line 2", "malformed CSV"}},
		{file: "contradiction.csv", says: []string{"line 3", "line 2", "both get and lose"}},
		{file: "unknown-service-plan.csv", says: []string{"line 2", "NO_SUCH_PLAN", "unknown service plan"}},
		{file: "no-sku-no-remove.csv", says: []string{"line 2", "remove_sku"}},
		{file: "user-with-space.csv", says: []string{"line 2", "space"}},
		{file: "user-two-ats.csv", says: []string{"line 2", "more than one @"}},
		{file: "empty-user.csv", says: []string{"line 2", "user"}},
		{file: "duplicate-conflicting-plans.csv", says: []string{"line 3", "line 2", "excluded_plans"}},
		{file: "semicolon-separated.csv", says: []string{"line 1", "missing required column"}},
		{file: "<directory>", says: []string{"is a directory"}},
		{file: "<unopenable>", says: []string{"open input"}},
		{file: "<missing>", says: []string{"no such file"}},
		{file: "<100MB single line>", says: []string{"line 2", "longer than 1024 bytes"}},
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
	if n := len(cases); n < 25 {
		t.Fatalf("only %d bad inputs", n)
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
					input = e.path("huge.csv")
					f, err := os.Create(input)
					if err != nil {
						t.Fatal(err)
					}
					f.WriteString("user,sku\n")
					chunk := []byte(strings.Repeat("x", 1<<20))
					for i := 0; i < 100; i++ {
						f.Write(chunk)
					}
					f.WriteString("@contoso.com,ENTERPRISEPACK\n")
					f.Close()
				}
				out := e.path("result.csv")
				args := []string{"run", "--customer", testCustomer, "--input", input, "--output", out}
				if c.catalogue != "" {
					// A catalogue of its own needs the simulated Partner Center.
					args = append(args, "--simulate", "--catalogue", c.catalogue)
				}
				code := e.run(t.Context(), nil, args...)
				stderr := e.stderr.String()
				if code != ExitUsage {
					t.Fatalf("exit %d, want 2\n%s", code, stderr)
				}
				for _, s := range c.says {
					if !strings.Contains(stderr, s) {
						t.Errorf("message lacks %q:\n%s", s, stderr)
					}
				}
				if st := e.fake.Stats(); st.Posts != 0 {
					t.Errorf("%d POSTs sent", st.Posts)
				}
				if _, err := os.Stat(out); err == nil {
					t.Errorf("an output file was left behind")
				}
			})
		})
	}
}

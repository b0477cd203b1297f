package main

import (
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestPlanNeverPostsAndWritesPlannedRows(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		args    []string
		want    int
		outRows int // rows in --out; -1: no --out file
		skipped int
		says    []string
	}{
		{name: "runs in full", input: "../../samples/onboarding.csv", want: ExitOK, outRows: 12,
			says: []string{"group1         9", "group2         2", "can run in full"}},
		{name: "shortfall abort", input: "../../samples/shortfall.csv", want: ExitShortfall, outRows: -1,
			says: []string{"SHORT", "5 short: 15 available, 20 requested"}},
		{name: "shortfall partial", input: "../../samples/shortfall.csv", args: []string{"--shortfall", "partial"},
			want: ExitRowsFailed, outRows: 22, skipped: 6, says: []string{"6 rows skipped", "insufficient licenses"}},
		{name: "input error", input: "testdata/badinput/unknown-sku.csv", want: ExitUsage, outRows: -1,
			says: []string{"line 3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				out := e.path("plan.csv")
				args := append([]string{"plan", "--check-users=false", "--customer", testCustomer, "--input", c.input, "--out", out}, c.args...)
				code := e.run(t.Context(), nil, args...)
				all := e.stdout.String() + e.stderr.String()
				if code != c.want {
					t.Fatalf("exit %d, want %d\n%s", code, c.want, all)
				}
				st := e.fake.Stats()
				if st.Posts != 0 || st.Gets != 1 {
					t.Fatalf("%d POSTs and %d GETs; plan makes one GET per customer and never a POST", st.Posts, st.Gets)
				}
				for _, s := range c.says {
					if !strings.Contains(all, s) {
						t.Errorf("output lacks %q:\n%s", s, all)
					}
				}
				if c.outRows < 0 {
					if _, err := os.Stat(out); err == nil {
						t.Fatal("--out written although the plan cannot run")
					}
					return
				}
				rs := e.results(out)
				if len(rs) != c.outRows {
					t.Fatalf("%d rows in --out, want %d", len(rs), c.outRows)
				}
				skipped := 0
				for _, r := range rs {
					switch r.Status {
					case report.StatusPlanned:
						if r.SkuID == "" || r.LicenseGroup == "" {
							t.Errorf("planned row without its SKU ID or group: %+v", r)
						}
					case report.StatusSkipped:
						skipped++
						if !strings.HasPrefix(r.ErrorMessage, "insufficient licenses") {
							t.Errorf("skipped reason %q", r.ErrorMessage)
						}
					default:
						t.Errorf("status %s in a plan", r.Status)
					}
				}
				if skipped != c.skipped {
					t.Fatalf("%d skipped rows, want %d", skipped, c.skipped)
				}
			})
		})
	}
}

func TestPlanRefusesAnExistingOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.file("plan.csv", "keep me\n")
		code := e.run(t.Context(), nil, "plan", "--check-users=false", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--out", out)
		if code != ExitUsage || e.fake.Stats().Requests != 0 {
			t.Fatalf("exit %d, %d requests", code, e.fake.Stats().Requests)
		}
		if b, _ := os.ReadFile(out); string(b) != "keep me\n" {
			t.Fatal("existing file changed")
		}
	})
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{"frobnicate"},
		{"plan"},
		{"plan", "--input", "x.csv", "--shortfall", "maybe"},
		{"plan", "--input", "x.csv", "--customer", "not-a-guid"},
		{"run", "--input", "x.csv"},
		{"run", "--input", "x.csv", "--output", "y.csv", "--concurrency", "0"},
		{"run", "--input", "x.csv", "--output", "y.csv", "--burst", "0"},
		{"run", "--input", "x.csv", "--output", "y.csv", "stray"},
		{"fake-server", "--fail-rate", "2"},
		{"plan", "--input", "x.csv", "--log-level", "loud"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			e := newEnv(t)
			if code := e.run(t.Context(), nil, args...); code != ExitUsage {
				t.Fatalf("exit %d, want 2: %s", code, e.stderr.String())
			}
			if e.stderr.String() == "" {
				t.Fatal("no message")
			}
		})
	}
}

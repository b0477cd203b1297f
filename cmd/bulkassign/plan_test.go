package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
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
			says: []string{"group1         9", "group2         2", "can run in full", "upper bounds"}},
		{name: "shortfall abort", input: "../../samples/shortfall.csv", want: ExitShortfall, outRows: -1,
			says: []string{"SHORT", "5 short: 15 available, 20 needed", "nothing was sent"}},
		{name: "shortfall partial", input: "../../samples/shortfall.csv", args: []string{"--shortfall", "partial"},
			want: ExitRowsFailed, outRows: 22, skipped: 6, says: []string{"6 skipped", "insufficient licenses", "Lines 17-21"}},
		{name: "input error", input: "testdata/badinput/unknown-sku.csv", want: ExitUsage, outRows: -1,
			says: []string{"line 3"}},
	}
	for _, c := range cases {
		for _, off := range []string{"--read-users=false", "--check-users=false"} {
			t.Run(c.name+" "+off, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					e := newEnv(t)
					out := e.path("plan.csv")
					args := append([]string{"plan", off, "--customer", testCustomer, "--input", c.input, "--out", out}, c.args...)
					code := e.run(t.Context(), nil, args...)
					if code != c.want {
						t.Fatalf("exit %d, want %d\n%s", code, c.want, e.all())
					}
					st := e.fake.Stats()
					wantGets := 1
					if c.want == ExitUsage {
						wantGets = 0 // a misspelt SKU is found from the catalogue... or before
					}
					if st.Posts != 0 || st.Gets > 1 || st.Gets < wantGets {
						t.Fatalf("%d POSTs and %d GETs; without reading users, plan makes one GET per customer and never a POST", st.Posts, st.Gets)
					}
					contains(t, "output", e.all(), c.says...)
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
							if r.SkuID == "" || r.LicenseGroup == "" || len(r.RowKey) != 16 {
								t.Errorf("planned row without its SKU ID, group or row key: %+v", r)
							}
						case report.StatusSkipped:
							skipped++
							if !strings.HasPrefix(r.ErrorMessage, "insufficient licenses") {
								t.Errorf("skipped reason %q", r.ErrorMessage)
							}
						default:
							t.Errorf("status %s in a plan that read no user", r.Status)
						}
					}
					if skipped != c.skipped {
						t.Fatalf("%d skipped rows, want %d", skipped, c.skipped)
					}
				})
			})
		}
	}
}

// TestPlanReadsUsersByDefault: the plan is a diff of what users hold; rows whose
// desired state holds are unchanged, and the capacity table counts them as held.
func TestPlanReadsUsersByDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t,
			pcfake.WithHolder(testCustomer, "ann@contoso.com", skuE3),
			pcfake.WithHolder(testCustomer, "dan@contoso.com", skuMinecraft))
		in := e.file("in.csv", "user,sku,remove_sku\n"+
			"ann@contoso.com,ENTERPRISEPACK,\n"+ // held: unchanged
			"bob@contoso.com,ENTERPRISEPACK,\n"+ // planned
			"dan@contoso.com,,Minecraft Education Edition Faculty\n"+ // held: planned removal
			"gus@contoso.com,,ENTERPRISEPREMIUM\n") // not held: nothing to remove
		out := e.path("plan.csv")
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", in, "--out", out)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		st := e.fake.Stats()
		if st.Posts != 0 || st.Patches != 0 || st.UserLookups != 4 || st.UserLicenseLookups != 4 {
			t.Fatalf("stats %+v: want each of the 4 users and what it holds read, nothing sent", st)
		}
		stdout := e.stdout.String()
		contains(t, "stdout", stdout, "AVAILABLE  HELD  TO ASSIGN  TO FREE  NEEDED  LEFT AFTER  SHORTFALL",
			"Plan: 4 rows: 2 to send in 2 requests, 2 unchanged, 0 skipped.")
		if strings.Contains(stdout, "upper bound") || strings.Contains(stdout, "not read") {
			t.Fatalf("a plan that read users says its counts are upper bounds:\n%s", stdout)
		}
		// E3: ann holds it, bob needs a seat.
		var e3 []string
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Contains(l, "ENTERPRISEPACK") {
				e3 = strings.Fields(l)
			}
		}
		if n := len(e3); n < 7 || strings.Join(e3[n-7:], " ") != "4799 1 1 0 1 4798 0" {
			t.Fatalf("E3 capacity row %q, want 4799 available (ann holds one), 1 held, 1 to assign, 0 to free, 1 needed, 4798 left", e3)
		}
		want := map[int]report.Status{2: report.StatusUnchanged, 3: report.StatusPlanned, 4: report.StatusPlanned, 5: report.StatusUnchanged}
		for _, r := range e.results(out) {
			if r.Status != want[r.Line] {
				t.Errorf("line %d: %s, want %s", r.Line, r.Status, want[r.Line])
			}
			if r.UserID != userID(r.User) {
				t.Errorf("line %d: user_id %q", r.Line, r.UserID)
			}
		}
	})
}

// TestPlanSkippedRowsAreGroupedByReason: 15 unknown users among known ones are one
// reason naming five lines and counting the rest.
func TestPlanSkippedRowsAreGroupedByReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := pcfake.GenerateUsers(20, "contoso.com", 1)
		users[0].State = "inactive"
		e := newEnv(t, pcfake.WithUsers(testCustomer, users), pcfake.WithDeletedUsersFoundByID())
		var in strings.Builder
		in.WriteString("user,sku\n")
		fmt.Fprintf(&in, "%s,ENTERPRISEPACK\n", users[0].UserPrincipalName) // line 2: deleted
		for i := 1; i <= 15; i++ {
			fmt.Fprintf(&in, "%s,ENTERPRISEPACK\n", users[i].UserPrincipalName) // lines 3, 5, ...: known
			fmt.Fprintf(&in, "nobody%02d@contoso.com,ENTERPRISEPACK\n", i)      // lines 4, 6, ...: unknown
		}
		sum := e.path("summary.json")
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", e.file("in.csv", in.String()), "--summary-json", sum)
		if code != ExitRowsFailed {
			t.Fatalf("exit %d, want 1\n%s", code, e.all())
		}
		stdout := e.stdout.String()
		contains(t, "stdout", stdout, "Lines 4, 6, 8, 10, 12 and 10 more: user not found", "Line 2: user not active",
			"Plan: 31 rows: 15 to send in 15 requests, 0 unchanged, 16 skipped.")
		if strings.Count(stdout, "user not found") != 1 {
			t.Fatalf("the unknown users are not one reason:\n%s", stdout)
		}
		s := e.summary(sum)
		if c := s["counts"].(map[string]any); c["skipped"] != float64(16) || c["planned"] != float64(15) || s["exit_code"] != float64(ExitRowsFailed) {
			t.Fatalf("summary %v", s)
		}
	})
}

func TestPlanJSONIsTheCapacity(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprint("read users ", !off), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, pcfake.WithHolder(testCustomer, "amelia.hart@contoso.onmicrosoft.com", skuE3))
				code := e.run(t.Context(), nil, "plan", "-o", "json", fmt.Sprintf("--read-users=%v", !off),
					"--customer", testCustomer, "--input", "../../samples/onboarding.csv")
				if code != ExitOK {
					t.Fatalf("exit %d\n%s", code, e.all())
				}
				var doc struct {
					Capacity   []report.CapacityRow `json:"capacity"`
					UpperBound bool                 `json:"upper_bound"`
				}
				dec := json.NewDecoder(strings.NewReader(e.stdout.String()))
				if err := dec.Decode(&doc); err != nil || dec.More() {
					t.Fatalf("stdout is not one JSON document (%v):\n%s", err, e.stdout.String())
				}
				if len(doc.Capacity) != 5 || doc.UpperBound != off {
					t.Fatalf("capacity %+v, upper bound %v", doc.Capacity, doc.UpperBound)
				}
				for _, c := range doc.Capacity {
					if c.SkuID == skuE3 {
						held := 1
						if off {
							held = 0
						}
						if c.Held != held || c.ToAssign != 5-held || c.Needed != 5-held || c.Available != 4799 {
							t.Fatalf("E3 %+v", c)
						}
					}
				}
			})
		})
	}
}

// TestPlanOutToStandardOutput: --out - writes the planned rows to standard output.
func TestPlanOutToStandardOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		code := e.run(t.Context(), nil, "plan", "--out", "-", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		stdout := e.stdout.String()
		i := strings.Index(stdout, strings.Join(report.Header, ","))
		if i < 0 {
			t.Fatalf("no result CSV on standard output:\n%s", stdout)
		}
		end := len(stdout) // the CSV ends at a blank line, or with standard output
		if j := strings.Index(stdout[i:], "\n\n"); j >= 0 {
			end = i + j + 1
		}
		rs, err := report.Read(strings.NewReader(stdout[i:end]))
		if err != nil || len(rs) != 12 {
			t.Fatalf("%d rows on standard output: %v", len(rs), err)
		}
		for _, r := range rs {
			if r.Status != report.StatusPlanned {
				t.Fatalf("row %+v", r)
			}
		}
	})
}

// TestPlanOutToStandardOutputIsOnlyCSV: with --out - standard output is the CSV a
// pipe reads; the table and the verdict belong elsewhere.
func TestPlanOutToStandardOutputIsOnlyCSV(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		if code := e.run(t.Context(), nil, "plan", "--out", "-", "--customer", testCustomer, "--input", "../../samples/onboarding.csv"); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		rs, err := report.Read(strings.NewReader(e.stdout.String()))
		if err != nil || len(rs) != 12 {
			t.Fatalf("standard output is not the result CSV (%d rows, %v):\n%s", len(rs), err, e.stdout.String())
		}
		contains(t, "stderr", e.stderr.String(), "Plan: 12 rows")
	})
}

// TestPlanSummaryJSONWhateverTheExitCode writes --summary-json on success, shortfall,
// an input error, a usage error and an interruption.
func TestPlanSummaryJSONWhateverTheExitCode(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		code  int
		check func(t *testing.T, s map[string]any)
	}{
		{"ok", []string{"--input", "../../samples/onboarding.csv"}, ExitOK, func(t *testing.T, s map[string]any) {
			if s["counts"].(map[string]any)["planned"] != float64(12) || len(s["capacity"].([]any)) != 5 || s["upper_bound"] != false ||
				s["reads"] != float64(20) || s["correlation_id"] == "" {
				t.Errorf("summary %v", s)
			}
		}},
		{"shortfall", []string{"--input", "../../samples/shortfall.csv"}, ExitShortfall, func(t *testing.T, s map[string]any) {
			if !strings.Contains(s["stop_reason"].(string), "shortfall") || len(s["capacity"].([]any)) != 2 {
				t.Errorf("summary %v", s)
			}
		}},
		{"input error", []string{"--input", "testdata/badinput/unknown-sku.csv"}, ExitUsage, func(t *testing.T, s map[string]any) {
			if !strings.Contains(s["stop_reason"].(string), "input problem") {
				t.Errorf("summary %v", s)
			}
		}},
		{"usage error", []string{"--input", "../../samples/onboarding.csv", "--shortfall", "maybe"}, ExitUsage, func(t *testing.T, s map[string]any) {
			if !strings.Contains(s["stop_reason"].(string), "--shortfall") {
				t.Errorf("summary %v", s)
			}
		}},
		{"interrupted", []string{"--input", "../../samples/onboarding.csv"}, ExitInterrupted, func(t *testing.T, s map[string]any) {
			if s["interrupted"] != true {
				t.Errorf("summary %v", s)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, pcfake.WithLatency(time.Second, 0))
				ctx := t.Context()
				if c.code == ExitInterrupted {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(1500*time.Millisecond, cancel) // the users are being read
				}
				path := e.path("summary.json")
				code := e.run(ctx, nil, append([]string{"plan", "--customer", testCustomer, "--summary-json", path}, c.args...)...)
				if code != c.code {
					t.Fatalf("exit %d, want %d\n%s", code, c.code, e.all())
				}
				s := e.summary(path)
				if s["exit_code"] != float64(c.code) {
					t.Fatalf("exit_code %v, want %d", s["exit_code"], c.code)
				}
				c.check(t, s)
			})
		})
	}
}

func TestPlanInterruptedSaysNothingWasSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithLatency(time.Minute, 0))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(90*time.Second, cancel)
		code := e.run(ctx, nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv")
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want 130\n%s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), "interrupted while planning", "nothing was sent")
	})
}

func TestPlanWithoutACustomerIsOneProblem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		var in strings.Builder
		in.WriteString("user,sku\n")
		for i := range 50 {
			fmt.Fprintf(&in, "user%02d@contoso.com,ENTERPRISEPACK\n", i)
		}
		code := e.run(t.Context(), nil, "plan", "--input", e.file("in.csv", in.String()))
		if code != ExitUsage {
			t.Fatalf("exit %d, want 2\n%s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), "1 problem(s)", "no customer column", "1 input problem(s)", "pass --customer ID")
		if strings.Count(e.stderr.String(), "\n  line ") != 1 {
			t.Fatalf("the missing customer is reported per row:\n%s", e.stderr.String())
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("requests sent for a file without a customer")
		}
	})
}

func TestPlanRefusesAnExistingOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.file("plan.csv", "keep me\n")
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv", "--out", out)
		if code != ExitUsage || e.fake.Stats().Requests != 0 {
			t.Fatalf("exit %d, %d requests", code, e.fake.Stats().Requests)
		}
		if b, _ := os.ReadFile(out); string(b) != "keep me\n" {
			t.Fatal("existing file changed")
		}
	})
}

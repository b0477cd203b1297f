package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"unicode/utf16"

	"github.com/bulkassign/bulkassign/pkg/report"
)

// utf16File encodes s as UTF-16 with a byte-order mark.
func utf16File(s string, order binary.ByteOrder) string {
	var b bytes.Buffer
	for _, u := range append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...) {
		binary.Write(&b, order, u)
	}
	return b.String()
}

// TestInputEncodingsAndSeparators: Excel's other CSV flavours are read as they are.
func TestInputEncodingsAndSeparators(t *testing.T) {
	const rows = "user,sku,excluded_plans\njosé@contoso.com,Office 365 Enterprise E3,\"YAMMER_ENTERPRISE;SWAY\"\nbob@contoso.com,ENTERPRISEPACK,\n"
	cases := map[string]string{
		"comma":          rows,
		"semicolon":      strings.ReplaceAll(strings.ReplaceAll(rows, ",", ";"), "\"YAMMER_ENTERPRISE;SWAY\"", "\"YAMMER_ENTERPRISE;SWAY\""),
		"tab":            strings.ReplaceAll(rows, ",", "\t"),
		"UTF-16 LE":      utf16File(strings.ReplaceAll(rows, "\n", "\r\n"), binary.LittleEndian),
		"UTF-16 BE":      utf16File(rows, binary.BigEndian),
		"UTF-16 LE tabs": utf16File(strings.ReplaceAll(rows, ",", "\t"), binary.LittleEndian),
		"UTF-8 BOM CRLF": "\ufeff" + strings.ReplaceAll(rows, "\n", "\r\n"),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				out := e.path("plan.csv")
				code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", e.file("in.csv", content), "--out", out)
				if code != ExitOK {
					t.Fatalf("exit %d\n%s", code, e.all())
				}
				rs := e.results(out)
				if len(rs) != 2 || rs[0].User != "josé@contoso.com" || rs[0].SkuID != skuE3 || rs[0].ExcludedPlans != "YAMMER_ENTERPRISE;SWAY" || rs[1].SkuID != skuE3 {
					t.Fatalf("rows %+v", rs)
				}
			})
		})
	}
}

func TestInputFromStandardInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		b, err := os.ReadFile("../../samples/onboarding.csv")
		if err != nil {
			t.Fatal(err)
		}
		e.stdin = bytes.NewReader(b)
		out := e.path("result.csv")
		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "-", "--output", out)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		if rs := e.results(out); len(rs) != 12 {
			t.Fatalf("%d rows", len(rs))
		}
		m, err := report.ReadManifest(out)
		if err != nil || m.Input != "-" || m.InputRows != 12 {
			t.Fatalf("manifest %+v, %v", m, err)
		}
		// A resume reads standard input again, and needs the same rows.
		e.stdin = bytes.NewReader(b)
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "-", "--output", out, "--resume"); code != ExitOK {
			t.Fatalf("resume: exit %d\n%s", code, e.all())
		}
		if len(e.posts()) != 11 {
			t.Fatalf("%d POSTs: the resume sent finished lines again", len(e.posts()))
		}
	})
}

// TestOutputIsCheckedBeforeAnyCall: an output that is the input, in a folder that does
// not exist, or in one that is a file, is refused before the API hears of the run.
func TestOutputIsCheckedBeforeAnyCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		in := e.file("in.csv", "user,sku\nann@contoso.com,ENTERPRISEPACK\n")
		notDir := e.file("plain-file", "x")
		cases := map[string]string{
			in:                            "is the input file",
			e.path("no/such/dir/out.csv"): "does not exist",
			notDir + "/out.csv":           "is not a folder",
			e.dir + "/./in.csv":           "is the input file",
		}
		if st, err := os.Stat("/proc/self"); err == nil && st.IsDir() {
			cases["/proc/bulkassign-result.csv"] = "cannot write" // not even root creates files there
		}
		if os.Geteuid() != 0 { // root writes anywhere else
			ro := e.path("read-only")
			os.Mkdir(ro, 0o555)
			cases[ro+"/out.csv"] = "cannot write"
		}
		for out, says := range cases {
			code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out)
			if code != ExitUsage {
				t.Fatalf("--output %s: exit %d, want 2\n%s", out, code, e.all())
			}
			contains(t, "--output "+out, e.stderr.String(), says, "--output")
			if e.fake.Stats().Requests != 0 {
				t.Fatalf("--output %s: a request reached the API", out)
			}
		}
		if b, _ := os.ReadFile(in); string(b) != "user,sku\nann@contoso.com,ENTERPRISEPACK\n" {
			t.Fatal("the input was changed")
		}
	})
}

// TestPlanOutIsCheckedBeforeAnyCall: plan's --out in a folder that does not exist.
func TestPlanOutIsCheckedBeforeAnyCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		code := e.run(t.Context(), nil, "plan", "--customer", testCustomer, "--input", "../../samples/onboarding.csv",
			"--out", e.path("no/such/dir/plan.csv"))
		if code != ExitUsage {
			t.Fatalf("exit %d, want 2\n%s", code, e.all())
		}
		if n := e.fake.Stats().Requests; n != 0 {
			t.Fatalf("%d requests before --out was refused", n)
		}
	})
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestSkusListsTheCustomersSkus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, pcfake.WithHolder(testCustomer, "ann@contoso.com", skuE3))
		if code := e.run(t.Context(), nil, "skus", "--customer", testCustomer); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		out := e.stdout.String()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 7 || strings.Join(strings.Fields(lines[0]), " ") != "SKU PART NUMBER LICENSE GROUP TOTAL CONSUMED AVAILABLE ID" {
			t.Fatalf("want a header and the 6 SKUs:\n%s", out)
		}
		var e3 string
		for _, l := range lines {
			if strings.Contains(l, skuE3) {
				e3 = strings.Join(strings.Fields(l), " ")
			}
		}
		// The units are live: ann holds one.
		if e3 != "Office 365 Enterprise E3 ENTERPRISEPACK group1 6000 1201 4799 "+skuE3 {
			t.Fatalf("E3 row %q", e3)
		}
		if strings.Contains(out, "plan:") {
			t.Fatal("service plans listed without --plans")
		}
		if st := e.fake.Stats(); st.Requests != 1 {
			t.Fatalf("%d requests, want the one subscribedskus GET", st.Requests)
		}

		if code := e.run(t.Context(), nil, "skus", "--customer", testCustomer, "--plans"); code != ExitOK {
			t.Fatalf("--plans: exit %d", code)
		}
		contains(t, "--plans", e.stdout.String(), "plan: Sway", "SWAY", planSway, "YAMMER_ENTERPRISE")
	})
}

func TestSkusJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		for _, plans := range []bool{false, true} {
			args := []string{"skus", "--customer", testCustomer, "-o", "json"}
			if plans {
				args = append(args, "--plans")
			}
			if code := e.run(t.Context(), nil, args...); code != ExitOK {
				t.Fatalf("exit %d\n%s", code, e.all())
			}
			var skus []skuJSON
			if err := json.Unmarshal([]byte(e.stdout.String()), &skus); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, e.stdout.String())
			}
			if len(skus) != 6 {
				t.Fatalf("%d SKUs", len(skus))
			}
			for _, s := range skus {
				if s.ID == skuE3 {
					if s.PartNumber != "ENTERPRISEPACK" || s.LicenseGroup != "group1" || s.Total != 6000 || s.Consumed != 1200 || s.Available != 4800 {
						t.Fatalf("E3 %+v", s)
					}
					if plans != (len(s.Plans) == 13) {
						t.Fatalf("plans %v with --plans %v", s.Plans, plans)
					}
				}
			}
		}
	})
}

func TestSkusSimulatedNeedsNoCustomer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.vars = map[string]string{}
		if code := e.run(t.Context(), nil, "skus", "--simulate", "-o", "json"); code != ExitOK {
			t.Fatalf("exit %d\n%s", code, e.all())
		}
		var skus []skuJSON
		if err := json.Unmarshal([]byte(e.stdout.String()), &skus); err != nil || len(skus) != 6 {
			t.Fatalf("%d SKUs, %v", len(skus), err)
		}
		if e.fake.Stats().Requests != 0 {
			t.Fatal("a simulated listing reached the API")
		}
	})
}

func TestSkusOfAnUnknownCustomer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		other := "11111111-2222-4333-8444-555555555555"
		code := e.run(t.Context(), nil, "skus", "--customer", other)
		if code != ExitUsage {
			t.Fatalf("exit %d, want 2\n%s", code, e.all())
		}
		contains(t, "stderr", e.stderr.String(), other, "not found")
	})
}

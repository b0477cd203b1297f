package main

import (
	"testing"
	"testing/synctest"
)

func TestSummaryJSONOnEveryExit(t *testing.T) {
	cases := []struct {
		name     string
		input    string
		wantCode int
		check    func(t *testing.T, s map[string]any)
	}{
		{"success", "../../samples/onboarding.csv", ExitOK, func(t *testing.T, s map[string]any) {
			counts := s["counts"].(map[string]any)
			// 11 updates, and the plan's 20 reads (each user and what it holds).
			if counts["succeeded"].(float64) != 12 || s["updates"].(float64) != 11 || s["reads"].(float64) != 20 || s["requests"].(float64) != 31 {
				t.Errorf("counts %v, updates %v, reads %v, requests %v", counts, s["updates"], s["reads"], s["requests"])
			}
			if s["correlation_id"] == "" || s["elapsed_seconds"].(float64) <= 0 || s["upper_bound"] != false || s["api"] != "partnercenter" {
				t.Errorf("summary %v", s)
			}
			bySku := s["by_sku"].(map[string]any)
			e3, _ := bySku["Office 365 Enterprise E3"].(map[string]any)
			if len(bySku) != 5 || e3["succeeded"] != float64(5) || len(s["capacity"].([]any)) != 5 {
				t.Errorf("by_sku %v capacity %v", s["by_sku"], s["capacity"])
			}
			if s["rollback_rows"] != float64(12) || s["rollback"] == "" || s["interrupted"] != false || s["stop_reason"] != "" {
				t.Errorf("summary %v", s)
			}
		}},
		{"shortfall", "../../samples/shortfall.csv", ExitShortfall, func(t *testing.T, s map[string]any) {
			short := 0
			for _, c := range s["capacity"].([]any) {
				short += int(c.(map[string]any)["shortfall"].(float64))
			}
			if short != 6 || s["stop_reason"] == "" {
				t.Errorf("shortfall %d, stop reason %q", short, s["stop_reason"])
			}
		}},
		{"input error", "testdata/badinput/unknown-sku.csv", ExitUsage, func(t *testing.T, s map[string]any) {
			if s["stop_reason"] == "" {
				t.Error("no stop reason")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				path := e.path("summary.json")
				code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", c.input,
					"--output", e.path("result.csv"), "--summary-json", path)
				if code != c.wantCode {
					t.Fatalf("exit %d, want %d: %s", code, c.wantCode, e.stderr.String())
				}
				s := e.summary(path)
				if int(s["exit_code"].(float64)) != c.wantCode {
					t.Fatalf("exit_code %v, want %d", s["exit_code"], c.wantCode)
				}
				c.check(t, s)
			})
		})
	}
}

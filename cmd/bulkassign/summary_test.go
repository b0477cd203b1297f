package main

import (
	"encoding/json"
	"os"
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
			if counts["succeeded"].(float64) != 12 || s["requests"].(float64) != 11 {
				t.Errorf("counts %v, requests %v", counts, s["requests"])
			}
			if s["correlation_id"] == "" || s["elapsed_seconds"].(float64) <= 0 {
				t.Errorf("summary %v", s)
			}
			bySku := s["by_sku"].(map[string]any)
			e3, _ := bySku["Office 365 Enterprise E3"].(map[string]any)
			if len(bySku) != 5 || e3["succeeded"] != float64(5) || len(s["capacity"].([]any)) != 5 {
				t.Errorf("by_sku %v capacity %v", s["by_sku"], s["capacity"])
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
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var s map[string]any
				if err := json.Unmarshal(b, &s); err != nil {
					t.Fatalf("summary is not JSON: %v\n%s", err, b)
				}
				if int(s["exit_code"].(float64)) != c.wantCode {
					t.Fatalf("exit_code %v, want %d", s["exit_code"], c.wantCode)
				}
				c.check(t, s)
			})
		})
	}
}

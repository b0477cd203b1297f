package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTableWrite(t *testing.T) {
	tb := table{
		measures: []*measured{
			{name: "pacing", before: "0.10 0.20 0.30", after: "0.40 0.50 0.60", rows: []row{
				{Measure: "Updates/s over --rate", Value: "**0.998**", Target: "≥ 0.97", Result: atLeast(0.998, 0.97)},
				{Measure: "A loop | with a pipe", Value: "", Target: noTarget, Result: comparison},
			}, notes: []string{"Pacing: how it is measured."}},
			{name: "scale", before: "1 1 1", after: "2 2 2", rows: []row{
				{Measure: "Slope", Value: "1.100", Target: "slope 1 ± 0.02", Result: within(1.1, 1, 0.02)},
			}},
		},
		machine: machineInfo{cores: 2, cpu: "AMD EPYC", memory: 24 << 30, goVer: "go1.26.0", platform: "linux/amd64"},
		command: "go run ./scripts/bench -only pacing,scale",
		took:    95 * time.Second,
	}
	var buf bytes.Buffer
	if err := tb.write(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	want := []string{
		"| Measure | Value | Target | Result |",
		"|---|---|---|---|",
		"| Updates/s over --rate | **0.998** | ≥ 0.97 | met (+2.9%) |",
		`| A loop \| with a pipe | — | — | — (comparison) |`,
		"| Slope | 1.100 | slope 1 ± 0.02 | **missed** (+0.100) |",
		"- Pacing: how it is measured.",
		"Machine: 2 cores (runtime.NumCPU), AMD EPYC, 24.0 GiB memory, go1.26.0 linux/amd64",
		"Load average (1, 5, 15 min) before → after each measure: pacing 0.10 0.20 0.30 → 0.40 0.50 0.60; scale 1 1 1 → 2 2 2",
		"Command: `go run ./scripts/bench -only pacing,scale` (from the module root; 1m35s in all)",
	}
	for _, w := range want {
		if !contains(lines, w) {
			t.Errorf("the table has no line %q:\n%s", w, out)
		}
	}
	// One table: every row between the header and the first blank line after it.
	head := indexOf(lines, want[0])
	if head < 0 || lines[head+5] != "" || !strings.HasPrefix(lines[head+4], "| Slope") {
		t.Errorf("the rows are not one table right under the header:\n%s", out)
	}
	if strings.Contains(out, "Quick run") {
		t.Errorf("a full run is marked quick:\n%s", out)
	}
	tb.quick = true
	buf.Reset()
	if err := tb.write(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "**Quick run (-quick)") {
		t.Errorf("a quick run is not marked so:\n%s", buf.String())
	}
}

func contains(lines []string, s string) bool { return indexOf(lines, s) >= 0 }

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{atLeast(0.99, 0.97), "met (+2.1%)"},
		{atLeast(0.97, 0.97), "met (+0.0%)"},
		{atLeast(0.6, 0.9), "**missed** (33.3% below)"},
		{atMost(0.5, 1), "met (50.0% under)"},
		{atMost(3, 2), "**missed** (50.0% over)"},
		{below(199, 200), "met (0.5% under)"},
		{below(200, 200), "**missed** (0.0% over)"},
		{within(1.019, 1, 0.02), "met (+0.019)"},
		{within(0.97, 1, 0.02), "**missed** (-0.030)"},
		{verdicts("time", "met", "RSS", "**missed**"), "time met; RSS **missed**"},
		{thousands(1234567), "1,234,567"},
		{thousands(-1234), "-1,234"},
		{thousands(999), "999"},
		{plusSeconds(-0.014), "− 0.01 s"},
		{plusSeconds(0.26), "+ 0.26 s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestSelectMeasures(t *testing.T) {
	all, err := selectMeasures("")
	if err != nil || len(all) != len(measureNames) {
		t.Errorf("selectMeasures(\"\") = %v, %v; want every measure", all, err)
	}
	got, err := selectMeasures(" scale,pacing ")
	if err != nil || strings.Join(got, ",") != "pacing,scale" {
		t.Errorf("selectMeasures(scale,pacing) = %v, %v; want pacing,scale in run order", got, err)
	}
	if _, err := selectMeasures("pacing,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("selectMeasures(pacing,nope) = %v; want an error naming nope", err)
	}
	for _, n := range measureNames {
		if measureFuncs[n] == nil {
			t.Errorf("measure %q has no function", n)
		}
	}
}

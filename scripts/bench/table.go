package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// row is one line of the table: what was measured, its value, its target ("—" for
// none) and whether the target was met.
type row struct {
	Measure, Value, Target, Result string
}

// measured is what one measure adds to the output: rows of the table, notes (the
// definitions) under it, and the load average before and after it ran.
type measured struct {
	name   string
	rows   []row
	notes  []string
	before string
	after  string
	took   time.Duration
}

// table is the bench's output.
type table struct {
	measures []*measured
	machine  machineInfo
	command  string
	took     time.Duration
	quick    bool
}

// write prints the table, the notes, the machine and the command line.
func (t table) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw)
	if t.quick {
		fmt.Fprintln(bw, "**Quick run (-quick): every measure at a small size, to exercise its code; the figures do not judge the targets.**")
		fmt.Fprintln(bw)
	}
	fmt.Fprintln(bw, "| Measure | Value | Target | Result |")
	fmt.Fprintln(bw, "|---|---|---|---|")
	for _, m := range t.measures {
		for _, r := range m.rows {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", cell(r.Measure), cell(r.Value), cell(r.Target), cell(r.Result))
		}
	}
	fmt.Fprintln(bw)
	for _, m := range t.measures {
		for _, n := range m.notes {
			fmt.Fprintf(bw, "- %s\n", n)
		}
	}
	fmt.Fprintln(bw)
	fmt.Fprintf(bw, "Machine: %s\n\n", t.machine)
	var loads []string
	for _, m := range t.measures {
		loads = append(loads, fmt.Sprintf("%s %s → %s", m.name, m.before, m.after))
	}
	fmt.Fprintf(bw, "Load average (1, 5, 15 min) before → after each measure: %s\n\n", strings.Join(loads, "; "))
	fmt.Fprintf(bw, "Command: `%s` (from the module root; %s in all)\n", t.command, t.took.Round(time.Second))
	return bw.Flush()
}

// cell makes s safe in a markdown table cell.
func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// Verdicts of the Result column.
const (
	noTarget   = "—"
	comparison = "— (comparison)"
	recorded   = "— (recorded)"
)

// atLeast says whether value met a target of at least target, and by how much.
func atLeast(value, target float64) string {
	d := (value - target) / target * 100
	if value >= target {
		return fmt.Sprintf("met (%+.1f%%)", d)
	}
	return fmt.Sprintf("**missed** (%.1f%% below)", -d)
}

// atMost says whether value met a target of at most target, and by how much.
func atMost(value, target float64) string {
	d := (target - value) / target * 100
	if value <= target {
		return fmt.Sprintf("met (%.1f%% under)", d)
	}
	return fmt.Sprintf("**missed** (%.1f%% over)", -d)
}

// below says whether value met a target of strictly less than target.
func below(value, target float64) string {
	if value < target {
		return fmt.Sprintf("met (%.1f%% under)", (target-value)/target*100)
	}
	return fmt.Sprintf("**missed** (%.1f%% over)", (value-target)/target*100)
}

// within says whether value is within tol of target.
func within(value, target, tol float64) string {
	if d := value - target; d >= -tol && d <= tol {
		return fmt.Sprintf("met (%+.3f)", d)
	}
	return fmt.Sprintf("**missed** (%+.3f)", value-target)
}

// verdicts joins the verdicts of a row with several targets, each named.
func verdicts(named ...string) string {
	var parts []string
	for i := 0; i+1 < len(named); i += 2 {
		parts = append(parts, named[i]+" "+named[i+1])
	}
	return strings.Join(parts, "; ")
}

// machineInfo is what the figures were measured on.
type machineInfo struct {
	cores    int
	cpu      string
	memory   uint64 // bytes
	goVer    string
	platform string
}

func (m machineInfo) String() string {
	mem := "memory unknown"
	if m.memory > 0 {
		mem = fmt.Sprintf("%.1f GiB memory", float64(m.memory)/(1<<30))
	}
	return fmt.Sprintf("%d cores (runtime.NumCPU), %s, %s, %s %s", m.cores, m.cpu, mem, m.goVer, m.platform)
}

// describeMachine reads the machine's cores, CPU model and memory.
func describeMachine() machineInfo {
	m := machineInfo{cores: runtime.NumCPU(), cpu: "unknown CPU", goVer: runtime.Version(), platform: runtime.GOOS + "/" + runtime.GOARCH}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.cpu = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		if kb, err := strconv.ParseUint(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m.memory = kb * 1024
		}
	}
	return m
}

// procField is the value of the first "key: value" line of a /proc file with that key.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mb is bytes in MB (10^6 bytes).
func mb(b uint64) float64 { return float64(b) / 1e6 }

// seconds is a duration in seconds with two decimals.
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/job"
	"github.com/bulkassign/bulkassign/pkg/planner"
)

// measureOverhead runs the default run with no pace and no latency: the updates/s the
// tool drives on this machine, and its CPU time, allocations and bytes per update
// while sending; then BenchmarkRequestPath for the request path alone.
func measureOverhead(ctx context.Context, o *options) (*measured, error) {
	n := o.overhead
	in := inputCSV(n)
	path, err := writeFile(o.dir, "overhead.csv", in)
	if err != nil {
		return nil, err
	}
	fake, err := startFake(fakeConfig{Input: path})
	if err != nil {
		return nil, err
	}
	var ms0, ms1 runtime.MemStats
	var cpu0 time.Duration
	t := toolRun{input: in, rate: client.Unlimited, burst: 1, readRate: client.Unlimited, concurrency: o.concurrency,
		onPlan: func(*job.Session, *planner.Plan) {
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			cpu0 = selfCPU()
		}}
	logf("   tool: %d rows, no pace (reads and writes), no latency, --concurrency %d", n, o.concurrency)
	res, err := runTool(ctx, fake.URL, o.dir, t)
	cpu1 := selfCPU()
	runtime.ReadMemStats(&ms1)
	fst, _ := fake.Stats()
	conns, _ := fake.Conns()
	fake.Close()
	if err != nil {
		return nil, err
	}
	sum := res.sum
	ups := float64(sum.Updates)
	cpuPer := (cpu1 - cpu0).Seconds() * 1e6 / ups
	allocPer := float64(ms1.Mallocs-ms0.Mallocs) / ups
	bytesPer := float64(ms1.TotalAlloc-ms0.TotalAlloc) / ups
	logf("   tool: %d updates in %.2f s = %.0f/s; %.1f µs CPU, %.0f allocs, %.0f B per update; plan: %d reads at %.0f/s; fake: at most %d requests at once over %d TCP connections, %.1f µs CPU per request",
		sum.Updates, sum.Elapsed.Seconds(), sum.UpdatesPerSecond, cpuPer, allocPer, bytesPer, sum.Reads, sum.ReadsPerSecond,
		fst.MaxInFlight, conns, fake.cpu().Seconds()*1e6/float64(max(fst.Requests, 1)))

	bench, err := runRequestPathBenchmark(ctx, o)
	if err != nil {
		return nil, err
	}
	rows := []row{
		{
			Measure: fmt.Sprintf("Overhead: updates/s the default run drives with no pace and no latency (%s rows, --concurrency %d, fake in another process on the same cores)", thousands(n), o.concurrency),
			Value: fmt.Sprintf("**%s/s** (%s); while sending, the tool's process: **%.0f µs CPU, %.0f allocs, %.1f KB allocated per update** (result and rollback files included); %s TCP connections",
				thousands(int(sum.UpdatesPerSecond)), seconds(sum.Elapsed), cpuPer, allocPer, bytesPer/1000, thousands(conns)),
			Target: "≥ 5,000/s",
			Result: atLeast(sum.UpdatesPerSecond, 5000),
		},
		{
			Measure: "Overhead: reads/s the same run's plan drives with no pace",
			Value:   fmt.Sprintf("**%s/s** (%s reads)", thousands(int(sum.ReadsPerSecond)), thousands(sum.Reads)),
			Target:  noTarget,
			Result:  recorded,
		},
	}
	for _, b := range bench {
		rows = append(rows, row{
			Measure: "BenchmarkRequestPath/" + b.name + ": " + benchDescriptions[b.name],
			Value: fmt.Sprintf("%s ns/op (op = 1 update), **%.1f µs CPU/update**, %s allocs/op, %s B/op",
				thousands(int(b.nsPerOp)), b.cpuUs, thousands(int(b.allocs)), thousands(int(b.bytes))),
			Target: noTarget,
			Result: "— (informs the line above)",
		})
	}
	return &measured{
		rows: rows,
		notes: []string{
			"Overhead: CPU is the tool process's user+system time (getrusage), allocations and bytes runtime.MemStats' Mallocs and TotalAlloc, " +
				"both from the plan's end to the run's, per update. BenchmarkRequestPath: `" + requestPathCommand(o.benchtime) + "`; " +
				"its CPU µs/update is the process's user+system time over the timed run divided by the updates.",
		},
	}, nil
}

var benchDescriptions = map[string]string{
	"transport=pcfake": "runner + pacer + Partner Center backend + result CSV writer against pcfake's in-process Transport (the fake's handler and ledger included)",
	"transport=fixed":  "the same with a transport that returns a canned 201 (the tool's own cost)",
}

// benchResult is one line of go test -bench.
type benchResult struct {
	name                          string
	nsPerOp, cpuUs, allocs, bytes float64
}

// requestPathCommand is how BenchmarkRequestPath is run.
func requestPathCommand(benchtime string) string {
	return "go test -run '^$' -bench '^BenchmarkRequestPath$' -benchmem -benchtime " + benchtime + " ./pkg/runner"
}

// runRequestPathBenchmark runs BenchmarkRequestPath and reads its lines.
func runRequestPathBenchmark(ctx context.Context, o *options) ([]benchResult, error) {
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkRequestPath$", "-benchmem", "-benchtime", o.benchtime, "-count", "1", "./pkg/runner"}
	logf("   go %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.moduleRoot
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench BenchmarkRequestPath: %w\n%s", err, out.String())
	}
	res := parseBenchLines(out.String(), "BenchmarkRequestPath/")
	for _, r := range res {
		logf("   BenchmarkRequestPath/%s: %.0f ns/op, %.1f cpu-us/req, %.0f allocs/op, %.0f B/op", r.name, r.nsPerOp, r.cpuUs, r.allocs, r.bytes)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench BenchmarkRequestPath printed no results:\n%s", out.String())
	}
	return res, nil
}

// parseBenchLines reads the lines of go test -bench output whose name starts with
// prefix: the name after it (without the GOMAXPROCS suffix) and its figures.
func parseBenchLines(out, prefix string) []benchResult {
	var res []benchResult
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		name := strings.TrimPrefix(f[0], prefix)
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		b := benchResult{name: name}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.nsPerOp = v
			case "cpu-us/req":
				b.cpuUs = v
			case "allocs/op":
				b.allocs = v
			case "B/op":
				b.bytes = v
			}
		}
		res = append(res, b)
	}
	return res
}

// selfCPU is the user and system time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

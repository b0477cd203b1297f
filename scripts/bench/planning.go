package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// measurePlanning plans a generated file without reads with the built binary as its
// own process (`bulkassign plan --read-users=false`), and reads the same file with
// encoding/csv alone in another, in alternating A/B pairs: the plan's wall time and
// peak RSS, and its time over the baseline's.
func measurePlanning(ctx context.Context, o *options) (*measured, error) {
	bin, err := buildTool(ctx, o)
	if err != nil {
		return nil, err
	}
	n := o.planRows
	in, err := writeGenerated(o.dir, "planning.csv", n)
	if err != nil {
		return nil, err
	}
	defer os.Remove(in)
	fi, err := os.Stat(in)
	if err != nil {
		return nil, err
	}
	fake, err := startFake(fakeConfig{}) // the catalogue; no user is read
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	args := []string{"plan", "--base-url", fake.URL, "--customer", pcfake.DefaultCustomerID, "--input", in, "--read-users=false"}
	var walls, csvWalls []time.Duration
	var rss []uint64
	var ratios []float64
	for i := range o.planPairs {
		a, b, err := abPair(ctx, i%2 == 1, bin, args, in, n)
		if err != nil {
			return nil, err
		}
		walls, csvWalls, rss = append(walls, a.wall), append(csvWalls, b.wall), append(rss, a.maxRSS)
		ratios = append(ratios, a.wall.Seconds()/b.wall.Seconds())
		logf("   pair %d: plan %s rows (%.0f MB): %.3f s wall, %.3f s CPU, peak RSS %.0f MB; encoding/csv alone: %.3f s wall, %.0f MB; ratio %.2f; %s",
			i+1, thousands(n), float64(fi.Size())/1e6, a.wall.Seconds(), a.cpu.Seconds(), mb(a.maxRSS), b.wall.Seconds(), mb(b.maxRSS),
			ratios[i], lineWith(a.stdout, "Plan:"))
	}
	wall, peak, ratio := median(walls), slices.Max(rss), median(ratios)
	return &measured{
		rows: []row{
			{
				Measure: fmt.Sprintf("Planning %s rows, no user reads (`bulkassign plan --read-users=false`, the built binary as its own process): wall time and peak RSS", thousands(n)),
				Value: fmt.Sprintf("**%s**, **%.0f MB** (median of %d runs: %.2f–%.2f s; the file is %.0f MB)",
					seconds(wall), mb(peak), len(walls), slices.Min(walls).Seconds(), slices.Max(walls).Seconds(), float64(fi.Size())/1e6),
				Target: "≤ 0.6 s and ≤ 120 MB",
				Result: verdicts("time", atMost(wall.Seconds(), 0.6), "RSS", atMost(mb(peak), 120)),
			},
			{
				Measure: "The same plan over reading the file with encoding/csv alone (A/B pairs in the same run, alternating)",
				Value: fmt.Sprintf("**%.1f×** (median of %d pairs: %.1f–%.1f×; encoding/csv alone %.3f s)",
					ratio, len(ratios), slices.Min(ratios), slices.Max(ratios), median(csvWalls).Seconds()),
				Target: "≤ 4×",
				Result: atMost(ratio, 4),
			},
		},
		notes: []string{"Planning: the built binary runs `bulkassign plan --base-url <fake> --customer <id> --input in.csv --read-users=false` " +
			"against the fake in another process (one catalogue read; 10^8 units of every SKU, so that the plan fits). " +
			"The input comes from plannertest.WriteCSV, the generator of `go run ./scripts/geninput -rows N -seed 1` " +
			"(E3 assignments, E3→E5 swaps, E5 with excluded plans, removals, Minecraft rows). " +
			"Time is the process's wall time from start to exit, RSS its peak resident set size (getrusage maxrss); MB = 10^6 bytes. " +
			"The baseline is this program started again (-probe csv) reading every record of the same file with encoding/csv " +
			"(buffered, records reused), also timed from start to exit; the pairs alternate which goes first."},
	}, nil
}

// abPair runs A, `bulkassign` with args (which must plan in full), and B, the
// encoding/csv probe over the same file of n rows; B first when bFirst.
func abPair(ctx context.Context, bFirst bool, bin string, args []string, in string, n int) (a, b procResult, err error) {
	planA := func() error {
		a, err = runProc(ctx, tokenEnv, bin, args...)
		if err == nil && !strings.Contains(a.stdout, "The plan can run in full.") {
			err = fmt.Errorf("bulkassign %s did not plan in full:\n%s", strings.Join(args, " "), tail(a.stdout, 2000))
		}
		return err
	}
	readB := func() error {
		var res probeResult
		res, b, err = readProbe(ctx, "csv", in)
		if err == nil && res.Records != n+1 {
			err = fmt.Errorf("encoding/csv read %d records of %s, want %d", res.Records, in, n+1)
		}
		return err
	}
	first, second := planA, readB
	if bFirst {
		first, second = readB, planA
	}
	if err := first(); err != nil {
		return a, b, err
	}
	return a, b, second()
}

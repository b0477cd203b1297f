package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// measureNames are the measures in the order they run and print.
var measureNames = []string{"pacing", "ceiling", "settle", "overhead", "planning", "listing", "lookups", "directory", "scale",
	"graph-ceiling", "graph-tenants"}

// sizes are how large each measure's job is: the full bench's sizes are those the
// targets are stated for; -quick runs every measure at a size that takes seconds, so
// that its code paths run, not to judge the figures.
type sizes struct {
	pacingRows  int           // pacing: rows of the default run
	seqRequests int           // pacing: requests the sequential loop sends (its time for pacingRows is projected)
	ceilingRows int           // ceiling: rows of the run
	settleRows  int           // settle: rows of the run
	settleAt    time.Duration // settle: when the fake's write limit is lowered, from the start of the sending
	overhead    int           // overhead: rows of the unlimited run
	benchtime   string        // overhead: -benchtime of BenchmarkRequestPath
	planRows    int           // planning: rows of the file planned without reads
	planPairs   int           // planning: A/B pairs (plan, then encoding/csv alone, alternating)
	listUsers   int           // listing: users in the directory listed
	smallRows   int           // lookups: rows of the small file
	smallDir    int           // lookups: users in the directory
	dirRows     int           // directory: rows of the file
	dirUsers    int           // directory: users in the directory
	scaleRows   []int         // scale: rows of each run
	graphRows   int           // graph-ceiling: rows of the run
	tenants     int           // graph-tenants: customer tenants
	tenantRows  int           // graph-tenants: rows of each tenant
}

var fullSizes = sizes{
	pacingRows: 3000, seqRequests: 400,
	ceilingRows: 3000,
	settleRows:  600, settleAt: 15 * time.Second,
	overhead: 60_000, benchtime: "20000x",
	planRows: 1_000_000, planPairs: 3,
	listUsers: 1_000_000,
	smallRows: 50, smallDir: 300_000,
	dirRows: 100_000, dirUsers: 1_000_000,
	scaleRows: []int{1_000, 10_000, 100_000},
	graphRows: 1200,
	tenants:   10, tenantRows: 200,
}

var quickSizes = sizes{
	pacingRows: 300, seqRequests: 40,
	ceilingRows: 260,
	settleRows:  140, settleAt: 4 * time.Second,
	overhead: 4000, benchtime: "2000x",
	planRows: 50_000, planPairs: 2,
	listUsers: 50_000,
	smallRows: 50, smallDir: 20_000,
	dirRows: 5_000, dirUsers: 50_000,
	scaleRows: []int{500, 1_000, 4_000},
	graphRows: 150,
	tenants:   10, tenantRows: 20,
}

// options are the bench's settings.
type options struct {
	sizes
	quick       bool
	verbose     bool
	concurrency int     // --concurrency of every run, as `bulkassign run` defaults it
	scaleRate   float64 // scale: --rate of the runs
	dir         string  // scratch directory, removed at the end
	moduleRoot  string
	command     string // the command line, for the table
}

// flags registers the bench's own flags (not the child process's) on fs.
func (o *options) flags(fs *flag.FlagSet) (only *string) {
	only = fs.String("only", "", "measures to run, comma-separated: "+strings.Join(measureNames, ",")+" (default: all)")
	fs.BoolVar(&o.quick, "quick", false, "run every measure at a small size (seconds each), to exercise its code; the figures judge nothing")
	fs.BoolVar(&o.verbose, "v", false, "print timelines (answers and 429s per second, the pace) on standard error")
	fs.IntVar(&o.concurrency, "concurrency", 8, "--concurrency of the runs")
	fs.Float64Var(&o.scaleRate, "scale-rate", 2000, "scale: --rate of the runs")
	fs.IntVar(&o.seqRequests, "seq-requests", 0, "pacing: requests the sequential loop sends (default 400; -quick 40); its time for the whole job is projected")
	return only
}

// applySizes sets the sizes of the mode, keeping a -seq-requests given.
func (o *options) applySizes() {
	seq := o.seqRequests
	o.sizes = fullSizes
	if o.quick {
		o.sizes = quickSizes
	}
	if seq > 0 {
		o.seqRequests = seq
	}
}

// selectMeasures returns the measures -only names, in run order; all when empty.
func selectMeasures(only string) ([]string, error) {
	if strings.TrimSpace(only) == "" {
		return measureNames, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(measureNames, n) {
			return nil, fmt.Errorf("-only %q: unknown measure %q (known: %s)", only, n, strings.Join(measureNames, ", "))
		}
		want[n] = true
	}
	var out []string
	for _, n := range measureNames {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

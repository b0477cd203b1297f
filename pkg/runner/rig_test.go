package runner

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

const customer = pcfake.DefaultCustomerID

// Product SKU IDs of samples/subscribedskus.json.
const (
	e3ID        = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	e5ID        = "c7df2760-2c81-4ef7-b578-5b5392b571df"
	minecraftID = "984df360-9a74-4647-8cf8-696749f6247a"
	axTaskID    = "54b84594-9c77-4499-8d65-5e0d5f410e78"
)

// inputCSV returns an input file of n rows: mostly E3 assignments, E3-to-E5 swaps, E5
// assignments, and every tenth row Minecraft (license group 2) for the user of the row
// before, so that this user needs two requests. Two more rows ask for Dynamics AX Task,
// of which there is one unit: under ShortfallPartial the second is planned skipped.
func inputCSV(n int) string {
	var b strings.Builder
	b.WriteString("user,sku,remove_sku\n")
	user := func(i int) string { return fmt.Sprintf("user%04d@contoso.onmicrosoft.com", i) }
	for i := range n {
		switch i % 10 {
		case 6, 7:
			fmt.Fprintf(&b, "%s,ENTERPRISEPREMIUM,ENTERPRISEPACK\n", user(i))
		case 8:
			fmt.Fprintf(&b, "%s,Minecraft Education Edition Faculty,\n", user(i-1))
		case 9:
			fmt.Fprintf(&b, "%s,Office 365 Enterprise E5,\n", user(i))
		default:
			fmt.Fprintf(&b, "%s,ENTERPRISEPACK,\n", user(i))
		}
	}
	b.WriteString("ax.one@contoso.onmicrosoft.com,AX_TASK_USER,\n")
	b.WriteString("ax.two@contoso.onmicrosoft.com,AX_TASK_USER,\n")
	return b.String()
}

// memSink keeps every result offered to it; from failFrom on (1-based; 0: never) its
// writes fail, all of them or, with failOnce, only that one.
type memSink struct {
	mu       sync.Mutex
	results  []report.Result
	failFrom int
	failOnce bool
	onWrite  func(n int, r report.Result) // called after each offered result with the count so far
}

var errDiskFull = errors.New("write results.csv: no space left on device")

func (s *memSink) Write(r report.Result) error {
	s.mu.Lock()
	s.results = append(s.results, r)
	n := len(s.results)
	s.mu.Unlock()
	if s.onWrite != nil {
		s.onWrite(n, r)
	}
	if s.failFrom > 0 && (n == s.failFrom || !s.failOnce && n > s.failFrom) {
		return errDiskFull
	}
	return nil
}

func (s *memSink) all() []report.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.results)
}

// rig is a pcfake server, Partner Center's backend talking to it in process through a
// pacer, and a plan made against that backend's catalogue.
type rig struct {
	fake  *pcfake.Server
	pacer *client.Pacer
	be    *partnercenter.Backend
	plan  *planner.Plan
}

type rigConfig struct {
	rows   int
	rate   float64
	burst  int
	fake   []pcfake.Option
	client []client.Option
	users  client.Directory // where the plan reads the users; nil: not read
	// wrap, when set, wraps the fake's transport, to watch or alter what goes through.
	wrap func(http.RoundTripper) http.RoundTripper
}

func newRig(t *testing.T, rc rigConfig) *rig {
	t.Helper()
	skus, err := pcfake.LoadCatalogueFile("../../samples/subscribedskus.json")
	if err != nil {
		t.Fatal(err)
	}
	fake, err := pcfake.New(append([]pcfake.Option{pcfake.WithCustomer(customer, skus), pcfake.WithRequestLog(), pcfake.WithSeed(7)}, rc.fake...)...)
	if err != nil {
		t.Fatal(err)
	}
	pacer := client.NewPacer(rc.rate, rc.burst)
	transport := fake.Transport()
	if rc.wrap != nil {
		transport = rc.wrap(transport)
	}
	opts := append([]client.Option{
		client.WithBaseURL("https://pc.example.test/"),
		client.WithHTTPClient(&http.Client{Transport: transport}),
		client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-access-token"})),
		client.WithLimiter(pacer),
	}, rc.client...)
	be, err := partnercenter.NewBackend(opts...)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.Build(t.Context(), strings.NewReader(inputCSV(rc.rows)), be,
		planner.Options{DefaultCustomer: customer, Shortfall: planner.ShortfallPartial, Users: rc.users})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{fake: fake, pacer: pacer, be: be, plan: plan}
}

// config is cfg with the pacer's count of 429s as Config.Throttled.
func (rg *rig) config(cfg Config) Config {
	cfg.Throttled = rg.pacer.Throttled
	return cfg
}

// checkEveryRowOnce asserts one result per plan row, each line once, with the row's
// own fields.
func checkEveryRowOnce(t *testing.T, plan *planner.Plan, results []report.Result) map[int]report.Result {
	t.Helper()
	byLine := make(map[int]report.Result, len(results))
	for _, r := range results {
		if _, dup := byLine[r.Line]; dup {
			t.Errorf("line %d has more than one result", r.Line)
		}
		byLine[r.Line] = r
	}
	if len(results) != plan.NumRows() {
		t.Errorf("%d results, want one per plan row: %d", len(results), plan.NumRows())
	}
	for i := range plan.NumRows() {
		row := plan.Row(i)
		r, ok := byLine[row.Line]
		if !ok {
			t.Errorf("line %d has no result", row.Line)
			continue
		}
		if r.User != row.User || r.Customer != row.Customer || r.Sku != row.Sku || r.SkuID != row.SkuID ||
			r.RemoveSku != row.RemoveSku || r.LicenseGroup != row.LicenseGroup {
			t.Errorf("line %d: result %+v does not carry the row %+v", row.Line, r, row)
		}
		if row.Status == planner.StatusSkipped && (r.Status != report.StatusSkipped || r.ErrorMessage != row.Reason) {
			t.Errorf("line %d planned skipped (%q): result %s %q", row.Line, row.Reason, r.Status, r.ErrorMessage)
		}
	}
	return byLine
}

// checkLedger asserts that the fake's ledger holds exactly what the succeeded rows
// assigned (each SKU once per user) and that the consumed units grew by as much.
func checkLedger(t *testing.T, fake *pcfake.Server, before map[string]int, results []report.Result) {
	t.Helper()
	holdings := fake.Holdings(customer)
	want := map[string]int{}
	for _, r := range results {
		if r.Status != report.StatusSucceeded || r.SkuID == "" {
			continue
		}
		want[r.SkuID]++
		if _, ok := holdings[r.User][r.SkuID]; !ok {
			t.Errorf("line %d succeeded but %s does not hold %s", r.Line, r.User, r.SkuID)
		}
	}
	held := map[string]int{}
	for _, skus := range holdings {
		for id := range skus {
			held[id]++
		}
	}
	for _, id := range []string{e3ID, e5ID, minecraftID, axTaskID} {
		_, consumed := fake.Units(customer, id)
		if got := consumed - before[id]; got != want[id] || held[id] != want[id] {
			t.Errorf("SKU %s: %d units consumed and %d holders, want %d (succeeded rows)", id, got, held[id], want[id])
		}
	}
}

func consumedUnits(fake *pcfake.Server) map[string]int {
	m := map[string]int{}
	for _, id := range []string{e3ID, e5ID, minecraftID, axTaskID} {
		_, m[id] = fake.Units(customer, id)
	}
	return m
}

// checkRate asserts that no window of one second holds more than limit requests.
func checkRate(t *testing.T, reqs []pcfake.Request, limit int) {
	t.Helper()
	at := make([]time.Time, len(reqs))
	for i, r := range reqs {
		at[i] = r.At
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	if n := maxInWindow(at, time.Second); n > limit {
		t.Errorf("%d requests within one second, want at most %d (rate plus burst)", n, limit)
	}
}

// checkGroups asserts that no POST carried licenses of two license groups.
func checkGroups(t *testing.T, reqs []pcfake.Request) {
	t.Helper()
	for _, r := range reqs {
		if r.Method == http.MethodPost && len(r.Groups) > 1 {
			t.Errorf("request %s for %s mixes license groups %v", r.RequestID, r.User, r.Groups)
		}
	}
}

func countStatus(results []report.Result) map[report.Status]int {
	m := map[report.Status]int{}
	for _, r := range results {
		m[r.Status]++
	}
	return m
}

// maxInWindow is the most times of ts (sorted) that fall within one window of w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	best := 0
	for i, start := range ts {
		n := 0
		for _, t := range ts[i:] {
			if t.Sub(start) >= w {
				break
			}
			n++
		}
		best = max(best, n)
	}
	return best
}

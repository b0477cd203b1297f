package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
	"github.com/bulkassign/bulkassign/pkg/report"
)

// A plan that read its users: rows already done are written without a request, and
// the rows that undo each change reach the rollback file before the change is sent.

// inputUsers is a directory of the users of inputCSV(n), user i with object ID
// plannertest.ObjectID(i): the users of swaps (and of every tenth row) hold E3, so that
// swaps swap and those rows are already done. holders lists who holds E3.
func inputUsers(n int) (dir *plannertest.Directory, holders []string) {
	var users []client.User
	for i := range n {
		u := plannertest.ActiveUser(plannertest.ObjectID(i), fmt.Sprintf("user%04d@contoso.onmicrosoft.com", i))
		if i%10 == 0 || i%10 == 6 || i%10 == 7 {
			u = plannertest.Holding(u, e3ID)
			holders = append(holders, u.ID)
		}
		users = append(users, u)
	}
	users = append(users, plannertest.ActiveUser(plannertest.ObjectID(n), "ax.one@contoso.onmicrosoft.com"),
		plannertest.ActiveUser(plannertest.ObjectID(n+1), "ax.two@contoso.onmicrosoft.com"))
	dir = plannertest.NewDirectory()
	dir.Set(customer, users...)
	return dir, holders
}

// arrivals records every POST as it reaches the transport, before it is answered.
type arrivals struct {
	next  http.RoundTripper
	mu    sync.Mutex
	users map[string]int // the user path segment of each POST -> POSTs so far
}

func (a *arrivals) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost {
		parts := strings.Split(req.URL.Path, "/") // .../customers/{c}/users/{u}/licenseupdates
		a.mu.Lock()
		a.users[strings.ToLower(parts[len(parts)-2])]++
		a.mu.Unlock()
	}
	return a.next.RoundTrip(req)
}

func (a *arrivals) posts(user string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[strings.ToLower(user)]
}

// rollbackLog is a RollbackWriter that keeps its rows, notes each row whose change
// had already reached the service, and fails from its failFrom-th row on (0: never).
// Its events name changes as "<user> <license group>".
type rollbackLog struct {
	mu       sync.Mutex
	rows     []report.RollbackRow
	events   []string // "undo <change>", "fail <change>", and what apply adds
	groupOf  map[int]string
	arrived  *arrivals
	multi    map[string]bool // users with more than one change, whose POSTs arrivals cannot tell apart
	late     []string        // users whose change reached the service before its undo row
	failFrom int
	tries    int
}

// newRollbackLog returns a log of the changes of plan.
func newRollbackLog(plan *planner.Plan) *rollbackLog {
	l := &rollbackLog{groupOf: map[int]string{}, multi: map[string]bool{}}
	for i := range plan.NumRows() {
		l.groupOf[plan.Row(i).Line] = plan.Row(i).LicenseGroup
	}
	seen := map[string]bool{}
	for i := range plan.NumChanges() {
		u := plan.Change(i).User
		l.multi[u], seen[u] = seen[u], true
	}
	return l
}

// changeKey names a change in the log.
func changeKey(ch client.Change) string { return ch.User + " " + ch.Group }

var errRollbackFull = errors.New("write rollback.csv: no space left on device")

func (l *rollbackLog) Write(r report.RollbackRow) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := r.User + " " + l.groupOf[r.Lines[0]]
	if l.tries++; l.failFrom > 0 && l.tries >= l.failFrom {
		l.events = append(l.events, "fail "+key)
		return errRollbackFull
	}
	if l.arrived != nil && !l.multi[r.User] && l.arrived.posts(r.User) > 0 {
		l.late = append(l.late, r.User)
	}
	l.rows = append(l.rows, r)
	l.events = append(l.events, "undo "+key)
	return nil
}

func (l *rollbackLog) event(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *rollbackLog) snapshot() ([]report.RollbackRow, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.rows), slices.Clone(l.events)
}

// undoRows is every undo row of the plan, as text, sorted.
func undoRows(plan *planner.Plan) []string {
	var out []string
	for i := range plan.NumChanges() {
		for _, r := range plan.Change(i).Undo {
			out = append(out, fmt.Sprintf("%+v", r))
		}
	}
	slices.Sort(out)
	return out
}

func TestRunDiffAgainstTheService(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir, holders := inputUsers(60)
		arrived := &arrivals{users: map[string]int{}}
		var fakeOpts []pcfake.Option
		for _, id := range holders {
			fakeOpts = append(fakeOpts, pcfake.WithHolder(customer, id, e3ID))
		}
		rg := newRig(t, rigConfig{rows: 60, rate: 20, burst: 2, users: dir,
			fake: append(fakeOpts, pcfake.WithLatency(100*time.Millisecond, 50*time.Millisecond)),
			wrap: func(next http.RoundTripper) http.RoundTripper { arrived.next = next; return arrived }})
		rb := newRollbackLog(rg.plan)
		rb.arrived = arrived
		sink := &memSink{}
		stats, err := Run(t.Context(), rg.plan, rg.be, sink, rg.config(Config{Concurrency: 4, Rollback: rb}))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		results := sink.all()
		byLine := checkEveryRowOnce(t, rg.plan, results)
		unchanged := 0
		for i := range rg.plan.NumRows() {
			row := rg.plan.Row(i)
			r := byLine[row.Line]
			switch row.Status {
			case planner.StatusUnchanged:
				unchanged++
				if r.Status != report.StatusUnchanged || r.ErrorMessage != row.Reason || r.RequestID != "" || arrived.posts(row.UserID) != 0 {
					t.Errorf("line %d already done: result %+v, %d POSTs for %s; want unchanged, no request", row.Line, r, arrived.posts(row.UserID), row.UserID)
				}
			case planner.StatusPlanned:
				if want := changesOf(rg.plan, row.UserID); r.Status != report.StatusSucceeded || r.UserID != row.UserID || arrived.posts(row.UserID) != want {
					t.Errorf("line %d: result %+v, %d POSTs; want succeeded, one request per change of the user (%d)", row.Line, r, arrived.posts(row.UserID), want)
				}
			}
		}
		if unchanged == 0 || stats.Counts[report.StatusUnchanged] != unchanged {
			t.Errorf("%d rows unchanged, stats %v: the input lost its rows already done", unchanged, stats.Counts)
		}
		rows, _ := rb.snapshot()
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%+v", r))
		}
		slices.Sort(got)
		if want := undoRows(rg.plan); len(want) == 0 || !slices.Equal(got, want) || stats.RollbackRows != len(want) {
			t.Errorf("rollback rows (%d counted):\n got %q\nwant %q", stats.RollbackRows, got, want)
		}
		if len(rb.late) > 0 {
			t.Errorf("undo rows written after their change reached the service: %q", rb.late)
		}
		holdings := rg.fake.Holdings(customer)
		for _, r := range results {
			if r.Status == report.StatusSucceeded && r.SkuID != "" {
				if _, ok := holdings[r.UserID][r.SkuID]; !ok {
					t.Errorf("line %d succeeded but %s does not hold %s", r.Line, r.UserID, r.SkuID)
				}
			}
		}
	})
}

// loggingApplier applies every change after a while and notes it in the rollback log.
type loggingApplier struct {
	log     *rollbackLog
	latency time.Duration
}

func (a loggingApplier) Apply(ctx context.Context, ch client.Change, call *client.Call) (client.Applied, error) {
	a.log.event("apply " + changeKey(ch))
	call.Attempts, call.RequestID = 1, "req-"+ch.User
	if err := client.Sleep(ctx, a.latency); err != nil {
		return client.Applied{}, err
	}
	call.StatusCode = http.StatusCreated
	return client.Applied{}, nil
}

// readPlan plans inputCSV(n) against the sample catalogue, reading inputUsers(n) when
// read is set.
func readPlan(t *testing.T, n int, read bool) *planner.Plan {
	t.Helper()
	opts := planner.Options{DefaultCustomer: customer, Shortfall: planner.ShortfallPartial}
	if read {
		opts.Users, _ = inputUsers(n)
	}
	plan, err := planner.Build(t.Context(), strings.NewReader(inputCSV(n)), plannertest.NewCatalogue(plannertest.SampleSkus()), opts)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestRunWritesUndoAheadOfEachChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plan := readPlan(t, 50, true)
		rb := newRollbackLog(plan)
		stats, err := Run(t.Context(), plan, loggingApplier{rb, 200 * time.Millisecond}, &memSink{}, Config{Concurrency: 4, Rollback: rb})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		_, events := rb.snapshot()
		for i := range plan.NumChanges() {
			ch := plan.Change(i)
			at := slices.Index(events, "apply "+changeKey(ch.Change))
			if at < 0 {
				t.Errorf("change %d (%s) not applied", i, changeKey(ch.Change))
				continue
			}
			if n := countEvents(events, "undo "+changeKey(ch.Change)); n != len(ch.Undo) || n == 0 || countEvents(events[:at], "undo "+changeKey(ch.Change)) != n {
				t.Errorf("change %d (%s): %d of its %d undo rows written before it was applied", i, changeKey(ch.Change), countEvents(events[:at], "undo "+changeKey(ch.Change)), len(ch.Undo))
			}
		}
		if want := len(undoRows(plan)); stats.RollbackRows != want || countPrefix(events, "undo ") != want {
			t.Errorf("%d rollback rows counted, %d written, want %d", stats.RollbackRows, countPrefix(events, "undo "), want)
		}
	})
}

// TestRunWritesNoUndoWithoutReads: a plan that did not read its users has no undo rows,
// and the rollback file gets nothing.
func TestRunWritesNoUndoWithoutReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plan := readPlan(t, 30, false)
		rb := newRollbackLog(plan)
		stats, err := Run(t.Context(), plan, loggingApplier{rb, time.Millisecond}, &memSink{}, Config{Rollback: rb})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		rows, events := rb.snapshot()
		if len(rows) != 0 || stats.RollbackRows != 0 || countPrefix(events, "apply ") != plan.NumChanges() {
			t.Errorf("%d rollback rows (%d counted), %d changes applied of %d; want none written, all applied",
				len(rows), stats.RollbackRows, countPrefix(events, "apply "), plan.NumChanges())
		}
	})
}

// TestRunStopsWhenRollbackUnwritable: a change whose undo rows cannot be written is not
// sent, and the run stops as when results cannot be written.
func TestRunStopsWhenRollbackUnwritable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plan := readPlan(t, 50, true)
		rb := newRollbackLog(plan)
		rb.failFrom = 12
		sink := &memSink{}
		stats, err := Run(t.Context(), plan, loggingApplier{rb, 200 * time.Millisecond}, sink, Config{Concurrency: 4, Rollback: rb})
		if !errors.Is(err, ErrOutputUnwritable) || !errors.Is(err, errRollbackFull) || !strings.Contains(err.Error(), "rollback") {
			t.Fatalf("Run = %v, want ErrOutputUnwritable wrapping the rollback's write error", err)
		}
		_, events := rb.snapshot()
		failed := strings.TrimPrefix(events[slices.IndexFunc(events, func(e string) bool { return strings.HasPrefix(e, "fail ") })], "fail ")
		for i, e := range events {
			// Only a change whose undo rows were all written may be applied.
			if key, ok := strings.CutPrefix(e, "apply "); ok {
				if key == failed || countEvents(events[:i], "undo "+key) != len(changeOf(plan, key).Undo) {
					t.Errorf("%s applied without its undo rows written: %q", key, events[:i+1])
				}
			}
		}
		results := sink.all()
		checkEveryRowOnce(t, plan, results)
		notSent := 0
		for _, r := range results {
			if r.UserID+" "+r.LicenseGroup == failed && r.Status != report.StatusSkipped {
				t.Errorf("line %d of the change whose undo rows failed: %s %q, want skipped", r.Line, r.Status, r.ErrorMessage)
			}
			if strings.HasPrefix(r.ErrorMessage, "not sent: output unwritable (rollback file unwritable: write rollback.csv: no space left on device)") {
				notSent++
			}
		}
		if notSent == 0 || stats.RollbackRows != 11 {
			t.Errorf("%d rows not sent for the rollback, %d rollback rows counted; want some, and the 11 written", notSent, stats.RollbackRows)
		}
	})
}

// changeOf returns the change of plan that key names.
func changeOf(plan *planner.Plan, key string) planner.Change {
	for i := range plan.NumChanges() {
		if c := plan.Change(i); changeKey(c.Change) == key {
			return c
		}
	}
	return planner.Change{}
}

// changesOf counts the changes of plan for user.
func changesOf(plan *planner.Plan, user string) int {
	n := 0
	for i := range plan.NumChanges() {
		if plan.Change(i).User == user {
			n++
		}
	}
	return n
}

func countEvents(events []string, e string) int {
	n := 0
	for _, x := range events {
		if x == e {
			n++
		}
	}
	return n
}

func countPrefix(events []string, prefix string) int {
	n := 0
	for _, x := range events {
		if strings.HasPrefix(x, prefix) {
			n++
		}
	}
	return n
}

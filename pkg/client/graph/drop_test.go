package graph_test

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

// dropFirstBatch makes the first $batch reach the fake (which applies it) and then
// lose its answer, as a connection closed mid-exchange does.
func dropFirstBatch(e *env) {
	var once sync.Once
	e.rec.hook = func(r *http.Request, _ []byte) (*http.Response, error, bool) {
		if !strings.HasSuffix(r.URL.Path, "/$batch") {
			return nil, nil, false
		}
		dropped := false
		once.Do(func() { dropped = true })
		if !dropped {
			return nil, nil, false
		}
		if resp, err := e.fake.Transport().RoundTrip(r); err == nil {
			resp.Body.Close()
		}
		return nil, io.ErrUnexpectedEOF, true
	}
}

// swapAndAssign are two changes for users 1 and 2: a swap (E5 for E3) and an
// assignment.
func swapAndAssign(e *env) []client.Change {
	return []client.Change{
		{Customer: tenantA, User: e.users[0].ID, Assign: []client.Assignment{{SkuID: skuE5}}, Remove: []string{skuE3}},
		assign(tenantA, e.users[1].ID, skuE5),
	}
}

// TestADroppedBatchIsCheckedBeforeItIsSentAgain: the $batch was applied but its
// answer lost. Each item reads its user: the change shows, so nothing is sent again:
// no seat is taken twice and the swap's removal is not refused as "not held".
func TestADroppedBatchIsCheckedBeforeItIsSentAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, []graphfake.Option{graphfake.WithHolder(tenantA, "user00001@contoso.onmicrosoft.com", skuE3, nil)})
		dropFirstBatch(e)
		free5, _ := e.fake.Units(tenantA, skuE5)
		changes := swapAndAssign(e)
		var applied [2]client.Applied
		var errs [2]error
		var wg sync.WaitGroup
		for i, ch := range changes {
			wg.Go(func() { applied[i], errs[i] = e.be.Apply(context.Background(), ch, nil) })
		}
		wg.Wait()
		for i := range changes {
			if errs[i] != nil || len(applied[i].Warnings) != 1 || !strings.Contains(applied[i].Warnings[0], "answer to an attempt was lost") {
				t.Fatalf("change %d: %+v, %v", i, applied[i], errs[i])
			}
		}
		want := map[string]map[string][]string{e.users[0].ID: {skuE5: {}}, e.users[1].ID: {skuE5: {}}}
		if h := e.fake.Holdings(tenantA); !reflect.DeepEqual(h, want) {
			t.Errorf("holdings %v, want %v", h, want)
		}
		if f, _ := e.fake.Units(tenantA, skuE5); f != free5-2 {
			t.Errorf("E5 free %d, want %d", f, free5-2)
		}
		st := e.fake.Stats()
		if len(e.rec.batches(t)) != 1 || st.Applied != 2 || st.Reapplied != 0 || st.Gets != 2 {
			t.Errorf("%d batches, stats %+v: want 1 batch applied once, 2 reads", len(e.rec.batches(t)), st)
		}
	})
}

// TestADroppedBatchUnderReadLag reports what happens when the check cannot see the
// change yet (Entra ID's eventual consistency): the assignment is sent again, which
// Graph takes as an update (no second seat); the swap is sent again and refused, its
// removal no longer held, and still looks unapplied: the change fails as "license
// not held" although the ledger holds it once, as asked. A resumed run's planner
// reads the user again and sends nothing for it.
func TestADroppedBatchUnderReadLag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, []graphfake.Option{
			graphfake.WithHolder(tenantA, "user00001@contoso.onmicrosoft.com", skuE3, nil),
			graphfake.WithReadLag(10 * time.Minute),
		})
		dropFirstBatch(e)
		free5, _ := e.fake.Units(tenantA, skuE5)
		errs := applyAll(e.be, swapAndAssign(e))
		wantReason(t, errs[0], http.StatusBadRequest, client.ReasonNotHeld)
		if errs[1] != nil {
			t.Fatalf("assignment: %v", errs[1])
		}
		want := map[string]map[string][]string{e.users[0].ID: {skuE5: {}}, e.users[1].ID: {skuE5: {}}}
		if h := e.fake.Holdings(tenantA); !reflect.DeepEqual(h, want) {
			t.Errorf("holdings %v, want %v", h, want)
		}
		if f, _ := e.fake.Units(tenantA, skuE5); f != free5-2 {
			t.Errorf("E5 free %d, want %d: a repeated assignment takes no second seat", f, free5-2)
		}
		if st := e.fake.Stats(); st.Reapplied != 1 || len(e.fake.Repeats()) != 1 {
			t.Errorf("stats %+v, repeats %v: want the assignment applied twice", st, e.fake.Repeats())
		}
	})
}

// TestWritesThroughDroppedConnectionsEndAsAsked drives 40 changes through a fake
// that drops the connection of 30% of the $batches it applied.
func TestWritesThroughDroppedConnectionsEndAsAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var holders []graphfake.Option
		for i := 0; i < 40; i += 2 {
			holders = append(holders, graphfake.WithHolder(tenantA, userName(i), skuE3, nil))
		}
		e := newEnv(t, 40, append(holders, graphfake.WithDropRate(0.3)))
		free3, _ := e.fake.Units(tenantA, skuE3)
		free5, _ := e.fake.Units(tenantA, skuE5)
		var changes []client.Change
		want := map[string]map[string][]string{}
		for i, u := range e.users {
			ch := assign(tenantA, u.ID, skuE5)
			if i%2 == 0 {
				ch.Remove = []string{skuE3} // a swap
			}
			changes = append(changes, ch)
			want[u.ID] = map[string][]string{skuE5: {}}
		}
		for i, err := range applyAll(e.be, changes) {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		st := e.fake.Stats()
		if st.Dropped == 0 || st.Reapplied != 0 {
			t.Fatalf("stats %+v: want drops, nothing applied twice", st)
		}
		if h := e.fake.Holdings(tenantA); !reflect.DeepEqual(h, want) {
			t.Errorf("holdings %v", h)
		}
		f3, _ := e.fake.Units(tenantA, skuE3)
		f5, _ := e.fake.Units(tenantA, skuE5)
		if f3 != free3+20 || f5 != free5-40 {
			t.Errorf("free E3 %d (want %d), E5 %d (want %d)", f3, free3+20, f5, free5-40)
		}
		var ids []string
		for _, r := range e.fake.Requests() {
			if r.BatchItemID != "" && r.Status == http.StatusOK {
				ids = append(ids, r.ClientRequestID)
			}
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 40 {
			t.Errorf("%d distinct items applied, want 40", len(ids))
		}
	})
}

func userName(i int) string {
	return graphfake.GenerateUsers(i+1, "contoso.onmicrosoft.com", 1)[i].UserPrincipalName
}

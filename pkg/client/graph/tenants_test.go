package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

// TestTwoTenantsEachWithItsToken applies changes to two customers at once: each
// $batch carries one tenant's writes with that tenant's token, and each ledger gets
// exactly its own.
func TestTwoTenantsEachWithItsToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 12, nil)
		var changes []client.Change
		for i := range e.users {
			changes = append(changes, assign(tenantA, e.users[i].ID, skuE3), assign(tenantB, e.usersB[i].UserPrincipalName, skuE5))
		}
		for i, err := range applyAll(e.be, changes) {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		for i := range e.users {
			if h := e.fake.Holdings(tenantA)[e.users[i].ID]; !reflect.DeepEqual(h, map[string][]string{skuE3: {}}) {
				t.Errorf("tenant A user %d holds %v", i, h)
			}
			if h := e.fake.Holdings(tenantB)[e.usersB[i].ID]; !reflect.DeepEqual(h, map[string][]string{skuE5: {}}) {
				t.Errorf("tenant B user %d holds %v", i, h)
			}
		}
		if len(e.fake.Holdings(tenantA)) != 12 || len(e.fake.Holdings(tenantB)) != 12 {
			t.Errorf("holdings A %v, B %v", e.fake.Holdings(tenantA), e.fake.Holdings(tenantB))
		}
		batches := 0
		for _, s := range e.rec.sent() {
			if !strings.HasSuffix(s.URL, "$batch") {
				continue
			}
			batches++
			var b struct{ Requests []batchItem }
			if err := json.Unmarshal(s.Body, &b); err != nil {
				t.Fatal(err)
			}
			inB := 0
			for _, it := range b.Requests {
				if strings.Contains(it.URL, "fabrikam") {
					inB++
				}
			}
			tok := tokenA
			if inB > 0 {
				tok = tokenB
			}
			if inB != 0 && inB != len(b.Requests) || s.Header.Get("Authorization") != "Bearer "+tok {
				t.Errorf("a $batch of %d items, %d of tenant B, sent with tenant B's token: %v", len(b.Requests), inB, s.Header.Get("Authorization") == "Bearer "+tokenB)
			}
		}
		if batches != 2 {
			t.Errorf("%d batches, want one per tenant", batches)
		}
		if e.ts.asked[tenantA] == 0 || e.ts.asked[tenantB] == 0 || len(e.ts.asked) != 2 {
			t.Errorf("tokens asked %v", e.ts.asked)
		}
	})
}

// TestAnotherTenantsTokenReachesOnlyItsOwnTenant: a token source that hands out
// tenant B's token for tenant A sends A's change into B, where A's user does not
// exist: refused 404, and neither ledger changes.
func TestAnotherTenantsTokenReachesOnlyItsOwnTenant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 2, nil)
		e.ts.byTen[tenantA] = tokenB
		_, err := e.be.Apply(context.Background(), assign(tenantA, e.users[0].ID, skuE3), nil)
		wantReason(t, err, http.StatusNotFound, client.ReasonUserNotFound)
		if a, b := e.fake.Holdings(tenantA), e.fake.Holdings(tenantB); len(a) != 0 || len(b) != 0 {
			t.Fatalf("holdings A %v, B %v", a, b)
		}
		for _, r := range e.fake.Requests() {
			if r.Tenant != tenantB {
				t.Errorf("request %s %s ran in tenant %s", r.Method, r.Path, r.Tenant)
			}
		}
	})
}

// TestWritesOfTwoTenantsArePacedApart: 20 writes a second per tenant; 40 writes for
// each of two tenants take two seconds together, not four, each tenant at its pace.
func TestWritesOfTwoTenantsArePacedApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pacing := client.NewPacing(client.PacingConfig{
			Read: client.Budget{Rate: 50, Burst: 1}, Write: client.Budget{Rate: 20, Burst: 1},
			PerTenant: true, AppWrite: client.Budget{Rate: 35000.0 / 300, Burst: 1},
		})
		e := newEnv(t, 40, []graphfake.Option{graphfake.WithoutThrottling()}, client.WithLimiter(pacing))
		var changes []client.Change
		for i := range e.users {
			changes = append(changes, assign(tenantA, e.users[i].ID, skuE3), assign(tenantB, e.usersB[i].ID, skuE3))
		}
		start := time.Now()
		for i, err := range applyAll(e.be, changes) {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		if d := time.Since(start); d < 1950*time.Millisecond || d > 2100*time.Millisecond {
			t.Errorf("80 writes of two tenants at 20/s each took %v, want about 2s", d)
		}
		at := map[string][]time.Time{}
		for _, r := range e.fake.Requests() {
			if r.BatchItemID != "" {
				at[r.Tenant] = append(at[r.Tenant], r.At)
			}
		}
		for tenant, times := range at {
			if len(times) != 40 {
				t.Fatalf("tenant %s: %d writes", tenant, len(times))
			}
			for i := 20; i < len(times); i++ {
				if d := times[i].Sub(times[i-20]); d < 950*time.Millisecond {
					t.Errorf("tenant %s: 21 writes within %v", tenant, d)
				}
			}
		}
		if a, _, _ := pacing.Stats(client.Write); a != 80 {
			t.Errorf("the pacing saw %d write attempts, want 80 (one per item)", a)
		}
	})
}

// TestAThrottledItemSlowsItsTenantOnly: tenant A's burst meets the fake's write
// budget; its items' 429s, reported to the pacing, lower A's pace and leave B's.
func TestAThrottledItemSlowsItsTenantOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pacing := client.NewPacing(client.PacingConfig{
			Read: client.Budget{Rate: 50, Burst: 1}, Write: client.Budget{Rate: 20, Burst: 20}, PerTenant: true,
		})
		e := newEnv(t, 60, []graphfake.Option{graphfake.WithWriteLimit(10, time.Second)}, client.WithLimiter(pacing))
		var changes []client.Change
		for i := range e.users {
			changes = append(changes, assign(tenantA, e.users[i].ID, skuE3))
		}
		for i := range 5 {
			changes = append(changes, assign(tenantB, e.usersB[i].ID, skuE3))
		}
		for i, err := range applyAll(e.be, changes) {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		a, b := pacing.Pacer(client.Write, tenantA), pacing.Pacer(client.Write, tenantB)
		if a.Throttled() == 0 || a.Limit() >= 20 {
			t.Errorf("tenant A: %d throttled, pace %v; want 429s and a slower pace", a.Throttled(), a.Limit())
		}
		if b.Throttled() != 0 || b.Limit() != 20 || b.Attempts() != 5 {
			t.Errorf("tenant B: %d throttled, pace %v, %d attempts; want none, 20, 5", b.Throttled(), b.Limit(), b.Attempts())
		}
		if st := e.fake.Stats(); st.Applied != 65 || st.Reapplied != 0 || st.Throttled != a.Throttled() {
			t.Errorf("stats %+v", st)
		}
	})
}

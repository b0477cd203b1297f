package client

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// throttle reports a 429 asking for a second's wait to pacing, for a write of tenant.
func throttle(p *Pacing, tenant string) {
	call := &Call{Kind: Write, Tenant: tenant}
	p.Observe(call, Attempt{Kind: Write, Tenant: tenant, Number: 1, StatusCode: 429, RetryAfter: time.Second, Elapsed: 10 * time.Millisecond})
}

// waited reports how long a call of kind for tenant waits for its turn.
func waited(t *testing.T, p *Pacing, kind Kind, tenant string) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.Wait(context.Background(), &Call{Kind: kind, Tenant: tenant}); err != nil {
		t.Fatalf("Wait(%v, %q): %v", kind, tenant, err)
	}
	return time.Since(start)
}

// TestPacingCarriesOneWriteBudgetAcrossCustomers: on Partner Center one write budget
// serves every customer, so the pace a write 429 taught while customer A's rows were
// sent is where customer B's writes start, and the read budget is left alone.
func TestPacingCarriesOneWriteBudgetAcrossCustomers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacing(PacingConfig{Read: Budget{Rate: 10, Burst: 1}, Write: Budget{Rate: 16, Burst: 1}})
		warmUp(t, p.Pacer(Write, "customer-a"))
		throttle(p, "customer-a")
		a, b := p.Pacer(Write, "customer-a"), p.Pacer(Write, "customer-b")
		if a != b {
			t.Fatal("customers A and B have write budgets of their own; want one for every customer")
		}
		if got := b.Limit(); got >= 16 {
			t.Errorf("customer B's writes start at %v after A's 429, want below the 16 the 429 refused", got)
		}
		if got := p.Pacer(Read, "customer-a").Limit(); got != 10 {
			t.Errorf("read pace after a write 429 = %v, want the read budget's 10", got)
		}
		if d := waited(t, p, Read, "customer-b"); d != 0 {
			t.Errorf("a read waited %v behind the write 429's gate, want no wait", d)
		}
		if d := waited(t, p, Write, "customer-b"); d < time.Second {
			t.Errorf("customer B's write waited %v, want the second the 429 asked for", d)
		}
		if att, thr, _ := p.Stats(Write); thr != 1 || att != 1 {
			t.Errorf("write stats: %d attempts, %d throttled; want the one 429", att, thr)
		}
		if _, thr, _ := p.Stats(Read); thr != 0 {
			t.Errorf("read stats: %d throttled, want 0", thr)
		}
	})
}

// TestPacingPerTenantKeepsEachTenantsPace: on Graph each tenant has budgets of its
// own, named without regard to case; one tenant's 429 slows it and nobody else, and it
// keeps the pace it learned for its later calls.
func TestPacingPerTenantKeepsEachTenantsPace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacing(PacingConfig{Read: Budget{Rate: 10, Burst: 1}, Write: Budget{Rate: 16, Burst: 1}, PerTenant: true})
		warmUp(t, p.Pacer(Write, "tenant-a"))
		throttle(p, "Tenant-A")
		if p.Pacer(Write, "TENANT-A") != p.Pacer(Write, "tenant-a") {
			t.Fatal("one tenant spelt in two cases has two write budgets")
		}
		lowered := p.Pacer(Write, "tenant-a").Limit()
		if lowered >= 16 {
			t.Errorf("tenant A's pace after its 429 = %v, want below 16", lowered)
		}
		if got := p.Pacer(Write, "tenant-b").Limit(); got != 16 {
			t.Errorf("tenant B's pace after A's 429 = %v, want 16", got)
		}
		if d := waited(t, p, Write, "tenant-b"); d != 0 {
			t.Errorf("tenant B's write waited %v behind A's gate, want no wait", d)
		}
		if d := waited(t, p, Write, "tenant-a"); d < time.Second {
			t.Errorf("tenant A's write waited %v, want the second its 429 asked for", d)
		}
		if got := p.Pacer(Write, "tenant-a").Limit(); got > lowered {
			t.Errorf("tenant A's pace went from %v back up to %v with no answer in between", lowered, got)
		}
		if _, thr, _ := p.Stats(Write); thr != 1 {
			t.Errorf("write stats: %d throttled across tenants, want 1", thr)
		}
	})
}

// TestPacingAppCapAndEnvelopes: the app's write cap paces the writes of every tenant
// together, and an envelope ($batch) is neither paced nor counted.
func TestPacingAppCapAndEnvelopes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacing(PacingConfig{
			Read: Budget{Rate: 100, Burst: 1}, Write: Budget{Rate: 100, Burst: 1},
			PerTenant: true, AppWrite: Budget{Rate: 2, Burst: 1},
		})
		start := time.Now()
		for _, tenant := range []string{"a", "b", "c", "d", "e"} {
			waited(t, p, Write, tenant)
		}
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("five writes of five tenants under an app cap of 2/s took %v, want 2s", d)
		}
		if d := waited(t, p, Envelope, "a"); d != 0 {
			t.Errorf("an envelope waited %v, want no wait", d)
		}
		p.Observe(&Call{Kind: Envelope, Tenant: "a"}, Attempt{Kind: Envelope, Number: 1, StatusCode: 429, RetryAfter: time.Second})
		if _, thr, _ := p.Stats(Write); thr != 0 {
			t.Errorf("an envelope's 429 counted as %d throttled writes, want 0", thr)
		}
		if d := waited(t, p, Write, "f"); d > time.Second/2 {
			t.Errorf("a write after an envelope's 429 waited %v, want only the app cap's half second", d)
		}
	})
}

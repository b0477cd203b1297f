package graph_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/client/graph"
	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestApplySendsBothListsAndThePatchFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := graphfake.GenerateUsers(1, "contoso.onmicrosoft.com", 1)
		users[0].UsageLocation = ""
		e := newEnv(t, 0, []graphfake.Option{graphfake.WithUsers(tenantA, users)})
		ch := client.Change{Customer: tenantA, User: users[0].UserPrincipalName, UsageLocation: "fr",
			Assign: []client.Assignment{{SkuID: skuE3}, {SkuID: skuE5, DisabledPlans: []string{planSway}}}}
		call := &client.Call{}
		applied, err := e.be.Apply(context.Background(), ch, call)
		if err != nil || !applied.UsageLocationSet || len(applied.Warnings) != 0 {
			t.Fatalf("Apply = %+v, %v", applied, err)
		}
		b := e.rec.batches(t)
		if len(b) != 2 || len(b[0]) != 1 || len(b[1]) != 1 {
			t.Fatalf("batches %+v, want the PATCH alone, then the assignment", b)
		}
		patch, post := b[0][0], b[1][0]
		user := "/users/user00001@contoso.onmicrosoft.com"
		if patch.Method != "PATCH" || patch.URL != user || string(patch.Body) != `{"usageLocation":"FR"}` {
			t.Errorf("PATCH item %+v %s", patch, patch.Body)
		}
		want := `{"addLicenses":[{"disabledPlans":[],"skuId":"` + skuE3 + `"},{"disabledPlans":["` + planSway + `"],"skuId":"` + skuE5 + `"}],"removeLicenses":[]}`
		if post.Method != "POST" || post.URL != user+"/assignLicense" || string(post.Body) != want {
			t.Errorf("assignLicense item %+v\n body %s\n want %s", post, post.Body, want)
		}
		for _, it := range []batchItem{patch, post} {
			if it.Headers["Content-Type"] != "application/json" || it.Headers["client-request-id"] == "" {
				t.Errorf("item headers %v", it.Headers)
			}
		}
		if patch.Headers["client-request-id"] == post.Headers["client-request-id"] {
			t.Errorf("the PATCH and the assignment share a client-request-id")
		}
		if call.RequestID != post.Headers["client-request-id"] || call.Attempts != 1 || call.StatusCode != 200 || call.Kind != client.Write || call.Tenant != tenantA {
			t.Errorf("call = %+v", call)
		}
		if u, _ := e.fake.User(tenantA, users[0].ID); u.UsageLocation != "FR" {
			t.Errorf("usage location %q", u.UsageLocation)
		}
		// A removal alone still sends an empty addLicenses.
		if _, err := e.be.Apply(context.Background(), client.Change{Customer: tenantA, User: users[0].ID, Remove: []string{skuE3}}, nil); err != nil {
			t.Fatal(err)
		}
		b = e.rec.batches(t)
		if got := string(b[2][0].Body); got != `{"addLicenses":[],"removeLicenses":["`+skuE3+`"]}` {
			t.Errorf("removal body %s", got)
		}
		if h := e.fake.Holdings(tenantA)[users[0].ID]; !reflect.DeepEqual(h, map[string][]string{skuE5: {planSway}}) {
			t.Errorf("holdings %v", h)
		}
	})
}

func TestApplyRefusesAChangeThatSaysNothingBeforeSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 1, nil)
		for name, ch := range map[string]client.Change{
			"nothing":        {Customer: tenantA, User: e.users[0].ID},
			"no customer":    assign("", e.users[0].ID, skuE3),
			"no user":        assign(tenantA, " ", skuE3),
			"bad location":   {Customer: tenantA, User: e.users[0].ID, UsageLocation: "USA", Assign: []client.Assignment{{SkuID: skuE3}}},
			"bad SKU":        assign(tenantA, e.users[0].ID, "E3"),
			"bad plan":       {Customer: tenantA, User: e.users[0].ID, Assign: []client.Assignment{{SkuID: skuE3, DisabledPlans: []string{"SWAY"}}}},
			"bad removal":    {Customer: tenantA, User: e.users[0].ID, Remove: []string{"x"}},
			"usage location": {Customer: tenantA, User: e.users[0].ID, UsageLocation: "US"},
		} {
			call := &client.Call{}
			_, err := e.be.Apply(context.Background(), ch, call)
			if err == nil || call.Sent() {
				t.Errorf("%s: Apply = %v, sent %v", name, err, call.Sent())
			}
			if (name == "nothing" || name == "usage location") != errors.Is(err, graph.ErrNothingToChange) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := len(e.rec.sent()); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})
}

// TestMixedOnboardingSendsExactlyTheChanges plays the planner's part: users who
// already hold E3 get only E5, the others both; the backend sends what each change
// says and nothing else.
func TestMixedOnboardingSendsExactlyTheChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 30, []graphfake.Option{
			graphfake.WithHolder(tenantA, "user00001@contoso.onmicrosoft.com", skuE3, nil),
			graphfake.WithHolder(tenantA, "user00002@contoso.onmicrosoft.com", skuE3, []string{planSway}),
			graphfake.WithHolder(tenantA, "user00003@contoso.onmicrosoft.com", skuE3, nil),
		})
		freeE3, _ := e.fake.Units(tenantA, skuE3)
		freeE5, _ := e.fake.Units(tenantA, skuE5)
		var changes []client.Change
		for i, u := range e.users {
			if i < 3 {
				changes = append(changes, assign(tenantA, u.ID, skuE5))
			} else {
				changes = append(changes, assign(tenantA, u.ID, skuE3, skuE5))
			}
		}
		errs := applyAll(e.be, changes)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		h := e.fake.Holdings(tenantA)
		for i, u := range e.users {
			want := map[string][]string{skuE3: {}, skuE5: {}}
			if i == 1 {
				want[skuE3] = []string{planSway} // untouched: no change named E3 for this user
			}
			if !reflect.DeepEqual(h[u.ID], want) {
				t.Errorf("user %d holds %v, want %v", i+1, h[u.ID], want)
			}
		}
		if f, _ := e.fake.Units(tenantA, skuE3); f != freeE3-27 {
			t.Errorf("E3 free %d, want %d", f, freeE3-27)
		}
		if f, _ := e.fake.Units(tenantA, skuE5); f != freeE5-30 {
			t.Errorf("E5 free %d, want %d", f, freeE5-30)
		}
		items, sentE3 := 0, 0
		for _, b := range e.rec.batches(t) {
			items += len(b)
			for _, it := range b {
				if strings.Contains(string(it.Body), skuE3) {
					sentE3++
				}
			}
		}
		if items != 30 || sentE3 != 27 || len(e.rec.batches(t)) != 2 {
			t.Errorf("%d items in %d batches, %d naming E3; want 30 in 2 (20 + 10), 27", items, len(e.rec.batches(t)), sentE3)
		}
		if st := e.fake.Stats(); st.Applied != 30 || st.RepeatedClientRequestIDs != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// applyAll applies changes concurrently, returning each one's error.
func applyAll(be *graph.Backend, changes []client.Change) []error {
	errs := make([]error, len(changes))
	var wg sync.WaitGroup
	for i, ch := range changes {
		wg.Go(func() { _, errs[i] = be.Apply(context.Background(), ch, nil) })
	}
	wg.Wait()
	return errs
}

func TestAUserWithoutUsageLocation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := graphfake.GenerateUsers(2, "contoso.onmicrosoft.com", 1)
		users[0].UsageLocation, users[1].UsageLocation = "", ""
		e := newEnv(t, 0, []graphfake.Option{graphfake.WithUsers(tenantA, users)})
		call := &client.Call{}
		applied, err := e.be.Apply(context.Background(), assign(tenantA, users[0].ID, skuE3), call)
		ae := wantReason(t, err, http.StatusBadRequest, client.ReasonNoUsageLocation)
		if ae.Code != "Request_BadRequest" || !strings.Contains(ae.Description, "invalid usage location") ||
			ae.RequestID != call.RequestID || ae.Attempts != 1 || call.StatusCode != 400 || applied.UsageLocationSet {
			t.Errorf("error %+v, call %+v", ae, call)
		}
		applied, err = e.be.Apply(context.Background(), client.Change{Customer: tenantA, User: users[1].ID, UsageLocation: "DE",
			Assign: []client.Assignment{{SkuID: skuE3}}}, nil)
		if err != nil || !applied.UsageLocationSet {
			t.Fatalf("with a usage location: %+v, %v", applied, err)
		}
		h := e.fake.Holdings(tenantA)
		if len(h[users[0].ID]) != 0 || len(h[users[1].ID]) != 1 {
			t.Errorf("holdings %v", h)
		}
		if u, _ := e.fake.User(tenantA, users[1].ID); u.UsageLocation != "DE" {
			t.Errorf("usage location %q", u.UsageLocation)
		}
	})
}

func TestASwapAndItsReverseRestoreTheLedger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, 3, []graphfake.Option{
			graphfake.WithHolder(tenantA, "user00001@contoso.onmicrosoft.com", skuE3, []string{planSway, planYammer}),
			graphfake.WithHolder(tenantA, "user00001@contoso.onmicrosoft.com", skuAADP1, nil),
		})
		before := e.fake.Holdings(tenantA)
		free3, used3 := e.fake.Units(tenantA, skuE3)
		free5, used5 := e.fake.Units(tenantA, skuE5)
		u := e.users[0].ID
		swap := client.Change{Customer: tenantA, User: u, Assign: []client.Assignment{{SkuID: skuE5, DisabledPlans: []string{planSway}}}, Remove: []string{skuE3}}
		if _, err := e.be.Apply(context.Background(), swap, nil); err != nil {
			t.Fatal(err)
		}
		if h := e.fake.Holdings(tenantA)[u]; !reflect.DeepEqual(h, map[string][]string{skuE5: {planSway}, skuAADP1: {}}) {
			t.Fatalf("after the swap: %v", h)
		}
		back := client.Change{Customer: tenantA, User: u, Assign: []client.Assignment{{SkuID: skuE3, DisabledPlans: []string{planYammer, planSway}}}, Remove: []string{skuE5}}
		if _, err := e.be.Apply(context.Background(), back, nil); err != nil {
			t.Fatal(err)
		}
		if after := e.fake.Holdings(tenantA); !reflect.DeepEqual(normalise(after), normalise(before)) {
			t.Fatalf("after the reverse: %v, want %v", after, before)
		}
		f3, c3 := e.fake.Units(tenantA, skuE3)
		f5, c5 := e.fake.Units(tenantA, skuE5)
		if f3 != free3 || c3 != used3 || f5 != free5 || c5 != used5 {
			t.Errorf("units moved: E3 %d/%d (was %d/%d), E5 %d/%d (was %d/%d)", f3, c3, free3, used3, f5, c5, free5, used5)
		}
	})
}

// normalise sorts disabled plans, for comparing holdings.
func normalise(h map[string]map[string][]string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for u, skus := range h {
		out[u] = map[string][]string{}
		for k, plans := range skus {
			c := slices.Clone(plans)
			slices.Sort(c)
			out[u][k] = c
		}
	}
	return out
}

package pcfake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithLatency(time.Second, 0))
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() { postUpdate(t, hc, fmt.Sprintf("u%d", i), "", assign(skuE3)) })
		}
		wg.Go(func() { getSkus(t, hc, "") })
		synctest.Wait()
		if st := s.Stats(); st.InFlight != 4 || st.Requests != 4 || st.Applied != 0 {
			t.Fatalf("during: %+v, want 4 in flight", st)
		}
		wg.Wait()
		wantError(t, postUpdate(t, hc, "u9", "", assign("nope")), http.StatusBadRequest, "800002")
		do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), token: ptr("")})
		want := pcfake.Stats{
			Requests: 6, Gets: 2, Posts: 4, Reads: 2, Writes: 4, Applied: 3, Unauthorized: 1, InFlight: 0, MaxInFlight: 4,
			ByStatus: map[int]int{200: 1, 201: 3, 400: 1, 401: 1},
		}
		if st := s.Stats(); !reflect.DeepEqual(st, want) {
			t.Fatalf("stats = %+v\nwant    %+v", st, want)
		}
		// Stats is a copy.
		st := s.Stats()
		st.ByStatus[201] = 99
		if s.Stats().ByStatus[201] != 3 {
			t.Fatal("Stats shares its ByStatus map")
		}
	})
}

func TestCountersUnderConcurrencyOverTheNetwork(t *testing.T) {
	fake := mustNew(t, pcfake.WithCustomer(cust, sampleSkus(t)))
	srv := httptest.NewServer(fake)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			body := mustJSON(t, assign(skuE3))
			if i%2 == 1 {
				body = mustJSON(t, swap(skuE3, skuE5))
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+updatesPath(cust, fmt.Sprintf("user%02d", i/2)), strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer x")
			req.Header.Set("MS-RequestId", fmt.Sprintf("req-%d", i%30)) // ten IDs repeat
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	st := fake.Stats()
	if st.Requests != 40 || st.Posts != 40 || st.Applied+st.Replayed != 40 || st.Replayed != 10 || st.InFlight != 0 {
		t.Fatalf("stats = %+v, want 40 POSTs, 30 applied, 10 replayed", st)
	}
	// Units agree with the ledger, whatever the interleaving.
	held := map[string]int{}
	for _, skus := range fake.Holdings(cust) {
		for id := range skus {
			held[id]++
		}
	}
	for _, id := range []string{skuE3, skuE5} {
		a, c := fake.Units(cust, id)
		base := map[string]int{skuE3: 1200, skuE5: 500}[id]
		if c-base != held[id] || a+c != 6000 {
			t.Errorf("%s: %d available, %d consumed, %d holders", id, a, c, held[id])
		}
	}
}

func TestRequestLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc := newFake(t, pcfake.WithRequestLog())
		start := time.Now()
		upd := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE5, ExcludedPlans: []string{planSway}}}, LicensesToRemove: []string{skuE3}}
		do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "Ann@Contoso.com"), body: mustJSON(t, upd), requestID: "r1", correlationID: "c1"})
		time.Sleep(time.Second)
		do(t, hc, call{method: http.MethodGet, path: skusPath(cust, "licenseGroupIds=Group2"), requestID: "r2", correlationID: "c1"})
		do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "u2"), body: mustJSON(t, assign(skuE3, skuMinecraft)), requestID: "r3", correlationID: "c1"})
		do(t, hc, call{method: http.MethodGet, path: skusPath(cust, ""), requestID: "r4", correlationID: "c1", token: ptr("")})

		want := []pcfake.Request{
			{At: start, Method: "POST", Path: updatesPath(cust, "Ann@Contoso.com"), Customer: cust, User: "Ann@Contoso.com", RequestID: "r1", CorrelationID: "c1", Status: 201, Groups: []string{"group1"}, Body: upd},
			{At: start.Add(time.Second), Method: "GET", Path: skusPath(cust, ""), Customer: cust, RequestID: "r2", CorrelationID: "c1", Status: 200, Groups: []string{"group2"}},
			{At: start.Add(time.Second), Method: "POST", Path: updatesPath(cust, "u2"), Customer: cust, User: "u2", RequestID: "r3", CorrelationID: "c1", Status: 400, Groups: []string{"group1", "group2"}, Body: assign(skuE3, skuMinecraft)},
			{At: start.Add(time.Second), Method: "GET", Path: skusPath(cust, ""), Customer: cust, RequestID: "r4", CorrelationID: "c1", Status: 401},
		}
		got := s.Requests()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("log =\n%+v\nwant\n%+v", got, want)
		}
		// Without WithRequestLog nothing is kept.
		s2, hc2 := newFake(t)
		getSkus(t, hc2, "")
		if s2.Requests() != nil {
			t.Fatal("requests logged without WithRequestLog")
		}
	})
}

func TestTransportContext(t *testing.T) {
	s, hc := newFake(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := do(t, hc, call{ctx: ctx, method: http.MethodPost, path: updatesPath(cust, "u1"), body: mustJSON(t, assign(skuE3))})
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", r.err)
	}
	wantUnits(t, s, skuE3, 4800, 1200)
}

func TestTransportAnswer(t *testing.T) {
	_, hc := newFake(t)
	req, _ := http.NewRequest(http.MethodGet, baseURL+skusPath(cust, ""), nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Status != "200 OK" || resp.ContentLength <= 0 || resp.Request == nil || resp.ProtoMajor != 1 {
		t.Fatalf("response = %+v", resp)
	}
}

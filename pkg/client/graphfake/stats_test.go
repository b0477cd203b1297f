package graphfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestRequestIDsAreEchoed(t *testing.T) {
	_, hc, users := newFake(t, 1)
	r := do(t, hc, call{path: "/v1.0/users/nobody@x", header: map[string]string{"client-request-id": "my-id-1"}})
	wantError(t, r, http.StatusNotFound, "Request_ResourceNotFound", "nobody@x")
	if r.header.Get("client-request-id") != "my-id-1" || !strings.Contains(string(r.body), `"client-request-id":"my-id-1"`) {
		t.Fatalf("client-request-id not echoed: %v %s", r.header, r.body)
	}
	r = get(t, hc, "/v1.0/users/"+users[0].ID)
	if id := r.header.Get("request-id"); id == "" || r.header.Get("client-request-id") != id {
		t.Fatalf("without a client-request-id the answer's is its request-id: %v", r.header)
	}
}

func TestRepeatedClientRequestIDsAreReappliedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 2, graphfake.WithRequestLog(), graphfake.WithWriteLimit(3, 3*time.Second))
		send := func(user, crid string) reply {
			return do(t, hc, call{method: http.MethodPost, path: "/v1.0/users/" + user + "/assignLicense", body: addBody(skuE3),
				header: map[string]string{"client-request-id": crid}})
		}
		wantStatus(t, send(users[0].ID, "retry-1"), http.StatusOK)
		wantStatus(t, send(users[0].ID, "RETRY-1"), http.StatusOK) // the retry is applied again (a re-add)
		wantStatus(t, send(users[1].ID, "other"), http.StatusOK)
		wantStatus(t, send(users[1].ID, "throttled"), http.StatusTooManyRequests)
		time.Sleep(time.Second)
		wantStatus(t, send(users[1].ID, "throttled"), http.StatusOK) // a retry after a 429: seen twice, applied once
		wantUnits(t, s, skuE3, 4798, 1202)
		st := s.Stats()
		if st.RepeatedClientRequestIDs != 2 || st.Reapplied != 1 || st.Applied != 4 {
			t.Fatalf("stats = %+v", st)
		}
		if got := s.Repeats(); !reflect.DeepEqual(got, map[string]int{"retry-1": 2}) {
			t.Fatalf("Repeats = %v", got)
		}
		var ids []string
		for _, e := range s.Requests() {
			ids = append(ids, e.ClientRequestID)
			if e.Body == "" || e.Tenant != tenant || e.App != graphfake.DefaultClientID || e.User == "" {
				t.Errorf("log entry = %+v", e)
			}
		}
		if strings.Join(ids, ",") != "retry-1,RETRY-1,other,throttled,throttled" {
			t.Fatalf("logged client-request-ids = %v", ids)
		}
	})
}

func TestStatsCountEverything(t *testing.T) {
	s, hc, users := newFake(t, 3)
	get(t, hc, "/v1.0/users?$top=2")
	get(t, hc, "/v1.0/subscribedSkus")
	assign(t, hc, users[0].ID, addBody(skuE3))
	patchLocation(t, hc, users[0].ID, nil)
	do(t, hc, call{path: "/v1.0/users", token: ptr("bad")})
	st := s.Stats()
	want := graphfake.Stats{
		Requests: 5, Gets: 3, Posts: 1, Patches: 1, Unauthorized: 1, Applied: 2, Assignments: 1, UserUpdates: 1,
		UserListings: 1, UserPages: 1, SkuReads: 1, MaxInFlight: 1,
		ByStatus: map[int]int{200: 3, 204: 1, 401: 1}, BatchItemsByStatus: map[int]int{},
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("stats = %+v\nwant    %+v", st, want)
	}
	if s.Requests() != nil {
		t.Fatal("a request log without WithRequestLog")
	}
}

func TestInFlightAndConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 10, graphfake.WithLatency(time.Second, 0))
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Go(func() { assign(t, hc, u.ID, addBody(skuE5)) })
		}
		time.Sleep(500 * time.Millisecond)
		if st := s.Stats(); st.InFlight != 10 {
			t.Fatalf("InFlight = %d", st.InFlight)
		}
		wg.Wait()
		if st := s.Stats(); st.InFlight != 0 || st.MaxInFlight != 10 || st.Assignments != 10 {
			t.Fatalf("stats = %+v", st)
		}
		wantUnits(t, s, skuE5, 5490, 510)
	})
}

func TestInspectionEndpoints(t *testing.T) {
	s, _, users := newFake(t, 2, graphfake.WithInspection(), graphfake.WithHolder(tenant, "user00002@contoso.onmicrosoft.com", skuE3, []string{planSway}))
	hts := httptest.NewServer(s)
	defer hts.Close()
	getJSON := func(path string, status int, v any) {
		t.Helper()
		resp, err := hts.Client().Get(hts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var holdings map[string]map[string][]string
	getJSON(graphfake.InspectHoldingsPath+"?tenant="+tenant, 200, &holdings)
	if !reflect.DeepEqual(holdings, map[string]map[string][]string{users[1].ID: {skuE3: {planSway}}}) {
		t.Fatalf("holdings = %v", holdings)
	}
	var units []graphfake.SkuUnits
	getJSON(graphfake.InspectUnitsPath+"?tenant="+tenant+"&sku="+strings.ToUpper(skuE3), 200, &units)
	if len(units) != 1 || units[0] != (graphfake.SkuUnits{SkuID: skuE3, SkuPartNumber: "ENTERPRISEPACK", AppliesTo: "User", Enabled: 6000, Consumed: 1201, Free: 4799}) {
		t.Fatalf("units = %+v", units)
	}
	getJSON(graphfake.InspectUnitsPath+"?tenant="+tenant, 200, &units)
	if len(units) != 7 {
		t.Fatalf("%d SKUs", len(units))
	}
	var st graphfake.Stats
	getJSON(graphfake.InspectStatsPath, 200, &st)
	if st.Requests != 0 {
		t.Fatalf("inspection counted in Stats: %+v", st)
	}
	var log []graphfake.Request
	getJSON(graphfake.InspectRequestsPath, 200, &log)
	if len(log) != 0 {
		t.Fatalf("log = %+v", log)
	}
	var e struct{ Error string }
	getJSON(graphfake.InspectHoldingsPath, 400, &e)
	getJSON(graphfake.InspectHoldingsPath+"?tenant="+otherID, 404, &e)
	getJSON(graphfake.InspectUnitsPath+"?tenant="+tenant+"&sku="+skuAbsent, 404, &e)
	getJSON("/_graphfake/nothing", 404, &e)
	if !strings.Contains(e.Error, graphfake.InspectStatsPath) {
		t.Fatalf("error = %q", e.Error)
	}
	resp, err := hts.Client().Post(hts.URL+graphfake.InspectStatsPath, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST stats: %d", resp.StatusCode)
	}
	// Without WithInspection the paths are not served.
	plain, _, _ := newFake(t, 1)
	rec := httptest.NewRecorder()
	plain.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, graphfake.InspectStatsPath, nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("inspection without WithInspection: %d", rec.Code)
	}
}

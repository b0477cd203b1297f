package graphfake_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

type batchReq struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type batchResp struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func assignItem(id, user, body string) batchReq {
	return batchReq{ID: id, Method: "POST", URL: "/users/" + user + "/assignLicense", Headers: jsonCT, Body: json.RawMessage(body)}
}

// postBatch sends a $batch and returns the outer reply and the answers by id, in the
// order they came.
func postBatch(t *testing.T, hc *http.Client, reqs []batchReq) (reply, map[string]batchResp, []string) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"requests": reqs})
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, hc, call{method: http.MethodPost, path: "/v1.0/$batch", body: string(b)})
	if r.status != http.StatusOK {
		return r, nil, nil
	}
	var out struct {
		Responses []batchResp `json:"responses"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	byID := map[string]batchResp{}
	var order []string
	for _, a := range out.Responses {
		byID[a.ID] = a
		order = append(order, a.ID)
	}
	if len(byID) != len(reqs) {
		t.Fatalf("%d answers for %d requests: %s", len(byID), len(reqs), r.body)
	}
	return r, byID, order
}

func itemError(t *testing.T, a batchResp) (code, message string) {
	t.Helper()
	var b struct {
		Error struct {
			Code, Message string
			InnerError    map[string]string `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(a.Body, &b); err != nil {
		t.Fatalf("item %s body %s: %v", a.ID, a.Body, err)
	}
	if b.Error.InnerError["request-id"] == "" {
		t.Fatalf("item %s error without request-id: %s", a.ID, a.Body)
	}
	return b.Error.Code, b.Error.Message
}

func TestBatchRunsItemsThroughTheSameLedger(t *testing.T) {
	s, hc, users := newFake(t, 3, graphfake.WithRequestLog())
	reqs := []batchReq{
		assignItem("1", users[0].ID, addBody(skuE3)),
		assignItem("2", users[1].UserPrincipalName, addBody(skuE5)),
		assignItem("3", "ghost@contoso.onmicrosoft.com", addBody(skuE3)),
		assignItem("4", users[2].ID, addBody(skuAbsent)),
		{ID: "5", Method: "GET", URL: "/users/" + users[0].ID + "?$select=id,assignedLicenses", DependsOn: []string{"1"}},
		{ID: "6", Method: "GET", URL: "users/$count", Headers: map[string]string{"ConsistencyLevel": "eventual"}},
	}
	r, got, _ := postBatch(t, hc, reqs)
	wantStatus(t, r, http.StatusOK)
	if got["1"].Status != 200 || got["2"].Status != 200 || got["5"].Status != 200 || got["6"].Status != 200 {
		t.Fatalf("answers = %+v", got)
	}
	if code, msg := itemError(t, got["3"]); got["3"].Status != 404 || code != "Request_ResourceNotFound" || !strings.Contains(msg, "ghost@") {
		t.Fatalf("item 3 = %d %s %s", got["3"].Status, code, msg)
	}
	if code, msg := itemError(t, got["4"]); got["4"].Status != 400 || !strings.Contains(msg, "does not correspond to a valid company License") {
		t.Fatalf("item 4 = %d %s %s", got["4"].Status, code, msg)
	}
	var u map[string]any
	if err := json.Unmarshal(got["5"].Body, &u); err != nil || len(u["assignedLicenses"].([]any)) != 1 {
		t.Fatalf("item 5 (after 1) = %s", got["5"].Body)
	}
	if n, _ := base64.StdEncoding.DecodeString(strings.Trim(string(got["6"].Body), `"`)); string(n) != "3" || got["6"].Headers["Content-Type"] != "text/plain" {
		t.Fatalf("item 6 = %s %v", got["6"].Body, got["6"].Headers)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	wantUnits(t, s, skuE5, 5499, 501)
	st := s.Stats()
	if st.BatchCalls != 1 || st.BatchItems != 6 || st.Requests != 1 || st.Assignments != 2 || st.ByStatus[200] != 1 ||
		!reflect.DeepEqual(st.BatchItemsByStatus, map[int]int{200: 4, 400: 1, 404: 1}) {
		t.Fatalf("stats = %+v", st)
	}
	var items int
	for _, e := range s.Requests() {
		if e.BatchRequestID != "" {
			items++
			if e.BatchRequestID != r.header.Get("request-id") || e.Tenant != tenant || e.Status == 0 {
				t.Errorf("log entry = %+v", e)
			}
		}
	}
	if items != 6 {
		t.Fatalf("%d batch items logged", items)
	}
}

func TestBatchAnswersAreShuffledBySeed(t *testing.T) {
	orders := map[string]bool{}
	for run := range 2 {
		_, hc, users := newFake(t, 1, graphfake.WithSeed(3))
		for range 4 {
			var reqs []batchReq
			for i := range 8 {
				reqs = append(reqs, batchReq{ID: fmt.Sprint(i), Method: "GET", URL: "/users/" + users[0].ID})
			}
			_, _, order := postBatch(t, hc, reqs)
			key := strings.Join(order, ",")
			if run == 0 {
				orders[key] = true
			} else if !orders[key] {
				t.Fatalf("the same seed gave another order: %s", key)
			}
		}
	}
	if len(orders) < 2 || orders["0,1,2,3,4,5,6,7"] && len(orders) == 1 {
		t.Fatalf("answers never shuffled: %v", orders)
	}
}

func TestBatchRefusals(t *testing.T) {
	s, hc, users := newFake(t, 1)
	var many []batchReq
	for i := range 21 {
		many = append(many, batchReq{ID: fmt.Sprint(i), Method: "GET", URL: "/users"})
	}
	r, _, _ := postBatch(t, hc, many)
	wantError(t, r, http.StatusBadRequest, "BadRequest", "at most 20")
	r, _, _ = postBatch(t, hc, many[:20])
	wantStatus(t, r, http.StatusOK)

	for name, reqs := range map[string][]batchReq{
		"no requests":   {},
		"duplicate ids": {{ID: "1", Method: "GET", URL: "/users"}, {ID: "1", Method: "GET", URL: "/users"}},
		"absolute url":  {{ID: "1", Method: "GET", URL: "https://graph.microsoft.com/v1.0/users"}},
		"no method":     {{ID: "1", URL: "/users"}},
		"unknown dep":   {{ID: "1", Method: "GET", URL: "/users", DependsOn: []string{"9"}}},
		"mixed deps": {{ID: "1", Method: "GET", URL: "/users"}, {ID: "2", Method: "GET", URL: "/users"},
			{ID: "3", Method: "GET", URL: "/users", DependsOn: []string{"1"}}, {ID: "4", Method: "GET", URL: "/users", DependsOn: []string{"2"}}},
	} {
		r, _, _ := postBatch(t, hc, reqs)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, r.status)
		}
	}
	r = do(t, hc, call{method: http.MethodPost, path: "/v1.0/$batch", body: `{"requests":`})
	wantError(t, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
	wantError(t, get(t, hc, "/v1.0/$batch"), http.StatusMethodNotAllowed, "Request_BadRequest", "not allowed")
	wantError(t, do(t, hc, call{method: http.MethodPost, path: "/v1.0/$batch", body: `{"requests":[]}`, token: ptr("")}),
		http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")

	// Item-level refusals leave the others alone.
	noCT := assignItem("a", users[0].ID, addBody(skuE3))
	noCT.Headers = nil
	nested := batchReq{ID: "b", Method: "POST", URL: "/$batch", Headers: jsonCT, Body: json.RawMessage(`{"requests":[]}`)}
	versioned := batchReq{ID: "c", Method: "GET", URL: "/v1.0/users"}
	_, got, _ := postBatch(t, hc, []batchReq{noCT, nested, versioned, assignItem("d", users[0].ID, addBody(skuE5))})
	if _, msg := itemError(t, got["a"]); got["a"].Status != 400 || msg != "Write request id : a does not contain Content-Type header or body." {
		t.Fatalf("item a = %d %s", got["a"].Status, msg)
	}
	if got["b"].Status != 400 || got["c"].Status != 400 || got["d"].Status != 200 {
		t.Fatalf("answers = %+v", got)
	}
	if _, msg := itemError(t, got["c"]); !strings.Contains(msg, "segment 'v1.0'") {
		t.Fatalf("item c: %s", msg)
	}
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuE5, 5499, 501)
}

func TestBatchDependsOn(t *testing.T) {
	_, hc, users := newFake(t, 2)
	// Serial: 1 fails, so 2 and 3 after it get 424 and are not run.
	serial := []batchReq{
		assignItem("1", users[0].ID, addBody(skuAbsent)),
		assignItem("2", users[0].ID, addBody(skuE3)),
		assignItem("3", users[1].ID, addBody(skuE3)),
	}
	serial[1].DependsOn, serial[2].DependsOn = []string{"1"}, []string{"2"}
	_, got, _ := postBatch(t, hc, serial)
	if got["1"].Status != 400 || got["2"].Status != 424 || got["3"].Status != 424 {
		t.Fatalf("answers = %+v", got)
	}
	if code, _ := itemError(t, got["2"]); code != "FailedDependency" {
		t.Fatalf("code %s", code)
	}
	// Same: all on one request, which may come after them in the batch.
	same := []batchReq{
		{ID: "x", Method: "GET", URL: "/users/" + users[0].ID + "?$select=assignedLicenses", DependsOn: []string{"z"}},
		{ID: "y", Method: "GET", URL: "/users/" + users[1].ID, DependsOn: []string{"z"}},
		assignItem("z", users[0].ID, addBody(skuE3)),
	}
	_, got, _ = postBatch(t, hc, same)
	if got["x"].Status != 200 || got["y"].Status != 200 || got["z"].Status != 200 || !strings.Contains(string(got["x"].Body), skuE3) {
		t.Fatalf("answers = %+v", got)
	}
}

// TestBatchItemsAreThrottledSeparately: each item of a $batch draws on the write
// budget on its own; the items past it are 429s with the wait the budget names. (In
// fake time: the Retry-After counts from the first item, and a slow machine would
// otherwise take a second off it.)
func TestBatchItemsAreThrottledSeparately(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 5, graphfake.WithWriteLimit(3, 30*time.Second))
		var reqs []batchReq
		for i, u := range users {
			reqs = append(reqs, assignItem(fmt.Sprint(i), u.ID, addBody(skuE3)))
		}
		r, got, _ := postBatch(t, hc, reqs)
		wantStatus(t, r, http.StatusOK)
		var statuses []int
		for i := range users {
			a := got[fmt.Sprint(i)]
			statuses = append(statuses, a.Status)
			if a.Status == http.StatusTooManyRequests {
				if a.Headers["Retry-After"] != "10" || a.Headers["x-ms-throttle-information"] != "WriteLimitExceeded" {
					t.Errorf("throttled item headers = %v", a.Headers)
				}
				if code, _ := itemError(t, a); code != "TooManyRequests" {
					t.Errorf("throttled item code %s", code)
				}
			}
		}
		if !slices.Equal(statuses, []int{200, 200, 200, 429, 429}) {
			t.Fatalf("statuses = %v", statuses)
		}
		wantUnits(t, s, skuE3, 4797, 1203)
		if st := s.Stats(); st.Throttled != 2 || st.BatchItemsByStatus[429] != 2 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

package pcfake_test

import (
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestLedgerUnitsMoveWithAssignRemoveSwap(t *testing.T) {
	s, hc := newFake(t)
	const user = "alice@contoso.onmicrosoft.com"
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuE5, 5500, 500)

	wantStatus(t, postUpdate(t, hc, user, "", assign(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := s.Holdings(cust); !reflect.DeepEqual(got, map[string]map[string][]string{user: {skuE3: nil}}) {
		t.Fatalf("holdings after assign = %v", got)
	}

	// Assigning again only updates the excluded plans.
	again := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE3, ExcludedPlans: []string{strings.ToUpper(planYammer), planSway}}}}
	wantStatus(t, postUpdate(t, hc, user, "", again), http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := s.Holdings(cust)[user][skuE3]; !reflect.DeepEqual(got, []string{planYammer, planSway}) {
		t.Fatalf("excluded plans after re-assign = %v, want %v (as the catalogue spells them)", got, []string{planYammer, planSway})
	}

	// The migration: remove E3 and assign E5 in one request.
	wantStatus(t, postUpdate(t, hc, user, "", swap(skuE3, skuE5)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)
	wantUnits(t, s, skuE5, 5499, 501)
	if got := s.Holdings(cust); !reflect.DeepEqual(got, map[string]map[string][]string{user: {skuE5: nil}}) {
		t.Fatalf("holdings after swap = %v", got)
	}

	// Removing what the user does not hold is harmless and frees nothing.
	wantStatus(t, postUpdate(t, hc, user, "", remove(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)

	// Removing and assigning the same SKU needs no spare unit.
	wantStatus(t, postUpdate(t, hc, user, "", swap(skuE5, skuE5)), http.StatusCreated)
	wantUnits(t, s, skuE5, 5499, 501)

	wantStatus(t, postUpdate(t, hc, user, "", remove(skuE5)), http.StatusCreated)
	wantUnits(t, s, skuE5, 5500, 500)
	if got := s.Holdings(cust); len(got) != 0 {
		t.Fatalf("holdings after removing everything = %v, want none", got)
	}
}

func TestSuccessAnswerIsTheLicenseUpdate(t *testing.T) {
	_, hc := newFake(t)
	upd := partnercenter.LicenseUpdate{
		LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE5, ExcludedPlans: []string{planSway}}},
		LicensesToRemove: []string{skuE3},
	}
	r := postUpdate(t, hc, "bob@contoso.onmicrosoft.com", "", upd)
	wantStatus(t, r, http.StatusCreated)
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"licensesToAssign": []any{map[string]any{"skuId": skuE5, "excludedPlans": []any{planSway}}},
		"licensesToRemove": []any{skuE3},
		"licenseWarnings":  []any{},
		"attributes":       map[string]any{"objectType": "LicenseUpdate"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("answer = %s\nwant      %v", r.body, want)
	}
}

func TestDocsPascalCaseRequest(t *testing.T) {
	s, hc := newFake(t)
	// The request body of the docs' example, with a SKU of the sample catalogue.
	body := `{
    "LicensesToAssign": [{
            "ExcludedPlans": null,
            "SkuId": "` + skuWinE5 + `"
        }
    ],
    "LicensesToRemove": null,
    "LicenseWarnings": null,
    "Attributes": {
        "ObjectType": "LicenseUpdate"
    }
}`
	r := do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "554526aa-cf5e-46fa-95df-98dbc55d8a1e"), body: body})
	wantStatus(t, r, http.StatusCreated)
	if !strings.Contains(string(r.body), `"licensesToAssign":[{"skuId":"`+skuWinE5+`"}]`) {
		t.Fatalf("answer does not echo the assignment in camelCase: %s", r.body)
	}
	wantUnits(t, s, skuWinE5, 70, 42)
}

func TestSubscribedSkusReflectsLedger(t *testing.T) {
	s, hc := newFake(t)
	for _, u := range []string{"u1", "u2", "u3"} {
		wantStatus(t, postUpdate(t, hc, u, "", assign(skuE3, skuAADP1)), http.StatusCreated)
	}
	wantStatus(t, postUpdate(t, hc, "u1", "", swap(skuE3, skuE5)), http.StatusCreated)

	coll := decodeSkus(t, getSkus(t, hc, ""))
	if coll.TotalCount != 6 || len(coll.Items) != 6 {
		t.Fatalf("totalCount %d, %d items; want 6", coll.TotalCount, len(coll.Items))
	}
	if coll.Attributes == nil || coll.Attributes.ObjectType != "Collection" {
		t.Errorf("attributes = %+v", coll.Attributes)
	}
	want := map[string][2]int{skuE3: {4798, 1202}, skuE5: {5499, 501}, skuAADP1: {12, 3}, skuMinecraft: {23, 49}}
	for _, it := range coll.Items {
		if w, ok := want[it.ProductSku.ID]; ok && (it.AvailableUnits != w[0] || it.ConsumedUnits != w[1]) {
			t.Errorf("%s: %d available, %d consumed; want %v", it.ProductSku.Name, it.AvailableUnits, it.ConsumedUnits, w)
		}
		a, c := s.Units(cust, it.ProductSku.ID)
		if a != it.AvailableUnits || c != it.ConsumedUnits {
			t.Errorf("%s: GET says %d/%d, Units says %d/%d", it.ProductSku.Name, it.AvailableUnits, it.ConsumedUnits, a, c)
		}
		if it.Attributes == nil || it.Attributes.ObjectType != "SubscribedSku" || it.ServicePlans == nil {
			t.Errorf("%s: attributes %+v, servicePlans %v", it.ProductSku.Name, it.Attributes, it.ServicePlans)
		}
	}
}

func TestSubscribedSkusGroupFilter(t *testing.T) {
	_, hc := newFake(t)
	tests := []struct {
		query string
		want  map[string]int // group -> items
	}{
		{"", map[string]int{"group1": 5, "group2": 1}},
		{"licenseGroupIds=Group1", map[string]int{"group1": 5}},
		{"licenseGroupIds=Group2", map[string]int{"group2": 1}},
		{"licenseGroupIds=group2", map[string]int{"group2": 1}},
		{"licenseGroupIds=GROUP1", map[string]int{"group1": 5}},
		{"licenseGroupIds=Group1&licenseGroupIds=Group2", map[string]int{"group1": 5, "group2": 1}},
		{"licenseGroupIds=Group2,Group1", map[string]int{"group1": 5, "group2": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			coll := decodeSkus(t, getSkus(t, hc, tt.query))
			got := make(map[string]int)
			for _, it := range coll.Items {
				got[it.ProductSku.LicenseGroupID]++
			}
			if !reflect.DeepEqual(got, tt.want) || coll.TotalCount != len(coll.Items) {
				t.Fatalf("groups = %v (totalCount %d), want %v", got, coll.TotalCount, tt.want)
			}
		})
	}
	t.Run("invalid group", func(t *testing.T) {
		e := wantError(t, getSkus(t, hc, "licenseGroupIds=Group3"), http.StatusBadRequest, "800002")
		if !strings.Contains(e.Description, "Group3") {
			t.Fatalf("description %q does not name the value", e.Description)
		}
	})
	t.Run("no match", func(t *testing.T) {
		s := mustNew(t, pcfake.WithCustomer(cust, sampleSkus(t)[:2]))
		hc := &http.Client{Transport: s.Transport()}
		r := getSkus(t, hc, "licenseGroupIds=Group2")
		coll := decodeSkus(t, r)
		if coll.TotalCount != 0 || coll.Items == nil || len(coll.Items) != 0 || !strings.Contains(string(r.body), `"items":[]`) {
			t.Fatalf("no match = %s, want totalCount 0 and items []", r.body)
		}
	})
}

func TestWithHolderConsumesAUnit(t *testing.T) {
	s, hc := newFake(t, pcfake.WithHolder(cust, "Carol@Contoso.onmicrosoft.com", strings.ToUpper(skuE3)))
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := s.Holdings(cust); !reflect.DeepEqual(got, map[string]map[string][]string{"Carol@Contoso.onmicrosoft.com": {skuE3: nil}}) {
		t.Fatalf("holdings = %v", got)
	}
	// Another spelling of the same user removes it.
	wantStatus(t, postUpdate(t, hc, "carol@contoso.onmicrosoft.com", "", remove(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)
}

func TestNewRejectsInconsistentOptions(t *testing.T) {
	skus := sampleSkus(t)
	tests := map[string]struct {
		opts []pcfake.Option
		want []string // fragments of the error, one per problem
	}{
		"holder of unknown customer": {[]pcfake.Option{pcfake.WithHolder("nobody", "u", skuE3)}, []string{"WithHolder", "no customer nobody"}},
		"holder of unknown SKU":      {[]pcfake.Option{pcfake.WithCustomer(cust, skus), pcfake.WithHolder(cust, "u", "nope")}, []string{`no SKU "nope"`}},
		"holder beyond units": {[]pcfake.Option{pcfake.WithCustomer(cust, skus), pcfake.WithHolder(cust, "u1", skuAXTask), pcfake.WithHolder(cust, "u2", skuAXTask)},
			[]string{"no available unit left for u2"}},
		"holder not in user list":    {[]pcfake.Option{pcfake.WithCustomer(cust, skus), pcfake.WithUsers(cust, []pcfake.User{{ID: "1"}}), pcfake.WithHolder(cust, "2", skuE3)}, []string{`no user "2"`}},
		"holding of an unknown plan": {[]pcfake.Option{pcfake.WithCustomer(cust, skus), pcfake.WithHolding(cust, "u", skuE3, []string{"nope"})}, []string{"WithHolding", `excluded plan "nope"`}},
		"users of unknown customer":  {[]pcfake.Option{pcfake.WithUsers(cust, []pcfake.User{{ID: "1"}})}, []string{"WithUsers", "no such customer"}},
		"user without an ID":         {[]pcfake.Option{pcfake.WithCustomer(cust, skus), pcfake.WithUsers(cust, []pcfake.User{{UserPrincipalName: "a@b.c"}})}, []string{"has no ID"}},
		"bad catalogue":              {[]pcfake.Option{pcfake.WithCustomer(cust, []partnercenter.SubscribedSku{{}})}, []string{"WithCustomer", "productSku.id is empty"}},
		"empty customer ID":          {[]pcfake.Option{pcfake.WithCustomer(" ", skus)}, []string{"customer ID is empty"}},
		"nil option":                 {[]pcfake.Option{nil}, []string{"option 1 is nil"}},
		"nil checks":                 {[]pcfake.Option{pcfake.WithTokenCheck(nil), pcfake.WithMFACheck(nil)}, []string{"WithTokenCheck", "WithMFACheck"}},
		"shares out of range": {[]pcfake.Option{pcfake.WithFailureRate(1.5), pcfake.WithDropRate(-0.1), pcfake.WithLatencySpikes(math.NaN(), time.Second)},
			[]string{"WithFailureRate: share 1.5", "WithDropRate: share -0.1", "WithLatencySpikes: share NaN"}},
		"negative durations": {[]pcfake.Option{pcfake.WithLatency(-time.Second, 0), pcfake.WithLatencySpikes(0.5, -time.Second)}, []string{"WithLatency:", "WithLatencySpikes: spike"}},
		"bad rates": {[]pcfake.Option{pcfake.WithRateLimit(-1, 1), pcfake.WithReadRateLimit(math.Inf(1), 1), pcfake.WithWriteRateLimit(math.NaN(), 1)},
			[]string{"WithRateLimit: rate -1", "WithReadRateLimit: rate +Inf", "WithWriteRateLimit: rate NaN"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := pcfake.New(tc.opts...)
			if err == nil || s != nil {
				t.Fatalf("New = %v, %v; want no Server and an error", s, err)
			}
			for _, frag := range tc.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not say %q", err, frag)
				}
			}
		})
	}
}

func TestWithCustomerDeepCopies(t *testing.T) {
	skus := sampleSkus(t)
	s := mustNew(t, pcfake.WithCustomer(cust, skus), pcfake.WithCustomer("other", skus))
	hc := &http.Client{Transport: s.Transport()}
	for i := range skus {
		skus[i].AvailableUnits = 0
		for j := range skus[i].ServicePlans {
			skus[i].ServicePlans[j].ID = "changed"
		}
	}
	upd := partnercenter.LicenseUpdate{LicensesToAssign: []partnercenter.LicenseAssignment{{SkuID: skuE3, ExcludedPlans: []string{planSway}}}}
	wantStatus(t, do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "u"), body: mustJSON(t, upd), token: ptr("any")}), http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	// The customers' ledgers are apart.
	if a, c := s.Units("other", skuE3); a != 4800 || c != 1200 {
		t.Fatalf("other customer's E3 = %d/%d, want untouched 4800/1200", a, c)
	}
}

func TestUsersByIDOrUPN(t *testing.T) {
	users := []pcfake.User{
		{ID: "554526aa-cf5e-46fa-95df-98dbc55d8a1e", UserPrincipalName: "dana.o'brien+lic@contoso.onmicrosoft.com", DisplayName: "Dana", UsageLocation: "US", State: "active"},
		{ID: "9f1c7e55-2d2b-4b59-9a53-2a1d4f7a0c11", UserPrincipalName: "erik@contoso.onmicrosoft.com"},
	}
	s, hc := newFake(t, pcfake.WithUsers(cust, users))

	// By user principal name, escaped and in another case.
	r := do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, "Dana.O'Brien+lic@Contoso.onmicrosoft.com"), body: mustJSON(t, assign(skuE3))})
	wantStatus(t, r, http.StatusCreated)
	// By object ID: the same holder, no second unit.
	wantStatus(t, postUpdate(t, hc, strings.ToUpper(users[0].ID), "", assign(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	if got := s.Holdings(cust); len(got) != 1 || got["Dana.O'Brien+lic@Contoso.onmicrosoft.com"] == nil {
		t.Fatalf("holdings = %v, want one holder named as first seen", got)
	}

	e := wantError(t, postUpdate(t, hc, "mallory@contoso.onmicrosoft.com", "", assign(skuE3)), http.StatusNotFound, "60002")
	if !reflect.DeepEqual(e.Data, []string{"mallory@contoso.onmicrosoft.com"}) {
		t.Fatalf("data = %v, want the user", e.Data)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
}

func TestEscapedUserSegment(t *testing.T) {
	s, hc := newFake(t)
	user := "first last/ops@contoso.onmicrosoft.com"
	r := do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, user), body: mustJSON(t, assign(skuE3))})
	wantStatus(t, r, http.StatusCreated)
	if _, ok := s.Holdings(cust)[user]["6fd2c87f-b296-42f0-b197-1e91e994b900"]; !ok {
		t.Fatalf("holdings = %v, want the unescaped user %q", s.Holdings(cust), user)
	}
}

func TestCustomerIDIsCaseInsensitive(t *testing.T) {
	s, hc := newFake(t)
	r := do(t, hc, call{method: http.MethodPost, path: updatesPath(strings.ToUpper(cust), "u"), body: mustJSON(t, assign(skuE3))})
	wantStatus(t, r, http.StatusCreated)
	wantUnits(t, s, skuE3, 4799, 1201)
	if a, _ := s.Units(strings.ToUpper(cust), strings.ToUpper(skuE3)); a != 4799 {
		t.Fatalf("Units with upper-case IDs = %d", a)
	}
	if s.Holdings("unknown") != nil {
		t.Fatal("Holdings of an unknown customer is not nil")
	}
}

func TestAddHolderSeedsTheLedgerAfterConstruction(t *testing.T) {
	s := mustNew(t, pcfake.WithCustomer(pcfake.DefaultCustomerID, []partnercenter.SubscribedSku{{
		AvailableUnits: 1, TotalUnits: 1,
		ProductSku: partnercenter.ProductSku{ID: "6fd2c87f-b296-42f0-b197-1e91e994b900", Name: "E3", LicenseGroupID: "group1"},
	}}))
	if err := s.AddHolder(pcfake.DefaultCustomerID, "ann@contoso.com", "6fd2c87f-b296-42f0-b197-1e91e994b900"); err != nil {
		t.Fatal(err)
	}
	if avail, consumed := s.Units(pcfake.DefaultCustomerID, "6fd2c87f-b296-42f0-b197-1e91e994b900"); avail != 0 || consumed != 1 {
		t.Fatalf("units %d available, %d consumed", avail, consumed)
	}
	if _, ok := s.Holdings(pcfake.DefaultCustomerID)["ann@contoso.com"]["6fd2c87f-b296-42f0-b197-1e91e994b900"]; !ok {
		t.Fatalf("holdings %v", s.Holdings(pcfake.DefaultCustomerID))
	}
	if err := s.AddHolder(pcfake.DefaultCustomerID, "bob@contoso.com", "6fd2c87f-b296-42f0-b197-1e91e994b900"); err == nil {
		t.Fatal("no error for a holder beyond the available units")
	}
	if err := s.AddHolder("11111111-1111-4111-8111-111111111111", "bob@contoso.com", "x"); err == nil {
		t.Fatal("no error for an unknown customer")
	}
}

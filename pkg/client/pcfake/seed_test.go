package pcfake_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestReadUsersCSV(t *testing.T) {
	in := "\ufeffUserPrincipalName,ID,Usage_Location,STATE,display_name,notes\n" +
		"ann@contoso.com,554526aa-cf5e-46fa-95df-98dbc55d8a1e,US,active,Ann,x\n" +
		" Bob@Contoso.com ,,,inactive,Bob,\n" +
		"\n" +
		"carol@contoso.com,,de,,,\n"
	got, err := pcfake.ReadUsersCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []pcfake.User{
		{ID: "554526aa-cf5e-46fa-95df-98dbc55d8a1e", UserPrincipalName: "ann@contoso.com", UsageLocation: "US", State: "active", DisplayName: "Ann"},
		{ID: pcfake.MakeUser("bob@contoso.com").ID, UserPrincipalName: "Bob@Contoso.com", State: "inactive", DisplayName: "Bob"},
		{ID: pcfake.MakeUser("carol@contoso.com").ID, UserPrincipalName: "carol@contoso.com", UsageLocation: "de"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("users =\n%+v\nwant\n%+v", got, want)
	}
	// Snake case, and an ID column alone.
	got, err = pcfake.ReadUsersCSV(strings.NewReader("user_principal_name\nann@contoso.com\n"))
	if err != nil || len(got) != 1 || got[0].ID != pcfake.MakeUser("ann@contoso.com").ID {
		t.Fatalf("snake case: %+v, %v", got, err)
	}
	got, err = pcfake.ReadUsersCSV(strings.NewReader("id,state\n3f2504e0-4f89-41d3-9a0c-0305e82c3301,\n"))
	if err != nil || len(got) != 1 || got[0].UserPrincipalName != "" || got[0].ID != "3f2504e0-4f89-41d3-9a0c-0305e82c3301" {
		t.Fatalf("ID column alone: %+v, %v", got, err)
	}
}

func TestReadUsersCSVErrorsNameTheLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "no header row",
		"display_name,state\nAnn,active\n": "neither user_principal_name nor id",
		"upn,id,id\n":                      `column "id" appears twice`,
		"userPrincipalName,usageLocation\na@b,USA\n": `line 2: usage location "USA"`,
		"userPrincipalName,state\na@b,\nc@d,gone\n":  `line 3: state "gone"`,
		"userPrincipalName,id\na@b,1\nA@B,2\n":       "line 3: user A@B repeats line 2",
		"userPrincipalName,id\na@b,1\nc@d,1\n":       "line 3: user 1 repeats line 2",
		"userPrincipalName,id\na@b,1\n,\n":           "line 3: neither a user principal name nor an ID",
		"userPrincipalName,id\na@b,1\nc@d\n":         "line 3: wrong number of fields",
		"userPrincipalName\n\"a@b\n":                 "line 2:",
	} {
		_, err := pcfake.ReadUsersCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "read users: ") {
			t.Errorf("%q: error %v, want one saying %q", in, err, want)
		}
	}
}

func TestReadHoldingsCSV(t *testing.T) {
	in := "\ufeffCustomer,User,SKU,Excluded_Plans,comment\n" +
		"," + "ann@contoso.com," + skuE3 + ",,\n" +
		"7b7d7f9c-5c43-4d7e-9a4e-3f1f0a2b6c11,bob@contoso.com," + skuE5 + ", " + planSway + " ;;" + planYammer + ";,\n"
	got, err := pcfake.ReadHoldingsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []pcfake.Holding{
		{Line: 2, User: "ann@contoso.com", SkuID: skuE3},
		{Line: 3, Customer: "7b7d7f9c-5c43-4d7e-9a4e-3f1f0a2b6c11", User: "bob@contoso.com", SkuID: skuE5, ExcludedPlans: []string{planSway, planYammer}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("holdings =\n%+v\nwant\n%+v", got, want)
	}
	if got, err := pcfake.ReadHoldingsCSV(strings.NewReader("user,sku_id\nann," + skuE3 + "\n")); err != nil || len(got) != 1 || got[0].SkuID != skuE3 {
		t.Fatalf("sku_id column: %+v, %v", got, err)
	}
	for in, want := range map[string]string{
		"user,excluded_plans\nann,\n": "needs the columns user and sku",
		"user,sku\nann,x\n,y\n":       "line 3: a holding needs a user and a sku",
		"user,sku\nann,x\nbob\n":      "line 3: wrong number of fields",
		"":                            "no header row",
	} {
		_, err := pcfake.ReadHoldingsCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", in, err, want)
		}
	}
}

func TestSeedingHoldingsWithExcludedPlans(t *testing.T) {
	hs, err := pcfake.ReadHoldingsCSV(strings.NewReader("user,sku,excluded_plans\n" +
		"ann@contoso.com," + skuE3 + "," + strings.ToUpper(planSway) + "\n" +
		"bob@contoso.com," + skuE5 + ",\n"))
	if err != nil {
		t.Fatal(err)
	}
	users := []pcfake.User{pcfake.MakeUser("ann@contoso.com"), pcfake.MakeUser("bob@contoso.com")}
	s, hc := newFake(t, pcfake.WithUsers(cust, users), pcfake.WithHoldings(cust, hs))
	want := map[string]map[string][]string{
		"ann@contoso.com": {skuE3: {planSway}},
		"bob@contoso.com": {skuE5: nil},
	}
	if got := s.Holdings(cust); !reflect.DeepEqual(got, want) {
		t.Fatalf("holdings = %v, want %v", got, want)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	lic := decodeStrict[wireLicenses](t, get(t, hc, licensesPath(cust, users[0].ID, ""), nil))
	for _, p := range lic.Items[0].ServicePlans {
		if strings.EqualFold(p.ID, planSway) {
			t.Fatalf("an excluded plan is listed: %+v", lic.Items[0].ServicePlans)
		}
	}
	// AddHolding replaces the excluded plans of a SKU held, consuming no unit.
	if err := s.AddHolding(cust, users[0].UserPrincipalName, skuE3, []string{planYammer, planSway}); err != nil {
		t.Fatal(err)
	}
	if got := s.Holdings(cust)["ann@contoso.com"][skuE3]; !reflect.DeepEqual(got, []string{planYammer, planSway}) {
		t.Fatalf("plans after AddHolding = %v", got)
	}
	wantUnits(t, s, skuE3, 4799, 1201)
	if err := s.AddHolding(cust, "ann@contoso.com", skuE3, []string{"nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("AddHolding of an unknown plan: %v", err)
	}

	// WithHoldings names the line of a holding it cannot seed, and takes each holding's
	// own customer before the default.
	hs[1].Customer = "7b7d7f9c-5c43-4d7e-9a4e-3f1f0a2b6c11"
	_, err = pcfake.New(pcfake.WithCustomer(cust, sampleSkus(t)), pcfake.WithHoldings(cust, hs))
	if err == nil || !strings.Contains(err.Error(), "holding on line 3: no customer 7b7d7f9c") {
		t.Fatalf("error %v, want one naming line 3", err)
	}
	_, err = pcfake.New(pcfake.WithCustomer(cust, sampleSkus(t)), pcfake.WithHoldings("", []pcfake.Holding{{User: "u", SkuID: skuE3}}))
	if err == nil || !strings.Contains(err.Error(), "holding 1: no customer ID") {
		t.Fatalf("error %v, want one naming holding 1", err)
	}
}

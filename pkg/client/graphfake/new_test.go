package graphfake_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestNewRefusesBadOptionsNamingThem(t *testing.T) {
	skus := sampleSkus(t)
	users := graphfake.GenerateUsers(2, "", 1)
	base := []graphfake.Option{graphfake.WithTenant(tenant, skus), graphfake.WithUsers(tenant, users)}
	cases := map[string]graphfake.Option{
		"WithTenant":                 graphfake.WithTenant("contoso", skus),
		"WithTenant " + otherID:      graphfake.WithTenant(otherID, []graphfake.SubscribedSku{{SkuID: "x"}}),
		"WithUsers " + otherID:       graphfake.WithUsers(otherID, users),
		"WithHolder":                 graphfake.WithHolder(tenant, "ghost@x", skuE3, nil),
		"WithGroupHolder":            graphfake.WithGroupHolder(tenant, users[0].ID, skuE3, "", nil),
		"WithRoles":                  graphfake.WithRoles(otherID, graphfake.RoleUserAdministrator),
		"WithStaticToken":            graphfake.WithStaticToken("", tenant),
		"WithStaticToken for":        graphfake.WithStaticToken("tok", otherID),
		"WithApp":                    graphfake.WithApp("", "secret"),
		"WithRefreshToken":           graphfake.WithRefreshToken(" "),
		"WithTokenLifetime":          graphfake.WithTokenLifetime(time.Millisecond),
		"WithTokenEndpoint":          graphfake.WithTokenEndpoint("v3"),
		"WithConsentRefused":         graphfake.WithConsentRefused(otherID),
		"WithLimits":                 graphfake.WithLimits(graphfake.Limits{RPS: math.NaN()}),
		"WithWriteLimit":             graphfake.WithWriteLimit(10, 0),
		"WithAppWriteLimit":          graphfake.WithAppWriteLimit(10, -time.Second),
		"WithTenantWriteLimit":       graphfake.WithTenantWriteLimit(1, 0),
		"WithReadLimit":              graphfake.WithReadLimit(1, 0),
		"WithAppReadLimit":           graphfake.WithAppReadLimit(1, 0),
		"WithRateLimit":              graphfake.WithRateLimit(-1, 1),
		"WithLatency":                graphfake.WithLatency(-time.Second, 0),
		"WithLatencySpikes":          graphfake.WithLatencySpikes(1.5, time.Second),
		"WithFailureRate":            graphfake.WithFailureRate(-0.1),
		"WithDropRate":               graphfake.WithDropRate(2),
		"WithoutRetryAfter":          graphfake.WithoutRetryAfter(-1),
		"WithBaseURL":                graphfake.WithBaseURL("graph.example"),
		"WithReadLag":                graphfake.WithReadLag(-time.Second),
		"WithConflictingPlans":       graphfake.WithConflictingPlans(planSway, planSway),
		"WithPlanDependency":         graphfake.WithPlanDependency(planWinATP),
		"WithPlanDependency x":       graphfake.WithPlanDependency(planWinATP, "SWAY"),
		"WithHolder " + tenant + " ": graphfake.WithHolder(tenant, users[0].ID, skuAXTask, []string{planSway}),
	}
	for name, opt := range cases {
		s, err := graphfake.New(append(base, opt)...)
		if err == nil || s != nil {
			t.Errorf("%s: New accepted it", name)
			continue
		}
		if want := strings.Fields(name)[0]; !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "graphfake: new server: ") {
			t.Errorf("%s: error %q does not name %s", name, err, want)
		}
	}
	// A holder beyond the free units, and errors joined.
	_, err := graphfake.New(append(base,
		graphfake.WithHolder(tenant, users[0].ID, skuAXTask, nil),
		graphfake.WithHolder(tenant, users[1].ID, skuAXTask, nil),
		graphfake.WithLatency(-1, 0))...)
	if err == nil || !strings.Contains(err.Error(), "no free unit") || !strings.Contains(err.Error(), "WithLatency") {
		t.Fatalf("err = %v", err)
	}
	// Order does not matter: users and holders come after tenants.
	if _, err := graphfake.New(graphfake.WithHolder(tenant, users[0].ID, skuE3, nil), graphfake.WithUsers(tenant, users),
		graphfake.WithStaticToken("t", tenant), graphfake.WithTenant(tenant, skus)); err != nil {
		t.Fatal(err)
	}
	if s, err := graphfake.New(); err != nil || s == nil {
		t.Fatalf("New() = %v, %v", s, err)
	}
}

func TestSeedingAtRuntime(t *testing.T) {
	s, _, users := newFake(t, 2)
	if err := s.AddHolder(tenant, users[0].UserPrincipalName, skuE3, []string{strings.ToUpper(planSway)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddGroupHolder(tenant, users[1].ID, skuAXTask, groupID, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string][]string{users[0].ID: {skuE3: {planSway}}, users[1].ID: {skuAXTask: {}}}
	if got := s.Holdings(tenant); len(got) != 2 || got[users[0].ID][skuE3][0] != planSway || len(got[users[1].ID][skuAXTask]) != 0 {
		t.Fatalf("holdings = %v, want %v", got, want)
	}
	wantUnits(t, s, skuAXTask, 0, 1)
	for name, err := range map[string]error{
		"no unit":      s.AddHolder(tenant, users[0].ID, skuAXTask, nil),
		"unknown SKU":  s.AddHolder(tenant, users[0].ID, skuAbsent, nil),
		"unknown user": s.AddHolder(tenant, "ghost", skuE3, nil),
		"bad plan":     s.AddHolder(tenant, users[1].ID, skuE5, []string{planWinATP}),
		"no tenant":    s.AddHolder(otherID, users[0].ID, skuE3, nil),
		"no group":     s.AddGroupHolder(tenant, users[0].ID, skuE5, " ", nil),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if s.Holdings(otherID) != nil || s.LicenseStates(tenant, "ghost") != nil {
		t.Fatal("unknown tenant or user must give nil")
	}
	if f, c := s.Units(tenant, skuAbsent); f != 0 || c != 0 {
		t.Fatalf("units of an unknown SKU = %d, %d", f, c)
	}
}

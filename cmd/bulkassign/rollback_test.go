package main

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

// normalised is a ledger with sorted excluded plans, for comparing.
func normalised(h map[string]map[string][]string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for u, skus := range h {
		out[strings.ToLower(u)] = map[string][]string{}
		for sku, ex := range skus {
			ex = append([]string(nil), ex...)
			sort.Strings(ex)
			if len(ex) == 0 {
				ex = nil
			}
			out[strings.ToLower(u)][strings.ToLower(sku)] = ex
		}
	}
	return out
}

func TestRollbackRestoresTheLedger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t,
			pcfake.WithHolder(testCustomer, "ann@contoso.com", skuE3),
			pcfake.WithHolder(testCustomer, "carol@contoso.com", skuE3),
			pcfake.WithHolder(testCustomer, "dan@contoso.com", skuMinecraft),
		)
		// Erin holds E3 without Sway before the run (set up through the tool itself).
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--rollback=false",
			"--input", e.file("setup.csv", "user,sku,excluded_plans\nerin@contoso.com,ENTERPRISEPACK,SWAY\n"),
			"--output", e.path("setup-result.csv")); code != ExitOK {
			t.Fatalf("setup: exit %d: %s", code, e.stderr.String())
		}
		before := normalised(e.fake.Holdings(testCustomer))
		availE3, _ := e.fake.Units(testCustomer, skuE3)

		in := e.file("in.csv", "user,sku,remove_sku,excluded_plans\n"+
			"ann@contoso.com,ENTERPRISEPACK,,\n"+ // already held: the rollback must not remove it
			"bob@contoso.com,ENTERPRISEPACK,,\n"+ // new: the rollback removes it
			"carol@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK,\n"+ // swap: swapped back
			"dan@contoso.com,,Minecraft Education Edition Faculty,\n"+ // removal: assigned again
			"erin@contoso.com,ENTERPRISEPACK,,YAMMER_ENTERPRISE\n"+ // other plans: restored
			"frank@contoso.com,ENTERPRISEPREMIUM,,\n"+
			"frank@contoso.com,Minecraft Education Edition Faculty,,\n"+ // two groups
			"gus@contoso.com,,ENTERPRISEPREMIUM,\n") // removal of a SKU not held: nothing to undo
		out := e.path("result.csv")
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", in, "--output", out); code != ExitOK {
			t.Fatalf("run: exit %d: %s", code, e.stderr.String())
		}
		if reflect.DeepEqual(before, normalised(e.fake.Holdings(testCustomer))) {
			t.Fatal("the run changed nothing: the test proves nothing")
		}
		rollback := out + ".rollback.csv"
		b, err := os.ReadFile(rollback)
		if err != nil {
			t.Fatalf("no rollback file: %v", err)
		}
		if strings.Contains(string(b), "ann@contoso.com") || strings.Contains(string(b), "gus@contoso.com") {
			t.Fatalf("the rollback touches a license the run did not change:\n%s", b)
		}
		if !strings.Contains(e.stdout.String(), "Rollback: 6 row(s)") {
			t.Fatalf("the summary does not name the rollback file:\n%s", e.stdout.String())
		}

		code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", rollback, "--output", e.path("rolled-back.csv"))
		if code != ExitOK {
			t.Fatalf("rollback run: exit %d: %s\n%s", code, e.stdout.String(), e.stderr.String())
		}
		after := normalised(e.fake.Holdings(testCustomer))
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("ledger after rollback differs:\nbefore %v\nafter  %v", before, after)
		}
		if avail, _ := e.fake.Units(testCustomer, skuE3); avail != availE3 {
			t.Fatalf("E3 available %d after rollback, %d before", avail, availE3)
		}
	})
}

func TestRunThatChangesNothingWritesNoRollback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		out := e.path("result.csv")
		if code := e.run(t.Context(), nil, "run", "--customer", testCustomer, "--input", "../../samples/shortfall.csv", "--output", out); code != ExitShortfall {
			t.Fatalf("exit %d", code)
		}
		if _, err := os.Stat(out + ".rollback.csv"); err == nil {
			t.Fatal("a rollback file for a run that sent nothing")
		}
	})
}

package runner

import (
	"reflect"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestPriorUndo(t *testing.T) {
	p := NewPrior(nil)
	p.users = map[string]*priorUser{
		userKey("C", "held@x.com"):    {done: closed(), known: true, held: map[string][]string{"e3": nil}},
		userKey("C", "plans@x.com"):   {done: closed(), known: true, held: map[string][]string{"e3": {"sway"}}},
		userKey("C", "nothing@x.com"): {done: closed(), known: true, held: map[string][]string{}},
		userKey("C", "lost@x.com"):    {done: closed()},
	}
	rb := func(user, sku, remove string, ex ...string) report.RollbackRow {
		if len(ex) == 0 {
			ex = nil
		}
		return report.RollbackRow{Customer: "C", User: user, Sku: sku, RemoveSku: remove, ExcludedPlans: ex}
	}
	cases := []struct {
		name  string
		row   planner.Row
		want  []report.RollbackRow
		known bool
	}{
		{"new assignment is removed", planner.Row{Customer: "C", User: "nothing@x.com", SkuID: "E5"},
			[]report.RollbackRow{rb("nothing@x.com", "", "E5")}, true},
		{"held before, same plans: nothing", planner.Row{Customer: "C", User: "held@x.com", SkuID: "E3"}, nil, true},
		{"held before, other plans: plans restored", planner.Row{Customer: "C", User: "plans@x.com", SkuID: "E3", ExcludedPlanIDs: []string{"yammer"}},
			[]report.RollbackRow{rb("plans@x.com", "E3", "", "sway")}, true},
		{"held before, same plans in other case and order", planner.Row{Customer: "c", User: "PLANS@x.com", SkuID: "e3", ExcludedPlanIDs: []string{"SWAY"}}, nil, true},
		{"removal of a held SKU is assigned again", planner.Row{Customer: "C", User: "plans@x.com", RemoveSkuID: "E3"},
			[]report.RollbackRow{rb("plans@x.com", "E3", "", "sway")}, true},
		{"removal of a SKU not held: nothing", planner.Row{Customer: "C", User: "nothing@x.com", RemoveSkuID: "E3"}, nil, true},
		{"swap is swapped back in one row", planner.Row{Customer: "C", User: "held@x.com", SkuID: "E5", RemoveSkuID: "E3"},
			[]report.RollbackRow{rb("held@x.com", "E3", "E5")}, true},
		{"unknown user", planner.Row{Customer: "C", User: "lost@x.com", SkuID: "E5"}, nil, false},
		{"user never read", planner.Row{Customer: "C", User: "other@x.com", SkuID: "E5"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, known := p.Undo(c.row)
			if known != c.known || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Undo = %+v, %v; want %+v, %v", got, known, c.want, c.known)
			}
		})
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

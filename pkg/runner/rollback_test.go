package runner

import (
	"errors"
	"reflect"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
)

func TestUndo(t *testing.T) {
	held := map[string][]string{"e3": nil, "plan": {"sway"}}
	rb := func(sku, remove string, ex ...string) report.RollbackRow {
		if len(ex) == 0 {
			ex = nil
		}
		return report.RollbackRow{Customer: "C", User: "u@x.com", Sku: sku, RemoveSku: remove, ExcludedPlans: ex}
	}
	assign := func(id string, ex ...string) client.LicenseAssignment {
		return client.LicenseAssignment{SkuID: id, ExcludedPlans: ex}
	}
	cases := []struct {
		name string
		u    client.LicenseUpdate
		want []report.RollbackRow
	}{
		{"new assignment is removed", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{assign("E5")}},
			[]report.RollbackRow{rb("", "E5")}},
		{"held before with the same plans: nothing", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{assign("E3")}}, []report.RollbackRow{}},
		{"held before with other plans: plans restored", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{assign("PLAN", "yammer")}},
			[]report.RollbackRow{rb("PLAN", "", "sway")}},
		{"same plans in other case and order", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{assign("plan", "SWAY")}}, []report.RollbackRow{}},
		{"removal of a held SKU is assigned again", client.LicenseUpdate{LicensesToRemove: []string{"PLAN"}},
			[]report.RollbackRow{rb("PLAN", "", "sway")}},
		{"removal of a SKU not held: nothing", client.LicenseUpdate{LicensesToRemove: []string{"E1"}}, []report.RollbackRow{}},
		{"swap is swapped back in one row", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{assign("E5")}, LicensesToRemove: []string{"E3"}},
			[]report.RollbackRow{rb("E3", "E5")}},
		{"two new SKUs in one update", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{assign("E5"), assign("P1")}},
			[]report.RollbackRow{rb("", "E5"), rb("", "P1")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := undo("C", "u@x.com", held, c.u); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("undo = %+v, want %+v", got, c.want)
			}
		})
	}
}

type failingRollback struct{}

func (failingRollback) Write(report.RollbackRow) error { return errors.New("no space left on device") }

// A rollback row that cannot be written keeps its update from being sent.
func TestPriorWritesAheadOrDoesNotSend(t *testing.T) {
	p := NewPrior(nil, func() (RollbackWriter, error) { return failingRollback{}, nil })
	p.users[userKey("C", "u@x.com")] = &priorUser{done: make(chan struct{}), known: true, held: map[string][]string{}}
	close(p.users[userKey("C", "u@x.com")].done)
	err := p.writeUndo("C", "u@x.com", client.LicenseUpdate{LicensesToAssign: []client.LicenseAssignment{{SkuID: "E5"}}})
	if !errors.Is(err, errRollbackUnwritable) {
		t.Fatalf("got %v", err)
	}
	o := classify(planner.Update{Customer: "C", User: "u@x.com"}, nil, &client.Response{}, err, &sendState{}, nil, 0)
	if o.kind != kindNotSent || o.stop == nil || !errors.Is(o.stop, ErrOutputUnwritable) {
		t.Fatalf("outcome %+v: want not sent and the run stopped as output unwritable", o)
	}
}

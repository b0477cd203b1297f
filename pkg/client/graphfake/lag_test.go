package graphfake_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/graphfake"
)

func TestReadLagShowsChangesLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, hc, users := newFake(t, 1, graphfake.WithReadLag(3*time.Minute))
		id := users[0].ID
		read := func() (int, any) {
			t.Helper()
			m := object(t, get(t, hc, "/v1.0/users/"+id+"?$select=assignedLicenses,usageLocation"))
			return len(m["assignedLicenses"].([]any)), m["usageLocation"]
		}
		wantStatus(t, assign(t, hc, id, addBody(skuE3)), http.StatusOK)
		time.Sleep(time.Minute)
		wantStatus(t, patchLocation(t, hc, id, nil), http.StatusNoContent) // US again: a no-op change
		wantStatus(t, do(t, hc, call{method: http.MethodPatch, path: "/v1.0/users/" + id, body: `{"usageLocation":"DE"}`}), http.StatusNoContent)
		if n, loc := read(); n != 0 || loc != "US" {
			t.Fatalf("a minute after: %d licenses, %v; want the old state", n, loc)
		}
		// Writes see the current state: the SKU is held, so re-adding takes no unit.
		wantStatus(t, assign(t, hc, id, addBody(skuE3)), http.StatusOK)
		wantUnits(t, s, skuE3, 4799, 1201)
		if got := s.Holdings(tenant); len(got[id]) != 1 {
			t.Fatalf("Holdings shows the current state: %v", got)
		}
		time.Sleep(2 * time.Minute)
		if n, loc := read(); n != 1 || loc != "US" {
			t.Fatalf("three minutes after the assignment: %d licenses, %v", n, loc)
		}
		time.Sleep(time.Minute)
		if n, loc := read(); n != 1 || loc != "DE" {
			t.Fatalf("three minutes after the PATCH: %d licenses, %v", n, loc)
		}
	})
	_, hc, users := newFake(t, 1)
	wantStatus(t, assign(t, hc, users[0].ID, addBody(skuE3)), http.StatusOK)
	if m := object(t, get(t, hc, "/v1.0/users/"+users[0].ID+"?$select=assignedLicenses")); len(m["assignedLicenses"].([]any)) != 1 {
		t.Fatalf("without WithReadLag a change shows at once: %v", m)
	}
}

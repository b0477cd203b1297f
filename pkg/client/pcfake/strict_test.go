package pcfake_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestRemovingAnUnheldLicense(t *testing.T) {
	// By default: harmless, no unit freed.
	s, hc := newFake(t)
	wantStatus(t, postUpdate(t, hc, "ann@contoso.com", "", remove(skuE3)), http.StatusCreated)
	wantUnits(t, s, skuE3, 4800, 1200)

	s, hc = newFake(t, pcfake.WithStrictRemovals(), pcfake.WithHolding(cust, "ann@contoso.com", skuE3, nil))
	wantUnits(t, s, skuE3, 4799, 1201)
	for name, upd := range map[string]struct {
		user string
		body string
	}{
		"a removal":                 {"bob@contoso.com", mustJSON(t, remove(skuE3))},
		"a swap":                    {"bob@contoso.com", mustJSON(t, swap(skuE3, skuE5))},
		"one held, one not":         {"ann@contoso.com", mustJSON(t, remove(skuE3, skuE5))},
		"a swap of a SKU not held":  {"ann@contoso.com", mustJSON(t, swap(skuE5, skuE3))},
		"the held one, then no one": {"ann@contoso.com", mustJSON(t, remove(skuWinE5, skuE3))},
	} {
		t.Run(name, func(t *testing.T) {
			r := do(t, hc, call{method: http.MethodPost, path: updatesPath(cust, upd.user), body: upd.body})
			e := wantError(t, r, http.StatusBadRequest, "800002")
			if e.Description != "User does not have a corresponding license" || len(e.Data) != 2 || e.Data[0] != upd.user {
				t.Fatalf("answer %+v, want the directory's words and the user and SKU as data", e)
			}
		})
	}
	// Nothing of a refused request is applied.
	wantUnits(t, s, skuE3, 4799, 1201)
	wantUnits(t, s, skuE5, 5500, 500)
	if got := s.Holdings(cust); !reflect.DeepEqual(got, map[string]map[string][]string{"ann@contoso.com": {skuE3: nil}}) {
		t.Fatalf("holdings = %v", got)
	}
	// A held license is removed, once; the repeat with a new request ID is refused, the
	// repeat with the same ID replays the 201.
	wantStatus(t, postUpdate(t, hc, "ANN@contoso.com", "rm-1", remove(skuE3)), http.StatusCreated)
	wantStatus(t, postUpdate(t, hc, "ann@contoso.com", "rm-1", remove(skuE3)), http.StatusCreated)
	wantError(t, postUpdate(t, hc, "ann@contoso.com", "rm-2", remove(skuE3)), http.StatusBadRequest, "800002")
	wantUnits(t, s, skuE3, 4800, 1200)
	if st := s.Stats(); st.RefusedRemovals != 6 || st.Applied != 1 || st.Replayed != 1 {
		t.Fatalf("stats = %+v, want 6 refused removals, 1 applied, 1 replayed", st)
	}
}

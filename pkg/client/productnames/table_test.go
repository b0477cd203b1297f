package productnames

import (
	"reflect"
	"slices"
	"sync"
	"testing"
)

func TestByID(t *testing.T) {
	tb := mustLoad(t, sample)
	for _, q := range []string{e3ID, "6FD2C87F-B296-42F0-B197-1E91E994B900", "{6fd2c87f-b296-42f0-b197-1e91e994b900}", " " + e3ID + " "} {
		if p, ok := tb.ByID(q); !ok || p.ID != e3ID || p.Name != "Office 365 E3" {
			t.Errorf("ByID(%q) = %+v, %v", q, p, ok)
		}
	}
	for _, q := range []string{"", "ENTERPRISEPACK", "Office 365 E3", "6fd2c87f-b296-42f0-b197-1e91e994b901", exoPlan} {
		if p, ok := tb.ByID(q); ok {
			t.Errorf("ByID(%q) = %+v; want none", q, p)
		}
	}
}

func TestByPartNumber(t *testing.T) {
	tb := mustLoad(t, sample)
	for _, q := range []string{"ENTERPRISEPACK", "enterprisepack", " EnterprisePack\u00a0"} {
		if p, ok := tb.ByPartNumber(q); !ok || p.ID != e3ID {
			t.Errorf("ByPartNumber(%q) = %+v, %v", q, p, ok)
		}
	}
	if p, ok := tb.ByPartNumber("o365_W/O teams bundle_m3"); !ok || p.ID != eeaID {
		t.Errorf("ByPartNumber of a part number with spaces = %+v, %v", p, ok)
	}
	// Two products share MCOPSTN5: no single answer.
	for _, q := range []string{"MCOPSTN5", "Office 365 E3", e3ID, ""} {
		if p, ok := tb.ByPartNumber(q); ok {
			t.Errorf("ByPartNumber(%q) = %+v; want none", q, p)
		}
	}
}

func TestLookup(t *testing.T) {
	tb := mustLoad(t, sample)
	cases := map[string][]string{
		"Office 365 E3":                        {e3ID},
		"office 365 e3":                        {e3ID},
		"  OFFICE  365\tE3 ":                   {e3ID},
		"ENTERPRISEPACK":                       {e3ID},
		"enterprisePack":                       {e3ID},
		"6FD2C87F-B296-42F0-B197-1E91E994B900": {e3ID},
		"Microsoft 365 E3 EEA (no Teams)":      {eeaID}, // typed with a plain space
		"dynamics 365 field service, enterprise edition - resource scheduling optimization": {dynID},
		"Azure Information Protection Plan 1":                                               {aipCEID, aipID},    // one name, two products, sorted by GUID
		"MCOPSTN5":                                                                          {pstnSmID, pstn120}, // sorted by name
		"Office 365":                                                                        nil,                 // exact, not a search
		"EXCHANGE_S_ENTERPRISE":                                                             nil,                 // a plan, not a product
		exoPlan:                                                                             nil,
		"":                                                                                  nil,
	}
	for q, want := range cases {
		if got := productIDs(tb.Lookup(q)); !slices.Equal(got, want) {
			t.Errorf("Lookup(%q) = %v; want %v", q, got, want)
		}
	}
}

// A GUID whose rows give it two display names (Microsoft renames products) is found by
// both, named by the first.
func TestLookupRenamedProduct(t *testing.T) {
	text := sample + "Office 365 Enterprise E3,ENTERPRISEPACK," + e3ID + ",TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Microsoft Teams\r\n"
	tb := mustLoad(t, text)
	for _, q := range []string{"Office 365 E3", "Office 365 Enterprise E3"} {
		got := tb.Lookup(q)
		if len(got) != 1 || got[0].ID != e3ID || got[0].Name != "Office 365 E3" || len(got[0].Plans) != 4 {
			t.Errorf("Lookup(%q) = %+v", q, got)
		}
	}
	if tb.Len() != sampleProducts {
		t.Errorf("Len = %d; want %d", tb.Len(), sampleProducts)
	}
}

func TestPlan(t *testing.T) {
	tb := mustLoad(t, sample)
	cases := map[string]Plan{
		// Spelled "EXCHANGE FOUNDATION" first, "Exchange Foundation" by two rows: the majority wins.
		foundPln: {ID: foundPln, Name: "EXCHANGE_S_FOUNDATION", FriendlyName: "Exchange Foundation"},
		// Two spellings, one row each: the first wins.
		"6C57D4B6-3B23-47A5-9BC9-69F17B4947B3": {ID: rmsPrem, Name: "RMS_S_PREMIUM", FriendlyName: "Microsoft Entra RIGHTS"},
		exoPlan:                                {ID: exoPlan, Name: "EXCHANGE_S_ENTERPRISE", FriendlyName: "Exchange Online (Plan 2)"},
	}
	for q, want := range cases {
		if got, ok := tb.Plan(q); !ok || got != want {
			t.Errorf("Plan(%q) = %+v, %v; want %+v", q, got, ok, want)
		}
	}
	for _, q := range []string{e3ID, "EXCHANGE_S_ENTERPRISE", ""} {
		if p, ok := tb.Plan(q); ok {
			t.Errorf("Plan(%q) = %+v; want none", q, p)
		}
	}
}

func TestPlansNamed(t *testing.T) {
	tb := mustLoad(t, sample)
	found := Plan{ID: foundPln, Name: "EXCHANGE_S_FOUNDATION", FriendlyName: "Exchange Foundation"}
	rms := Plan{ID: rmsPrem, Name: "RMS_S_PREMIUM", FriendlyName: "Microsoft Entra RIGHTS"}
	pstn := Plan{ID: pstn120, Name: "MCOPSTN5", FriendlyName: "DOMESTIC CALLING PLAN"}
	cases := map[string][]Plan{
		"EXCHANGE_S_FOUNDATION":                   {found},
		"exchange foundation":                     {found}, // either spelling of the friendly name
		"Exchange Foundation":                     {found},
		"Azure Information Protection Premium P1": {rms}, // the less usual spelling finds it too
		"mcopstn5":           {pstn},
		"Skype for Business": {{ID: "9a0125a5-c8f8-4526-b231-49e2abe0ebce", Name: "Skype for Business PSTN Calling Domestic Small", FriendlyName: "Skype for Business"}},
		"Office 365 E3":      nil,
		foundPln:             nil, // by name, not ID
	}
	for q, want := range cases {
		if got := tb.PlansNamed(q); !reflect.DeepEqual(got, want) {
			t.Errorf("PlansNamed(%q) = %+v; want %+v", q, got, want)
		}
	}
	// A name two plans share comes back once per plan, sorted by name, then ID.
	text := sample + "Office 365 E5,ENTERPRISEPREMIUM," + e5ID + ",TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Customer Lockbox\r\n"
	got := planIDs(mustLoad(t, text).PlansNamed("customer lockbox"))
	if want := []string{lockbox, "57ff2da0-773e-42df-b2af-ffb7a2317929"}; !slices.Equal(got, want) {
		t.Errorf("PlansNamed of a shared name = %v; want %v", got, want)
	}
}

func TestProducts(t *testing.T) {
	tb := mustLoad(t, sample)
	ps := tb.Products()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	want := []string{
		"Azure Information Protection Plan 1",
		"Azure Information Protection Plan 1",
		"Dynamics 365 Field Service, Enterprise Edition - Resource Scheduling Optimization",
		"Microsoft 365 E3 EEA (no Teams)",
		"Office 365 E3",
		"Office 365 E5",
		"Skype for Business PSTN Calling Domestic Small",
		"Skype for Business PSTN Domestic Calling (120 Minutes)",
	}
	if !slices.Equal(names, want) || len(ps) != tb.Len() {
		t.Errorf("Products names = %q; want %q", names, want)
	}
	if ps[0].ID != aipCEID || ps[1].ID != aipID {
		t.Errorf("same names not ordered by GUID: %s, %s", ps[0].ID, ps[1].ID)
	}
	lower := mustLoad(t, sample+"azure AD,AAD,078d2b04-f1bd-4111-bbd4-b4b1b354cef4,,,\r\n").Products()
	if lower[0].Name != "azure AD" || len(lower[0].Plans) != 0 {
		t.Errorf("sorting ignores case: first = %+v", lower[0])
	}
}

// What the methods return is the caller's to change.
func TestResultsAreCopies(t *testing.T) {
	tb := mustLoad(t, sample)
	p, _ := tb.ByID(e3ID)
	p.Plans[0].Name = "changed"
	_ = append(p.Plans, Plan{ID: "x"})
	tb.Products()[4].Plans[1].Name = "changed"
	tb.Lookup("Office 365 E3")[0].Plans[2].Name = "changed"
	again, _ := tb.ByPartNumber("ENTERPRISEPACK")
	for _, pl := range again.Plans {
		if pl.Name == "changed" {
			t.Fatalf("the table changed: %+v", again.Plans)
		}
	}
	if len(again.Plans) != 3 {
		t.Errorf("plans = %d; want 3", len(again.Plans))
	}
}

// One table serves many goroutines (run with -race).
func TestConcurrentLookups(t *testing.T) {
	tb := mustLoad(t, sample)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := tb.Lookup("office 365 e3"); len(got) != 1 {
					t.Errorf("Lookup = %v", got)
				}
				tb.ByID(e5ID)
				tb.PlansNamed("exchange foundation")
				tb.Products()
			}
		})
	}
	wg.Wait()
}

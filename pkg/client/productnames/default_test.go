package productnames

import (
	"bytes"
	"encoding/csv"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The pinned copy is Microsoft's file as published, parses, and is big.
func TestDefaultPinned(t *testing.T) {
	data := pinnedData(t)
	if !bytes.HasPrefix(data, utf8BOM) {
		t.Error("the pinned copy lacks the UTF-8 byte order mark of Microsoft's file: was it re-saved?")
	}
	if lf, crlf := bytes.Count(data, []byte("\n")), bytes.Count(data, []byte("\r\n")); lf != crlf {
		t.Errorf("the pinned copy has %d LF line ends of %d, Microsoft's file has CRLF: was it re-saved?", lf-crlf, lf)
	}
	tb, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the pinned copy does not parse: %v", err)
	}
	if tb.Rows() < 4000 || tb.Len() < 400 {
		t.Errorf("the pinned copy has %d rows, %d products; want thousands of rows", tb.Rows(), tb.Len())
	}
	d := Default()
	if d != Default() {
		t.Error("Default made two tables")
	}
	if d.Rows() != tb.Rows() || !reflect.DeepEqual(d.Products(), tb.Products()) {
		t.Error("Default differs from the pinned copy")
	}
}

func TestDefaultOffice365E3(t *testing.T) {
	pinnedData(t) // skips in a checkout without the pinned copy
	d := Default()
	e3, ok := d.ByID("6FD2C87F-B296-42F0-B197-1E91E994B900")
	if !ok || e3.ID != e3ID || e3.PartNumber != "ENTERPRISEPACK" || e3.Name != "Office 365 E3" {
		t.Fatalf("ByID(E3) = %+v, %v", e3, ok)
	}
	if p, ok := d.ByPartNumber("enterprisepack"); !ok || p.ID != e3ID {
		t.Errorf("ByPartNumber(enterprisepack) = %+v, %v", p, ok)
	}
	if got := productIDs(d.Lookup("office 365 e3")); len(got) != 1 || got[0] != e3ID {
		t.Errorf("Lookup(office 365 e3) = %v", got)
	}
	if len(e3.Plans) < 20 {
		t.Errorf("E3 has %d plans; want its 20 and more", len(e3.Plans))
	}
	has := map[string]Plan{}
	for _, p := range e3.Plans {
		has[p.ID] = p
	}
	for _, want := range []Plan{
		{ID: exoPlan, Name: "EXCHANGE_S_ENTERPRISE", FriendlyName: "Exchange Online (Plan 2)"},
		{ID: "5dbe027f-2339-4123-9542-606e4d348a72", Name: "SHAREPOINTENTERPRISE", FriendlyName: "SharePoint (Plan 2)"},
		{ID: "43de0ff5-c92c-492b-9116-175376d08c38", Name: "OFFICESUBSCRIPTION", FriendlyName: "Microsoft 365 Apps for Enterprise"},
		{ID: "57ff2da0-773e-42df-b2af-ffb7a2317929", Name: "TEAMS1", FriendlyName: "Microsoft Teams"},
		{ID: "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", Name: "MCOSTANDARD", FriendlyName: "Skype for Business Online (Plan 2)"},
	} {
		if has[want.ID] != want {
			t.Errorf("E3 plan %s = %+v; want %+v", want.ID, has[want.ID], want)
		}
	}
	if p, ok := d.Plan(exoPlan); !ok || p.Name != "EXCHANGE_S_ENTERPRISE" {
		t.Errorf("Plan(EXCHANGE_S_ENTERPRISE) = %+v, %v", p, ok)
	}
	if ps := d.PlansNamed("exchange online (plan 2)"); len(ps) != 1 || ps[0].ID != exoPlan {
		t.Errorf("PlansNamed(exchange online (plan 2)) = %+v", ps)
	}
}

func TestDefaultOffice365E5(t *testing.T) {
	pinnedData(t) // skips in a checkout without the pinned copy
	d := Default()
	e5, ok := d.ByID(e5ID)
	if !ok || e5.PartNumber != "ENTERPRISEPREMIUM" || e5.Name != "Office 365 E5" {
		t.Fatalf("ByID(E5) = %+v, %v", e5, ok)
	}
	if p, ok := d.ByPartNumber("ENTERPRISEPREMIUM"); !ok || p.ID != e5ID {
		t.Errorf("ByPartNumber(ENTERPRISEPREMIUM) = %+v, %v", p, ok)
	}
	if got := productIDs(d.Lookup("Office 365 E5")); len(got) != 1 || got[0] != e5ID {
		t.Errorf("Lookup(Office 365 E5) = %v", got)
	}
	names := map[string]bool{}
	for _, p := range e5.Plans {
		names[p.Name] = true
	}
	for _, n := range []string{"EXCHANGE_S_ENTERPRISE", "TEAMS1", "MCOEV", "MCOMEETADV", "THREAT_INTELLIGENCE", "LOCKBOX_ENTERPRISE"} {
		if !names[n] {
			t.Errorf("E5 lacks plan %s", n)
		}
	}
}

// The quirks of the real table: shared names and part numbers, which the API documents,
// and a GUID and part number followed by a non-breaking space.
func TestDefaultQuirks(t *testing.T) {
	pinnedData(t) // skips in a checkout without the pinned copy
	d := Default()
	if p, ok := d.ByID("420c7602-7f70-4895-9394-d3d679ea36fb"); !ok || p.PartNumber != "MCOCAP_FACULTY" || len(p.Plans) == 0 {
		t.Errorf("ByID of a GUID written with a non-breaking space after it = %+v, %v", p, ok)
	}
	if _, ok := d.ByPartNumber("MCOPSTN5"); ok {
		t.Error("ByPartNumber(MCOPSTN5) gave one product; the table has two")
	}
	if got := d.Lookup("MCOPSTN5"); len(got) != 2 {
		t.Errorf("Lookup(MCOPSTN5) = %d products; want 2", len(got))
	}
	if got := productIDs(d.Lookup("Azure Information Protection Plan 1")); len(got) != 2 {
		t.Errorf("Lookup(Azure Information Protection Plan 1) = %v; want 2 products", got)
	}
	if ps := d.PlansNamed("Azure Active Directory Premium P1"); len(ps) != 1 || ps[0].Name != "AAD_PREMIUM" || ps[0].FriendlyName != "Microsoft Entra ID P1" {
		t.Errorf("PlansNamed(an old friendly name) = %+v; want AAD_PREMIUM as most rows spell it", ps)
	}
}

// The table agrees with a plain reading of the pinned rows: one product per GUID, and
// each product's plans the distinct plan IDs of its rows, in the order they first come.
func TestDefaultMatchesRows(t *testing.T) {
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(pinnedData(t), utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	plans := map[string][]string{}
	for _, r := range recs[1:] { // GUID and Service_Plan_Id are columns 2 and 4 in Microsoft's file
		id, plan := strings.ToLower(strings.TrimSpace(r[2])), strings.ToLower(strings.TrimSpace(r[4]))
		if !slices.Contains(plans[id], plan) {
			plans[id] = append(plans[id], plan)
		}
	}
	d := Default()
	if d.Rows() != len(recs)-1 || d.Len() != len(plans) {
		t.Errorf("Rows, Len = %d, %d; want %d, %d", d.Rows(), d.Len(), len(recs)-1, len(plans))
	}
	for _, p := range d.Products() {
		if got := planIDs(p.Plans); !reflect.DeepEqual(got, plans[p.ID]) {
			t.Errorf("%s (%s) plans = %v; want %v", p.Name, p.ID, got, plans[p.ID])
		}
	}
}

// Without the pinned copy, Default is an empty table: lookups find nothing, and a
// backend falls back to part numbers and IDs.
func TestDefaultWithoutPinnedCopy(t *testing.T) {
	if _, err := fs.Stat(pinned, PinnedPath); err == nil {
		t.Skip("the pinned copy is here")
	}
	d := Default()
	if d.Len() != 0 || d.Rows() != 0 {
		t.Errorf("Default without the pinned copy has %d products", d.Len())
	}
	if _, ok := d.ByID("6fd2c87f-b296-42f0-b197-1e91e994b900"); ok {
		t.Error("ByID found a product in an empty table")
	}
}

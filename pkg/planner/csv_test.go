package planner_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// wantRow is what a format test checks of a planned row.
type wantRow struct {
	line     int
	customer string
	user     string
	skuID    string
	excluded []string
}

func TestBuildReadsCSVForms(t *testing.T) {
	e3, e5 := plannertest.E3ID, plannertest.E5ID
	tests := []struct {
		name    string
		in      string
		want    []wantRow
		warning string // a warning the plan must carry, "" for none
	}{
		{
			name: "plain",
			in:   "user,sku\na@contoso.com,ENTERPRISEPACK\n",
			want: []wantRow{{2, custA, "a@contoso.com", e3, nil}},
		},
		{
			name: "no final newline",
			in:   "user,sku\na@contoso.com,ENTERPRISEPACK",
			want: []wantRow{{2, custA, "a@contoso.com", e3, nil}},
		},
		{
			name: "byte-order mark",
			in:   "\uFEFFuser,sku\na@contoso.com,ENTERPRISEPACK\n",
			want: []wantRow{{2, custA, "a@contoso.com", e3, nil}},
		},
		{
			name: "byte-order mark before a quoted header",
			in:   "\uFEFF\"user\",\"sku\"\na@contoso.com,ENTERPRISEPACK\n",
			want: []wantRow{{2, custA, "a@contoso.com", e3, nil}},
		},
		{
			name: "CRLF line ends",
			in:   "user,sku\r\na@contoso.com,ENTERPRISEPACK\r\nb@contoso.com,ENTERPRISEPREMIUM\r\n",
			want: []wantRow{{2, custA, "a@contoso.com", e3, nil}, {3, custA, "b@contoso.com", e5, nil}},
		},
		{
			name: "quoted fields with commas and quotes",
			in: "user,sku,excluded_plans,notes\n" +
				`"a@contoso.com","Office 365 Enterprise E3","Sway; Yammer Enterprise","moved, ""urgently"""` + "\n",
			want:    []wantRow{{2, custA, "a@contoso.com", e3, []string{plannertest.SwayPlanID, plannertest.YammerPlanID}}},
			warning: `ignoring unknown column(s) "notes"; the columns are user, sku, remove_sku, excluded_plans, customer`,
		},
		{
			name: "header names in any case and order, spaces around names and values",
			in:   " SKU ,Customer,  User\n  ENTERPRISEPACK , " + custB + " ,  a@contoso.com  \n",
			want: []wantRow{{2, custB, "a@contoso.com", e3, nil}},
		},
		{
			name: "blank lines and rows of empty fields are skipped",
			in:   "\nuser,sku\n\na@contoso.com,ENTERPRISEPACK\n\n\r\n,\n  ,  \nb@contoso.com,ENTERPRISEPACK\n\n",
			want: []wantRow{{4, custA, "a@contoso.com", e3, nil}, {9, custA, "b@contoso.com", e3, nil}},
		},
		{
			name:    "a quoted field over several lines: rows keep their file lines",
			in:      "user,sku,notes\na@contoso.com,ENTERPRISEPACK,\"first line\nsecond line\r\nthird line\"\nb@contoso.com,ENTERPRISEPACK,\n",
			want:    []wantRow{{2, custA, "a@contoso.com", e3, nil}, {5, custA, "b@contoso.com", e3, nil}},
			warning: `ignoring unknown column(s) "notes"; the columns are user, sku, remove_sku, excluded_plans, customer`,
		},
		{
			name:    "unknown columns, one warning naming them all",
			in:      "user,Department,sku,,cost centre\na@contoso.com,Sales,ENTERPRISEPACK,x,42\n",
			want:    []wantRow{{2, custA, "a@contoso.com", e3, nil}},
			warning: `ignoring unknown column(s) "department", column 4 (no name), "cost centre"; the columns are user, sku, remove_sku, excluded_plans, customer`,
		},
		{
			name: "a rollback file's line and SKU names are ignored without a warning",
			in: "line,customer,user,sku,sku_name,remove_sku,remove_sku_name,excluded_plans\n" +
				"\"7;9\"," + custB + ",a@contoso.com," + e3 + ",Office 365 Enterprise E3,,,\n",
			want: []wantRow{{2, custB, "a@contoso.com", e3, nil}},
		},
		{
			name:    "only the rollback file's own columns are quiet",
			in:      "user,sku,sku_names,line_no\na@contoso.com,ENTERPRISEPACK,x,1\n",
			want:    []wantRow{{2, custA, "a@contoso.com", e3, nil}},
			warning: `ignoring unknown column(s) "sku_names", "line_no"; the columns are user, sku, remove_sku, excluded_plans, customer`,
		},
		{
			name: "user object IDs and user principal names",
			in:   "user,sku\n9F3B1C2D-4E5F-4A6B-8C7D-0E1F2A3B4C5D,ENTERPRISEPACK\nJane.O'Neil+tag@Contoso.co.uk,ENTERPRISEPACK\n",
			want: []wantRow{{2, custA, "9F3B1C2D-4E5F-4A6B-8C7D-0E1F2A3B4C5D", e3, nil}, {3, custA, "Jane.O'Neil+tag@Contoso.co.uk", e3, nil}},
			// Users are not read here, so the two kinds of name cannot be matched.
			warning: "users were not read: principal names and object IDs were not matched, so a user the file names both ways gets a request for each name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, tt.in)
			rows := allRows(p)
			if len(rows) != len(tt.want) {
				t.Fatalf("got %d rows, want %d: %+v", len(rows), len(tt.want), rows)
			}
			for i, w := range tt.want {
				r := rows[i]
				if r.Line != w.line || r.Customer != w.customer || r.User != w.user || r.SkuID != w.skuID || !slices.Equal(r.ExcludedPlanIDs, w.excluded) {
					t.Errorf("row %d = line %d, customer %q, user %q, sku ID %q, excluded %q; want %+v",
						i, r.Line, r.Customer, r.User, r.SkuID, r.ExcludedPlanIDs, w)
				}
				if r.Status != planner.StatusPlanned || r.Change < 0 {
					t.Errorf("row %d: status %q, change %d; want planned", i, r.Status, r.Change)
				}
			}
			var warnings []string
			for _, w := range p.Warnings {
				warnings = append(warnings, w.Message)
			}
			if tt.warning == "" && len(warnings) > 0 {
				t.Errorf("warnings %q, want none", warnings)
			}
			if tt.warning != "" && !slices.Contains(warnings, tt.warning) {
				t.Errorf("warnings %q, want %q", warnings, tt.warning)
			}
		})
	}
}

func TestBuildChecksHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []planner.Problem
	}{
		{"empty file", "", []planner.Problem{{Message: "empty file: no header row"}}},
		{"only a byte-order mark", "\uFEFF", []planner.Problem{{Message: "empty file: no header row"}}},
		{"only blank lines", "\n\r\n\n", []planner.Problem{{Message: "empty file: no header row"}}},
		{
			"missing user column", "\nsku,customer\nENTERPRISEPACK,\n",
			[]planner.Problem{{Line: 2, Column: "user", Message: `missing required column "user" (the header has "sku", "customer")`}},
		},
		{
			"missing sku and remove_sku columns", "user,skus\na@contoso.com,ENTERPRISEPACK\n",
			[]planner.Problem{{Line: 1, Column: "sku", Message: `missing required column "sku" (or "remove_sku" in a file of removals only; the header has "user", "skus")`}},
		},
		{
			"duplicate column", "user,sku,Remove_SKU, SKU \na@contoso.com,ENTERPRISEPACK,,ENTERPRISEPACK\n",
			[]planner.Problem{{Line: 1, Column: "sku", Message: `duplicate column "sku": columns 2 and 4`}},
		},
		{"UTF-16 without its user column", "\xFF\xFEs\x00k\x00u\x00\n\x00", []planner.Problem{{Line: 1, Column: "user", Message: `missing required column "user" (the header has "sku")`}}},
		{
			"fields separated by pipes", "user|sku\na@contoso.com|ENTERPRISEPACK\n",
			[]planner.Problem{
				{Line: 1, Column: "user", Message: `missing required column "user" (the header has "user|sku"; its fields seem separated by another character than ',', ';' or a tab: save the file as CSV)`},
				{Line: 1, Column: "sku", Message: `missing required column "sku" (or "remove_sku" in a file of removals only; the header has "user|sku"; its fields seem separated by another character than ',', ';' or a tab: save the file as CSV)`},
			},
		},
		{
			"malformed header", "user,\"sku\n",
			[]planner.Problem{{Line: 1, Message: `malformed CSV: extraneous or missing " in quoted-field (column 11)`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := sampleCatalogue()
			p, err := buildWith(t, tt.in, cat, planner.Options{DefaultCustomer: custA})
			got := problems(t, p, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %+v\nwant %+v", got, tt.want)
			}
			if n := cat.TotalCalls(); n != 0 {
				t.Errorf("catalogue called %d times for a file without rows", n)
			}
		})
	}
}

func TestBuildHeaderOnlyIsAnEmptyPlan(t *testing.T) {
	cat := sampleCatalogue()
	p, err := buildWith(t, "user,sku\r\n", cat, planner.Options{DefaultCustomer: custA})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if p.NumRows() != 0 || p.NumChanges() != 0 || len(p.Customers) != 0 || len(p.Capacity) != 0 || p.Shortfall() {
		t.Errorf("plan = %d rows, %d changes, customers %q, capacity %+v; want empty", p.NumRows(), p.NumChanges(), p.Customers, p.Capacity)
	}
	if n := cat.TotalCalls(); n != 0 {
		t.Errorf("catalogue called %d times, want 0", n)
	}
}

func TestBuildRemovalsOnlyFile(t *testing.T) {
	p := mustPlan(t, "user,remove_sku\na@contoso.com,ENTERPRISEPACK\n")
	if p.NumChanges() != 1 {
		t.Fatalf("NumChanges = %d, want 1", p.NumChanges())
	}
	u := p.Change(0)
	if u.Assign != nil || !slices.Equal(u.Remove, []string{plannertest.E3ID}) {
		t.Errorf("change = %+v, want a removal of E3 only", u.Change)
	}
	r := p.Row(0)
	if r.Sku != "" || r.SkuID != "" || r.RemoveSku != "ENTERPRISEPACK" || r.RemoveSkuID != plannertest.E3ID || r.LicenseGroup != "group1" {
		t.Errorf("row = %+v", r)
	}

	_, err := buildWith(t, "user,remove_sku\na@contoso.com,\n", sampleCatalogue(), planner.Options{DefaultCustomer: custA})
	got := problems(t, nil, err)
	want := []planner.Problem{{Line: 2, Column: "remove_sku", Message: "remove_sku: empty: without a sku column every row needs a remove_sku"}}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", got, want)
	}
}

// TestBuildReadsExcelsFiles: what Excel saves besides CSV UTF-8 plans the same: ';'
// separated (European locales), "Unicode text" (UTF-16 with a byte-order mark, tabs),
// and UTF-16 big-endian.
func TestBuildReadsExcelsFiles(t *testing.T) {
	want := mustPlan(t, "user,sku,excluded_plans\namy@contoso.com,ENTERPRISEPACK,\"Sway;Yammer Enterprise\"\nbob@contoso.com,AAD_PREMIUM,\n")
	utf16 := func(s string, big bool) string {
		var b strings.Builder
		if big {
			b.WriteString("\xFE\xFF")
		} else {
			b.WriteString("\xFF\xFE")
		}
		for _, r := range s {
			if big {
				b.WriteByte(byte(r >> 8))
				b.WriteByte(byte(r))
			} else {
				b.WriteByte(byte(r))
				b.WriteByte(byte(r >> 8))
			}
		}
		return b.String()
	}
	text := "user\tsku\texcluded_plans\r\namy@contoso.com\tENTERPRISEPACK\tSway;Yammer Enterprise\r\nbob@contoso.com\tAAD_PREMIUM\t\r\n"
	for name, in := range map[string]string{
		"semicolons":        "user;sku;excluded_plans\namy@contoso.com;ENTERPRISEPACK;\"Sway;Yammer Enterprise\"\nbob@contoso.com;AAD_PREMIUM;\n",
		"UTF-16 with tabs":  utf16(text, false),
		"UTF-16 big-endian": utf16(text, true),
	} {
		t.Run(name, func(t *testing.T) {
			got := mustPlan(t, in)
			if !reflect.DeepEqual(allChanges(got), allChanges(want)) {
				t.Errorf("changes %+v, want %+v", allChanges(got), allChanges(want))
			}
		})
	}
}

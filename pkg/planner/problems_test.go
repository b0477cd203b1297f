package planner_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/planner/plannertest"
)

// ambiguousCatalogue is the sample catalogue plus a second SKU named like E3, and a
// service plan of E5 whose display name is another plan's service name.
func ambiguousCatalogue() []client.Sku {
	skus := plannertest.SampleSkus()
	gov := skus[4]
	gov.ID = "535a3a29-c5f0-42fe-8215-d3b9e1f38c4a"
	gov.PartNumber = "ENTERPRISEPACK_GOV"
	skus = append(skus, gov)
	e5 := &skus[5]
	e5.Plans = append(slices.Clone(e5.Plans), client.ServicePlan{
		ID: "9aaf7827-d63c-4b61-89c3-182f06f82e5c", DisplayName: "SWAY", Name: "SWAY_LEGACY",
	})
	return skus
}

func TestBuildReportsRowProblems(t *testing.T) {
	long := strings.Repeat("x", 1020) + "@contoso.com"
	tests := []struct {
		name string
		in   string
		opts planner.Options // DefaultCustomer custA unless noDefault
		want []planner.Problem
		// noDefault plans without a default customer.
		noDefault bool
	}{
		{
			name: "customer not a GUID",
			in:   "user,sku,customer\na@contoso.com,ENTERPRISEPACK,contoso\n",
			want: []planner.Problem{{2, "customer", "contoso", `customer "contoso": not a customer ID: want a GUID such as 0c39d6d5-c70d-4c55-bc02-f620844f3fd1`}},
		},
		{
			name:      "no customer value and no default customer",
			in:        "user,sku,customer\na@contoso.com,ENTERPRISEPACK,\nb@contoso.com,ENTERPRISEPACK," + custA + "\nc@contoso.com,ENTERPRISEPACK, \n",
			noDefault: true,
			want: []planner.Problem{
				{2, "customer", "", "customer: no customer: the row has no customer value and no default customer is set"},
				{4, "customer", "", "customer: no customer: the row has no customer value and no default customer is set"},
			},
		},
		{
			name:      "no customer column and no default customer: one problem, at the header",
			in:        "\nuser,sku\na@contoso.com,ENTERPRISEPACK\nb@contoso.com,ENTERPRISEPACK\nc@contoso.com,ENTERPRISEPACK\n",
			noDefault: true,
			want:      []planner.Problem{{2, "customer", "", "no customer: the file has no customer column and no default customer is set"}},
		},
		{
			name:      "no customer column: a problem of the header, so the rows are not read",
			in:        "user,sku\nbad user,ENTERPRISEPACK\nb@contoso.com,ENTERPRISEPACK\n,ENTERPRISEPACK\n",
			noDefault: true,
			want:      []planner.Problem{{1, "customer", "", "no customer: the file has no customer column and no default customer is set"}},
		},
		{
			name: "empty user",
			in:   "user,sku\n  ,ENTERPRISEPACK\n",
			want: []planner.Problem{{2, "user", "", "user: empty: every row needs the user's object ID or user principal name"}},
		},
		{
			name: "users that are neither object IDs nor user principal names",
			in: "user,sku\n" +
				"jane.doe,ENTERPRISEPACK\n" +
				"a@b@contoso.com,ENTERPRISEPACK\n" +
				"jane@,ENTERPRISEPACK\n" +
				"jane doe@contoso.com,ENTERPRISEPACK\n" +
				"jane\x01@contoso.com,ENTERPRISEPACK\n" +
				"0c39d6d5-c70d-4c55-bc02-f620844f3fd,ENTERPRISEPACK\n",
			want: []planner.Problem{
				{2, "user", "jane.doe", `user "jane.doe": neither a user object ID (a GUID) nor a user principal name (name@domain)`},
				{3, "user", "a@b@contoso.com", `user "a@b@contoso.com": not a user principal name: more than one @`},
				{4, "user", "jane@", `user "jane@": not a user principal name: nothing after the @`},
				{5, "user", "jane doe@contoso.com", `user "jane doe@contoso.com": not a user principal name: contains a space or control character`},
				{6, "user", "jane\x01@contoso.com", `user "jane\x01@contoso.com": not a user principal name: contains a space or control character`},
				{7, "user", "0c39d6d5-c70d-4c55-bc02-f620844f3fd", `user "0c39d6d5-c70d-4c55-bc02-f620844f3fd": neither a user object ID (a GUID) nor a user principal name (name@domain)`},
			},
		},
		{
			name: "users that a spreadsheet would run as formulas",
			in:   "user,sku\n\"=HYPERLINK(\"\"x\"\")@a.com\",ENTERPRISEPACK\n+a@contoso.com,ENTERPRISEPACK\n-a@contoso.com,ENTERPRISEPACK\n@contoso.com,ENTERPRISEPACK\n",
			want: []planner.Problem{
				{2, "user", `=HYPERLINK("x")@a.com`, `user "=HYPERLINK(\"x\")@a.com": starts with =, which a spreadsheet would run as a formula; not accepted as a user`},
				{3, "user", "+a@contoso.com", `user "+a@contoso.com": starts with +, which a spreadsheet would run as a formula; not accepted as a user`},
				{4, "user", "-a@contoso.com", `user "-a@contoso.com": starts with -, which a spreadsheet would run as a formula; not accepted as a user`},
				{5, "user", "@contoso.com", `user "@contoso.com": starts with @, which a spreadsheet would run as a formula; not accepted as a user`},
			},
		},
		{
			name: "field over 1024 bytes, NUL byte, invalid UTF-8",
			in:   "user,sku\n" + long + ",ENTERPRISEPACK\na\x00b@contoso.com,ENTERPRISEPACK\na@contoso.com,ENTERPRISE\xffPACK\n",
			want: []planner.Problem{
				{2, "user", strings.Repeat("x", 77) + "...", `user "` + strings.Repeat("x", 77) + `...": longer than 1024 bytes`},
				{3, "user", "a\x00b@contoso.com", `user "a\x00b@contoso.com": contains a NUL byte`},
				{4, "sku", "ENTERPRISE\xffPACK", `sku "ENTERPRISE\xffPACK": is not valid UTF-8: the file seems saved in another encoding (Excel's plain "CSV" is Windows-1252); save it as "CSV UTF-8 (comma delimited)"`},
			},
		},
		{
			name: "bare quote",
			in:   "user,sku\na@contoso.com,ENTERPRISEPACK\nja\"ne@contoso.com,ENTERPRISEPACK\nb@contoso.com,ENTERPRISEPACK\n",
			want: []planner.Problem{{Line: 3, Message: `malformed CSV: bare " in non-quoted-field (column 3)`}},
		},
		{
			name: "wrong number of fields",
			in:   "user,sku\na@contoso.com\nb@contoso.com,ENTERPRISEPACK,extra\nc@contoso.com,ENTERPRISEPACK\n",
			want: []planner.Problem{
				{Line: 2, Message: "wrong number of fields: 1, the header has 2"},
				{Line: 3, Message: "wrong number of fields: 3, the header has 2"},
			},
		},
		{
			name: "quote not closed before the end of the file",
			in:   "user,sku\na@contoso.com,ENTERPRISEPACK\nb@contoso.com,\"ENTERPRISEPACK\nc@contoso.com,ENTERPRISEPACK\n",
			want: []planner.Problem{{Line: 3, Message: `malformed CSV: extraneous or missing " in quoted-field (line 4, column 30)`}},
		},
		{
			name: "neither sku nor remove_sku",
			in:   "user,sku,remove_sku\na@contoso.com,,\n",
			want: []planner.Problem{{2, "sku", "", "sku: empty and no remove_sku: name a SKU to assign or to remove"}},
		},
		{
			name: "excluded plans without a sku",
			in:   "user,sku,remove_sku,excluded_plans\na@contoso.com,,ENTERPRISEPACK,SWAY\n",
			want: []planner.Problem{{2, "excluded_plans", "SWAY", `excluded_plans "SWAY": given without a sku: excluded plans belong to the SKU assigned`}},
		},
		{
			name: "unknown SKU, with the closest name suggested",
			in:   "user,sku\na@contoso.com,ENTERPRISEPACK\nb@contoso.com,ENTERPRISEPACK\nc@contoso.com,ENTERPRISEPACK\nd@contoso.com,ENTERPRISEPACK\ne@contoso.com,ENTERPRISEPACK\nf@contoso.com,Ofice 365 E3\n",
			want: []planner.Problem{{7, "sku", "Ofice 365 E3",
				`sku "Ofice 365 E3": unknown SKU for customer ` + custA + `; did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK)?`}},
		},
		{
			name: "unknown SKUs: several suggestions, or the SKUs the customer has",
			in:   "user,sku,remove_sku\na@contoso.com,E5,\nb@contoso.com,,ENTERPRISEPAK\nc@contoso.com,Visio Plan 2,\n",
			want: []planner.Problem{
				{2, "sku", "E5", `sku "E5": unknown SKU for customer ` + custA + `; did you mean "Windows 10 Enterprise E5" (WIN_ENT_E5) or "Office 365 Enterprise E5" (ENTERPRISEPREMIUM)?`},
				{3, "remove_sku", "ENTERPRISEPAK", `remove_sku "ENTERPRISEPAK": unknown SKU for customer ` + custA + `; did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK)?`},
				{4, "sku", "Visio Plan 2", `sku "Visio Plan 2": unknown SKU for customer ` + custA + `; the customer has "Azure Active Directory Premium P1" (AAD_PREMIUM), "Dynamics AX Task" (AX_TASK_USER), "Minecraft Education Edition Faculty" (CFQ7TTC0K5DR/0002), "Windows 10 Enterprise E5" (WIN_ENT_E5), "Office 365 Enterprise E3" (ENTERPRISEPACK) and "Office 365 Enterprise E5" (ENTERPRISEPREMIUM)`},
			},
		},
		{
			name: "a name that matches two SKUs",
			in:   "user,sku,customer\na@contoso.com,office 365 enterprise e3," + custB + "\nb@contoso.com,ENTERPRISEPACK_GOV," + custB + "\n",
			want: []planner.Problem{{2, "sku", "office 365 enterprise e3",
				`sku "office 365 enterprise e3": ambiguous for customer ` + custB + `: it names "Office 365 Enterprise E3" (ENTERPRISEPACK, ID 6fd2c87f-b296-42f0-b197-1e91e994b900) and "Office 365 Enterprise E3" (ENTERPRISEPACK_GOV, ID 535a3a29-c5f0-42fe-8215-d3b9e1f38c4a); use the part number or the product SKU ID`}},
		},
		{
			name: "unknown and ambiguous service plans",
			in:   "user,sku,excluded_plans,customer\na@contoso.com,ENTERPRISEPACK,Swy;TEAMS1;Yamer," + custB + "\nb@contoso.com,ENTERPRISEPREMIUM,sway," + custB + "\n",
			want: []planner.Problem{
				{2, "excluded_plans", "Swy", `excluded_plans "Swy": unknown service plan of "Office 365 Enterprise E3" (ENTERPRISEPACK); did you mean "Sway" (SWAY)?`},
				{2, "excluded_plans", "Yamer", `excluded_plans "Yamer": unknown service plan of "Office 365 Enterprise E3" (ENTERPRISEPACK); did you mean "Yammer Enterprise" (YAMMER_ENTERPRISE)?`},
				{3, "excluded_plans", "sway", `excluded_plans "sway": ambiguous service plan of "Office 365 Enterprise E5" (ENTERPRISEPREMIUM): it names "Sway" (SWAY, ID a23b959c-7ce8-4e57-9140-b90eb88a9e97) and "SWAY" (SWAY_LEGACY, ID 9aaf7827-d63c-4b61-89c3-182f06f82e5c); use the service name or ID`},
			},
		},
		{
			name: "a row that assigns and removes the same SKU",
			in:   "user,sku,remove_sku\na@contoso.com,ENTERPRISEPACK,office 365 enterprise e3\n",
			want: []planner.Problem{{2, "remove_sku", "office 365 enterprise e3",
				`remove_sku "office 365 enterprise e3": the row both assigns and removes "Office 365 Enterprise E3" (ENTERPRISEPACK): a user cannot get and lose the same SKU`}},
		},
		{
			name: "a swap across license groups",
			in:   "user,sku,remove_sku\na@contoso.com,Minecraft Education Edition Faculty,ENTERPRISEPACK\n",
			want: []planner.Problem{{2, "remove_sku", "ENTERPRISEPACK",
				`remove_sku "ENTERPRISEPACK": "Office 365 Enterprise E3" (ENTERPRISEPACK) is in license group group1 but "Minecraft Education Edition Faculty" (CFQ7TTC0K5DR/0002) is in group2; one request carries one license group, so assign and remove them in separate rows`}},
		},
		{
			name: "a user asked to get and to lose the same SKU on two lines",
			in:   "user,sku,remove_sku\na@contoso.com,ENTERPRISEPACK,\nb@contoso.com,ENTERPRISEPREMIUM,ENTERPRISEPACK\nA@Contoso.com,,Office 365 Enterprise E3\nb@contoso.com,ENTERPRISEPACK,\n",
			want: []planner.Problem{
				{4, "remove_sku", "Office 365 Enterprise E3", `remove_sku "Office 365 Enterprise E3": line 2 assigns "Office 365 Enterprise E3" (ENTERPRISEPACK) to this user: a user cannot both get and lose a SKU`},
				{5, "sku", "ENTERPRISEPACK", `sku "ENTERPRISEPACK": line 3 removes "Office 365 Enterprise E3" (ENTERPRISEPACK) from this user: a user cannot both get and lose a SKU`},
			},
		},
		{
			name: "the same user and SKU with other excluded plans",
			in:   "user,sku,excluded_plans\na@contoso.com,ENTERPRISEPACK,SWAY;TEAMS1\na@contoso.com,ENTERPRISEPACK,Microsoft Teams;Sway\na@contoso.com,ENTERPRISEPACK,SWAY\n",
			want: []planner.Problem{{4, "excluded_plans", "SWAY", `excluded_plans "SWAY": line 2 gives this user "Office 365 Enterprise E3" (ENTERPRISEPACK) with other excluded_plans; give both rows the same excluded_plans`}},
		},
		{
			name: "a quoted field over several lines shifts the lines of later problems",
			in:   "user,sku,notes\na@contoso.com,ENTERPRISEPACK,\"one\ntwo\nthree\"\nbad user,ENTERPRISEPACK,\n\"c@contoso.com\",\"ENTERPRISE\nPAK\",\n",
			want: []planner.Problem{
				{5, "user", "bad user", `user "bad user": neither a user object ID (a GUID) nor a user principal name (name@domain)`},
				{6, "sku", "ENTERPRISE\nPAK", `sku "ENTERPRISE\nPAK": unknown SKU for customer ` + custA + `; did you mean "Office 365 Enterprise E3" (ENTERPRISEPACK)?`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := sampleCatalogue()
			cat.Set(custB, ambiguousCatalogue())
			opts := tt.opts
			if !tt.noDefault {
				opts.DefaultCustomer = custA
			}
			p, err := buildWith(t, tt.in, cat, opts)
			got := problems(t, p, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func dump(ps []planner.Problem) string {
	var sb strings.Builder
	for _, p := range ps {
		sb.WriteString("\n  ")
		sb.WriteString(strings.ReplaceAll(p.String(), "\n", `\n`))
		sb.WriteString(" {column " + p.Column + ", value " + p.Value + "}")
	}
	return sb.String()
}

// TestBuildReportsEveryProblem checks that one file's problems are all reported, each
// with its line, in file order, and that Error lists them one per line.
func TestBuildReportsEveryProblem(t *testing.T) {
	in := "user,sku,customer\n" +
		"good1@contoso.com,ENTERPRISEPACK,\n" + // 2
		"bad user,ENTERPRISEPACK,\n" + // 3
		"good2@contoso.com,ENTERPRISEPACK,\n" + // 4
		"good3@contoso.com,Ofice 365 E3,\n" + // 5
		"good4@contoso.com,\"ENTERPRISE\n" + // 6
		"PACK\",not-a-guid\n" + // 7
		"good5@contoso.com,ENTERPRISEPACK\n" + // 8
		"good6@contoso.com,ENTERPRISEPACK,\n" // 9
	cat := sampleCatalogue()
	p, err := buildWith(t, in, cat, planner.Options{DefaultCustomer: custA})
	got := problems(t, p, err)
	var lines []int
	for _, pr := range got {
		lines = append(lines, pr.Line)
	}
	if want := []int{3, 5, 6, 8}; !slices.Equal(lines, want) {
		t.Errorf("problem lines = %v, want %v:%s", lines, want, dump(got))
	}
	wantErr := "line 3: user \"bad user\": neither a user object ID (a GUID) nor a user principal name (name@domain)\n" +
		"line 5: sku \"Ofice 365 E3\": unknown SKU for customer " + custA + "; did you mean \"Office 365 Enterprise E3\" (ENTERPRISEPACK)?\n" +
		"line 6: customer \"not-a-guid\": not a customer ID: want a GUID such as 0c39d6d5-c70d-4c55-bc02-f620844f3fd1\n" +
		"line 8: wrong number of fields: 2, the header has 3"
	if err.Error() != wantErr {
		t.Errorf("Error() =\n%s\nwant\n%s", err, wantErr)
	}
	if n := cat.Calls(custA); n != 1 {
		t.Errorf("catalogue calls for %s = %d, want 1", custA, n)
	}
}

func TestBuildChecksOptions(t *testing.T) {
	_, err := buildWith(t, "user,sku\n", sampleCatalogue(), planner.Options{Shortfall: "some"})
	if err == nil || !strings.Contains(err.Error(), `unknown shortfall policy "some"`) {
		t.Errorf("Build with Shortfall \"some\": error %v, want an unknown policy", err)
	}
	p, err := buildWith(t, "user,sku\na@contoso.com,ENTERPRISEPACK\n", sampleCatalogue(), planner.Options{DefaultCustomer: "contoso"})
	got := problems(t, p, err)
	want := []planner.Problem{{0, "customer", "contoso", `customer "contoso": the default customer is not a customer ID: want a GUID such as 0c39d6d5-c70d-4c55-bc02-f620844f3fd1`}}
	if !slices.Equal(got, want) {
		t.Errorf("problems:%s\nwant%s", dump(got), dump(want))
	}
	for _, pr := range got {
		if strings.Contains(pr.Message, "--") {
			t.Errorf("a library message names a flag: %q", pr.Message)
		}
	}
	cat := sampleCatalogue()
	p, err = buildWith(t, "user,sku\na@contoso.com,ENTERPRISEPACK\n", cat, planner.Options{DefaultCustomer: custA, UsageLocation: "USA"})
	got = problems(t, p, err)
	want = []planner.Problem{{0, "usage location", "USA", `usage location "USA": not a two-letter country code such as US or DE`}}
	if !slices.Equal(got, want) {
		t.Errorf("problems:%s\nwant%s", dump(got), dump(want))
	}
	if n := cat.TotalCalls(); n != 0 {
		t.Errorf("catalogue called %d times with a bad setting, want 0", n)
	}
	// Settings are trimmed, and a usage location may be given in any case.
	p, err = buildWith(t, "user,sku\na@contoso.com,ENTERPRISEPACK\n", sampleCatalogue(), planner.Options{DefaultCustomer: " " + custA + " ", UsageLocation: " de "})
	if err != nil || p.Row(0).Customer != custA {
		t.Errorf("Build with settings in spaces = %v; want a plan for %s", err, custA)
	}
}

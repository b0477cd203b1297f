package productnames

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLoadSample(t *testing.T) {
	tb := mustLoad(t, sample)
	if tb.Len() != sampleProducts || tb.Rows() != sampleRows {
		t.Fatalf("Len, Rows = %d, %d; want %d, %d", tb.Len(), tb.Rows(), sampleProducts, sampleRows)
	}
	e3, ok := tb.ByID(e3ID)
	if !ok {
		t.Fatal("E3 not found")
	}
	want := Product{ID: e3ID, PartNumber: "ENTERPRISEPACK", Name: "Office 365 E3", Plans: []Plan{
		{ID: exoPlan, Name: "EXCHANGE_S_ENTERPRISE", FriendlyName: "Exchange Online (Plan 2)"},
		{ID: foundPln, Name: "EXCHANGE_S_FOUNDATION", FriendlyName: "EXCHANGE FOUNDATION"}, // this row's own spelling
		{ID: rmsEnt, Name: "RMS_S_ENTERPRISE", FriendlyName: "Microsoft Azure Active Directory Rights"},
	}}
	if !reflect.DeepEqual(e3, want) {
		t.Errorf("E3 =\n%+v\nwant\n%+v", e3, want)
	}
	dyn, _ := tb.ByID(dynID)
	if dyn.Name != "Dynamics 365 Field Service, Enterprise Edition - Resource Scheduling Optimization" {
		t.Errorf("quoted name with a comma = %q", dyn.Name)
	}
	e5, _ := tb.ByID(e5ID)
	if e5.Name != "Office 365 E5" || e5.PartNumber != "ENTERPRISEPREMIUM" || len(e5.Plans) != 2 ||
		e5.Plans[1] != (Plan{ID: lockbox, Name: "LOCKBOX_ENTERPRISE", FriendlyName: "Customer Lockbox"}) {
		t.Errorf("E5 with trailing blanks = %+v", e5)
	}
	eea, _ := tb.ByID(eeaID)
	if eea.Name != "Microsoft 365 E3 EEA (no Teams)" {
		t.Errorf("non-breaking space not made a space: %q", eea.Name)
	}
}

// A table is read by its header's names: any order, any case, extra columns ignored,
// LF or CRLF, with or without a BOM.
func TestLoadColumnsByName(t *testing.T) {
	base := mustLoad(t, sample).Products()
	cases := map[string]string{
		"reordered, extra columns, LF": rewrite(t, sample, false, func(r []string) []string {
			x, more := "extra", "more"
			if blank(r) {
				x, more = "", ""
			}
			return []string{x, r[5], r[4], r[3], r[2], more, r[1], r[0]}
		}),
		"header in other case, CRLF, no BOM": rewrite(t, sample, true, func(r []string) []string {
			if r[0] == "Product_Display_Name" {
				return []string{"product_display_name", "STRING_ID", "guid", "service_plan_name", "Service_Plan_ID", " Service_Plans_Included_Friendly_Names "}
			}
			return r
		}),
		"trailing blanks after lines": strings.ReplaceAll(sample, "\r\n", " \t \r\n"),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			if got := mustLoad(t, text).Products(); !reflect.DeepEqual(got, base) {
				t.Errorf("products differ from the sample's:\n%+v\nwant\n%+v", got, base)
			}
		})
	}
}

func TestLoadWithoutFriendlyNames(t *testing.T) {
	text := rewrite(t, sample, true, func(r []string) []string { return r[:5] })
	tb := mustLoad(t, text)
	e3, _ := tb.ByID(e3ID)
	if len(e3.Plans) != 3 || e3.Plans[0] != (Plan{ID: exoPlan, Name: "EXCHANGE_S_ENTERPRISE"}) {
		t.Errorf("E3 plans = %+v", e3.Plans)
	}
}

// Rows that are clearly not data (blank, all-empty, whitespace only, a repeated header)
// are skipped; the sample has some, and more are added here.
func TestLoadSkipsNonData(t *testing.T) {
	header := strings.SplitN(strings.TrimPrefix(sample, "\uFEFF"), "\r\n", 2)[0]
	text := "\uFEFF\r\n  \r\n" + strings.TrimPrefix(sample, "\uFEFF") + " , ,\t,\r\n" + header + "\r\n\r\n"
	tb := mustLoad(t, text)
	if tb.Len() != sampleProducts || tb.Rows() != sampleRows {
		t.Errorf("Len, Rows = %d, %d; want %d, %d", tb.Len(), tb.Rows(), sampleProducts, sampleRows)
	}
}

func TestLoadErrors(t *testing.T) {
	const hdr = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\r\n"
	const ok = "Office 365 E3,ENTERPRISEPACK," + e3ID + ",EXCHANGE_S_ENTERPRISE," + exoPlan + ",Exchange Online (Plan 2)\r\n"
	cases := []struct {
		name, text string
		line       int
		column     string
		is         error  // errors.Is target, if any
		msg        string // in the message
	}{
		{"missing column", "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Notes\r\n" + ok, 1, "Service_Plan_Id", ErrMissingColumn,
			"load product names: line 1: Service_Plan_Id: missing column"},
		{"missing columns", "\r\nName,String_Id,Service_Plan_Name,Service_Plan_Id\r\n", 2, "Product_Display_Name, GUID", ErrMissingColumn, "Product_Display_Name, GUID"},
		{"column twice", strings.Replace(hdr, "String_Id", "guid", 1), 1, "GUID", ErrDuplicateColumn, "line 1: GUID: column named twice"},
		{"empty input", "", 1, "", ErrNoHeader, "no header row"},
		{"blank input", "\uFEFF\r\n ,,\r\n", 1, "", ErrNoHeader, "no header row"},
		{"bad GUID", hdr + ok + "Office 365 E5,ENTERPRISEPREMIUM,c7df2760-2c81-4ef7-b578,X," + exoPlan + ",Y\r\n", 3, "GUID", nil,
			`line 3: GUID: not a GUID: "c7df2760-2c81-4ef7-b578"`},
		{"GUID without hyphens", hdr + ok + "Office 365 E5,ENTERPRISEPREMIUM,c7df27602c814ef7b5785b5392b571df,X," + exoPlan + ",Y\r\n", 3, "GUID", nil, "not a GUID"},
		{"bad plan GUID", hdr + ok + ok + "Office 365 E3,ENTERPRISEPACK," + e3ID + ",TEAMS1,teams,Microsoft Teams\r\n", 4, "Service_Plan_Id", nil, `not a GUID: "teams"`},
		{"plan without name", hdr + ok + "Office 365 E3,ENTERPRISEPACK," + e3ID + ",," + exoPlan + ",Exchange\r\n", 3, "Service_Plan_Name", nil, "empty"},
		{"plan name without ID", hdr + ok + "Office 365 E3,ENTERPRISEPACK," + e3ID + ",TEAMS1,,Microsoft Teams\r\n", 3, "Service_Plan_Id", nil, "not a GUID"},
		{"product without name", hdr + ok + "  ,ENTERPRISEPACK," + e3ID + ",TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Teams\r\n", 3, "Product_Display_Name", nil, "empty"},
		{"product without part number", hdr + "Office 365 E3,," + e3ID + ",,,\r\n", 2, "String_Id", nil, "empty"},
		{"short row", hdr + ok + "Office 365 E3,ENTERPRISEPACK\r\n", 3, "", nil, "2 fields, want at least 5"},
		{"stray quote", hdr + ok + `Office 365 "E3",ENTERPRISEPACK,` + e3ID + ",A," + exoPlan + ",B\r\n", 3, "", csv.ErrBareQuote, `line 3: bare " in non-quoted-field`},
		{"unclosed quote", hdr + ok + `"Office 365 E3,ENTERPRISEPACK,` + e3ID + ",A," + exoPlan + ",B\r\n" + ok, 3, "", csv.ErrQuote,
			"line 3: extraneous or missing \" in quoted-field (line 4)"},
		{"after a field over two lines", hdr + "\"Office 365\r\nE3\",ENTERPRISEPACK," + e3ID + ",A," + exoPlan + ",B\r\n" +
			"Office 365 E3,ENTERPRISEPACK,not-a-guid,A," + exoPlan + ",B\r\n", 4, "GUID", nil, "line 4"},
		{"UTF-16", "\xff\xfeP\x00r\x00", 1, "", ErrEncoding, "UTF-16"},
		{"Windows code page", hdr + ok + "Information Protection \x96 Standard,MIP," + e3ID + ",A," + exoPlan + ",B\r\n", 3, "Product_Display_Name", ErrEncoding, "not UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb, err := Load(strings.NewReader(c.text))
			if err == nil {
				t.Fatalf("Load succeeded with %d products", tb.Len())
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is no *ParseError", err, err)
			}
			if pe.Line != c.line || pe.Column != c.column {
				t.Errorf("line, column = %d, %q; want %d, %q (%v)", pe.Line, pe.Column, c.line, c.column, err)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q lacks %q", err, c.msg)
			}
		})
	}
}

func TestLoadLongBadValueShortened(t *testing.T) {
	text := "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n" +
		"A,B," + strings.Repeat("é", 200) + ",,\n"
	_, err := Load(strings.NewReader(text))
	if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "…") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(sample[:300]), iotest.ErrReader(boom))
	_, err := Load(r)
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "load product names: read table: ") {
		t.Errorf("error = %v; want it to wrap %v", err, boom)
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "table.csv")
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	tb, err := LoadFile(path)
	if err != nil || tb.Len() != sampleProducts {
		t.Fatalf("LoadFile = %v, %v", tb, err)
	}
	_, err = LoadFile(filepath.Join(t.TempDir(), "absent.csv"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "load product names: ") {
		t.Errorf("LoadFile of a missing file: %v", err)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"Office 365 E3":        "Office 365 E3",
		" Office  365\tE3 ":    "Office 365 E3",
		"E3\u00a0EEA\u00a0":    "E3 EEA",
		"Protection – Std":     "Protection – Std",
		"\r\n":                 "",
		"MCOCAP_FACULTY\u00a0": "MCOCAP_FACULTY",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q; want %q", in, got, want)
		}
	}
	if got := fold(" OFFICE\u00a0365  e3"); got != "office 365 e3" {
		t.Errorf("fold = %q", got)
	}
}

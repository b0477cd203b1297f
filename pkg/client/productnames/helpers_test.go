package productnames

import (
	"bytes"
	"encoding/csv"
	"io/fs"
	"strings"
	"testing"
)

// Real IDs from Microsoft's table.
const (
	e3ID     = "6fd2c87f-b296-42f0-b197-1e91e994b900" // Office 365 E3, ENTERPRISEPACK
	e5ID     = "c7df2760-2c81-4ef7-b578-5b5392b571df" // Office 365 E5, ENTERPRISEPREMIUM
	aipID    = "c52ea49f-fe5d-4e95-93ba-1de91d380f89" // Azure Information Protection Plan 1, RIGHTSMANAGEMENT
	aipCEID  = "a0e6a48f-b056-4037-af70-b9ac53504551" // the same name, RIGHTSMANAGEMENT_CE
	pstnSmID = "d43177b5-475b-4880-92d4-d54c27b5efbd" // MCOPSTN5, Skype for Business PSTN Calling Domestic Small
	pstn120  = "54a152dc-90de-4996-93d2-bc47e670fc06" // MCOPSTN5, ... (120 Minutes)
	eeaID    = "c2fe850d-fbbb-4858-b67d-bd0c6e746da3" // Microsoft 365 E3 EEA (no Teams), with a non-breaking space
	dynID    = "977464c4-bfaf-4b67-b761-a9bb735a2196" // a display name with a comma
	exoPlan  = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
	foundPln = "113feb6c-3fe4-4440-bddc-54d774bf0318" // EXCHANGE_S_FOUNDATION, spelled three ways below
	rmsPrem  = "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3" // RMS_S_PREMIUM, spelled two ways below
	rmsEnt   = "bea4c11e-220a-4e6d-8eb8-8ea15d019f90" // RMS_S_ENTERPRISE
	lockbox  = "9f431833-0334-42de-a7dc-70aa40db46db" // LOCKBOX_ENTERPRISE
)

// sample is a small table in the real format: BOM, CRLF, quoted fields (one with a
// comma), an upper-case GUID, a non-breaking space, trailing blanks, a blank line, an
// all-empty row, a duplicated row and the rows of E3 split apart.
const sample = "\uFEFF" +
	"Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\r\n" + // 1
	"Office 365 E3,ENTERPRISEPACK," + e3ID + ",EXCHANGE_S_ENTERPRISE," + exoPlan + ",Exchange Online (Plan 2)\r\n" + // 2
	"Office 365 E3,ENTERPRISEPACK,6FD2C87F-B296-42F0-B197-1E91E994B900,EXCHANGE_S_FOUNDATION," + foundPln + ",EXCHANGE FOUNDATION\r\n" + // 3
	`"Dynamics 365 Field Service, Enterprise Edition - Resource Scheduling Optimization",CRM_AUTO_ROUTING_ADDON,` + dynID + ",EXCHANGE_S_FOUNDATION," + foundPln + ",Exchange Foundation\r\n" + // 4
	"Azure Information Protection Plan 1,RIGHTSMANAGEMENT," + aipID + ",RMS_S_PREMIUM," + rmsPrem + ",Microsoft Entra RIGHTS\r\n" + // 5
	"Azure Information Protection Plan 1,RIGHTSMANAGEMENT_CE," + aipCEID + ",RMS_S_PREMIUM," + rmsPrem + ",Azure Information Protection Premium P1\r\n" + // 6
	"Skype for Business PSTN Calling Domestic Small,MCOPSTN5," + pstnSmID + ",Skype for Business PSTN Calling Domestic Small,9a0125a5-c8f8-4526-b231-49e2abe0ebce,Skype for Business\r\n" + // 7
	"Skype for Business PSTN Domestic Calling (120 Minutes),MCOPSTN5," + pstn120 + ",MCOPSTN5," + pstn120 + ",DOMESTIC CALLING PLAN\r\n" + // 8
	"Microsoft 365 E3\u00a0EEA (no Teams),O365_w/o Teams Bundle_M3," + eeaID + ",RMS_S_ENTERPRISE," + rmsEnt + ",Azure Rights Management\r\n" + // 9
	"\r\n" + // 10
	",,,,,\r\n" + // 11
	"Office 365 E3,ENTERPRISEPACK," + e3ID + ",EXCHANGE_S_ENTERPRISE," + exoPlan + ",Exchange Online (Plan 2)\r\n" + // 12
	"Office 365 E5,ENTERPRISEPREMIUM," + e5ID + ",EXCHANGE_S_FOUNDATION," + foundPln + ",Exchange Foundation\r\n" + // 13
	"Office 365 E5 ,ENTERPRISEPREMIUM\t," + e5ID + " ,LOCKBOX_ENTERPRISE," + lockbox + ",Customer Lockbox  \r\n" + // 14
	`"Office 365 E3","ENTERPRISEPACK","` + e3ID + `","RMS_S_ENTERPRISE","` + rmsEnt + `","Microsoft Azure Active Directory Rights"` + "\r\n" // 15

const (
	sampleRows     = 12 // data rows, the duplicate included
	sampleProducts = 8
)

func mustLoad(t testing.TB, text string) *Table {
	t.Helper()
	tb, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tb
}

// rewrite reads text as CSV and writes it back after passing each record through
// edit, with CRLF line ends when crlf is set and without a BOM.
func rewrite(t *testing.T, text string, crlf bool, edit func([]string) []string) string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = crlf
	for _, r := range recs {
		if err := w.Write(edit(r)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.String()
}

// pinnedData returns the bytes of the pinned copy. A checkout without it (see
// pinned/README.md: the copy is committed by a maintainer who downloads it) skips the
// tests of Microsoft's own data; the format is tested on sample tables in every
// checkout.
func pinnedData(t testing.TB) []byte {
	t.Helper()
	data, err := fs.ReadFile(pinned, PinnedPath)
	if err != nil {
		t.Skipf("no pinned copy of Microsoft's table at %s (%v): see pinned/README.md", PinnedPath, err)
	}
	return data
}

func planIDs(ps []Plan) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func productIDs(ps []Product) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

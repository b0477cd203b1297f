package pcfake_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
	"github.com/bulkassign/bulkassign/pkg/client/pcfake"
)

func TestSampleCatalogueIsValidJSON(t *testing.T) {
	raw, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(raw) {
		t.Fatal("samples/subscribedskus.json is not valid JSON")
	}
	var coll partnercenter.SubscribedSkus
	if err := json.Unmarshal(raw, &coll); err != nil {
		t.Fatal(err)
	}
	if coll.TotalCount != len(coll.Items) || coll.TotalCount != 6 {
		t.Errorf("totalCount = %d with %d items, want 6 and 6", coll.TotalCount, len(coll.Items))
	}
	if coll.Attributes == nil || coll.Attributes.ObjectType != "Collection" {
		t.Errorf("attributes = %+v, want objectType Collection", coll.Attributes)
	}
}

func TestLoadCatalogueSample(t *testing.T) {
	skus := sampleSkus(t)
	byID := make(map[string]partnercenter.SubscribedSku)
	groups := make(map[string]int)
	for _, k := range skus {
		byID[k.ProductSku.ID] = k
		groups[k.ProductSku.LicenseGroupID]++
		if k.AvailableUnits != k.TotalUnits-k.ConsumedUnits {
			t.Errorf("%s: available %d != total %d - consumed %d", k.ProductSku.Name, k.AvailableUnits, k.TotalUnits, k.ConsumedUnits)
		}
	}
	if groups["group1"] != 5 || groups["group2"] != 1 {
		t.Errorf("license groups = %v, want 5 in group1 and 1 in group2", groups)
	}
	// The docs' four items, unchanged.
	docs := []struct {
		id, name, part, group          string
		available, consumed, total, np int
	}{
		{skuAADP1, "Azure Active Directory Premium P1", "AAD_PREMIUM", "group1", 15, 0, 15, 3},
		{skuAXTask, "Dynamics AX Task", "AX_TASK_USER", "group1", 1, 0, 1, 0},
		{skuMinecraft, "Minecraft Education Edition Faculty", "CFQ7TTC0K5DR/0002", "group2", 23, 49, 72, 0},
		{skuWinE5, "Windows 10 Enterprise E5", "WIN_ENT_E5", "group1", 71, 41, 112, 2},
	}
	for _, d := range docs {
		k, ok := byID[d.id]
		if !ok {
			t.Errorf("docs item %s missing", d.name)
			continue
		}
		if k.ProductSku.Name != d.name || k.ProductSku.SkuPartNumber != d.part || k.ProductSku.LicenseGroupID != d.group ||
			k.AvailableUnits != d.available || k.ConsumedUnits != d.consumed || k.TotalUnits != d.total || len(k.ServicePlans) != d.np {
			t.Errorf("docs item %s = %+v, differs from the docs", d.name, k)
		}
	}
	for _, want := range []struct {
		id, name, part string
		minUnits       int
	}{
		{skuE3, "Office 365 Enterprise E3", "ENTERPRISEPACK", 1000},
		{skuE5, "Office 365 Enterprise E5", "ENTERPRISEPREMIUM", 1000},
	} {
		k, ok := byID[want.id]
		if !ok {
			t.Fatalf("%s (%s) missing from the sample", want.name, want.id)
		}
		if k.ProductSku.Name != want.name || k.ProductSku.SkuPartNumber != want.part || k.ProductSku.LicenseGroupID != "group1" {
			t.Errorf("%s product = %+v", want.name, k.ProductSku)
		}
		if k.AvailableUnits < want.minUnits {
			t.Errorf("%s has %d available units, want thousands for a large run", want.name, k.AvailableUnits)
		}
		var services []string
		for _, p := range k.ServicePlans {
			if len(p.ID) != 36 || p.DisplayName == "" {
				t.Errorf("%s plan %+v lacks a GUID or a display name", want.name, p)
			}
			services = append(services, p.ServiceName)
		}
		for _, svc := range []string{"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "MCOSTANDARD", "TEAMS1", "OFFICESUBSCRIPTION", "YAMMER_ENTERPRISE", "SWAY"} {
			if !slices.Contains(services, svc) {
				t.Errorf("%s lacks service plan %s", want.name, svc)
			}
		}
	}
}

func TestLoadCatalogueForms(t *testing.T) {
	item := `{"availableUnits": 2, "totalUnits": 2, "productSku": {"id": "11111111-1111-1111-1111-111111111111", "name": "X", "skuPartNumber": "X", "licenseGroupId": "Group1"}, "servicePlans": []}`
	for name, doc := range map[string]string{
		"bare array":                  "[" + item + "]",
		"collection":                  `{"totalCount": 1, "items": [` + item + `], "attributes": {"objectType": "Collection"}}`,
		"leading BOM-less whitespace": "\n\t [" + item + "]",
	} {
		t.Run(name, func(t *testing.T) {
			skus, err := pcfake.LoadCatalogue(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if len(skus) != 1 || skus[0].ProductSku.ID != "11111111-1111-1111-1111-111111111111" || skus[0].AvailableUnits != 2 {
				t.Fatalf("got %+v", skus)
			}
		})
	}
}

func TestLoadCatalogueErrors(t *testing.T) {
	docsTypo := "{\n    \"totalCount\": 04,\n    \"items\": []\n}"
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"docs' totalCount 04", docsTypo, []string{"decode catalogue", "line 2, column 20"}},
		{"empty", "  ", []string{"catalogue is empty"}},
		{"not JSON", "items: none", []string{"line 1, column 1", "invalid character"}},
		{"a number", "42", []string{"expected a JSON object"}},
		{"truncated", `{"items": [{"productSku": {"id": "a"`, []string{"line 1"}},
		{"no items", `{"totalCount": 0}`, []string{`no "items" array`}},
		{"wrong type", "{\n\"items\": [{\"availableUnits\": \"many\"}]}", []string{"line 2"}},
		{"empty id", `[{"productSku": {"id": "", "name": "Nameless", "licenseGroupId": "group1"}}]`, []string{"item 1", "Nameless", "productSku.id is empty"}},
		{"duplicate id", `[{"productSku": {"id": "A", "licenseGroupId": "group1"}}, {"productSku": {"id": "a", "licenseGroupId": "group1"}}]`, []string{"item 2", "repeats item 1"}},
		{"bad group", `[{"productSku": {"id": "A", "licenseGroupId": "group3"}}]`, []string{"item 1", `"group3"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pcfake.LoadCatalogue(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatal("LoadCatalogue accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestLoadCatalogueFileNamesThePath(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/bad.json"
	if err := os.WriteFile(path, []byte(`{"items": [}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := pcfake.LoadCatalogueFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("error = %v, want one naming %s and the line", err, path)
	}
	if _, err := pcfake.LoadCatalogueFile(dir + "/missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: error = %v", err)
	}
}

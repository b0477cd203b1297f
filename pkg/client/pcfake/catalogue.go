package pcfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bulkassign/bulkassign/pkg/client/partnercenter"
)

// LoadCatalogue reads a subscribedskus catalogue: either the body of a subscribedskus
// GET ({"totalCount": N, "items": [...], ...}) or a bare JSON array of SubscribedSku.
// Every item needs a productSku.id, unique in the catalogue, and a licenseGroupId of
// group1 or group2 (any case). A JSON syntax error names the line and column.
//
// See https://learn.microsoft.com/partner-center/developer/get-a-list-of-available-licenses-by-license-group
func LoadCatalogue(r io.Reader) ([]partnercenter.SubscribedSku, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("decode catalogue: the catalogue is empty")
	}
	var items []partnercenter.SubscribedSku
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(data, &items); err != nil {
			return nil, fmt.Errorf("decode catalogue: %w", describeJSONError(data, err))
		}
	case '{':
		var coll struct {
			Items *[]partnercenter.SubscribedSku `json:"items"`
		}
		if err := json.Unmarshal(data, &coll); err != nil {
			return nil, fmt.Errorf("decode catalogue: %w", describeJSONError(data, err))
		}
		if coll.Items == nil {
			return nil, errors.New(`decode catalogue: the object has no "items" array`)
		}
		items = *coll.Items
	default:
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("decode catalogue: %w", describeJSONError(data, err))
		}
		return nil, errors.New(`decode catalogue: expected a JSON object with "items" or a JSON array`)
	}
	if err := validateCatalogue(items); err != nil {
		return nil, fmt.Errorf("check catalogue: %w", err)
	}
	return items, nil
}

// LoadCatalogueFile reads the catalogue in the file at path; see LoadCatalogue.
func LoadCatalogueFile(path string) ([]partnercenter.SubscribedSku, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open catalogue: %w", err)
	}
	defer f.Close()
	skus, err := LoadCatalogue(f)
	if err != nil {
		return nil, fmt.Errorf("load catalogue %s: %w", path, err)
	}
	return skus, nil
}

// validateCatalogue checks what the fake relies on: every item has a product SKU ID,
// unique (case-insensitively), and a license group it knows.
func validateCatalogue(items []partnercenter.SubscribedSku) error {
	seen := make(map[string]int, len(items))
	for i, it := range items {
		id := it.ProductSku.ID
		if strings.TrimSpace(id) == "" {
			return fmt.Errorf("item %d (%q): productSku.id is empty", i+1, it.ProductSku.Name)
		}
		if j, dup := seen[strings.ToLower(id)]; dup {
			return fmt.Errorf("item %d: productSku.id %s repeats item %d", i+1, id, j)
		}
		seen[strings.ToLower(id)] = i + 1
		if _, ok := normaliseGroup(it.ProductSku.LicenseGroupID); !ok {
			return fmt.Errorf("item %d (%s): productSku.licenseGroupId %q is neither group1 nor group2",
				i+1, id, it.ProductSku.LicenseGroupID)
		}
	}
	return nil
}

// describeJSONError adds the line and column to a JSON syntax or type error, which
// encoding/json reports as a byte offset only.
func describeJSONError(data []byte, err error) error {
	var offset int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		offset = int64(len(data))
	}
	if offset < 0 {
		return err
	}
	line, col := lineColumn(data, offset)
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// lineColumn returns the 1-based line and column of the last byte encoding/json read
// before an error, given the offset it reports (the count of bytes read).
func lineColumn(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 1), int64(len(data)))
	before := data[:offset-1] // the bytes before the offending one
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// normaliseGroup returns the response spelling (group1, group2) of a license group
// named in any case, as a query (Group1) or a response (group1) spells it.
func normaliseGroup(g string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(g)) {
	case "group1":
		return "group1", true
	case "group2":
		return "group2", true
	}
	return "", false
}

// copySku deep-copies one catalogue item, spelling its license group in lower case and
// filling the attributes and service plans the API always sends.
func copySku(in partnercenter.SubscribedSku) partnercenter.SubscribedSku {
	out := in
	out.ServicePlans = make([]partnercenter.ServicePlan, len(in.ServicePlans))
	copy(out.ServicePlans, in.ServicePlans)
	out.ProductSku.LicenseGroupID, _ = normaliseGroup(in.ProductSku.LicenseGroupID)
	out.Attributes = &partnercenter.Attributes{ObjectType: "SubscribedSku"}
	if in.Attributes != nil && in.Attributes.ObjectType != "" {
		out.Attributes.ObjectType = in.Attributes.ObjectType
	}
	return out
}

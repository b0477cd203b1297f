package planner_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/planner"
)

// TestRowsReadsTheInputAsBuildDoes: planner.Rows, the one header scan the test
// directories and the benchmark's fake use, reads every form Build reads (a BOM before
// a quoted header in capitals, semicolons, UTF-16 with tabs), gives rows without a
// customer the default one, leaves out the rows Build refuses, and hands out strings
// that stay intact after the rest of a large file is read.
func TestRowsReadsTheInputAsBuildDoes(t *testing.T) {
	const defaultCust, c2 = "3a9d2c4e-5b1f-4e8a-9c7d-2f6b8e1a4c3d", "6e1f3b2a-9d4c-4e7b-8a5f-1c2d3e4f5a6b"
	type row struct {
		line           int
		customer, user string
	}
	rows := func(t *testing.T, in string) []row {
		t.Helper()
		var got []row
		err := planner.Rows(t.Context(), strings.NewReader(in), defaultCust, func(line int, customer, user string) {
			got = append(got, row{line, customer, user})
		})
		if err != nil {
			t.Fatalf("Rows: %v", err)
		}
		return got
	}
	want := []row{{2, defaultCust, "amy@contoso.com"}, {3, c2, "bob@contoso.com"}}
	utf16 := func(s string) string {
		var b strings.Builder
		b.WriteString("\xFF\xFE")
		for _, r := range s {
			b.WriteByte(byte(r))
			b.WriteByte(byte(r >> 8))
		}
		return b.String()
	}
	for name, in := range map[string]string{
		"BOM and a quoted header": "\uFEFF\"User\",\"SKU\",\"Customer\"\r\n amy@contoso.com ,ENTERPRISEPACK,\r\nbob@contoso.com,AAD_PREMIUM," + c2 + "\r\n",
		"semicolons":              "user;sku;customer\namy@contoso.com;ENTERPRISEPACK;\nbob@contoso.com;AAD_PREMIUM;" + c2 + "\n",
		"UTF-16 with tabs":        utf16("user\tsku\tcustomer\r\namy@contoso.com\tENTERPRISEPACK\t\r\nbob@contoso.com\tAAD_PREMIUM\t" + c2 + "\r\n"),
		"a refused row left out":  "user,sku,customer\namy@contoso.com,ENTERPRISEPACK,\nbob@contoso.com,AAD_PREMIUM," + c2 + "\nnot a user,ENTERPRISEPACK," + c2 + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			if got := rows(t, in); !reflect.DeepEqual(got, want) {
				t.Errorf("rows %v, want %v", got, want)
			}
		})
	}
	t.Run("strings kept across reads", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("user,sku,customer\n")
		const n = 50_000 // several megabytes: many reads into the reader's buffers
		for i := range n {
			fmt.Fprintf(&b, "user%07d@contoso.com,ENTERPRISEPACK,0c39d6d5-c70d-4c55-bc02-f620844f3fd%d\n", i, i%7)
		}
		got := rows(t, b.String())
		if len(got) != n {
			t.Fatalf("%d rows, want %d", len(got), n)
		}
		for i, r := range got {
			if w := (row{i + 2, fmt.Sprintf("0c39d6d5-c70d-4c55-bc02-f620844f3fd%d", i%7), fmt.Sprintf("user%07d@contoso.com", i)}); r != w {
				t.Fatalf("row %d read as %v, want %v: a string was overwritten by a later read", i, r, w)
			}
		}
	})
}

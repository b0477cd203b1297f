package productnames

import (
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// scanAll returns the records and start lines the scanner gives for text.
func scanAll(text string) (recs [][]string, lines []int, err error) {
	sc := newScanner(text)
	for {
		rec, line, err := sc.next()
		if err == io.EOF {
			return recs, lines, nil
		}
		if err != nil {
			return nil, nil, err
		}
		recs, lines = append(recs, slices.Clone(rec)), append(lines, line)
	}
}

// csvAll returns what encoding/csv gives for text.
func csvAll(text string) (recs [][]string, lines []int, err error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return recs, lines, nil
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		recs, lines = append(recs, rec), append(lines, line)
	}
}

var scanSeeds = []string{
	"a,b,c\n", "a,b,c", "a,b,c\r\n", "\n\r\na,b\n\n", "a,,\n", ",\n", ",", "",
	"\"a,b\",c\n", "\"a\"\"b\",c", "\"\",x", "\"\"\"\"", "x,\"\"\"a\"\"\"\n",
	"\"multi\nline\",x\ny,z\n", "\"multi\r\nline\",x\r\ny,z\r\n", "a,b\r\nc,d", "a\rb,c\n",
	"a\r", "\"a\"\r", "\r", "a\n\r", "\"\r\n\",\r,0\n", "a,\"b\"\r\n\"c\",d", "\"a\"\"\nb\"\"\",c\n,\n",
	"a\"b,c\n", "\"abc", "\"a\"b,c\n", "a,\"b\nc", " \"a\",b\n", "\"a\"\rb\n",
	sample,
}

func TestScanMatchesEncodingCSV(t *testing.T) {
	for _, text := range scanSeeds {
		checkScan(t, text)
	}
}

func TestScanMatchesEncodingCSVOnThePinnedCopy(t *testing.T) {
	checkScan(t, string(pinnedData(t)))
}

// FuzzScan compares the scanner with encoding/csv: where encoding/csv reads a text, the
// scanner gives the same records from the same lines (a \r\n inside a quoted field
// aside, which encoding/csv makes \n); where encoding/csv fails, the scanner fails too,
// unless blanks follow a closing quote, which it allows.
func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add(s)
	}
	f.Fuzz(checkScan)
}

func checkScan(t *testing.T, text string) {
	want, wantLines, wantErr := csvAll(text)
	got, gotLines, err := scanAll(text)
	if wantErr != nil {
		if strings.Contains(text, "\" ") || strings.Contains(text, "\"\t") {
			return // blanks after a closing quote: the scanner may read on
		}
		var pe *csv.ParseError
		errors.As(wantErr, &pe)
		if err == nil {
			t.Fatalf("%q: encoding/csv fails (%v), the scanner gives %q", text, wantErr, got)
		}
		if pe != nil && !errors.Is(err, pe.Err) {
			t.Errorf("%q: error %v; encoding/csv's is %v", text, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v; encoding/csv reads %q", text, err, want)
	}
	for _, rec := range got {
		for i, f := range rec {
			rec[i] = strings.ReplaceAll(f, "\r\n", "\n")
		}
	}
	if !slices.EqualFunc(got, want, slices.Equal) || !slices.Equal(gotLines, wantLines) {
		t.Errorf("%q:\nscanner      %q lines %v\nencoding/csv %q lines %v", text, got, gotLines, want, wantLines)
	}
}

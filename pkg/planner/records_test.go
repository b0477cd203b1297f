package planner

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// recordSeeds are inputs whose records, lines and errors recordReader must read as
// encoding/csv does: quotes, doubled quotes, fields over lines, bare and stray
// quotes, CRLF, a \r before the end, empty lines, unterminated quotes.
var recordSeeds = []string{
	"", "\n", "a", "a,b\n", "a,b\r\n", "a,b\r", "a\n\nb\n\r\nc", "\"a,b\",c\n", `"a""b",c`,
	"\"a\nb\",c\nd,e\n", "\"a\r\nb\",c\r\n", `a"b,c`, `"a"b,c`, "\"abc", "\"a\n", "\"a\"\n\"b", "x,\"a\nb\n\nc\",\"d",
	",,\n,\n", "a,\"\"\n", "\"\"\"\",\"\n\"\n", "a;b;\"c;d\"\n", "a\tb\n\"x\"\ty\n", "é,\"ü\"\n", "a,\"b\n\"c\n",
	"\"a\"\"\n,b\"", "a,b\n\"c\r\nd\"\r\n,\r\n",
}

// FuzzRecordReader checks recordReader against encoding/csv record by record.
func FuzzRecordReader(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, sep uint8) {
		compareRecords(t, in, [...]rune{',', ';', '\t'}[sep%3])
	})
}

// TestRecordReaderReadsAsEncodingCSV compares recordReader and encoding/csv on the
// seeds and on random inputs of the characters that matter to CSV.
func TestRecordReaderReadsAsEncodingCSV(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, s := range append(recordSeeds, long+",a\n", "a,\""+long+"\n"+long+"\"\n", "\""+long+"\"x\n"+long) {
		compareRecords(t, s, ',')
	}
	rnd := rand.New(rand.NewPCG(16, 1))
	alphabet := []string{"a", "b", ",", ";", "\"", "\"\"", "\n", "\r\n", "\r", " ", "é"}
	for range 20000 {
		var sb strings.Builder
		for range rnd.IntN(30) {
			sb.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		compareRecords(t, sb.String(), [...]rune{',', ';'}[rnd.IntN(2)])
	}
}

// compareRecords reads in with both readers and fails at the first difference.
func compareRecords(t *testing.T, in string, comma rune) {
	t.Helper()
	want := csv.NewReader(strings.NewReader(in))
	want.Comma, want.FieldsPerRecord, want.ReuseRecord = comma, -1, true
	got := newRecordReader(strings.NewReader(in), comma)
	for n := 0; ; n++ {
		wrec, werr := want.Read()
		grec, gerr := got.Read()
		var wpe, gpe *csv.ParseError
		switch {
		case !slices.Equal(wrec, grec):
			t.Fatalf("%q record %d: got %q, want %q", in, n, grec, wrec)
		case errors.As(werr, &wpe) != errors.As(gerr, &gpe) || wpe != nil && *wpe != *gpe:
			t.Fatalf("%q record %d: got error %v, want %v", in, n, gerr, werr)
		case wpe == nil && werr != gerr:
			t.Fatalf("%q record %d: got error %v, want %v", in, n, gerr, werr)
		}
		if werr == nil && len(wrec) > 0 {
			if line, _ := want.FieldPos(0); line != got.line() {
				t.Fatalf("%q record %d: got line %d, want %d", in, n, got.line(), line)
			}
		}
		if werr == io.EOF {
			return
		}
		if n > len(in)+1 {
			t.Fatalf("%q: more records than bytes", in)
		}
	}
}

// TestRecordQueueHandsOverEveryRecord checks that records parsed a batch ahead reach
// the reader as encoding/csv reads them, lines and errors included, across batches.
func TestRecordQueueHandsOverEveryRecord(t *testing.T) {
	var sb strings.Builder
	for i := range 3*batchLen + 7 {
		switch i % 500 {
		case 17:
			sb.WriteString("a\"b,c\n") // a bare quote
		case 18:
			sb.WriteString("\"multi\nline\",x\n")
		default:
			fmt.Fprintf(&sb, "user%d,sku\n", i)
		}
	}
	in := sb.String()
	want := csv.NewReader(strings.NewReader(in))
	want.FieldsPerRecord = -1
	q := newRecordQueue(newRecordReader(strings.NewReader(in), ','))
	defer q.close()
	for n := 0; ; n++ {
		wrec, werr := want.Read()
		grec, line, gerr := q.next()
		if werr != nil {
			wrec = nil
		}
		if !slices.Equal(grec, wrec) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("record %d: got %q, %v; want %q, %v", n, grec, gerr, wrec, werr)
		}
		if werr == io.EOF {
			return
		}
		if werr == nil {
			if wline, _ := want.FieldPos(0); line != wline {
				t.Fatalf("record %d: line %d, want %d", n, line, wline)
			}
		}
	}
}

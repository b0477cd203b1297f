package report_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulkassign/bulkassign/pkg/report"
)

var headerLine = strings.Join(report.Header, ",") + "\n"

// awkwardResults are rows whose content makes CSV and spreadsheets trip.
func awkwardResults() []report.Result {
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)
	return []report.Result{
		{Line: 2, Customer: "0f1e2d3c-aaaa-bbbb-cccc-000000000001", User: "ana@contoso.com", Sku: "Microsoft 365 E5",
			SkuID: "06ebc4ee-1bb5-47dd-8120-11324bc54e06", RemoveSku: "ENTERPRISEPACK", LicenseGroup: "group1",
			Status: report.StatusSucceeded, HTTPStatus: 201, Attempts: 1, RequestID: "r-1", CorrelationID: "c-1", FinishedAt: at,
			ExcludedPlans: "plan-a; plan-b", RowKey: "0123456789abcdef"},
		{Line: 3, Customer: "cust, with comma", User: `bob "the builder"@contoso.com`, Sku: "SPE_E5",
			Status: report.StatusFailed, HTTPStatus: 400, ErrorCode: "60012",
			ErrorMessage: "Not enough licenses.\nLine two, with \"quotes\", commas\nand a third", Attempts: 3,
			FinishedAt: at.Add(time.Millisecond)},
		{Line: 4, User: "zoë@exämple.com", Sku: "Microsoft 365 E5 (日本語)", Status: report.StatusSkipped,
			ErrorMessage: "already assigned ✓"},
		{Line: 5, User: "=cmd|' /C calc'!A0", Sku: "+1", RemoveSku: "-1", LicenseGroup: "@SUM(A1:A2)",
			Status: report.StatusFailed, ErrorCode: "\tTAB", ErrorMessage: "\rcarriage", RequestID: "'=already quoted",
			CorrelationID: "''+two quotes", FinishedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Line: 6, User: "'plain apostrophe", Sku: " leading space", RemoveSku: "trailing space ", Status: report.StatusPlanned,
			ErrorMessage: "lone \r inside, \"\" doubled, trailing newline\n"},
		{Line: 7, User: "", Status: report.StatusPlanned, ExcludedPlans: "=HYPERLINK(\"x\")", RowKey: "-1"},
		{Line: 8, User: "same@contoso.com", Status: report.StatusUnchanged, ExcludedPlans: "a,b\nc"},
		{Line: 1000000, Customer: "c", User: "u", Sku: `"`, SkuID: `""`, ErrorMessage: `\.`, Status: report.StatusSucceeded,
			HTTPStatus: 200, Attempts: 12, FinishedAt: at.Add(time.Hour)},
	}
}

// writeAll writes rs with a new Writer and returns the bytes and where each row ends.
func writeAll(t testing.TB, rs []report.Result) ([]byte, []int) {
	t.Helper()
	var buf bytes.Buffer
	w, err := report.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	ends := make([]int, 0, len(rs))
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, buf.Len())
	}
	return buf.Bytes(), ends
}

func equalResults(t *testing.T, what string, got, want []report.Result) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %d rows, want %d\ngot:  %#v\nwant: %#v", what, len(got), len(want), got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	want := awkwardResults()
	data, _ := writeAll(t, want)
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, "read back", got, want)
}

func TestRoundTripTimeInOtherZone(t *testing.T) {
	zone := time.FixedZone("CET", 3600)
	at := time.Date(2025, 6, 1, 12, 0, 0, 123000000, zone)
	data, _ := writeAll(t, []report.Result{{Line: 2, Status: report.StatusSucceeded, FinishedAt: at}})
	if !bytes.Contains(data, []byte(",2025-06-01T11:00:00.123Z,,,\n")) {
		t.Fatalf("finished_at not RFC 3339 UTC: %q", data)
	}
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].FinishedAt.Equal(at) || got[0].FinishedAt.Location() != time.UTC {
		t.Fatalf("finished_at read back as %v, want %v in UTC", got[0].FinishedAt, at)
	}
}

func TestEmptyCells(t *testing.T) {
	data, _ := writeAll(t, []report.Result{{Line: 9, User: "u", Status: report.StatusPlanned}})
	want := headerLine + "9,,u,,,,,planned,,,,0,,,,,,\n"
	if string(data) != want {
		t.Fatalf("got %q, want %q (http_status 0 and zero finished_at as empty cells)", data, want)
	}
}

func TestCRLFInCellReadsBackAsLF(t *testing.T) {
	// encoding/csv reads "\r\n" inside a quoted cell as "\n"; the Writer writes it so.
	data, _ := writeAll(t, []report.Result{{Line: 2, Status: report.StatusFailed, ErrorMessage: "a\r\nb\r\n"}})
	if bytes.Contains(data, []byte("\r\n")) {
		t.Fatalf("wrote a CRLF: %q", data)
	}
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ErrorMessage != "a\nb\n" {
		t.Fatalf("error message read back as %q", got[0].ErrorMessage)
	}
}

func TestHeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	if _, err := report.NewWriter(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != headerLine {
		t.Fatalf("got %q, want the header %q", buf.String(), headerLine)
	}
	got, err := report.Read(&buf)
	if err != nil || len(got) != 0 {
		t.Fatalf("Read of a header-only file: %v, %v", got, err)
	}
}

func TestAppenderWritesNoHeader(t *testing.T) {
	var buf bytes.Buffer
	w := report.NewAppender(&buf)
	if buf.Len() != 0 {
		t.Fatalf("NewAppender wrote %q", buf.String())
	}
	if err := w.Write(report.Result{Line: 2, Status: report.StatusPlanned}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "customer") {
		t.Fatalf("appender wrote a header: %q", buf.String())
	}
}

// callRecorder records every Write call separately.
type callRecorder struct{ calls [][]byte }

func (c *callRecorder) Write(p []byte) (int, error) {
	c.calls = append(c.calls, append([]byte(nil), p...))
	return len(p), nil
}

func TestOneWritePerRow(t *testing.T) {
	rec := &callRecorder{}
	w, err := report.NewWriter(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 1 || string(rec.calls[0]) != headerLine {
		t.Fatalf("header: %d calls %q", len(rec.calls), rec.calls)
	}
	rs := awkwardResults()
	for i, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if len(rec.calls) != i+2 {
			t.Fatalf("after row %d: %d write calls, want %d (one per row)", i, len(rec.calls), i+2)
		}
		// The single call holds the whole row: header + it reads back as exactly r.
		got, err := report.Read(strings.NewReader(headerLine + string(rec.calls[i+1])))
		if err != nil {
			t.Fatal(err)
		}
		equalResults(t, fmt.Sprintf("row %d from its one write", i), got, []report.Result{r})
	}
}

func TestWriteRejectsUnknownStatus(t *testing.T) {
	rec := &callRecorder{}
	w := report.NewAppender(rec)
	for _, st := range []report.Status{"", "done", "Succeeded"} {
		if err := w.Write(report.Result{Line: 4, Status: st}); err == nil || !strings.Contains(err.Error(), "line 4") {
			t.Fatalf("status %q: err %v, want an error naming line 4", st, err)
		}
	}
	if len(rec.calls) != 0 {
		t.Fatalf("wrote %q", rec.calls)
	}
	if err := w.Write(report.Result{Line: 5, Status: report.StatusSkipped}); err != nil {
		t.Fatalf("a bad status must not stop the writer: %v", err)
	}
}

func TestFormulaNeutralised(t *testing.T) {
	originals := []string{"=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1:A9)", "\tTAB", "\rCR", "'=quoted", "''-two"}
	var rs []report.Result
	for i, s := range originals {
		rs = append(rs, report.Result{Line: i + 2, Customer: s, User: s, Sku: s, SkuID: s, RemoveSku: s,
			LicenseGroup: s, Status: report.StatusFailed, ErrorCode: s, ErrorMessage: s, RequestID: s, CorrelationID: s,
			UserID: s, ExcludedPlans: s, RowKey: s})
	}
	data, _ := writeAll(t, rs)

	cr := csv.NewReader(bytes.NewReader(data))
	raw, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range raw[1:] {
		for j, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("row %d column %s: cell %q would run in a spreadsheet", i, report.Header[j], c)
			}
		}
		if want := "'" + originals[i]; rec[1] != want {
			t.Errorf("customer cell %q, want %q", rec[1], want)
		}
	}
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, "neutralised cells read back", got, rs)
}

func TestApostropheWithoutFormulaKept(t *testing.T) {
	data, _ := writeAll(t, []report.Result{{Line: 2, User: "'hello", Sku: "O'Brien", Status: report.StatusPlanned}})
	if !bytes.Contains(data, []byte(",'hello,O'Brien,")) {
		t.Fatalf("plain apostrophes changed: %q", data)
	}
}

// failingWriter accepts limit bytes, then fails like a full disk.
type failingWriter struct {
	buf   bytes.Buffer
	limit int
	calls int
	err   error // nil: a short write without an error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.calls++
	if room := f.limit - f.buf.Len(); len(p) > room {
		f.buf.Write(p[:room])
		return room, f.err
	}
	return f.buf.Write(p)
}

func TestWriteErrorSurfaced(t *testing.T) {
	rs := awkwardResults()
	_, ends := writeAll(t, rs)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"disk full", syscall.ENOSPC, syscall.ENOSPC},
		{"short write", nil, io.ErrShortWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw := &failingWriter{limit: ends[2] + 10, err: tc.err} // fails inside row 3
			w, err := report.NewWriter(fw)
			if err != nil {
				t.Fatal(err)
			}
			var failed int = -1
			for i, r := range rs {
				if err := w.Write(r); err != nil {
					if !errors.Is(err, tc.want) {
						t.Fatalf("row %d: error %v, want %v", i, err, tc.want)
					}
					if !strings.Contains(err.Error(), fmt.Sprintf("line %d", r.Line)) {
						t.Fatalf("error %q does not name line %d", err, r.Line)
					}
					failed = i
					break
				}
			}
			if failed != 3 {
				t.Fatalf("first failing row %d, want 3", failed)
			}
			calls := fw.calls
			if err := w.Write(rs[4]); err == nil || !errors.Is(err, tc.want) {
				t.Fatalf("write after a failure: %v, want the earlier error", err)
			}
			if fw.calls != calls {
				t.Fatal("the writer wrote again after a failed write")
			}
			got, err := report.Read(bytes.NewReader(fw.buf.Bytes()))
			if err != nil {
				t.Fatalf("what was written is not readable: %v", err)
			}
			equalResults(t, "rows before the failure", got, rs[:3])
		})
	}
}

func TestHeaderWriteError(t *testing.T) {
	if _, err := report.NewWriter(&failingWriter{limit: 5, err: syscall.ENOSPC}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v, want ENOSPC", err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("a", "=1", "x\ny", 0, int64(0))
	f.Add("'", "''", "\"", 404, int64(1700000000123456789))
	f.Add("\r", "\t", "-", 200, int64(-1))
	f.Add("", "@", "é,\"\n\n", 429, int64(42))
	f.Fuzz(func(t *testing.T, user, sku, msg string, status int, nanos int64) {
		if status < 0 || strings.Contains(user+sku+msg, "\r\n") {
			t.Skip()
		}
		r := report.Result{Line: 2, User: user, Sku: sku, ErrorMessage: msg, HTTPStatus: status, Status: report.StatusFailed}
		if nanos > 0 {
			r.FinishedAt = time.Unix(0, nanos).UTC()
		}
		data, _ := writeAll(t, []report.Result{r})
		got, err := report.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		equalResults(t, "fuzzed row", got, []report.Result{r})
	})
}

func TestUserIDRoundTrips(t *testing.T) {
	want := []report.Result{{Line: 3, User: "Ann@Contoso.com", UserID: "554526aa-cf5e-46fa-95df-98dbc55d8a1e", Status: report.StatusSucceeded}}
	data, _ := writeAll(t, want)
	if !bytes.HasSuffix(data, []byte(",554526aa-cf5e-46fa-95df-98dbc55d8a1e,,\n")) {
		t.Fatalf("user_id is not the column before excluded_plans and row_key: %q", data)
	}
	got, err := report.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, "read back", got, want)
}

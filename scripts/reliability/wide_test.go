//go:build reliability

package reliability

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var flagWideRSS = flag.Int("wide-rss-mb", 300, "TestWideRecords: the most peak RSS a run refusing a wide record may take, in MB (10^6 bytes; the README's planning memory goal)")

// TestWideRecords: an input whose fourth line is one enormous record, between valid
// rows: 10 million empty fields (10 MB of commas), and 60 MiB of commas. `bulkassign
// run` must refuse it with exit 2 naming line 4, write nothing (no POST or PATCH; the
// catalogue GET that resolves rows 2 and 3 is counted), create no output, and stay
// within -wide-rss-mb of peak RSS (getrusage of the child).
func TestWideRecords(t *testing.T) {
	s := newSetup(t)
	f := startFake(t, s.bin, s.dir, s.catalogue)
	for _, v := range []struct {
		name   string
		commas int
	}{
		{"10 million empty fields", 10_000_000 - 1},
		{"60 MiB of commas", 60 << 20},
	} {
		t.Run(v.name, func(t *testing.T) {
			input := filepath.Join(s.dir, strings.ReplaceAll(v.name, " ", "-")+".csv")
			writeWide(t, input, v.commas)
			output := input + ".result.csv"
			logPath := input + ".log"
			requests := len(f.requests())
			start := time.Now()
			r := startTool(t, f, logPath, s.bin, s.runInput(input, output, false)...)
			code := r.wait(t, 5*time.Minute)
			elapsed := time.Since(start)
			rss := r.maxRSS()
			msg := strings.TrimSpace(tail(logPath, 6))
			if code != 2 {
				t.Errorf("exit %d, want 2; it printed:\n%s", code, msg)
			}
			if !strings.Contains(msg, "line 4") {
				t.Errorf("the message does not name line 4:\n%s", msg)
			}
			// Rows 2 and 3 are resolved against the customer's catalogue as they are
			// read, so its GET may come before line 4: a read. Nothing may be written.
			var reads, writes []string
			for _, q := range f.requests()[requests:] {
				if q.Method == "GET" {
					reads = append(reads, q.Method+" "+q.Path)
				} else {
					writes = append(writes, q.Method+" "+q.Path)
				}
			}
			if len(writes) != 0 {
				t.Errorf("%d writes sent before the input was refused: %s", len(writes), strings.Join(writes, ", "))
			}
			if _, err := os.Stat(output); err == nil {
				t.Errorf("the output %s was created", output)
			}
			if bound := int64(*flagWideRSS) * 1e6; rss > bound {
				t.Errorf("peak RSS %.1f MB, over the %d MB bound", float64(rss)/1e6, *flagWideRSS)
			}
			st, _ := os.Stat(input)
			t.Logf("FIGURES wide (%s): input=%.1f MB exit=%d peak_rss=%.1f MB bound=%d MB writes=%d reads=%d (%s) elapsed=%s message=%q",
				v.name, float64(st.Size())/1e6, code, float64(rss)/1e6, *flagWideRSS, len(writes), len(reads), strings.Join(reads, ", "),
				elapsed.Round(10*time.Millisecond), firstLine(msg))
		})
	}
}

// writeWide writes an input whose line 4 is commas commas, between valid rows.
func writeWide(t *testing.T, path string, commas int) {
	t.Helper()
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(file, 1<<20)
	fmt.Fprint(w, "user,sku\nann@contoso.onmicrosoft.com,ENTERPRISEPACK\nbob@contoso.onmicrosoft.com,ENTERPRISEPACK\n")
	chunk := strings.Repeat(",", 1<<16)
	for n := commas; n > 0; n -= len(chunk) {
		w.WriteString(chunk[:min(n, len(chunk))])
	}
	fmt.Fprint(w, "\ncarol@contoso.onmicrosoft.com,ENTERPRISEPACK\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
}

// firstLine is the first line of s that names a problem, else its first line.
func firstLine(s string) string {
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		if strings.Contains(l, "line 4") {
			return strings.TrimSpace(l)
		}
	}
	return lines[0]
}

// Command update-productnames refreshes the copy of Microsoft's "Product names and
// service plan identifiers for licensing" CSV that pkg/client/productnames embeds
// (https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference).
// It downloads the file (or reads one given with -from), checks that it loads, is not
// cut short and still has Office 365 E3, writes it byte for byte to the pinned path,
// and prints what the package documentation records of the copy.
//
//	go run ./scripts/update-productnames                  # from Microsoft, run at the module root
//	go run ./scripts/update-productnames -from table.csv  # a copy already downloaded
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulkassign/bulkassign/pkg/client/productnames"
)

// microsoftURL is where Microsoft publishes the table, linked from the page above.
const microsoftURL = "https://download.microsoft.com/download/e/3/e/e3e9faf2-f28b-490a-9ada-c6089a1fc5b0/Product%20names%20and%20service%20plan%20identifiers%20for%20licensing.csv"

// e3 is Office 365 E3 (ENTERPRISEPACK), which every real copy has.
const e3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"

// maxSize bounds a download; Microsoft's file is about 1 MB.
const maxSize = 64 << 20

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "update-productnames:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("update-productnames", flag.ContinueOnError)
	from := fs.String("from", microsoftURL, "URL or file to read the table from")
	out := fs.String("out", filepath.Join("pkg", "client", "productnames", filepath.FromSlash(productnames.PinnedPath)), "file to write")
	minRows := fs.Int("min-rows", 4000, "fewest data rows a complete table has")
	timeout := fs.Duration("timeout", 2*time.Minute, "time limit of the download")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	data, err := read(ctx, *from)
	if err != nil {
		return err
	}
	t, err := productnames.Load(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("check %s: %w", *from, err)
	}
	if t.Rows() < *minRows {
		return fmt.Errorf("check %s: %d rows, fewer than -min-rows %d: cut short?", *from, t.Rows(), *minRows)
	}
	if _, ok := t.ByID(e3); !ok {
		return fmt.Errorf("check %s: no Office 365 E3 (%s): not the product names table?", *from, e3)
	}
	if err := writeFile(*out, data); err != nil {
		return err
	}
	report(stdout, *from, *out, data, t)
	return nil
}

// read returns the bytes at from, a http(s) URL or a file.
func read(ctx context.Context, from string) ([]byte, error) {
	if !strings.HasPrefix(from, "https://") && !strings.HasPrefix(from, "http://") {
		data, err := os.ReadFile(from)
		if err != nil {
			return nil, fmt.Errorf("read table: %w", err)
		}
		return data, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, from, nil)
	if err != nil {
		return nil, fmt.Errorf("download table: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download table: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download table: %s answered %s", from, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("download table: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("download table: more than %d bytes", maxSize)
	}
	return data, nil
}

// writeFile replaces path with data, through a temporary file beside it, so that a
// failure leaves the old copy whole.
func writeFile(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".products-*.csv")
	if err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// report prints what the package documentation records of a copy.
func report(w io.Writer, from, out string, data []byte, t *productnames.Table) {
	plans := map[string]bool{}
	for _, p := range t.Products() {
		for _, pl := range p.Plans {
			plans[pl.ID] = true
		}
	}
	bom := "without"
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		bom = "with"
	}
	ends := "LF"
	if crlf := bytes.Count(data, []byte("\r\n")); crlf > 0 && crlf == bytes.Count(data, []byte("\n")) {
		ends = "CRLF"
	}
	fmt.Fprintf(w, "wrote %s\n", out)
	fmt.Fprintf(w, "source    %s\n", from)
	fmt.Fprintf(w, "taken     %s\n", time.Now().UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "sha256    %x\n", sha256.Sum256(data))
	fmt.Fprintf(w, "size      %d bytes, UTF-8 %s byte order mark, %s line ends\n", len(data), bom, ends)
	fmt.Fprintf(w, "rows      %d\n", t.Rows())
	fmt.Fprintf(w, "contents  %d products, %d service plans\n", t.Len(), len(plans))
	if bom == "without" || ends != "CRLF" {
		fmt.Fprintln(w, "note      Microsoft publishes the file with a byte order mark and CRLF line ends: this copy was re-saved")
	}
}

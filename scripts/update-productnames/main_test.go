package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// table is a small copy in Microsoft's format: BOM, CRLF, a quoted name.
const table = "\uFEFFProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\r\n" +
	"Office 365 E3,ENTERPRISEPACK," + e3 + ",EXCHANGE_S_ENTERPRISE,efb87545-963c-4e0d-99df-69c6916d9eb0,Exchange Online (Plan 2)\r\n" +
	"Office 365 E3,ENTERPRISEPACK," + e3 + ",TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Microsoft Teams\r\n" +
	`"Dynamics 365 Field Service, Enterprise Edition - Resource Scheduling Optimization",CRM_AUTO_ROUTING_ADDON,977464c4-bfaf-4b67-b761-a9bb735a2196,EXCHANGE_S_FOUNDATION,113feb6c-3fe4-4440-bddc-54d774bf0318,Exchange Foundation` + "\r\n"

func serve(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/table.csv"
}

func TestRunWritesTheDownloadUnchanged(t *testing.T) {
	out := filepath.Join(t.TempDir(), "products.csv")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-from", serve(t, 200, table), "-out", out, "-min-rows", "3"}, &stdout); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != table {
		t.Fatalf("wrote %q, %v; want the download byte for byte", got, err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	for _, want := range []string{
		fmt.Sprintf("sha256    %x\n", sha256.Sum256([]byte(table))),
		fmt.Sprintf("size      %d bytes, UTF-8 with byte order mark, CRLF line ends\n", len(table)),
		"rows      3\n",
		"contents  2 products, 3 service plans\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "re-saved") {
		t.Errorf("a copy in Microsoft's form reported as re-saved:\n%s", stdout.String())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".products-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestRunFromFileNotesAResavedCopy(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "products.csv")
	resaved := strings.ReplaceAll(strings.TrimPrefix(table, "\uFEFF"), "\r\n", "\n")
	if err := os.WriteFile(in, []byte(resaved), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-from", in, "-out", out, "-min-rows", "3"}, &stdout); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); string(got) != resaved {
		t.Errorf("wrote %q", got)
	}
	if !strings.Contains(stdout.String(), "without byte order mark, LF line ends") || !strings.Contains(stdout.String(), "re-saved") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

// A bad download leaves the pinned copy as it was.
func TestRunRefuses(t *testing.T) {
	noE3 := strings.ReplaceAll(table, e3, "c7df2760-2c81-4ef7-b578-5b5392b571df")
	cases := []struct {
		name, url string
		args      []string
		msg       string
	}{
		{"not found", serve(t, 404, "gone"), nil, "answered 404 Not Found"},
		{"not the table", serve(t, 200, "<html>sign in</html>\n"), nil, "missing column"},
		{"cut short", serve(t, 200, table), []string{"-min-rows", "4"}, "3 rows, fewer than -min-rows 4"},
		{"default minimum", serve(t, 200, table), nil, "fewer than -min-rows 4000"},
		{"without E3", serve(t, 200, noE3), []string{"-min-rows", "1"}, "no Office 365 E3"},
		{"bad row", serve(t, 200, table+"Office 365 E3,ENTERPRISEPACK,not-a-guid,A,B,C\r\n"), []string{"-min-rows", "1"}, "line 5: GUID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "products.csv")
			if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := run(context.Background(), append([]string{"-from", c.url, "-out", out}, c.args...), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error = %v; want one with %q", err, c.msg)
			}
			if got, _ := os.ReadFile(out); string(got) != "old" {
				t.Errorf("the old copy became %q", got)
			}
		})
	}
}

func TestRunMissingInput(t *testing.T) {
	err := run(context.Background(), []string{"-from", filepath.Join(t.TempDir(), "absent.csv")}, &bytes.Buffer{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v", err)
	}
}

package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCredentialsPicksTheSignIn(t *testing.T) {
	e := newEndpoint(time.Hour)
	ts, desc, err := Credentials(context.Background(), testSettings(e))
	if _, ok := ts.(*TokenSource); err != nil || !ok {
		t.Fatalf("secure application model: %T, %v", ts, err)
	}
	for _, want := range []string{"secure application model", "app-id", testTenant, "refresh token given as a setting", "token URL " + testTokenURL} {
		if !strings.Contains(desc, want) {
			t.Errorf("description %q does not say %q", desc, want)
		}
	}
	if e.requests() != 0 {
		t.Error("Credentials signed in by itself")
	}

	// The secure application model wins over an access token.
	s := testSettings(e)
	s.AccessToken = "static-access-token-value"
	if ts, desc, _ := Credentials(context.Background(), s); !strings.Contains(desc, "access token given is not used") {
		t.Errorf("%T %q: want the secure application model, saying the access token is unused", ts, desc)
	}

	ts, desc, err = Credentials(context.Background(), Settings{AccessToken: " static-access-token-value\n"})
	if err != nil || desc != "access token given as a setting" || mustToken(t, ts, "") != "static-access-token-value" {
		t.Fatalf("static token: %q %v", desc, err)
	}

	_, _, err = Credentials(context.Background(), Settings{})
	var se *Error
	if !errors.Is(err, ErrNoCredentials) || !errors.As(err, &se) {
		t.Fatalf("no settings: %v", err)
	}
}

func TestCredentialsNamesEveryMissingOrConflictingSetting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "refresh")
	os.WriteFile(file, []byte(testRefresh), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	cases := []struct {
		name    string
		s       Settings
		setting string
		missing []string
		says    string
	}{
		{"only a client ID", Settings{ClientID: "app"}, SettingClientSecret,
			[]string{SettingClientSecret, SettingTenantID, SettingRefreshToken}, "client secret, tenant ID, refresh token"},
		{"only a refresh token file", Settings{RefreshTokenFile: file}, SettingClientID,
			[]string{SettingClientID, SettingClientSecret, SettingTenantID}, "missing: client ID"},
		{"both refresh tokens", Settings{ClientID: "a", ClientSecret: "s", TenantID: "t", RefreshToken: "r", RefreshTokenFile: file},
			SettingRefreshTokenFile, nil, "both a refresh token and a refresh token file"},
		{"both client secrets", Settings{ClientID: "a", ClientSecret: "s", ClientSecretFile: file, TenantID: "t", RefreshToken: "r"},
			SettingClientSecretFile, nil, "both a client secret and a client secret file"},
		{"plain http", Settings{ClientID: "a", ClientSecret: "s", TenantID: "t", RefreshToken: "r", TokenURL: "http://login.example.test/{tenant}/token"},
			SettingTokenURL, nil, "token URL"},
		{"relative URL", Settings{ClientID: "a", ClientSecret: "s", TenantID: "t", RefreshToken: "r", TokenURL: "/token"},
			SettingTokenURL, nil, "token URL"},
		{"missing file", Settings{ClientID: "a", ClientSecret: "s", TenantID: "t", RefreshTokenFile: filepath.Join(dir, "nope")},
			SettingRefreshTokenFile, nil, "refresh token file " + filepath.Join(dir, "nope") + " does not exist"},
		{"directory", Settings{ClientID: "a", ClientSecretFile: dir, TenantID: "t", RefreshToken: "r"},
			SettingClientSecretFile, nil, "client secret file " + dir + " is a directory"},
		{"empty file", Settings{ClientID: "a", ClientSecret: "s", TenantID: "t", RefreshTokenFile: empty},
			SettingRefreshTokenFile, nil, "refresh token file " + empty + " is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Credentials(context.Background(), c.s)
			var se *Error
			if !errors.As(err, &se) || se.Setting != c.setting || !reflect.DeepEqual(se.Missing, c.missing) {
				t.Fatalf("%v (%+v), want Setting %q Missing %v", err, se, c.setting, c.missing)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("%q does not say %q", err, c.says)
			}
		})
	}
}

func TestStaticTokenIsBoundToItsTenant(t *testing.T) {
	ts, desc, err := Credentials(context.Background(), Settings{AccessToken: "graph-token-for-a", StaticTenant: "tenant-a"})
	if err != nil || !strings.Contains(desc, "tenant-a") || strings.Contains(desc, "graph-token") {
		t.Fatalf("%q %v", desc, err)
	}
	for _, tenant := range []string{"", "tenant-a", "TENANT-A"} {
		if mustToken(t, ts, tenant) != "graph-token-for-a" {
			t.Errorf("Token(%q) did not answer the bound token", tenant)
		}
	}
	_, err = ts.Token(context.Background(), "tenant-b")
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "tenant-a") || !strings.Contains(err.Error(), "tenant-b") || se.Setting != SettingAccessToken {
		t.Fatalf("another tenant: %v, want an error naming both", err)
	}
	unbound, _, _ := Credentials(context.Background(), Settings{AccessToken: "pc-token"})
	_, err = unbound.Token(context.Background(), "tenant-b")
	if !errors.As(err, &se) || se.Setting != SettingAccessTokenTenant || !strings.Contains(err.Error(), "tenant-b") {
		t.Fatalf("unbound token for a tenant: %v", err)
	}
}

func TestCheckFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "refresh-token")
	os.WriteFile(file, []byte(testRefresh), 0o600)
	if w := CheckFileMode(file); w != "" {
		t.Errorf("mode 0600 warned: %q", w)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o666} {
		os.Chmod(file, mode)
		w := CheckFileMode(file)
		if !strings.Contains(w, file) || !strings.Contains(w, "chmod 600") || !strings.Contains(w, fmt.Sprintf("%04o", mode)) {
			t.Errorf("mode %04o: warning %q", mode, w)
		}
	}
	if w := CheckFileMode(filepath.Join(dir, "missing")); w != "" {
		t.Errorf("missing file warned: %q", w)
	}
}

func TestWriteRefreshTokenFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "refresh-token")
	os.WriteFile(file, []byte("old"), 0o644)
	if err := WriteRefreshTokenFile(file, Secret(testRefresh)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	st, _ := os.Stat(file)
	if string(b) != testRefresh+"\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("file holds %q with mode %v", b, st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	// What it writes, Credentials reads.
	s := testSettings(newEndpoint(time.Hour))
	s.RefreshToken, s.RefreshTokenFile = "", file
	if ts := newSource(t, s); ts.refresh.Reveal() != testRefresh {
		t.Fatal("the written file does not read back")
	}
	err := WriteRefreshTokenFile(filepath.Join(dir, "no", "such", "dir"), Secret(testRefresh))
	if err == nil || strings.Contains(err.Error(), testRefresh) {
		t.Fatalf("write into a missing directory: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-value")
	type holder struct {
		Token Secret
		Ptr   *Secret
	}
	h := holder{Token: s, Ptr: &s}
	j, _ := json.Marshal(h)
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %d %#v %+v", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", h, h, h), string(j),
	}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Fatalf("secret printed: %s", o)
		}
		if !strings.Contains(o, Redacted) {
			t.Fatalf("no redaction marker in %s", o)
		}
	}
	if s.Reveal() != "hunter2-value" {
		t.Fatal("Reveal lost the value")
	}
}

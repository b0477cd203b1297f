package job

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readAll(t *testing.T, in *Input) (string, error) {
	t.Helper()
	r, err := in.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

func sumOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestInputFileIsReadFromDiskAndFingerprinted: a file input holds no copy of the
// file; its fingerprint is of the bytes the plan read, and a file that changes
// between two reads of one job is refused.
func TestInputFileIsReadFromDiskAndFingerprinted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	const first = "user,sku\namy@contoso.com,ENTERPRISEPACK\n"
	if err := os.WriteFile(path, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := ReadInput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.data != nil {
		t.Fatal("the file was copied into memory")
	}
	if got, err := readAll(t, in); err != nil || got != first {
		t.Fatalf("read %q, %v", got, err)
	}
	if sum, err := in.SHA256(); err != nil || sum != sumOf(first) {
		t.Fatalf("SHA256 %q, %v; want %q", sum, err, sumOf(first))
	}
	if err := os.WriteFile(path, []byte(first+"bob@contoso.com,ENTERPRISEPACK\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, in); !errors.Is(err, errInputChanged) {
		t.Fatalf("a second read of a changed file: %v, want errInputChanged", err)
	}
	if sum, _ := in.SHA256(); sum != sumOf(first) {
		t.Fatal("the fingerprint changed with the file")
	}
}

// TestInputFromStandardInputIsReadOnce: standard input is read to its end once and
// can then be planned again.
func TestInputFromStandardInputIsReadOnce(t *testing.T) {
	const text = "user,sku\n"
	in, err := ReadInput("-", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got, err := readAll(t, in); err != nil || got != text {
			t.Fatalf("read %q, %v", got, err)
		}
	}
	if sum, err := in.SHA256(); err != nil || sum != sumOf(text) {
		t.Fatalf("SHA256 %q, %v", sum, err)
	}
}

// TestInputSHA256ReadsAFileNotYetPlanned: the fingerprint of an input no plan has read
// yet (a resume compares it first) is of the file.
func TestInputSHA256ReadsAFileNotYetPlanned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte("user\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := ReadInput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := in.SHA256(); err != nil || sum != sumOf("user\n") {
		t.Fatalf("SHA256 %q, %v", sum, err)
	}
	if _, err := ReadInput(filepath.Dir(path), nil); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("a directory: %v", err)
	}
}

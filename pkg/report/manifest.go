package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bulkassign/bulkassign/internal/atomicfile"
)

// ManifestFormat is the format number WriteManifest writes and ReadManifest reads.
const ManifestFormat = 1

// Manifest says what a result file was made from, so that a resumed run can refuse
// an input or settings other than the first run's instead of mixing two plans in one
// file. It is written as JSON (the field names in the tags) to ManifestPath(output)
// at the start of a fresh run.
type Manifest struct {
	Format      int       `json:"format"`       // ManifestFormat
	Input       string    `json:"input"`        // the input's path as given
	InputSHA256 string    `json:"input_sha256"` // lower-case hex SHA-256 of the whole input file
	InputRows   int       `json:"input_rows"`   // the input's data rows
	Customer    string    `json:"customer"`     // the default customer setting; "" without one
	API         string    `json:"api"`          // "partnercenter" or "graph"
	Created     time.Time `json:"created"`      // RFC 3339
}

// ManifestPath is the manifest of the result file output: output + ".manifest.json".
func ManifestPath(output string) string { return output + ".manifest.json" }

// FileSHA256 returns the lower-case hex SHA-256 of the file at path: a Manifest's
// InputSHA256.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash input %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash input %s: %w", path, unwrapPath(err))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteManifest writes m as the manifest of the result file output (to
// ManifestPath(output), not to output itself), replacing any earlier one atomically:
// a temporary file in the same directory, synced, renamed over it. A zero Format is
// written as ManifestFormat, a zero Created as now.
func WriteManifest(output string, m Manifest) error {
	path := ManifestPath(output)
	if m.Format == 0 {
		m.Format = ManifestFormat
	}
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	m.Created = m.Created.UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), fileMode); err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	return nil
}

// ReadManifest reads the manifest of the result file output. A missing manifest is
// an error that is fs.ErrNotExist; one of another format, or without an input
// fingerprint, is an error saying so.
func ReadManifest(output string) (Manifest, error) {
	path := ManifestPath(output)
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", path, unwrapPath(err))
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: not a bulkassign manifest: %w", path, err)
	}
	switch {
	case m.Format > ManifestFormat:
		return Manifest{}, fmt.Errorf("read manifest %s: format %d was written by a newer bulkassign (this one reads format %d)",
			path, m.Format, ManifestFormat)
	case m.Format != ManifestFormat || !isHex(m.InputSHA256, sha256.Size*2):
		return Manifest{}, fmt.Errorf("read manifest %s: not a bulkassign manifest (no format %d or input_sha256)",
			path, ManifestFormat)
	}
	return m, nil
}

// isHex reports whether s is n lower-case hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

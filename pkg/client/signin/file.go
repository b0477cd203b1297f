package signin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/bulkassign/bulkassign/internal/atomicfile"
)

// maxSecretFile is the largest refresh token or client secret file read: a refresh
// token is a few kilobytes.
const maxSecretFile = 64 << 10

// readSecretFile reads the secret that the file of setting holds, trimmed. Every
// failure is an *Error naming the setting and the file.
func readSecretFile(setting, path string) (Secret, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", settingsError(setting, "the %s %s does not exist", setting, path)
	case err != nil:
		return "", fileError(setting, path, err)
	case st.IsDir():
		return "", settingsError(setting, "the %s %s is a directory, not a file", setting, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fileError(setting, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fileError(setting, path, err)
	}
	if len(b) > maxSecretFile {
		return "", settingsError(setting, "the %s %s is larger than %d KiB: it does not hold just a secret", setting, path, maxSecretFile>>10)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", settingsError(setting, "the %s %s is empty", setting, path)
	}
	return Secret(s), nil
}

// fileError is an Error for a file that could not be read. The file holds a secret,
// but an os error's text names only the path and the cause.
func fileError(setting, path string, err error) *Error {
	e := settingsError(setting, "cannot read the %s %s", setting, path)
	e.Err = err
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err // the path is in the description already
	}
	e.Description += ": " + cause.Error()
	return e
}

// WriteRefreshTokenFile stores refreshToken in path as the tool reads it back: one
// line, in a file of mode 0600, replaced atomically (a temporary file in the same
// directory, synced, then renamed over path), so that a crash leaves the old token or
// the new one, never half of one.
func WriteRefreshTokenFile(path string, refreshToken Secret) error {
	if path == "" {
		return settingsError(SettingRefreshTokenFile, "no refresh token file given")
	}
	if refreshToken == "" {
		return errors.New("store refresh token: the refresh token is empty")
	}
	return writeFileAtomic(path, []byte(refreshToken.Reveal()+"\n"))
}

// writeFileAtomic replaces path with data, mode 0600 before the token is written.
func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("store refresh token in %s: %w", path, err)
	}
	return nil
}

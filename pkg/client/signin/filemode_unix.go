//go:build unix

package signin

import (
	"fmt"
	"os"
)

// CheckFileMode returns a warning when the file at path, which holds a refresh token or
// a client secret, can be read or written by its group or by other users; "" when only
// its owner can, when it cannot be examined (reading it reports that), and on systems
// without Unix permissions.
func CheckFileMode(path string) (warning string) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return ""
	}
	perm := st.Mode().Perm()
	if perm&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("the file %s holds a secret but can be read or written by its group or other users (mode %04o): run chmod 600 %s", path, perm, path)
}

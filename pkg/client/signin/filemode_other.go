//go:build !unix

package signin

// CheckFileMode returns "" on systems without Unix permissions; see the Unix version.
func CheckFileMode(path string) (warning string) { return "" }

package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// errSymlink and errNotRegular are why openRegular refuses a path.
var (
	errSymlink    = errors.New("it is a symbolic link; name the file itself")
	errNotRegular = errors.New("it is not a regular file")
)

// openRegular opens path, which must be a regular file and not a symbolic link (a
// link planted where a run writes would make it write elsewhere). Where the system
// has O_NOFOLLOW the open itself refuses a link; elsewhere a link found by Lstat
// just before is refused. The error is errSymlink or errNotRegular (wrapped), or
// the open's own, without the path.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink
	}
	f, err := os.OpenFile(path, flag|oNoFollow, perm)
	if err != nil {
		if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, errSymlink
		}
		return nil, unwrapPath(err)
	}
	if err := checkRegular(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkRegular makes sure f is a regular file.
func checkRegular(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return unwrapPath(err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return errSymlink
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%w (%v)", errNotRegular, st.Mode().Type())
	}
	return nil
}

package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// fileMode is the mode of a new result file. Results hold no secrets.
const fileMode = 0o644

// ErrOldFormat is the error for a result or rollback file written by an older
// bulkassign, which a run does not append to.
var ErrOldFormat = errors.New("it was written by an older bulkassign, whose format a run does not add to; start a new output")

// File is a result CSV on disk. Rows written through its Writer reach the file one
// write per row; Close syncs the file to stable storage. Like Writer, a File is not
// safe for concurrent use.
type File struct {
	*Writer
	f    *os.File
	path string
}

// Path returns the path the file was opened with.
func (f *File) Path() string { return f.path }

// Close syncs the file to disk and closes it. Closing a closed File does nothing.
func (f *File) Close() error {
	if f.f == nil {
		return nil
	}
	serr := f.f.Sync()
	cerr := f.f.Close()
	f.f = nil
	if serr != nil {
		return fmt.Errorf("sync result file %s: %w", f.path, unwrapPath(serr))
	}
	if cerr != nil {
		return fmt.Errorf("close result file %s: %w", f.path, unwrapPath(cerr))
	}
	return nil
}

// Create creates a new result file at path and writes its header. It refuses a path
// that exists, so that no earlier run's results are overwritten: a run that continues
// an earlier one uses Resume.
func Create(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			if st, serr := os.Stat(path); serr == nil && st.IsDir() {
				return nil, fmt.Errorf("create result file %s: it is a directory; name a file", path)
			}
			return nil, fmt.Errorf("create result file %s: %w; resume that run to continue it, or choose another path",
				path, fs.ErrExist)
		}
		return nil, fmt.Errorf("create result file %s: %w", path, unwrapPath(err))
	}
	w, err := NewWriter(f)
	if err != nil {
		f.Close()
		os.Remove(path) // created above, holds nothing of value
		return nil, fmt.Errorf("create result file %s: %w", path, unwrapPath(err))
	}
	return &File{Writer: w, f: f, path: path}, nil
}

// Resume opens the result file of an earlier run to continue it. It returns the rows
// already in the file, drops a torn last row (a run killed in mid-write), truncates the
// file to the end of its last complete row and positions the File to append after it.
// A missing file is created with its header, and no rows are returned. A file that is
// not a result CSV, or that has a malformed row before its last, is left untouched and
// reported with its path and line; so is a Version1 file (an error that is
// ErrOldFormat): its rows carry no row keys, so a resumed run could not tell whether
// its input is the one the file was made from.
func Resume(path string) (*File, []Result, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		file, err := Create(path)
		if err != nil {
			return nil, nil, err
		}
		return file, nil, nil
	}
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return nil, nil, fmt.Errorf("open result file %s: it is a directory; name a file", path)
		}
		return nil, nil, fmt.Errorf("open result file %s: %w", path, unwrapPath(err))
	}
	file, results, err := resume(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return file, results, nil
}

func resume(f *os.File, path string) (*File, []Result, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("open result file %s: %w", path, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("open result file %s: not a regular file", path)
	}
	rb, err := readResults(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read result file %s: %w", path, unwrapPath(err))
	}
	if rb.version == Version1 {
		return nil, nil, fmt.Errorf("open result file %s: %w", path, ErrOldFormat)
	}
	if err := f.Truncate(rb.end); err != nil {
		return nil, nil, fmt.Errorf("truncate result file %s: %w", path, unwrapPath(err))
	}
	if _, err := f.Seek(rb.end, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("seek result file %s: %w", path, unwrapPath(err))
	}
	var w *Writer
	if rb.version != 0 {
		w = NewAppender(f)
	} else if w, err = NewWriter(f); err != nil {
		return nil, nil, fmt.Errorf("write result file %s: %w", path, unwrapPath(err))
	}
	return &File{Writer: w, f: f, path: path}, rb.results, nil
}

// unwrapPath drops the *fs.PathError around err: the messages here name the path
// themselves. errors.Is still sees the system error.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

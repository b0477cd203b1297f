package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// RollbackHeader is the header of a rollback file: bulkassign's own input format, so
// that `bulkassign run --input <output>.rollback.csv` undoes a run.
var RollbackHeader = []string{"customer", "user", "sku", "remove_sku", "excluded_plans"}

// RollbackRow is one input row that undoes part of a run: Sku is a product SKU ID to
// assign again (with ExcludedPlans, service plan IDs, as the user had it), RemoveSku
// one to remove again; both make a swap back.
type RollbackRow struct {
	Customer      string
	User          string
	Sku           string
	RemoveSku     string
	ExcludedPlans []string
}

// RollbackFile is a rollback CSV on disk, appended to one row per write. Like
// Writer, it is not safe for concurrent use.
type RollbackFile struct {
	f    *os.File
	path string
	buf  bytes.Buffer
	cw   *csv.Writer
	err  error
}

// OpenRollback opens the rollback file at path for appending, creating it with its
// header when it does not exist or is empty. A last line torn by a crash (no newline)
// is cut off first; a file with another header is refused.
func OpenRollback(path string) (*RollbackFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("open rollback file %s: %w", path, unwrapPath(err))
	}
	rf := &RollbackFile{f: f, path: path}
	rf.cw = csv.NewWriter(&rf.buf)
	if err := rf.prepare(); err != nil {
		f.Close()
		return nil, err
	}
	return rf, nil
}

func (r *RollbackFile) prepare() error {
	data, err := io.ReadAll(r.f)
	if err != nil {
		return fmt.Errorf("read rollback file %s: %w", r.path, unwrapPath(err))
	}
	header := strings.Join(RollbackHeader, ",") + "\n"
	switch {
	case len(data) == 0:
		_, err = r.f.Write([]byte(header))
	case !bytes.HasPrefix(data, []byte(header)) && !bytes.HasPrefix([]byte(header), data):
		return fmt.Errorf("open rollback file %s: it is not a bulkassign rollback file (its header is not %q); move it away", r.path, strings.TrimSpace(header))
	default:
		// Keep complete lines only; a header cut short is written again.
		keep := int64(bytes.LastIndexByte(data, '\n') + 1)
		if keep < int64(len(header)) {
			keep = 0
		}
		if err = r.f.Truncate(keep); err == nil {
			_, err = r.f.Seek(keep, io.SeekStart)
		}
		if err == nil && keep == 0 {
			_, err = r.f.Write([]byte(header))
		}
	}
	if err != nil {
		return fmt.Errorf("prepare rollback file %s: %w", r.path, unwrapPath(err))
	}
	_, err = r.f.Seek(0, io.SeekEnd)
	return err
}

// Path returns the rollback file's path.
func (r *RollbackFile) Path() string { return r.path }

// Write appends one row in a single write. After a failed write every later Write
// returns the same error.
func (r *RollbackFile) Write(row RollbackRow) error {
	if r.err != nil {
		return r.err
	}
	if row.Sku == "" && row.RemoveSku == "" {
		return errors.New("write rollback row: it names no SKU")
	}
	r.buf.Reset()
	_ = r.cw.Write([]string{row.Customer, row.User, row.Sku, row.RemoveSku, strings.Join(row.ExcludedPlans, ";")})
	r.cw.Flush()
	if err := r.cw.Error(); err != nil {
		r.err = fmt.Errorf("write rollback file %s: %w", r.path, err)
		return r.err
	}
	if _, err := r.f.Write(r.buf.Bytes()); err != nil {
		r.err = fmt.Errorf("write rollback file %s: %w", r.path, unwrapPath(err))
		return r.err
	}
	return nil
}

// Close syncs and closes the file. Closing a closed file does nothing.
func (r *RollbackFile) Close() error {
	if r.f == nil {
		return nil
	}
	serr := r.f.Sync()
	cerr := r.f.Close()
	r.f = nil
	if serr != nil && !errors.Is(serr, fs.ErrClosed) {
		return fmt.Errorf("sync rollback file %s: %w", r.path, unwrapPath(serr))
	}
	if cerr != nil {
		return fmt.Errorf("close rollback file %s: %w", r.path, unwrapPath(cerr))
	}
	return nil
}

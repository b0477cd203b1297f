package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// RollbackHeader is the header of a rollback file: bulkassign's own input format, so
// that a run with the rollback file as its input undoes a run, plus columns for
// people that an input reader ignores: line (the input lines of the run the row
// undoes, ';'-separated), sku_name and remove_sku_name (product names).
var RollbackHeader = []string{"line", "customer", "user", "sku", "sku_name", "remove_sku", "remove_sku_name", "excluded_plans"}

// RollbackHeaderV1 is the header of a rollback file of an older bulkassign. ReadRollback
// reads such a file; OpenRollback does not append to it.
var RollbackHeaderV1 = []string{"customer", "user", "sku", "remove_sku", "excluded_plans"}

// RollbackPath is the rollback file of the result file output: output + ".rollback.csv".
func RollbackPath(output string) string { return output + ".rollback.csv" }

// RollbackRow is one input row that undoes part of a run: Sku is a product SKU ID to
// assign again (with ExcludedPlans, service plan IDs, as the user had it), RemoveSku
// one to remove again; both make a swap back. Lines, SkuName and RemoveSkuName are
// for people reading the file.
type RollbackRow struct {
	Lines         []int // the input lines whose update the row undoes
	Customer      string
	User          string
	Sku           string
	SkuName       string
	RemoveSku     string
	RemoveSkuName string
	ExcludedPlans []string
}

// RollbackFile is a rollback CSV on disk, appended to one row per write. Like
// Writer, it is not safe for concurrent use.
//
// Its cells are neutralised against spreadsheet formulas as the result CSV's are
// (Unquote reverses it), and a line break inside a cell is written as a space, so
// that every row is one line of the file and a crash tears at most the last. gocsv
// turns the row's cells into its CSV line.
type RollbackFile struct {
	f    *os.File
	path string
	enc  *recordWriter[rollbackRecord]
	rec  rollbackRecord
	err  error
}

var (
	rollbackHeaderLine   = strings.Join(RollbackHeader, ",") + "\n"
	rollbackHeaderLineV1 = strings.Join(RollbackHeaderV1, ",") + "\n"
)

// OpenRollback opens the rollback file at path for appending, creating it with its
// header when it does not exist or is empty. A last line torn by a crash (no newline)
// is cut off first. It refuses a symbolic link and anything but a regular file, a
// file with another header, and a rollback file of an older bulkassign (an error that
// is ErrOldFormat); each is left as it is.
func OpenRollback(path string) (*RollbackFile, error) {
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("open rollback file %s: %w", path, err)
	}
	rf := &RollbackFile{f: f, path: path, enc: newRecordWriter[rollbackRecord]()}
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
	keep := int64(0) // a file without a whole header is rewritten from the start
	switch {
	case bytes.HasPrefix(data, []byte(rollbackHeaderLine)):
		keep = int64(bytes.LastIndexByte(data, '\n') + 1) // complete lines only
	case strings.HasPrefix(rollbackHeaderLine, string(data)) ||
		strings.HasPrefix(rollbackHeaderLineV1, string(data)):
	case bytes.HasPrefix(data, []byte(rollbackHeaderLineV1)):
		return fmt.Errorf("open rollback file %s: %w", r.path, ErrOldFormat)
	default:
		hint := resavedHint(data)
		if hint == "" {
			hint = "; move it away"
		}
		return fmt.Errorf("open rollback file %s: it is not a bulkassign rollback file (its header is not %q)%s",
			r.path, strings.TrimSpace(rollbackHeaderLine), hint)
	}
	if err = r.f.Truncate(keep); err == nil {
		_, err = r.f.Seek(keep, io.SeekStart)
	}
	if err == nil && keep == 0 {
		_, err = r.f.Write([]byte(rollbackHeaderLine))
	}
	if err != nil {
		return fmt.Errorf("prepare rollback file %s: %w", r.path, unwrapPath(err))
	}
	return nil
}

// Path returns the rollback file's path.
func (r *RollbackFile) Path() string { return r.path }

// Write appends one row in a single write. After a failed write every later Write
// returns the same error.
func (r *RollbackFile) Write(row RollbackRow) error {
	if r.err != nil {
		return r.err
	}
	if strings.TrimSpace(row.Sku) == "" && strings.TrimSpace(row.RemoveSku) == "" {
		return errors.New("write rollback row: it names no SKU")
	}
	lines := slices.Compact(slices.Sorted(slices.Values(row.Lines)))
	ls := make([]string, len(lines))
	for i, l := range lines {
		ls[i] = strconv.Itoa(l)
	}
	c := func(s string) string { return cell(oneLine(s)) }
	r.rec = rollbackRecord{Lines: c(strings.Join(ls, ";")), Customer: c(row.Customer), User: c(row.User),
		Sku: c(row.Sku), SkuName: c(row.SkuName), RemoveSku: c(row.RemoveSku), RemoveSkuName: c(row.RemoveSkuName),
		ExcludedPlans: c(strings.Join(row.ExcludedPlans, ";"))}
	line, err := r.enc.encode(&r.rec)
	if err != nil {
		r.err = fmt.Errorf("write rollback file %s: %w", r.path, err)
		return r.err
	}
	if _, err := r.f.Write(line); err != nil {
		r.err = fmt.Errorf("write rollback file %s: %w", r.path, unwrapPath(err))
		return r.err
	}
	return nil
}

// oneLine writes every line break of s as a space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
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

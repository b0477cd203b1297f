package job

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/bulkassign/bulkassign/pkg/planner"
	"github.com/bulkassign/bulkassign/pkg/report"
	"github.com/bulkassign/bulkassign/pkg/runner"
)

// outputs are the files of a run: the result CSV (read back when resuming), its
// manifest, and its rollback file, opened when the first undo row is written.
type outputs struct {
	path     string
	cfg      *RunConfig
	api      string
	file     *report.File
	earlier  []report.Result
	finished map[int]string // line -> row key of the lines an earlier session finished

	mu       sync.Mutex
	rollback *report.RollbackFile
}

// prepareOutput checks the output before anything is read or sent: a fresh run
// refuses an existing output or rollback file; a resumed run reads the output back and
// refuses an input or settings other than its first session's.
func (s *Session) prepareOutput(ctx context.Context, cfg *RunConfig) (*outputs, error) {
	o := &outputs{path: cfg.Output, cfg: cfg, api: s.apiName()}
	_, err := os.Lstat(cfg.Output)
	exists := err == nil
	switch {
	case cfg.Resume && exists:
		return o, o.resume(ctx)
	case exists:
		return nil, &SettingError{Setting: "resume or output", Err: fmt.Errorf("%s exists: resume that run to continue it, or choose another path", cfg.Output)}
	}
	if cfg.Rollback {
		if _, err := os.Lstat(report.RollbackPath(cfg.Output)); err == nil {
			return nil, &SettingError{Setting: "output", Err: fmt.Errorf("%s exists (the rollback file of an earlier run): move it away, or choose another output", report.RollbackPath(cfg.Output))}
		}
	}
	return o, nil
}

// resume reads the result file back, checks it was made from this input and these
// settings, and remembers which lines are finished.
func (o *outputs) resume(ctx context.Context) error {
	file, earlier, err := report.Resume(o.path)
	if err != nil {
		return err
	}
	o.file, o.earlier = file, earlier
	m, err := report.ReadManifest(o.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	in := o.cfg.Input
	sum, err := in.SHA256()
	if err != nil {
		return err
	}
	now := report.Manifest{Input: in.Name, InputSHA256: sum, Customer: o.cfg.Customer, API: o.api}
	var keys map[int]string
	if m.Format == 0 || m.InputSHA256 != now.InputSHA256 {
		// The lines are compared one by one; the count goes in the message.
		if keys, err = rowKeys(ctx, in, o.cfg.Customer); err != nil {
			keys = map[int]string{}
		}
		now.InputRows = len(keys)
	}
	if err := report.CheckResume(m, now, earlier, keys); err != nil {
		return err
	}
	o.finished = map[int]string{}
	for _, r := range report.Final(earlier) {
		if r.Status == report.StatusSucceeded || r.Status == report.StatusUnchanged {
			o.finished[r.Line] = r.RowKey
		}
	}
	if !o.cfg.Rollback {
		o.warnRollbackOff()
	}
	return nil
}

// warnRollbackOff says, when a resumed run writes no rollback file but an earlier
// session did, which lines the existing rollback file covers.
func (o *outputs) warnRollbackOff() {
	rows, err := report.ReadRollback(report.RollbackPath(o.path))
	if err != nil || len(rows) == 0 {
		return
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Lines...)
	}
	o.cfg.warn(fmt.Sprintf("the rollback is off: %s undoes %s (written by an earlier session); what this session changes is not in it",
		report.RollbackPath(o.path), report.LinesText(lines, 10)))
}

// done reports whether an earlier session finished the row at line (with the same
// content).
func (o *outputs) done(line int, key string) bool {
	k, ok := o.finished[line]
	return ok && (k == key || k == "")
}

// create creates the result file and writes the manifest of a fresh run.
func (o *outputs) create(plan *planner.Plan) error {
	if o.file != nil {
		return nil
	}
	f, err := report.Create(o.path)
	if err != nil {
		return err
	}
	o.file = f
	in := o.cfg.Input
	sum, err := in.SHA256()
	if err != nil {
		return err
	}
	return report.WriteManifest(o.path, report.Manifest{Input: in.Name, InputSHA256: sum,
		InputRows: plan.NumRows() + plan.Resumed, Customer: o.cfg.Customer, API: o.api})
}

// rowKeys is planner.RowKeys of the input in.
func rowKeys(ctx context.Context, in *Input, customer string) (map[int]string, error) {
	r, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return planner.RowKeys(ctx, r, customer)
}

// rollbackWriter is the run's rollback writer: nil without a rollback, else one that
// opens the file at the first row.
func (o *outputs) rollbackWriter(on bool) runner.RollbackWriter {
	if !on {
		return nil
	}
	return &lazyRollback{o: o}
}

// lazyRollback opens the rollback file when the first undo row comes, so that a run
// that changes nothing writes none.
type lazyRollback struct{ o *outputs }

func (l *lazyRollback) Write(row report.RollbackRow) error {
	l.o.mu.Lock()
	defer l.o.mu.Unlock()
	if l.o.rollback == nil {
		f, err := report.OpenRollback(report.RollbackPath(l.o.path))
		if err != nil {
			return err
		}
		l.o.rollback = f
	}
	return l.o.rollback.Write(row)
}

// close syncs and closes the files; closing twice does nothing.
func (o *outputs) close() error {
	var errs []error
	if o.file != nil {
		errs = append(errs, o.file.Close())
	}
	o.mu.Lock()
	if o.rollback != nil {
		errs = append(errs, o.rollback.Close())
	}
	o.mu.Unlock()
	return errors.Join(errs...)
}

// checkOutput refuses, before anything else, an output that is the input or whose
// folder cannot be written.
func checkOutput(cfg *RunConfig) error {
	if err := checkRunConfig(cfg); err != nil {
		return err
	}
	if cfg.Input.Name != "-" && SamePath(cfg.Input.Name, cfg.Output) {
		return &SettingError{Setting: "output", Err: fmt.Errorf("%s is the input file", cfg.Output)}
	}
	if err := CheckWritableDir(cfg.Output); err != nil {
		return &SettingError{Setting: "output", Err: err}
	}
	return nil
}

// CheckWritableDir makes sure the folder of path exists and a file can be created in
// it, so that an output is refused before any API call.
func CheckWritableDir(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("the folder %s does not exist", dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".bulkassign-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// SamePath reports whether a and b name the same file.
func SamePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// Package atomicfile replaces small files whole: a reader, or a crash, sees the old
// content or the new, never half of either. The result's manifest, the summary JSON and
// the refresh token file are written through it.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data: a temporary file in the same directory, given
// perm before anything is written to it, synced, closed, then renamed over path. On
// failure path is left as it was and the temporary file is removed. The error is the
// cause alone (no temporary file's name): callers say which file they were writing.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return unwrapPath(err)
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return unwrapPath(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Sync(); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Close(); err != nil {
		return unwrapPath(err)
	}
	return unwrapPath(os.Rename(name, path))
}

// unwrapPath drops the *fs.PathError around err, which names the temporary file.
func unwrapPath(err error) error {
	if le := (*os.LinkError)(nil); errors.As(err, &le) {
		return le.Err
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

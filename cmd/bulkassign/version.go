package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/bulkassign/bulkassign/pkg/client"
)

// version is `bulkassign version` (and --version): the version, the commit it was
// built from and the Go version, from the build information.
func (m *Main) version(context.Context, []string) error {
	commit, when, dirty := "unknown", "", false
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty {
		commit += " (modified)"
	}
	fmt.Fprintf(m.Stdout, "bulkassign %s\ncommit %s", client.Version, commit)
	if when != "" {
		fmt.Fprintf(m.Stdout, " (%s)", when)
	}
	fmt.Fprintf(m.Stdout, "\n%s\n", goVersion)
	return nil
}

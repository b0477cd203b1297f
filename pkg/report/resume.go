package report

import (
	"fmt"
	"slices"
	"strings"
)

// linesShown is how many lines or ranges of lines a message names before "N more".
const linesShown = 5

// ResumeMismatchError is CheckResume's error: the result file was made from another
// input or other settings than the resumed run's. It lists what differs.
type ResumeMismatchError struct {
	Earlier, Now Manifest
	// Settings describes each setting that differs, e.g. `api was "partnercenter", now "graph"`.
	Settings []string
	// InputChanged: the input's fingerprint differs (or, without a manifest, its rows do).
	InputChanged bool
	// Changed are the lines whose row differs from the row the earlier run wrote for
	// them (another file, reordered rows, an edited excluded_plans).
	Changed []int
	// Missing are the lines the earlier run wrote that the input no longer has.
	Missing []int
	// Unwritten are the input's lines the earlier run wrote no result for: when no
	// line is Changed or Missing, the edit lies among them.
	Unwritten []int
}

func (e *ResumeMismatchError) Error() string {
	var parts []string
	parts = append(parts, e.Settings...)
	if e.InputChanged {
		var what []string
		if len(e.Changed) > 0 {
			what = append(what, LinesText(e.Changed, linesShown)+plural(e.Changed, " differs", " differ")+
				" from what the earlier run wrote there (another file, reordered rows or edited excluded plans)")
		}
		if len(e.Missing) > 0 {
			what = append(what, LinesText(e.Missing, linesShown)+" of the earlier run"+plural(e.Missing, " is", " are")+
				" no longer in the input")
		}
		if len(what) == 0 {
			among := ""
			if len(e.Unwritten) > 0 {
				among = " (among " + LinesText(e.Unwritten, linesShown) + ", which the earlier run wrote no result for)"
			}
			what = append(what, "lines not yet sent changed"+among)
		}
		if e.Earlier.InputRows != e.Now.InputRows && e.Earlier.Format != 0 && e.Now.InputRows > 0 {
			what = append(what, fmt.Sprintf("it had %d rows, now %d", e.Earlier.InputRows, e.Now.InputRows))
		}
		parts = append(parts, "the input is not the file the result file was made from: "+strings.Join(what, "; "))
	}
	return "resume run: " + strings.Join(parts, "; ") +
		". A resumed run needs the same input and settings as the run it continues; to run an edited file, " +
		"use a new output (the plan sends only what changes)"
}

// plural is one for one line (the lines are distinct), else many.
func plural(lines []int, one, many string) string {
	if len(lines) == 1 {
		return one
	}
	return many
}

// CheckResume checks that a resumed run continues the run that made its result file.
// earlier is the result file's manifest (zero when it has none: the settings are then
// not compared and the input is judged by its rows alone), now the resumed run's,
// earlierRows the result file's rows, and keys the RowKey of each of the input's rows
// by line.
//
// It returns nil when the input is byte-identical (same fingerprint) and the settings
// (api, customer) are the same. Otherwise it returns a *ResumeMismatchError listing
// the settings that differ and, for another input, the lines whose row key differs
// from the one the earlier run wrote last for that line and the lines the input no
// longer has; when no such line can be named, it says that lines not yet sent changed
// and names the lines the earlier run wrote nothing for, among which the edit lies.
func CheckResume(earlier, now Manifest, earlierRows []Result, keys map[int]string) error {
	e := &ResumeMismatchError{Earlier: earlier, Now: now}
	if earlier.Format != 0 {
		if a, b := keyPart(earlier.API), keyPart(now.API); a != b {
			e.Settings = append(e.Settings, fmt.Sprintf("api was %q, now %q", a, b))
		}
		if a, b := strings.TrimSpace(earlier.Customer), strings.TrimSpace(now.Customer); !strings.EqualFold(a, b) {
			e.Settings = append(e.Settings, fmt.Sprintf("customer was %q, now %q", a, b))
		}
		e.InputChanged = earlier.InputSHA256 != now.InputSHA256
	}
	if earlier.Format == 0 || e.InputChanged {
		for _, r := range Final(earlierRows) {
			if r.RowKey == "" {
				continue // a row without a key (Version1) cannot be compared
			}
			switch key, ok := keys[r.Line]; {
			case !ok:
				e.Missing = append(e.Missing, r.Line)
			case key != r.RowKey:
				e.Changed = append(e.Changed, r.Line)
			}
		}
		if earlier.Format == 0 {
			e.InputChanged = len(e.Changed)+len(e.Missing) > 0
		}
		if e.InputChanged && len(e.Changed)+len(e.Missing) == 0 {
			e.Unwritten = unwritten(keys, earlierRows)
		}
	}
	if len(e.Settings) == 0 && !e.InputChanged {
		return nil
	}
	return e
}

// unwritten returns, in order, the lines of keys that no row of rows is for.
func unwritten(keys map[int]string, rows []Result) []int {
	written := make(map[int]bool, len(rows))
	for _, r := range rows {
		written[r.Line] = true
	}
	var out []int
	for line := range keys {
		if !written[line] {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// help is what `bulkassign help COMMAND` prints: the usage line, the flags in groups,
// examples and the environment variables the command reads.
type help struct {
	usage    string
	about    string
	groups   []flagGroup
	examples []string
	env      []string
}

// flagGroup is a titled set of flags, by name.
type flagGroup struct {
	title string
	names []string
}

// newFlagSet returns a flag set whose -h prints h on standard output.
func (m *Main) newFlagSet(name string, h *help) *flag.FlagSet {
	fs := flag.NewFlagSet("bulkassign "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help printed by parseFlags
	fs.Usage = func() { h.write(m.Stdout, fs) }
	m.flagSet = fs
	return fs
}

// write prints the help of fs.
func (h *help) write(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n", h.usage)
	if h.about != "" {
		fmt.Fprintf(w, "\n%s\n", h.about)
	}
	listed := map[string]bool{}
	for _, g := range h.groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, n := range g.names {
			if f := fs.Lookup(n); f != nil {
				listed[n] = true
				writeFlag(tw, f)
			}
		}
		tw.Flush()
	}
	var rest []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] {
			rest = append(rest, f)
		}
	})
	if len(rest) > 0 {
		fmt.Fprintln(w, "\nOther flags:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range rest {
			writeFlag(tw, f)
		}
		tw.Flush()
	}
	if len(h.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range h.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if len(h.env) > 0 {
		fmt.Fprintln(w, "\nEnvironment:")
		for _, e := range h.env {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// placeholders name the values of flags whose usage text names none.
var placeholders = map[string]string{"shortfall": "mode"}

// writeFlag writes one flag as "  --name VALUE\tusage (default x)".
func writeFlag(w io.Writer, f *flag.Flag) {
	value, usage := flag.UnquoteUsage(f)
	switch {
	case placeholders[f.Name] != "":
		value = placeholders[f.Name]
	case value == "float" || value == "int":
		value = "n"
	}
	name := "--" + f.Name
	if len(f.Name) == 1 {
		name = "-" + f.Name
	}
	if value != "" {
		name += " " + strings.ToUpper(value)
	}
	if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" {
		usage += " (default " + d + ")"
	}
	fmt.Fprintf(w, "  %s\t%s\n", name, usage)
}

// parseFlags parses a subcommand's flags: -h prints the help and is flag.ErrHelp (exit
// 0); any other mistake is a usage error naming the flag as a user types it, and a
// stray argument after a flag that takes no value ("--check-users false") says how to
// write it.
func parseFlags(fs *flag.FlagSet, args []string) error {
	// flag calls Usage on -h and on every mistake; the help is printed here, once,
	// and only when asked for.
	show := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = show
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			show()
			return err
		}
		msg := strings.Replace(err.Error(), "-", "--", 1)
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			if near := nearFlag(fs, name); near != "" {
				msg += "; did you mean --" + near + "? (bulkassign help " + strings.TrimPrefix(fs.Name(), "bulkassign ") + " lists the flags)"
			}
		}
		return usageError("%s", msg)
	}
	if fs.NArg() == 0 {
		return nil
	}
	arg := fs.Arg(0)
	if i := len(args) - fs.NArg() - 1; i >= 0 && (arg == "true" || arg == "false") {
		if name := strings.TrimLeft(args[i], "-"); isBoolFlag(fs, name) {
			return usageError("unexpected argument %q after --%s: write --%s=%s", arg, name, name, arg)
		}
	}
	return usageError("unexpected argument %q", arg)
}

// nearFlag names a flag of fs that the unknown name may have meant (one is the other's
// start, as plan's --out and run's --output), or "".
func nearFlag(fs *flag.FlagSet, name string) string {
	name = strings.TrimLeft(name, "-")
	near := ""
	fs.VisitAll(func(f *flag.Flag) {
		if near == "" && len(name) >= 3 && len(f.Name) >= 3 && (strings.HasPrefix(name, f.Name) || strings.HasPrefix(f.Name, name)) {
			near = f.Name
		}
	})
	return near
}

// isBoolFlag reports whether fs has a boolean flag of that name.
func isBoolFlag(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

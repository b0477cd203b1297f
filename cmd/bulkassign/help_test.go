package main

import (
	"flag"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/bulkassign/bulkassign/pkg/client"
)

func TestHelpGoesToStandardOutput(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"help", "run"}, {"run", "--help"}, {"run", "-h"}} {
		if code := e.run(t.Context(), nil, args...); code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, e.all())
		}
		out := e.stdout.String()
		if e.stderr.String() != "" {
			t.Fatalf("%v: help on standard error:\n%s", args, e.stderr.String())
		}
		contains(t, strings.Join(args, " "), out, "Usage: bulkassign run --input FILE --output FILE",
			"\nOutput:\n", "\nInput and plan:\n", "\nPace:\n", "\nConnection:\n", "\nExamples:\n", "\nEnvironment:\n",
			"  --output CSV", "  --rate N", "  --resume ", "(default 10)", "  --client-secret-file FILE",
			EnvAccessToken, EnvClientSecret, "bulkassign run --simulate --input samples/migration.csv")
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "-") && !strings.HasPrefix(f[0], "--") && len(f[0]) > 2 {
				t.Errorf("%v: a long flag spelt with one dash: %q", args, l)
			}
		}
	}
	// Every command has its help, with its own usage line.
	for _, c := range commands() {
		if c.name == "completion" || c.name == "version" {
			continue
		}
		if code := e.run(t.Context(), nil, "help", c.name); code != ExitOK || !strings.Contains(e.stdout.String(), "Usage: bulkassign "+c.name) {
			t.Errorf("help %s: exit %d\n%s", c.name, code, e.all())
		}
	}
	if code := e.run(t.Context(), nil, "help"); code != ExitOK {
		t.Fatalf("help: exit %d", code)
	}
	contains(t, "help", e.stdout.String(), "Commands:", "plan ", "run ", "skus ", "report ", "login ", "fake-server ",
		"completion ", "version ", "bulkassign help COMMAND")
	// No command at all is a usage error; the usage goes to standard error then.
	if code := e.run(t.Context(), nil); code != ExitUsage || !strings.Contains(e.stderr.String(), "Commands:") {
		t.Fatalf("no command: exit %d\n%s", code, e.all())
	}
}

func TestHelpIsPrintedOnce(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"help", "run"}, {"plan", "--help"}} {
		e.run(t.Context(), nil, args...)
		if n := strings.Count(e.stdout.String(), "Usage: bulkassign "); n != 1 {
			t.Errorf("%v: the help is printed %d times", args, n)
		}
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if code := e.run(t.Context(), nil, args...); code != ExitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		lines := strings.Split(strings.TrimSpace(e.stdout.String()), "\n")
		if len(lines) != 3 || lines[0] != "bulkassign "+client.Version || !strings.HasPrefix(lines[1], "commit ") || lines[2] != runtime.Version() {
			t.Fatalf("%v: %q", args, lines)
		}
	}
}

// flagNames returns the flags of a command as a user types them, from the flag set the
// command makes.
func flagNames(t *testing.T, name string) []string {
	t.Helper()
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
	_ = m.Run(t.Context(), []string{name, "--help"})
	if m.flagSet == nil {
		t.Fatalf("%s made no flag set", name)
	}
	var out []string
	m.flagSet.VisitAll(func(f *flag.Flag) { out = append(out, f.Name) })
	return out
}

func TestCompletionNamesEveryCommandsFlags(t *testing.T) {
	e := newEnv(t)
	scripts := map[string]string{}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if code := e.run(t.Context(), nil, "completion", shell); code != ExitOK {
			t.Fatalf("completion %s: exit %d\n%s", shell, code, e.all())
		}
		scripts[shell] = e.stdout.String()
	}
	contains(t, "zsh", scripts["zsh"], "#compdef bulkassign", "complete -F _bulkassign bulkassign")
	contains(t, "bash", scripts["bash"], "complete -F _bulkassign bulkassign")
	flags := 0
	for _, c := range commands() {
		if c.name == "completion" || c.name == "version" {
			continue
		}
		bash := map[string]bool{}
		for _, l := range strings.Split(scripts["bash"], "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), c.name+`) flags="`); ok {
				list, _, _ := strings.Cut(rest, `"`)
				for _, f := range strings.Fields(list) {
					bash[f] = true
				}
			}
		}
		for _, f := range flagNames(t, c.name) {
			flags++
			spelt, fish := "--"+f, "-l "+f
			if len(f) == 1 {
				spelt, fish = "-"+f, "-s "+f
			}
			if !bash[spelt] {
				t.Errorf("bash: %s lacks %s", c.name, spelt)
			}
			if !strings.Contains(scripts["fish"], "__fish_seen_subcommand_from "+c.name+"' "+fish+"\n") {
				t.Errorf("fish: %s lacks %s", c.name, spelt)
			}
		}
	}
	if flags < 80 {
		t.Fatalf("only %d flags in all: the test covers too little", flags)
	}
	if code := e.run(t.Context(), nil, "completion", "powershell"); code != ExitUsage {
		t.Fatalf("an unknown shell: exit %d", code)
	}
	if code := e.run(t.Context(), nil, "completion"); code != ExitUsage {
		t.Fatalf("no shell: exit %d", code)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		says string
	}{
		{[]string{}, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"plan"}, "--input is required"},
		{[]string{"plan", "--input", "x.csv", "--shortfall", "maybe"}, "--shortfall"},
		{[]string{"plan", "--input", "x.csv", "--customer", "not-a-guid"}, "--customer"},
		{[]string{"plan", "--input", "x.csv", "-o", "yaml"}, "-o"},
		{[]string{"plan", "--input", "x.csv", "--nope"}, "--nope"},
		{[]string{"plan", "--input", "x.csv", "--log-format", "xml"}, "--log-format"},
		{[]string{"plan", "--input", "x.csv", "--log-level", "loud"}, "--log-level"},
		{[]string{"plan", "--input", "x.csv", "--read-concurrency", "0"}, "--read-concurrency"},
		{[]string{"plan", "--input", "x.csv", "--read-rate", "-1"}, "--read-rate"},
		{[]string{"plan", "--input", "x.csv", "--catalogue", "c.json"}, "--catalogue goes with --simulate"},
		{[]string{"plan", "--input", "x.csv", "--api", "soap"}, "--api"},
		{[]string{"plan", "--input", "x.csv", "--check-users", "false"}, "write --check-users=false"},
		{[]string{"plan", "--input", "x.csv", "--read-users", "true"}, "write --read-users=true"},
		{[]string{"run", "--input", "x.csv"}, "--output is required"},
		{[]string{"run", "--input", "x.csv", "--output", "y.csv", "--concurrency", "0"}, "--concurrency"},
		{[]string{"run", "--input", "x.csv", "--output", "y.csv", "--burst", "0"}, "--burst"},
		{[]string{"run", "--input", "x.csv", "--output", "y.csv", "--drain-timeout", "0s"}, "--drain-timeout"},
		{[]string{"run", "--input", "x.csv", "--output", "y.csv", "stray"}, `unexpected argument "stray"`},
		{[]string{"run", "--input", "x.csv", "--output", "y.csv", "--resume", "false"}, "write --resume=false"},
		{[]string{"skus"}, "--customer is required"},
		{[]string{"report"}, "name the result CSV"},
		{[]string{"login"}, "--refresh-token-file is required"},
		{[]string{"fake-server", "--fail-rate", "2"}, "between 0 and 1"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			e := newEnv(t)
			if code := e.run(t.Context(), nil, c.args...); code != ExitUsage {
				t.Fatalf("exit %d, want 2: %s", code, e.all())
			}
			contains(t, "stderr", e.stderr.String(), c.says)
			if e.fake.Stats().Requests != 0 {
				t.Fatal("requests sent on a usage error")
			}
		})
	}
}

func TestFakeServerErrorsNameTheFlag(t *testing.T) {
	e := newEnv(t)
	if code := e.run(t.Context(), nil, "fake-server", "--fail-rate", "2"); code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	contains(t, "stderr", e.stderr.String(), "--fail-rate")
}

// An unknown flag that is a near miss of one the command has names it: plan writes its
// rows with --out, run with --output.
func TestUnknownFlagNamesTheNearOne(t *testing.T) {
	for _, c := range []struct{ args, want []string }{
		{[]string{"plan", "--simulate", "--input", "x.csv", "--output", "p.csv"}, []string{"--output", "did you mean --out?", "bulkassign help plan"}},
		{[]string{"run", "--simulate", "--input", "x.csv", "--out", "p.csv"}, []string{"--out", "did you mean --output?", "bulkassign help run"}},
	} {
		e := newEnv(t)
		if code := e.run(t.Context(), nil, c.args...); code != ExitUsage {
			t.Fatalf("%v: exit %d, want 2", c.args, code)
		}
		contains(t, "stderr", e.stderr.String(), c.want...)
	}
	e := newEnv(t)
	e.run(t.Context(), nil, "plan", "--simulate", "--zzz")
	if strings.Contains(e.stderr.String(), "did you mean") {
		t.Errorf("a flag like no other was given a near one: %s", e.stderr.String())
	}
}

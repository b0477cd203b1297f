package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// completion is `bulkassign completion bash|zsh|fish`: a script that completes the
// commands and each command's flags.
func (m *Main) completion(ctx context.Context, args []string) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(m.Stdout, "Usage: bulkassign completion bash|zsh|fish\n\nPrints a completion script, for example:\n  source <(bulkassign completion bash)\n  bulkassign completion fish > ~/.config/fish/completions/bulkassign.fish")
		return nil
	}
	if len(args) != 1 {
		return usageError("name the shell: bulkassign completion bash|zsh|fish")
	}
	cmds := map[string][]string{}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
		cmds[c.name] = m.flagsOf(ctx, c)
	}
	switch args[0] {
	case "bash":
		writeBash(m.Stdout, names, cmds)
	case "zsh":
		fmt.Fprintln(m.Stdout, "#compdef bulkassign\nautoload -U +X bashcompinit && bashcompinit")
		writeBash(m.Stdout, names, cmds)
	case "fish":
		writeFish(m.Stdout, names, cmds)
	default:
		return usageError("completion %q: must be bash, zsh or fish", args[0])
	}
	return nil
}

// flagsOf returns the flags of a command, as --name, from the flag set it makes.
func (m *Main) flagsOf(ctx context.Context, c command) []string {
	probe := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: m.Getenv}
	if c.name == "completion" || c.name == "version" {
		return nil
	}
	_ = c.run(probe, ctx, []string{"--help"})
	if probe.flagSet == nil {
		return nil
	}
	var out []string
	probe.flagSet.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			out = append(out, "-"+f.Name)
		} else {
			out = append(out, "--"+f.Name)
		}
	})
	slices.Sort(out)
	return out
}

func writeBash(w io.Writer, names []string, cmds map[string][]string) {
	fmt.Fprintf(w, `_bulkassign() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "%s help" -- "$cur")); return
  fi
  local flags=""
  case ${COMP_WORDS[1]} in
`, strings.Join(names, " "))
	for _, n := range names {
		if len(cmds[n]) > 0 {
			fmt.Fprintf(w, "    %s) flags=%q ;;\n", n, strings.Join(cmds[n], " "))
		}
	}
	fmt.Fprint(w, `  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _bulkassign bulkassign
`)
}

func writeFish(w io.Writer, names []string, cmds map[string][]string) {
	fmt.Fprintf(w, "complete -c bulkassign -f -n __fish_use_subcommand -a %q\n", strings.Join(append(names, "help"), " "))
	for _, n := range names {
		for _, f := range cmds[n] {
			if strings.HasPrefix(f, "--") {
				fmt.Fprintf(w, "complete -c bulkassign -n '__fish_seen_subcommand_from %s' -l %s\n", n, strings.TrimPrefix(f, "--"))
			} else {
				fmt.Fprintf(w, "complete -c bulkassign -n '__fish_seen_subcommand_from %s' -s %s\n", n, strings.TrimPrefix(f, "-"))
			}
		}
	}
}

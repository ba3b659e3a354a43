package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// commandFlags are the flags of each command besides -c and --help, for
// completion (TestCompletionFlagsExist checks each command accepts them).
var commandFlags = map[string][]string{
	"fetch":   {"--all"},
	"sources": {"--tag"},
	"render":  {"--out"},
}

// commandWords are the fixed words after a command.
var commandWords = map[string][]string{
	"sources":    {"list", "add", "remove"},
	"store":      {"copy"},
	"completion": {"bash", "zsh"},
}

// cmdCompletion prints a completion script for bash or zsh:
//
//	source <(feedmill completion bash)      # ~/.bashrc
//	source <(feedmill completion zsh)       # ~/.zshrc
func cmdCompletion(_ context.Context, env *cmdEnv, args []string) error {
	pos, err := parseInterspersed(env.flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want bash or zsh")
	}
	switch pos[0] {
	case "bash":
		fmt.Fprint(env.stdout, bashCompletion())
	case "zsh":
		// zsh runs bash completion scripts through bashcompinit.
		fmt.Fprint(env.stdout, "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion())
	default:
		return usagef("unknown shell %q: want bash or zsh", pos[0])
	}
	return nil
}

// bashCompletion completes command names, each command's flags and fixed
// words, and file names elsewhere (config files, OPML files, folders).
func bashCompletion() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	var b strings.Builder
	b.WriteString("# bash completion for feedmill (feedmill completion bash)\n")
	b.WriteString("_feedmill() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
	fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(names, " "))
	b.WriteString("  case \"$prev\" in -c|--out) COMPREPLY=($(compgen -f -- \"$cur\")); return;; esac\n")
	b.WriteString("  local words=\"-c --help\"\n")
	b.WriteString("  case \"${COMP_WORDS[1]}\" in\n")
	cmds := map[string]bool{}
	for k := range commandFlags {
		cmds[k] = true
	}
	for k := range commandWords {
		cmds[k] = true
	}
	var keys []string
	for k := range cmds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := append(append([]string{}, commandFlags[k]...), commandWords[k]...)
		fmt.Fprintf(&b, "    %s) words=\"$words %s\";;\n", k, strings.Join(w, " "))
	}
	b.WriteString("  esac\n")
	b.WriteString("  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\") $(compgen -f -- \"$cur\"))\n")
	b.WriteString("}\ncomplete -o filenames -F _feedmill feedmill\n")
	return b.String()
}

// Command feedmill fetches news feeds into one bbolt store, removes
// duplicates, and republishes curated channels as RSS, Atom and JSON Feed.
// See README.md and DESIGN.md for the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=...".
var version = "dev"

// Exit codes (DESIGN.md): 0 success; 2 bad usage or config; 3 (fetch) one or
// more sources failed; 1 anything else.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitSourcesF = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand of the command line.
type command struct {
	name    string
	usage   string // after "feedmill NAME"
	summary string
	run     func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what every command gets: its flags, output streams and the
// config file flag shared by all.
type cmdEnv struct {
	flags      *flag.FlagSet
	configFlag *string
	stdout     io.Writer
	stderr     io.Writer
}

func commands() []command {
	return []command{
		{"serve", "[-c FILE]", "run the daemon: scheduled fetching and the HTTP server", cmdServe},
		{"fetch", "[-c FILE] [--all] [URL...]", "one pass over due sources (all with --all), then exit", cmdFetch},
		{"sources", "[-c FILE] list | add URL [--tag T]... | remove URL", "list, add or remove sources in the store", cmdSources},
		{"import", "[-c FILE] FILE.opml", "add the OPML's feeds as sources (outline categories become tags)", cmdImport},
		{"export", "[-c FILE]", "OPML of all sources on stdout", cmdExport},
		{"render", "[-c FILE] --out DIR", "write every channel in every format as static files", cmdRender},
		{"backup", "[-c FILE] FILE", "write a consistent copy of the store, safe while serve runs", cmdBackup},
		{"explain", "[-c FILE] CHANNEL [LINK|ID]", "why an item was kept, changed, dropped or collapsed", cmdExplain},
		{"store", "copy FROM TO", "copy a store (bbolt file or postgres:// URL) into an empty one, keeping every id", cmdStore},
		{"check", "[-c FILE]", "validate the config, print what it would do, exit", cmdCheck},
		{"completion", "bash|zsh", "print a shell completion script (source it from your shell's rc file)", cmdCompletion},
		{"version", "", "print the version", cmdVersion},
	}
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// errSourcesFailed makes fetch exit with code 3.
var errSourcesFailed = errors.New("one or more sources failed")

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("feedmill "+c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		env := &cmdEnv{flags: fs, stdout: stdout, stderr: stderr}
		env.configFlag = fs.String("c", "", "config file (default $FEEDMILL_CONFIG, else ./feedmill.yaml)")
		fs.Usage = func() {
			fmt.Fprintf(stderr, "usage: feedmill %s %s\n\n%s\n", c.name, c.usage, c.summary)
			if hasFlags(fs) {
				fmt.Fprintln(stderr, "\nflags:")
				fs.PrintDefaults()
			}
		}
		err := c.run(ctx, env, args[1:])
		return exitCode(stderr, c.name, err)
	}
	fmt.Fprintf(stderr, "feedmill: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return exitUsage
}

func exitCode(stderr io.Writer, name string, err error) int {
	var ue *usageError
	var ce *configError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "feedmill %s: %v (see feedmill %s --help)\n", name, err, name)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "feedmill %s: %v\n", name, err)
		return exitUsage
	case errors.Is(err, errSourcesFailed):
		return exitSourcesF
	}
	fmt.Fprintf(stderr, "feedmill %s: %v\n", name, err)
	return exitFailure
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "feedmill: fetch news feeds, remove duplicates, republish clean channels")
	fmt.Fprintln(w, "\nusage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  feedmill %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'feedmill COMMAND --help' for a command's flags.")
}

// parseInterspersed parses flags that may stand before, between or after
// the positional arguments ("fetch URL --all"), which flag.Parse alone
// does not allow. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// loadEnvConfig parses the flags and loads the config they name.
func (env *cmdEnv) load(args []string) (*Config, []string, error) {
	pos, err := parseInterspersed(env.flags, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, err
		}
		return nil, nil, usagef("%v", err)
	}
	cfg, err := loadConfig(configPath(*env.configFlag))
	if err != nil {
		return nil, nil, err
	}
	return cfg, pos, nil
}

func cmdVersion(_ context.Context, env *cmdEnv, args []string) error {
	if _, err := parseInterspersed(env.flags, args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "feedmill", version)
	return nil
}

// stringList is a repeatable string flag (--tag a --tag b).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

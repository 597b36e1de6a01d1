package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/logging"
)

// command is a subcommand, or a group of them (user, roster).
type command struct {
	name    string // as typed: "user", "add"
	summary string // one line for `parley help`
	run     func(e *env, args []string) error
	subs    []*command
}

// commands lists the top-level commands in the order `parley help` shows.
func commands() []*command {
	return []*command{serveCmd, userCmd, rosterCmd, migrateCmd, checkCmd, versionCmd, helpCommand()}
}

// env is what a command runs with: the streams, and the options common to
// every command.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	path     string // command path for messages: "user add"
	config   string // --config, PARLEY_CONFIG by default
	logLevel string // --log-level, "" = from config (serve) or warn
}

// errHelp reports that usage was printed on request (-h): exit status 0.
var errHelp = errors.New("help shown")

// usageError is a command line mistake: exit status 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run is the whole program: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, config: os.Getenv("PARLEY_CONFIG")}
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.commonFlags(fs)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "parley: %v\nRun 'parley help' for usage.\n", err)
		return 2
	case fs.NArg() == 0:
		printHelp(stderr)
		return 2
	}
	err = dispatch(e, commands(), "", fs.Args())
	return exitStatus(e, err)
}

func exitStatus(e *env, err error) int {
	var ue *usageError
	switch {
	case err == nil || errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "parley %s: %s\nRun 'parley %s -h' for usage.\n", e.path, ue.msg, e.path)
		return 2
	default:
		msg := oneLine(err)
		if e.path != "" {
			msg = e.path + ": " + msg
		}
		fmt.Fprintf(e.stderr, "parley %s\n", msg)
		return 1
	}
}

// oneLine flattens a multi-line error (pgx reports every connection
// attempt on its own line) into one line without repeated parts.
// Configuration errors stay one per line: each names its own file and line.
func oneLine(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return err.Error()
	}
	var parts []string
	for _, p := range strings.Split(err.Error(), "\n") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

// dispatch finds the command named by args[0] in cmds and runs it.
func dispatch(e *env, cmds []*command, parent string, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		switch {
		case parent == "":
			printHelp(e.stdout)
		case len(args) == 0:
			printGroupHelp(e.stderr, parent, cmds)
			e.path = parent
			return usagef("missing subcommand")
		default:
			printGroupHelp(e.stdout, parent, cmds)
		}
		return errHelp
	}
	name := strings.TrimSpace(parent + " " + args[0])
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		if c.subs != nil {
			return dispatch(e, c.subs, name, args[1:])
		}
		e.path = name
		return c.run(e, args[1:])
	}
	e.path = strings.TrimSpace(parent)
	if parent == "" {
		return usagef("unknown command %q", args[0])
	}
	return usagef("unknown subcommand %q", args[0])
}

// commonFlags adds --config and --log-level to fs.
func (e *env) commonFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.config, "config", e.config, "configuration `file` (default: $PARLEY_CONFIG, else built-in defaults)")
	fs.StringVar(&e.logLevel, "log-level", e.logLevel, "log `level`: trace, debug, info, warn or error")
}

// flags returns the flag set of the current command. usage is the
// argument syntax ("JID CONTACT"); about is shown under it by -h.
func (e *env) flags(usage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("parley "+e.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.commonFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: parley %s [flags] %s\n\n%s\n\nFlags:\n", e.path, usage, about)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags anywhere among the arguments and checks the number of
// positional arguments is within [min, max] (max < 0: no limit).
func (e *env) parse(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) { // fs has shown its usage
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if e.logLevel != "" {
		if _, err := logging.ParseLevel(e.logLevel); err != nil {
			return nil, usagef("--log-level: %v", err)
		}
	}
	switch {
	case len(pos) < min:
		return nil, usagef("expected %d argument(s), got %d", min, len(pos))
	case max >= 0 && len(pos) > max:
		return nil, usagef("unexpected argument %q", pos[max])
	}
	return pos, nil
}

// loadConfig loads --config, or the built-in defaults without one.
func (e *env) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(e.config)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// logger returns the logger for the command: level from --log-level, else
// fallback.
func (e *env) logger(fallback string) (zerolog.Logger, error) {
	level := e.logLevel
	if level == "" {
		level = fallback
	}
	log, err := logging.New(e.stderr, level)
	if err != nil {
		return log, usagef("--log-level: %v", err)
	}
	return log, nil
}

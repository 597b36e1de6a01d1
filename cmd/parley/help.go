package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

func helpCommand() *command {
	return &command{
		name:    "help",
		summary: "show help for parley or one command: parley help user add",
		run:     runHelp,
	}
}

func runHelp(e *env, args []string) error {
	if len(args) == 0 {
		printHelp(e.stdout)
		return nil
	}
	return dispatch(e, commands(), "", append(args, "-h"))
}

// printHelp writes the overview of every command.
func printHelp(w io.Writer) {
	fmt.Fprint(w, `Parley is an XMPP server with native BOSH.

Usage: parley [--config FILE] [--log-level LEVEL] COMMAND [flags] [arguments]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		if c.subs == nil {
			fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
			continue
		}
		for _, s := range c.subs {
			fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, s.name, s.summary)
		}
	}
	tw.Flush()
	fmt.Fprint(w, `
Every command accepts --config FILE (default: $PARLEY_CONFIG, else the
built-in defaults) and --log-level. Run 'parley COMMAND -h' for its flags.
`)
}

// printGroupHelp writes the subcommands of a group such as "user".
func printGroupHelp(w io.Writer, group string, cmds []*command) {
	fmt.Fprintf(w, "Usage: parley %s SUBCOMMAND [flags] [arguments]\n\nSubcommands:\n", group)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s %s\t%s\n", group, c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun 'parley %s SUBCOMMAND -h' for its flags.\n", group)
}

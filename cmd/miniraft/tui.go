package main

import (
	"fmt"

	"github.com/spf13/pflag"
)

// cmdTUI is replaced by the TUI's command when the tui package lands.
var cmdTUI = &command{
	name:    "tui",
	args:    "[SCENARIO]",
	summary: "watch a cluster live in the terminal, and break it by hand",
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		return func(e *env, args []string) int {
			fmt.Fprintln(e.stderr, "miniraft tui: the terminal UI is not built yet; use miniraft run")
			return exitUsage
		}
	},
}

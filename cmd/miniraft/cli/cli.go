// Package cli is the miniraft command: its command table, flags and subcommands. The
// binary's main (cmd/miniraft) is one call to Run; a binary built around a user's own Raft
// (see --raft) makes the same call, so both behave alike.
//
//	miniraft                      the TUI on the built-in demo scenario
//	miniraft tui [SCENARIO]       the TUI on a scenario
//	miniraft run SCENARIO...      run scenarios, check Raft's safety and liveness, report
//	miniraft fuzz                 random fault schedules; failures shrunk to small files
//	miniraft replay TRACE         play a recorded run back in the TUI
//	miniraft report TRACE         write the HTML report of a recorded run
//	miniraft scenarios            list the built-in scenarios
//	miniraft version              print the version
//
// Exit codes: 0 pass, 1 a violation or failed expectation, 2 bad usage or bad input,
// 130 a run interrupted before its end (Ctrl-C, or quitting the TUI).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos/course/foreign"
	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/labgob"
)

// Run runs the miniraft command line args (without the program name), writing to stdout
// and stderr, and returns the process's exit code. It is the whole of main, for
// MiniRaft's binary and for a binary built around a user's Raft alike:
//
//   - in a worker process of a live fuzz campaign (which runs this program again), it
//     serves the campaign's jobs and exits (fuzz.Serve);
//   - given --raft DIR that this binary does not carry, it builds the binary that does
//     and runs it in this process's place (foreign.Handoff).
func Run(args []string, stdout, stderr io.Writer) int {
	fuzz.Serve()
	labgob.SetOutput(stderr) // the course's labgob prints to stdout, which --json - and the TUI own
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code, handled := foreign.Handoff(ctx, args, stderr)
	stop()
	if handled {
		return code
	}
	return run(args, stdout, stderr)
}

// Exit codes.
const (
	exitPass  = 0
	exitFail  = 1
	exitUsage = 2
	// exitInterrupted: the run was stopped before its timeline was over (a signal, or
	// q in the TUI) with nothing wrong found so far: neither a pass nor a failure. 130 is
	// what a shell reports for a process ended by SIGINT.
	exitInterrupted = 130
)

// exitCode returns the exit code of a run's verdict.
func exitCode(res *runner.Result) int {
	switch res.Verdict() {
	case "PASS":
		return exitPass
	case "INTERRUPTED":
		return exitInterrupted
	}
	return exitFail
}

// command is one subcommand: its flags are defined by flags, and main runs it with the
// arguments left after them.
type command struct {
	name    string
	args    string // the arguments after the flags, for usage
	summary string
	long    string // more help, with an example
	flags   func(fs *pflag.FlagSet) func(env *env, args []string) int
}

// env is what a command runs with.
type env struct {
	stdout, stderr io.Writer
	// stdin is the terminal, for the TUI; nil in tests.
	isTerminal func(w io.Writer) bool
	// getenv reads the environment (os.Getenv; tests give their own).
	getenv func(string) string
}

// commands is the command table: it drives dispatch and help.
var commands []*command

func init() {
	commands = []*command{cmdTUI, cmdRun, cmdFuzz, cmdReplay, cmdReport, cmdScenarios, cmdVersion}
	sort.SliceStable(commands, func(i, j int) bool { return order(commands[i].name) < order(commands[j].name) })
}

// order keeps the commands in the order a newcomer meets them.
func order(name string) int {
	for i, n := range []string{"tui", "run", "fuzz", "replay", "report", "scenarios", "version"} {
		if n == name {
			return i
		}
	}
	return 100
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run runs miniraft with args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, isTerminal: isTerminal, getenv: os.Getenv}
	if len(args) == 0 {
		return runCommand(e, cmdTUI, nil)
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			if c := lookup(args[1]); c != nil {
				return runCommand(e, c, []string{"--help"})
			}
			fmt.Fprintf(stderr, "miniraft help: no command %q%s\n%s", args[1], suggestCommand(args[1]), seeHelp(""))
			return exitUsage
		}
		usage(stdout)
		return exitPass
	case "-v", "--version":
		return runCommand(e, cmdVersion, nil)
	}
	if strings.HasPrefix(args[0], "-") {
		// Flags with no command are the TUI's: miniraft --peers 7.
		return runCommand(e, cmdTUI, args)
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "miniraft: unknown command %q%s\n%s", args[0], suggestCommand(args[0]), seeHelp(""))
		return exitUsage
	}
	return runCommand(e, c, args[1:])
}

func runCommand(e *env, c *command, args []string) int {
	fs := pflag.NewFlagSet("miniraft "+c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	body := c.flags(fs)
	// pflag would print errors and usage itself; we print them once, where they belong.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandUsage(e.stdout, c, fs)
			return exitPass
		}
		// As the go command does: the error, and where to read more; not the whole usage,
		// which would bury the one line that matters.
		fmt.Fprintf(e.stderr, "miniraft %s: %v\n%s", c.name, err, seeHelp(c.name))
		return exitUsage
	}
	return body(e, fs.Args())
}

// seeHelp is the line that follows a usage error: where the command's help is.
func seeHelp(command string) string {
	if command == "" {
		return "Run \"miniraft --help\" for the commands.\n"
	}
	return fmt.Sprintf("Run \"miniraft %s --help\" for usage.\n", command)
}

func commandUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "usage: miniraft %s [flags] %s\n\n%s\n", c.name, c.args, c.summary)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nflags:\n%s", fs.FlagUsages())
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `miniraft: watch Raft work, and break it on purpose.

usage: miniraft [command] [flags] [arguments]

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
With no command, miniraft opens the TUI on the built-in demo scenario.

examples:
  miniraft                               watch a 5-peer cluster survive the demo scenario
  miniraft run leader-crash              run a built-in scenario, check safety and liveness
  miniraft run --engine live --seed 7 my.chaos --trace my.jsonl
  miniraft scenarios                     list the built-in scenarios

"miniraft help COMMAND" (or "miniraft COMMAND --help") explains a command.
Exit codes: 0 pass, 1 a violation or failed expectation, 2 bad usage or bad input,
130 a run interrupted before its end (Ctrl-C, or quitting the TUI).
`)
}

func suggestCommand(word string) string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	if best := scenario.Suggest(word, names); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

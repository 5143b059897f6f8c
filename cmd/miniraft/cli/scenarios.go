package cli

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/internal/bugs"
	"github.com/miniraft/miniraft/scripts"
)

var cmdScenarios = &command{
	name:    "scenarios",
	summary: "list the built-in scenarios",
	long: `Lists the scenarios built into miniraft with their one-line descriptions. Run one
with "miniraft run NAME", watch one with "miniraft tui NAME", or print its text with
"miniraft scenarios --show NAME" to start a scenario of your own from it.`,
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		show := fs.String("show", "", "print the text of the named scenario")
		return func(e *env, args []string) int {
			if len(args) > 0 {
				fmt.Fprintf(e.stderr, "miniraft scenarios: unexpected argument %q (to see one, use --show %s)\n", args[0], args[0])
				return exitUsage
			}
			if *show != "" {
				src, err := scripts.Read(*show)
				if err != nil {
					fmt.Fprintf(e.stderr, "miniraft scenarios: no built-in scenario %q%s\n", *show, suggestScenario(*show))
					return exitUsage
				}
				e.stdout.Write(src)
				return exitPass
			}
			for _, s := range scripts.List() {
				fmt.Fprintf(e.stdout, "  %-28s %s\n", s.Name, s.Summary)
			}
			return exitPass
		}
	},
}

var cmdVersion = &command{
	name:    "version",
	summary: "print miniraft's version: the module version, VCS revision and Go version",
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		return func(e *env, args []string) int {
			if len(args) > 0 {
				fmt.Fprintf(e.stderr, "miniraft version: unexpected argument %q\n%s", args[0], seeHelp("version"))
				return exitUsage
			}
			fmt.Fprintln(e.stdout, versionLine(chaos.CurrentBuild()))
			return exitPass
		}
	},
}

// versionLine is what miniraft version prints for build b: "miniraft v1.2.0 (revision
// 3f2a..., 2026-01-02T03:04:05Z; go1.26.8 linux/amd64)".
func versionLine(b chaos.Build) string {
	s := "miniraft " + b.String()
	s = strings.TrimSuffix(s, ")") + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	if bugs.Available {
		s += ", with the deliberate bugs (-tags bugs): " + strings.Join(bugs.Known, ", ")
	}
	return s
}

// version returns the module version the binary was built from, or "devel".
func version() string {
	v := chaos.CurrentBuild().Version
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}

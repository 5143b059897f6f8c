package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"

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
	summary: "print miniraft's version",
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		return func(e *env, args []string) int {
			fmt.Fprintf(e.stdout, "miniraft %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitPass
		}
	},
}

// version returns the module version the binary was built from, or "devel".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "devel"
	}
	return bi.Main.Version
}

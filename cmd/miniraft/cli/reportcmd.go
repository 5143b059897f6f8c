package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos/report"
)

var cmdReport = &command{
	name:    "report",
	args:    "TRACE",
	summary: "write the HTML report of a recorded run",
	long: `Writes the report of a trace (written by "miniraft run --trace", "miniraft tui
--trace", "miniraft fuzz" or the engines' own traces) as one self-contained HTML
page: the page "miniraft run --report" writes, from the recording alone. By
default the page goes beside the trace (run.jsonl gives run.html).

Exit code 0, or 2 on bad usage or a file that is not a trace.

examples:
  miniraft report run.jsonl
  miniraft report fuzz-failures/durability-seed17.min.jsonl -o durability.html
  miniraft report --report-window 2s-4.5s run.jsonl -o run.html`,
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		o := &reportOptions{}
		fs.StringVarP(&o.out, "output", "o", "", "write the page to this file (default: the trace's name with .html)")
		fs.StringVar(&o.window, "report-window", "", "the span of the message diagram, as in 2s-4.5s (default: around the first violation, else the last 2s)")
		fs.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
		return func(e *env, args []string) int { return runReport(e, o, args) }
	},
}

type reportOptions struct {
	out, window string
	quiet       bool
}

func runReport(e *env, o *reportOptions, args []string) int {
	usage := func(format string, a ...interface{}) int {
		fmt.Fprintf(e.stderr, "miniraft report: "+format+"\n", a...)
		return exitUsage
	}
	if len(args) != 1 {
		return usage("name one trace file (got %d arguments)", len(args))
	}
	path := args[0]
	var window report.Window
	if o.window != "" {
		var err error
		if window, err = report.ParseWindow(o.window); err != nil {
			return usage("--report-window: %v", err)
		}
	}
	out := o.out
	if out == "" {
		out = strings.TrimSuffix(path, ".jsonl") + ".html"
		if out == path {
			out = path + ".html"
		}
	}
	in, err := os.Open(path)
	if err != nil {
		return usage("%v", err)
	}
	d, err := report.FromTrace(in)
	in.Close()
	if err != nil {
		return usage("%s: %v", path, err)
	}
	var end float64
	if n := len(d.Events); n > 0 {
		end = d.Events[n-1].At.Seconds()
	}
	if !window.IsZero() && window.From.Seconds() >= end {
		fmt.Fprintf(e.stderr, "miniraft report: warning: --report-window %s: the run ended at %.1fs, before the window: the report shows no messages\n", o.window, end)
	}
	d.Window = window
	files, err := create([]flagPath{{"-o", out}})
	if err != nil {
		return usage("%v", err)
	}
	f := files[0]
	if err := report.Write(f.f, d); err != nil {
		f.finish()        //nolint:errcheck // the write failed already
		os.Remove(f.path) //nolint:errcheck // a half page is no page
		return usage("%v", err)
	}
	if err := f.finish(); err != nil {
		fmt.Fprintf(e.stderr, "miniraft report: %v\n", err)
		return exitFail
	}
	if !o.quiet {
		fmt.Fprintf(e.stdout, "report: %s\n", out)
	}
	return exitPass
}

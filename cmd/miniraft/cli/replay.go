package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/replay"
	"github.com/miniraft/miniraft/raft"
	"github.com/miniraft/miniraft/tui"
)

var cmdReplay = &command{
	name:    "replay",
	args:    "TRACE",
	summary: "play a recorded run back in the TUI: pause, step, seek",
	long: `Opens a trace (written by "miniraft run --trace", "miniraft tui --trace" or
"miniraft fuzz") in the TUI, with the views of a live run: every peer's role,
term, log and commit index, the network, the events and the timeline, as they
were at each moment of the recording. Nothing is run again: what you see is what
was recorded.

keys: space plays or pauses; → and ← step one event forward or back; g goes to a
time (12.5s, or +2s from now); ] and [ go to the next and previous fault, new
leader or violation, v and V to the next and previous violation; + and - change
the speed (1/8x to 1024x); / searches the events; ? lists every key; q quits.

With --print, no TUI: the state at --at (or at the first violation, with
--violation; else at the end) is printed as text.

Exit code 0, or 2 on bad usage or a file that is not a trace.

examples:
  miniraft replay run.jsonl
  miniraft replay --violation fuzz-failures/durability-seed17.min.jsonl
  miniraft replay --print --at 3.5s run.jsonl`,
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		o := &replayOptions{}
		fs.Float64Var(&o.speed, "speed", 1, "recorded seconds per real second")
		fs.DurationVar(&o.at, "at", 0, "start at this time of the recording, paused")
		fs.BoolVar(&o.violation, "violation", false, "start at the first violation, paused")
		fs.BoolVar(&o.paused, "paused", false, "start paused")
		fs.BoolVar(&o.print, "print", false, "print the state as text instead of opening the TUI")
		return func(e *env, args []string) int {
			o.atSet = fs.Changed("at")
			return runReplay(e, o, args)
		}
	},
}

type replayOptions struct {
	speed            float64
	at               time.Duration
	atSet, violation bool
	paused, print    bool
}

func runReplay(e *env, o *replayOptions, args []string) int {
	usage := func(format string, a ...interface{}) int {
		fmt.Fprintf(e.stderr, "miniraft replay: "+format+"\n", a...)
		return exitUsage
	}
	if len(args) != 1 {
		return usage("name one trace file (got %d arguments)", len(args))
	}
	if !(o.speed > 0 && o.speed <= 10000) {
		return usage("--speed %g: want more than 0, up to 10000", o.speed)
	}
	if o.at < 0 {
		return usage("--at %v: want a time of the recording", o.at)
	}
	if o.atSet && o.violation {
		return usage("--at and --violation both say where to start: give one")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return usage("%v", err)
	}
	p, err := replay.Open(f)
	f.Close()
	if err != nil {
		return usage("%s: %v", args[0], err)
	}
	p.SetSpeed(o.speed) //nolint:errcheck // checked above
	switch {
	case o.atSet:
		p.Seek(o.at)
	case o.violation:
		if _, err := p.SeekViolation(); err != nil {
			return usage("--violation: %s: %v", args[0], err)
		}
	case o.print:
		p.SeekEvent(p.Len())
	case !o.paused:
		p.Play()
	}
	if o.print {
		printReplay(e.stdout, p)
		return exitPass
	}

	screen, err := newScreen()
	if err != nil {
		return usage("%v", err)
	}
	if screen == nil && !e.isTerminal(e.stdout) {
		return usage("needs a terminal (to see the state as text, use --print)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	app := tui.New(replay.Source{P: p}, tui.Options{Screen: screen})
	if err := runApp(ctx, app); err != nil {
		fmt.Fprintf(e.stderr, "miniraft replay: %v\n", err)
		return exitFail
	}
	return exitPass
}

// printReplay writes the replay's state as text: the run, the first violation if it
// has happened, the peers and the network.
func printReplay(w io.Writer, p *replay.Player) {
	v := p.View()
	h := p.Header()
	n, _ := p.Pos()
	fmt.Fprintf(w, "%s (engine %s, seed %d, %d peers) at %.3fs: event %d of %d, the recording ends at %.3fs\n",
		h.Name, h.Engine, h.Seed, h.Peers, v.Run.Now.Seconds(), n, p.Len(), p.End().Seconds())
	if c := v.Run.Current; c >= 0 && c < len(v.Run.Steps) {
		fmt.Fprintf(w, "step %d of %d (%s): %s\n", c+1, len(v.Run.Steps), v.Run.Steps[c].Status, v.Run.Steps[c].Text)
	}
	if f := v.Run.Failure; f != nil {
		fmt.Fprintf(w, "first failure at %.3fs: %s\n", f.At.Seconds(), f)
	}
	fmt.Fprintf(w, "elections %d, faults %d, commits %d, lost %d, RPCs %d\n\n",
		v.Run.Checks.Elections, v.Run.Faults, v.Run.Workload.Committed, v.Run.Workload.Lost, v.Stats.RPCs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tSTATE\tROLE\tTERM\tVOTED\tLEADER\tLOG\tCOMMIT\tAPPLIED\tSNAPSHOT\tTERMS")
	id := func(x int) string {
		if x == raft.None {
			return "-"
		}
		return fmt.Sprint(x)
	}
	for _, ps := range v.Peers {
		var runs []string
		for _, r := range ps.Terms {
			runs = append(runs, fmt.Sprintf("%d:t%d", r.Index, r.Term))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%d..%d\t%d\t%d\t%d (t%d)\t%s\n", ps.ID, ps.State, ps.Role, ps.Term,
			id(ps.VotedFor), id(ps.Leader), ps.FirstIndex, ps.LastIndex, ps.CommitIndex, ps.LastApplied,
			ps.SnapshotIndex, ps.SnapshotTerm, strings.Join(runs, " "))
	}
	tw.Flush()
	groups := "connected"
	if !allZero(v.Net.Groups) {
		groups = fmt.Sprintf("groups %v", v.Net.Groups)
	}
	fmt.Fprintf(w, "\nnetwork: %s", groups)
	var cuts []string
	for a := range v.Net.Cut {
		for b, cut := range v.Net.Cut[a] {
			if cut {
				cuts = append(cuts, fmt.Sprintf("%d->%d", a, b))
			}
		}
	}
	if len(cuts) > 0 {
		fmt.Fprintf(w, "; cut: %s", strings.Join(cuts, " "))
	}
	if g := v.Net.Global; g != (chaos.LinkFaults{}) {
		fmt.Fprintf(w, "; every link: loss %g, delay %v-%v, reorder %g, duplicate %g", g.Loss, g.DelayMin, g.DelayMax, g.Reorder, g.Duplicate)
	}
	fmt.Fprintln(w)
}

func allZero(xs []int) bool {
	for _, x := range xs {
		if x != 0 {
			return false
		}
	}
	return true
}

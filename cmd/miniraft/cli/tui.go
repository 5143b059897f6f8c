package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/gdamore/tcell/v2"
	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/report"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/labgob"
	"github.com/miniraft/miniraft/scripts"
	"github.com/miniraft/miniraft/tui"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var cmdTUI = &command{
	name:    "tui",
	args:    "[SCENARIO]",
	summary: "watch a cluster live in the terminal, and break it by hand",
	long: `Starts a cluster, runs SCENARIO on it (a file, or the name of a built-in scenario;
by default the demo: a leader crash, a partition and an isolated leader, under a
gentle client workload) and shows every peer's role, term, log and commit index
as it happens. The cluster stays up after the scenario's last step, so you can
keep breaking it: select a peer with the arrow keys or its number, then c crashes
it, r restarts it, i isolates it, x partitions it; h heals the network; space
pauses everything; ":" takes any command of the scenario language; ? lists every
key; q quits.

With --engine sim (the default) the cluster runs in virtual time at --speed
seconds per real second (+ and - change it); --engine live runs raft.Raft peers
in real time.

example:
  miniraft                        the demo, 5 peers
  miniraft tui leader-isolation --peers 7 --speed 0.5
  miniraft tui --engine live --trace session.jsonl --report session.html`,
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		o := &tuiOptions{}
		o.over.addFlags(fs)
		fs.Int64Var(&o.seed, "seed", 0, "seed for every random choice (default: the scenario's, else random)")
		fs.Float64Var(&o.speed, "speed", 1, "sim engine: cluster seconds per real second (0: as fast as it goes)")
		o.eng.add(fs, "engine: sim (virtual time, deterministic) or live (real time, goroutines)")
		fs.StringVar(&o.trace, "trace", "", "write every event as JSON Lines to this file")
		fs.StringVar(&o.report, "report", "", "when the TUI quits, write a self-contained HTML report of the run to this file")
		return func(e *env, args []string) int {
			o.seedSet = fs.Changed("seed")
			o.speedSet = fs.Changed("speed")
			o.over.parsed(fs)
			return runTUI(e, o, args)
		}
	},
}

type tuiOptions struct {
	over              overrides
	seed              int64
	seedSet, speedSet bool
	speed             float64
	eng               engineFlags
	trace, report     string
}

// newScreen makes the screen the TUI draws on; tests replace it with a simulation.
var newScreen = func() (tcell.Screen, error) { return nil, nil }

func runTUI(e *env, o *tuiOptions, args []string) int {
	usage := func(format string, a ...interface{}) int {
		fmt.Fprintf(e.stderr, "miniraft tui: "+format+"\n", a...)
		return exitUsage
	}
	if len(args) > 1 {
		return usage("one scenario at a time (got %d); to run several, use miniraft run", len(args))
	}
	engine, impl, err := o.eng.resolve()
	if err == nil {
		err = refuseSettings(impl, &o.over)
	}
	if err != nil {
		return usage("%v", err)
	}
	if !(o.speed >= 0 && o.speed <= 1000) {
		return usage("--speed %g: want 0 (as fast as it goes) up to 1000", o.speed)
	}
	if engine == "live" && o.speedSet {
		return usage("--speed applies to the sim engine only; a live cluster runs in real time")
	}
	if err := o.over.check(); err != nil {
		return usage("%v", err)
	}
	name, demo := scripts.Default, true
	if len(args) == 1 {
		name, demo = args[0], false
	}
	sc, err := loadScenario(name)
	if err == nil && demo && impl != nil && runner.Unsupported(sc, impl) != "" {
		// The demo skews no clock and needs no setting; should it ever, watch the leader
		// crash instead.
		name = "leader-crash"
		sc, err = loadScenario(name)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitUsage
	}
	j, err := o.over.job(name, sc)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitUsage
	}
	screen, err := newScreen()
	if err != nil {
		return usage("%v", err)
	}
	if screen == nil && !e.isTerminal(e.stdout) {
		return usage("needs a terminal (to run a scenario without one, use miniraft run)")
	}
	var paths []flagPath
	if o.trace != "" {
		paths = append(paths, flagPath{"--trace", o.trace})
	}
	if o.report != "" {
		if fi, err := os.Stat(o.report); err == nil && fi.IsDir() {
			return usage("--report %s: a directory; name a file", o.report)
		}
		paths = append(paths, flagPath{"--report", o.report})
	}
	files, err := create(paths)
	if err != nil {
		return usage("%v", err)
	}
	var trace, page *output
	for _, f := range files {
		defer f.finish()
	}
	if o.trace != "" {
		trace = files[0]
	}
	if o.report != "" {
		page = files[len(files)-1]
	}
	seed := seedOf(sc, o.seed, o.seedSet)
	model.ApplyOverrides(sc, j.ov)
	arg := name
	if demo {
		arg = ""
	}
	opts := runner.Options{Engine: engine, Seed: seed, Hold: true, Speed: o.speed, Tool: toolName(), Impl: impl,
		Overrides: j.ov, Repro: reproCommand("tui", o.eng.words(engine), seed, j.ov, arg)}
	if engine == "live" {
		wd, stop := liveWatchdog(impl)
		defer stop()
		opts.Watchdog = wd
	}
	// The course's labgob prints its warnings as they come: not over the screen.
	var warnings lockedBuffer
	labgob.SetOutput(&warnings)
	defer func() {
		labgob.SetOutput(e.stderr)
		if warnings.Len() > 0 {
			fmt.Fprintf(e.stderr, "labgob said, while the TUI ran:\n%s", warnings.String())
		}
	}()
	if demo && sc.Header.Workload != nil {
		// The demo keeps going after its timeline, so a newcomer always sees Raft at work.
		opts.AfterTimeline = []string{"workload " + sc.Header.Workload.String()}
		opts.AfterNote = "the demo's timeline is over; the cluster keeps serving its workload: now break it yourself (? lists the keys)"
	}
	if trace != nil {
		opts.Trace = trace.f
	}
	var rec *report.Recorder
	if page != nil {
		rec = report.NewRecorder(0, model.InfoOf(sc, engine, seed))
		opts.Observers = append(opts.Observers, rec.Observe)
	}
	r, err := runner.New(sc, opts)
	if err != nil {
		return usage("%v", err)
	}
	src := r.Source()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	src.Start(ctx)
	app := tui.New(src, tui.Options{Screen: screen})
	uiErr := runApp(ctx, app)
	res, runErr := src.Close()
	if uiErr != nil {
		fmt.Fprintf(e.stderr, "miniraft tui: %v\n", uiErr)
		return exitFail
	}
	if runErr != nil {
		fmt.Fprintf(e.stderr, "miniraft tui: %v\n", runErr)
		return exitFail
	}
	if res == nil {
		for _, f := range files {
			f.finish()        //nolint:errcheck // nothing was written
			os.Remove(f.path) //nolint:errcheck // an empty file is no record
		}
		return exitPass
	}
	res.WriteSummary(e.stdout)
	if j.note != "" {
		fmt.Fprintf(e.stdout, "  overridden on the command line: %s\n", j.note)
	}
	if trace != nil {
		if err := trace.finish(); err != nil {
			fmt.Fprintf(e.stderr, "miniraft tui: --trace: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(e.stdout, "  trace: %s\n", trace.path)
	}
	if page != nil {
		err := report.Write(page.f, rec.Data(sc, &res.Result, res.KV))
		if err == nil {
			err = page.finish()
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "miniraft tui: --report: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(e.stdout, "  report: %s\n", page.path)
	}
	switch {
	case res.Failure != nil:
		return exitFail
	case res.Interrupted != nil:
		return exitInterrupted
	case !res.Pass:
		return exitFail
	}
	return exitPass
}

// runApp runs app until the user quits it or ctx ends (a signal arrived), and returns
// only once the goroutine that watches ctx has ended too.
func runApp(ctx context.Context, app *tui.App) error {
	ended := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			app.Stop()
		case <-ended:
		}
	}()
	err := app.Run()
	close(ended)
	wg.Wait()
	return err
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/report"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/raft"
	"github.com/miniraft/miniraft/scripts"
)

var cmdRun = &command{
	name:    "run",
	args:    "SCENARIO...",
	summary: "run scenarios, checking Raft's safety and liveness throughout",
	long: `Each SCENARIO is a file (my.chaos) or the name of a built-in scenario (see
"miniraft scenarios"); "all" runs every built-in one. Each run reports PASS or FAIL
with the first violation or failed expectation, and a summary: elections, terms,
faults, RPCs, proposals committed and lost, commit latency and recovery times.

The seed fixes every random choice: with --engine sim, the same scenario and seed
give the same run, event for event, so a failure can be replayed (--trace).

Exit code 0 if every scenario passed, 1 if any failed, 2 on bad usage or input, 130
if interrupted (Ctrl-C: the run stops where it is and says at which step; the
scenarios after it are not run).

example:
  miniraft run leader-crash flaky-network
  miniraft run --engine live --seed 7 --trace run.jsonl --json result.json my.chaos
  miniraft run --seed 3 --report run.html leader-isolation   (open run.html in a browser)
  miniraft run --prevote=false disruptive-rejoin   (fails: without PreVote the rejoin deposes the leader)
  miniraft run --kv all   (every scenario with clients of a key-value store, checked for linearizability)`,
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		o := &runOptions{}
		fs.Int64Var(&o.seed, "seed", 0, "seed for every random choice (default: the scenario's, else random)")
		o.over.addFlags(fs)
		o.eng.add(fs, "engine: sim (virtual time, deterministic) or live (real time, goroutines)")
		fs.IntVar(&o.repeat, "repeat", 1, "run each scenario this many times and say how often it failed (live runs are not exactly repeatable)")
		fs.BoolVar(&o.vtime, "vtime", false, "live engine: run in virtual time (a testing/synctest bubble, in a worker process) instead of real time: much faster, and no timer fires late on a busy machine")
		fs.StringVar(&o.json, "json", "", "write the results as JSON to this file (- for stdout, and nothing else there)")
		fs.StringVar(&o.trace, "trace", "", "write every event as JSON Lines to this file (a directory, for NAME.jsonl, when running several scenarios)")
		fs.StringVar(&o.report, "report", "", "write a self-contained HTML report of the run to this file (a directory, for NAME.html, when running several scenarios)")
		fs.StringVar(&o.reportWindow, "report-window", "", "the span of the report's message diagram, as in 2s-4.5s (default: around the first violation, else the last 2s)")
		fs.DurationVar(&o.checkBudget, "check-budget", 0, "how long the linearizability check of a kv workload may take before it says unknown (default 10s)")
		fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only one line per scenario (and the tally of several)")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "print the events of the run as they happen (not messages)")
		bug := addBugFlag(fs)
		return func(e *env, args []string) int {
			o.seedSet = fs.Changed("seed")
			o.over.parsed(fs)
			if code := bug(e, "run"); code != exitPass {
				return code
			}
			return runScenarios(e, o, args)
		}
	},
}

type runOptions struct {
	seed           int64
	seedSet        bool
	over           overrides
	eng            engineFlags
	engine         string       // resolved from eng
	impl           *course.Impl // the Raft the peers run; nil: MiniRaft's
	vtime          bool         // live runs in virtual time
	repeat         int          // runs of each scenario
	json, trace    string
	report         string
	reportWindow   string
	checkBudget    time.Duration
	quiet, verbose bool
}

// job is one scenario to run: the argument that named it, the scenario, the command
// line's overrides of it, and the files its run writes.
type job struct {
	arg    string
	sc     *scenario.Scenario
	ov     chaos.Overrides
	note   string // the overrides in words, for the summary
	trace  *output
	report *output
}

func runScenarios(e *env, o *runOptions, args []string) int {
	usage := func(format string, a ...interface{}) int {
		fmt.Fprintf(e.stderr, "miniraft run: "+format+"\n", a...)
		return exitUsage
	}
	if len(args) == 0 {
		return usage("name at least one scenario (a file, or one of: %s)", strings.Join(scripts.Names(), ", "))
	}
	var err error
	if o.engine, o.impl, err = o.eng.resolve(); err == nil {
		err = refuseSettings(o.impl, &o.over)
	}
	if err != nil {
		return usage("%v", err)
	}
	if o.vtime && (o.engine != "live" || o.verbose) {
		return usage("--vtime runs the live engine in virtual time, in a worker process: with --engine live or --raft DIR, and without -v")
	}
	if o.repeat < 1 || o.repeat > 1 && (o.trace != "" || o.report != "") {
		return usage("--repeat %d: want at least 1, and 1 with --trace or --report (one file per run)", o.repeat)
	}
	if err := o.over.check(); err != nil {
		return usage("%v", err)
	}
	var window report.Window
	switch {
	case o.reportWindow != "" && o.report == "":
		return usage("--report-window needs --report")
	case o.reportWindow != "":
		var err error
		if window, err = report.ParseWindow(o.reportWindow); err != nil {
			return usage("--report-window: %v", err)
		}
	}
	all := len(args) == 1 && args[0] == "all"
	if all {
		args = scripts.Names()
	}
	var jobs []*job
	bad := false
	for _, a := range args {
		sc, err := loadScenario(a)
		if err == nil {
			var j *job
			if j, err = o.over.job(a, sc); err == nil {
				jobs = append(jobs, j)
			}
		}
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			bad = true
		}
	}
	if bad {
		return exitUsage
	}
	for _, j := range jobs {
		if !window.IsZero() && window.From >= j.sc.Bound() {
			return usage("--report-window %s: %s runs %s at most, so the window holds nothing", o.reportWindow, j.sc.Name, fmtSeconds(j.sc.Bound()))
		}
		if len(j.sc.Steps) == 0 && j.sc.Header.Duration == 0 {
			fmt.Fprintf(e.stderr, "miniraft run: warning: %s has no steps: its run ends at once (a scenario is a header, then a timeline: see \"miniraft scenarios --show leader-crash\")\n", scenarioFile(j))
		}
	}
	outs, err := openOutputs(o, jobs)
	if err != nil {
		return usage("%v", err)
	}
	defer outs.close()

	// With --json -, stdout carries the JSON alone: everything else goes to stderr.
	human := *e
	if o.json == "-" {
		human.stdout = e.stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []*runner.Result
	skipped := 0
	for _, j := range jobs {
		if why := runner.Unsupported(j.sc, o.impl); why != "" {
			if all {
				fmt.Fprintf(human.stdout, "SKIP %s: %s\n", j.sc.Name, why)
				skipped++
				continue
			}
			fmt.Fprintf(human.stderr, "miniraft run: note: %s: %s; running it as you asked\n", j.sc.Name, why)
		}
		res, err := runRepeated(ctx, &human, o, j, window)
		if err != nil {
			fmt.Fprintf(e.stderr, "miniraft run: %s: %v\n", j.sc.Name, err)
			return exitFail
		}
		results = append(results, res)
		if res.Interrupted != nil {
			break // the rest is not run
		}
	}
	code := exitPass
	for _, r := range results {
		code = max(code, exitCode(r)) // interrupted (130) over failed (1) over passed (0)
	}
	if len(jobs) > 1 {
		fmt.Fprintf(human.stdout, "\n%s\n", tally(results, len(jobs), skipped))
	}
	if outs.json != nil || o.json == "-" {
		if err := writeJSON(e, outs.json, results); err != nil {
			fmt.Fprintf(e.stderr, "miniraft run: --json: %v\n", err)
			return exitFail
		}
		if outs.json != nil && !o.quiet {
			fmt.Fprintf(human.stdout, "results (JSON): %s\n", outs.json.path)
		}
	}
	return code
}

// tally says how many of n scenarios passed, failed, were interrupted, were skipped
// (unsupported by a foreign Raft) and were not run.
func tally(results []*runner.Result, n, skipped int) string {
	count := map[string]int{}
	for _, r := range results {
		count[r.Verdict()]++
	}
	s := fmt.Sprintf("%d of %d scenarios passed", count["PASS"], n)
	if f := count["FAIL"]; f > 0 {
		s += fmt.Sprintf(", %d failed", f)
	}
	if i := count["INTERRUPTED"]; i > 0 {
		s += fmt.Sprintf(", %d interrupted", i)
	}
	if skipped > 0 {
		s += fmt.Sprintf(", %d skipped (they test what a Raft of your own may not have: name them to run them)", skipped)
	}
	if left := n - len(results) - skipped; left > 0 {
		s += fmt.Sprintf(", %d not run", left)
	}
	return s
}

// loadScenario reads a scenario from a file or the library (runner.Load). Parse errors
// come back as they are, naming file:line:col; other errors say they come from miniraft.
func loadScenario(arg string) (*scenario.Scenario, error) {
	sc, err := runner.Load(arg)
	if err != nil {
		var list scenario.ErrorList
		if errors.As(err, &list) {
			return nil, err
		}
		return nil, fmt.Errorf("miniraft: %w", err)
	}
	return sc, nil
}

// scenarioFile names the file a job's scenario came from, or the built-in scenario.
func scenarioFile(j *job) string {
	if len(j.sc.Steps) > 0 && j.sc.Steps[0].Pos.File != "" {
		return j.sc.Steps[0].Pos.File
	}
	return j.arg
}

// overrides are the flags of run and tui that change what a scenario says: --peers
// replaces its peer count, --prevote and --checkquorum its options, and --kv turns its
// workloads into kv workloads.
type overrides struct {
	peers                      int
	peersSet                   bool
	prevote, checkQuorum       bool
	prevoteSet, checkQuorumSet bool
	kv                         bool
}

func (o *overrides) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.peers, "peers", 0, fmt.Sprintf("number of peers (1 to %d), overriding the scenario's", scenario.MaxPeers))
	fs.BoolVar(&o.prevote, "prevote", false, "turn Raft's PreVote on, or off with --prevote=false, overriding the scenario's")
	fs.BoolVar(&o.checkQuorum, "checkquorum", false, "turn Raft's CheckQuorum on, or off with --checkquorum=false, overriding the scenario's")
	fs.BoolVar(&o.kv, "kv", false, "make the scenario's workloads kv workloads: clients of a key-value store, checked for linearizability")
}

// parsed notes which of the flags were given.
func (o *overrides) parsed(fs *pflag.FlagSet) {
	o.peersSet = fs.Changed("peers")
	o.prevoteSet, o.checkQuorumSet = fs.Changed("prevote"), fs.Changed("checkquorum")
}

// check checks the flags' values.
func (o *overrides) check() error {
	if o.peersSet && (o.peers < 1 || o.peers > scenario.MaxPeers) {
		return fmt.Errorf("--peers %d: want 1..%d", o.peers, scenario.MaxPeers)
	}
	return nil
}

// job returns the job of running sc, named arg on the command line, with the flags'
// overrides: only what differs from what sc says (a flag that repeats the scenario
// changes nothing, and a command that runs it again needs no flag for it), and the
// words for the summary (as in "prevote off (the scenario has on)"), for every flag
// given. It fails if sc does not hold with --peers (a step names a peer beyond it).
func (o *overrides) job(arg string, sc *scenario.Scenario) (*job, error) {
	j := &job{arg: arg, sc: sc}
	var parts []string
	h := sc.Header
	if o.peersSet {
		parts = append(parts, fmt.Sprintf("peers %d (the scenario has %d)", o.peers, h.Peers))
		if o.peers != h.Peers {
			j.ov.Peers = o.peers
			v := *sc
			v.Header.Peers = o.peers
			if err := v.Validate(); err != nil {
				return nil, fmt.Errorf("with --peers %d: %w", o.peers, err)
			}
		}
	}
	option := func(name string, given, v, has bool, ov **bool) {
		if !given {
			return
		}
		parts = append(parts, fmt.Sprintf("%s %s (the scenario has %s)", name, onOff(v), onOff(has)))
		if v != has {
			*ov = &v
		}
	}
	option("prevote", o.prevoteSet, o.prevote, h.PreVote, &j.ov.PreVote)
	option("checkquorum", o.checkQuorumSet, o.checkQuorum, h.CheckQuorum, &j.ov.CheckQuorum)
	if o.kv {
		switch n := basicWorkloads(sc); n {
		case 0:
			parts = append(parts, "kv (the scenario has no basic workload to change)")
		case 1:
			parts = append(parts, "kv (its workload made a kv workload)")
		default:
			parts = append(parts, fmt.Sprintf("kv (its %d workload lines made kv workloads)", n))
		}
		j.ov.KV = basicWorkloads(sc) > 0
	}
	j.note = strings.Join(parts, ", ")
	return j, nil
}

// basicWorkloads counts the workloads of sc that --kv makes kv workloads.
func basicWorkloads(sc *scenario.Scenario) int {
	n := 0
	basic := func(w *scenario.WorkloadSpec) {
		if w != nil && w.Kind == scenario.DefaultWorkloadKind {
			n++
		}
	}
	basic(sc.Header.Workload)
	for _, st := range sc.Steps {
		if c, ok := st.Cmd.(scenario.WorkloadCmd); ok {
			basic(c.Spec)
		}
	}
	return n
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func suggestScenario(word string) string {
	if best := scenario.Suggest(word, scripts.Names()); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// pickSeed returns the seed a run uses when neither the flag nor the scenario sets one.
func pickSeed() int64 { return rand.Int64N(1 << 40) }

// seedOf returns the seed a run of sc uses: the flag's, else the scenario's, else a
// random one; and writes it into sc, so that every record of the run says it.
func seedOf(sc *scenario.Scenario, seed int64, given bool) int64 {
	switch {
	case given:
	case sc.Header.HasSeed:
		seed = sc.Header.Seed
	default:
		seed = pickSeed()
	}
	sc.Header.Seed, sc.Header.HasSeed = seed, true
	return seed
}

// reproCommand is the command that runs a scenario (named arg on the command line; ""
// for the TUI's demo) again as it ran: the command (run or tui), the engine, the seed, the overrides that
// changed something and the deliberate bugs switched on. On the sim engine it repeats
// the run event for event.
func reproCommand(cmd string, engine []string, seed int64, ov chaos.Overrides, arg string) string {
	words := append([]string{"miniraft", cmd}, engine...)
	words = append(words, "--seed", fmt.Sprint(seed))
	words = append(words, ov.Flags()...)
	for _, b := range chaos.ActiveBugs() {
		words = append(words, "--bug", b)
	}
	if arg != "" {
		words = append(words, shellWord(arg))
	}
	return strings.Join(words, " ")
}

func runOne(ctx context.Context, e *env, o *runOptions, j *job, window report.Window) (*runner.Result, error) {
	sc := j.sc
	seed := seedOf(sc, o.seed, o.seedSet)
	model.ApplyOverrides(sc, j.ov)
	engine := o.eng.words(o.engine)
	if o.vtime {
		engine = append(engine, "--vtime")
	}
	repro := reproCommand("run", engine, seed, j.ov, j.arg)
	var res *runner.Result
	var page *report.Data
	var err error
	if o.inWorker() {
		res, page, err = runInWorker(ctx, o, j, seed, repro)
	} else {
		res, page, err = runHere(ctx, e, o, j, seed, repro, window)
	}
	if err != nil {
		return nil, err
	}
	if o.quiet {
		switch {
		case res.Failure != nil:
			first, _, _ := strings.Cut(res.Failure.String(), "\n") // a deadlock's or panic's stacks follow
			fmt.Fprintf(e.stdout, "FAIL %s (seed %d): %s\n", res.Name, res.Seed, first)
		case res.Interrupted != nil:
			fmt.Fprintf(e.stdout, "INTERRUPTED %s (seed %d) %s\n", res.Name, res.Seed, res.Interrupted)
		default:
			fmt.Fprintf(e.stdout, "PASS %s (seed %d)\n", res.Name, res.Seed)
		}
	} else {
		res.WriteSummary(e.stdout)
		if j.note != "" {
			fmt.Fprintf(e.stdout, "  overridden on the command line: %s\n", j.note)
		}
		if o.impl != nil {
			fmt.Fprintf(e.stdout, "  raft: %s (%s), seen from outside: roles and terms sampled, commits as its services received them\n", o.impl.Name, o.impl.API)
		}
		fmt.Fprintf(e.stdout, "  run it again: %s\n", res.Repro)
	}
	say := func(what, path string) {
		if !o.quiet {
			fmt.Fprintf(e.stdout, "  %s: %s\n", what, path)
		}
	}
	if j.trace != nil {
		if err := j.trace.finish(); err != nil {
			return nil, fmt.Errorf("--trace: %w", err)
		}
		say("trace", j.trace.path)
	}
	if err := writeVisualization(e, o, res, j.trace); err != nil {
		return nil, err
	}
	if j.report != nil {
		if !window.IsZero() && window.From >= res.Duration {
			fmt.Fprintf(e.stderr, "miniraft run: warning: --report-window %s: %s ended at %s, before the window: its report shows no messages\n",
				o.reportWindow, res.Name, fmtSeconds(res.Duration))
		}
		if err := report.Write(j.report.f, *page); err != nil {
			return nil, fmt.Errorf("--report %s: %w", j.report.path, err)
		}
		if err := j.report.finish(); err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
		say("report", j.report.path)
	}
	return res, nil
}

// runRepeated runs j --repeat times (each from the scenario as loaded) and, for more
// than one run, says how often it failed and how. It returns the first failing run's
// result, else the last's.
func runRepeated(ctx context.Context, e *env, o *runOptions, j *job, window report.Window) (*runner.Result, error) {
	if o.repeat <= 1 {
		return runOne(ctx, e, o, j, window)
	}
	var first *runner.Result
	failed := map[string]int{}
	runs, nfailed := 0, 0
	for range o.repeat {
		sc, err := copyScenario(j.sc)
		if err != nil {
			return nil, err
		}
		cp := *j
		cp.sc = sc
		res, err := runOne(ctx, e, o, &cp, window)
		if err != nil {
			return nil, err
		}
		runs++
		if res.Failure != nil {
			nfailed++
			failed[res.Failure.Checker]++
			if first == nil {
				first = res
			}
		}
		if first == nil || res.Interrupted != nil {
			first = res
		}
		if res.Interrupted != nil {
			break
		}
	}
	var how []string
	for _, k := range sortedCounts(failed) {
		how = append(how, fmt.Sprintf("%s %d", k, failed[k]))
	}
	fmt.Fprintf(e.stdout, "%s: failed %d of %d runs", j.sc.Name, nfailed, runs)
	if len(how) > 0 {
		fmt.Fprintf(e.stdout, " (%s)", strings.Join(how, ", "))
	}
	fmt.Fprintln(e.stdout)
	return first, nil
}

// copyScenario returns a fresh copy of sc, as loaded: its text parsed again (the
// command line's overrides and seed are applied to it by runOne).
func copyScenario(sc *scenario.Scenario) (*scenario.Scenario, error) {
	file := sc.Name + scripts.Ext
	if len(sc.Steps) > 0 && sc.Steps[0].Pos.File != "" {
		file = sc.Steps[0].Pos.File
	}
	cp, err := scenario.Parse(file, []byte(sc.Source))
	if err != nil {
		return nil, err
	}
	cp.Name = sc.Name
	return cp, nil
}

// sortedCounts returns the keys of m, most counted first.
func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	return keys
}

// inWorker reports whether runs go to a worker process: live runs do (a panic or a
// deadlock of the Raft then ends that process, not miniraft), but with -v, which prints
// events as they happen.
func (o *runOptions) inWorker() bool { return o.engine == "live" && !o.verbose }

// runHere runs j's scenario (seed and overrides applied) in this process, and returns
// its result and, with --report, its report page.
func runHere(ctx context.Context, e *env, o *runOptions, j *job, seed int64, repro string, window report.Window) (*runner.Result, *report.Data, error) {
	sc := j.sc
	opts := runner.Options{Engine: o.engine, Seed: seed, Tool: toolName(), CheckBudget: o.checkBudget, Impl: o.impl,
		Overrides: j.ov, Repro: repro}
	if o.engine == "live" {
		// A Raft that deadlocks ends its run with a verdict, never hangs it.
		wd, stop := liveWatchdog(o.impl)
		defer stop()
		opts.Watchdog = wd
	}
	if j.trace != nil {
		opts.Trace = j.trace.f
	}
	var rec *report.Recorder
	if j.report != nil {
		rec = report.NewRecorder(0, model.InfoOf(sc, o.engine, seed))
		rec.Keep(window)
		opts.Observers = append(opts.Observers, rec.Observe)
	}
	progress := !o.quiet && !o.verbose && e.isTerminal(e.stderr)
	var line progressLine
	if progress {
		opts.Progress = func(s runner.State) { line.show(e.stderr, s) }
	}
	r, err := runner.New(sc, opts)
	if err != nil {
		return nil, nil, err
	}
	var wg sync.WaitGroup
	stopPrint := func() {}
	if o.verbose {
		q := chaos.NewQueue()
		cancel := r.Cluster().Events().Observe(q.Push, chaos.EventRaft, chaos.EventFault, chaos.EventStep, chaos.EventViolation, chaos.EventExpect, chaos.EventNote, chaos.EventPropose)
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-q.Wait():
					printEvents(e.stdout, q.Drain())
				case <-done:
					printEvents(e.stdout, q.Drain())
					return
				}
			}
		}()
		stopPrint = func() { cancel(); close(done); wg.Wait() }
	}
	res, err := r.Run(ctx)
	stopPrint()
	if progress {
		line.clear(e.stderr)
	}
	if err != nil {
		return nil, nil, err
	}
	if rec == nil {
		return res, nil, nil
	}
	d := rec.Data(sc, &res.Result, res.KV)
	return res, &d, nil
}

// runInWorker runs j's scenario on the live engine in a worker process of its own
// (this program again: see fuzz.Serve), in real time or, with --vtime, in virtual time:
// a Raft that panics or deadlocks ends the worker, and the run with a panic or deadlock
// violation carrying the stacks of its code, while miniraft goes on. The worker writes
// the trace; with --report, the page is made from it.
func runInWorker(ctx context.Context, o *runOptions, j *job, seed int64, repro string) (*runner.Result, *report.Data, error) {
	sc := j.sc
	job := fuzz.Job{Name: sc.Name, Source: sc.Source, Seed: seed, SeedSet: true, Tool: toolName(),
		Overrides: j.ov, Repro: repro, CheckBudget: o.checkBudget}
	if o.impl != nil {
		job.Raft = o.impl.Dir
	}
	if j.trace != nil {
		job.Trace = j.trace.path
	}
	if j.report != nil && job.Trace == "" {
		f, err := os.CreateTemp("", "miniraft-*.jsonl")
		if err != nil {
			return nil, nil, fmt.Errorf("--report: %w", err)
		}
		f.Close()
		job.Trace = f.Name()
		defer os.Remove(job.Trace)
	}
	// A real-time run takes its cluster time in real time: the worker's bound is more.
	w := vtime.NewWorker(fuzz.WithBugs(vtime.WorkerOptions{RealTime: !o.vtime, HardTimeout: 2*sc.Bound() + time.Minute}))
	defer w.Close()
	out, err := fuzz.RunJob(ctx, w, job, sc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	res := out.Result
	res.Repro = repro
	if j.report == nil {
		return res, nil, nil
	}
	d, err := pageFromTrace(job.Trace, res)
	if err != nil {
		return nil, nil, err
	}
	return res, d, nil
}

// pageFromTrace makes the report page of a run from its trace, written by a worker
// process, and its result. A run the worker could not finish (its Raft deadlocked or
// panicked, and the worker ended) has a trace without an end: the failure res carries is
// added.
func pageFromTrace(path string, res *runner.Result) (*report.Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	defer f.Close()
	d, err := report.FromTrace(f)
	if err != nil {
		return nil, fmt.Errorf("--report: the run's trace: %w", err)
	}
	if n := len(d.Events); res.Failure != nil && (n == 0 || d.Events[n-1].Kind != chaos.EventEnd) {
		var last chaos.Event
		if n > 0 {
			last = d.Events[n-1]
		}
		v := *res.Failure
		d.Events = append(d.Events,
			chaos.Event{Seq: last.Seq + 1, At: max(last.At, v.At), Kind: chaos.EventViolation, Peer: -1, Violation: &v},
			chaos.Event{Seq: last.Seq + 2, At: max(last.At, v.At), Kind: chaos.EventEnd, Peer: -1, End: &chaos.RunEnd{}})
	} else {
		d.Result, d.KV = &res.Result, res.KV // the kv history was checked here, after the trace
	}
	return &d, nil
}

// fmtSeconds renders d in seconds, as the summaries do: "4.0s".
func fmtSeconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// printEvents prints the events a person follows: not appends, applies and commits,
// which are many, unless they matter.
func printEvents(w io.Writer, es []chaos.Event) {
	for _, ev := range es {
		if ev.Raft != nil {
			switch ev.Raft.Kind {
			case raft.EventAppend, raft.EventApply, raft.EventCommit, raft.EventVote, raft.EventProgress:
				continue
			}
		}
		fmt.Fprintln(w, ev)
	}
}

// progressLine draws a one-line progress report on a terminal.
type progressLine struct{ width int }

func (p *progressLine) show(w io.Writer, s runner.State) {
	step := ""
	if s.Current >= 0 && s.Current < len(s.Steps) {
		step = fmt.Sprintf("step %d/%d %s", s.Current+1, len(s.Steps), s.Steps[s.Current].Text)
	}
	text := fmt.Sprintf("%s %5.1fs/%.0fs  term %d  commits %d  faults %d  %s",
		s.Name, s.Now.Seconds(), s.Bound.Seconds(), s.Checks.MaxTerm, s.Workload.Committed, s.Faults, step)
	if len(text) > 100 {
		text = text[:100]
	}
	fmt.Fprintf(w, "\r%-*s", max(p.width, len(text)), text)
	p.width = len(text)
}

func (p *progressLine) clear(w io.Writer) {
	if p.width > 0 {
		fmt.Fprintf(w, "\r%*s\r", p.width, "")
	}
}

// writeJSON writes the results of a run of miniraft run as JSON (docs/JSON.md) to out,
// or to stdout when out is nil.
func writeJSON(e *env, out *output, results []*runner.Result) error {
	pass := len(results) > 0
	for _, r := range results {
		pass = pass && r.Pass
	}
	b, err := jsonDoc(runDoc{Tool: toolName(), Pass: pass, Results: results})
	if err != nil {
		return err
	}
	return writeOut(e, out, b)
}

// runDoc is the JSON document of miniraft run (docs/JSON.md, docs/run.schema.json).
type runDoc struct {
	Tool    string           `json:"tool"`
	Pass    bool             `json:"pass"`
	Results []*runner.Result `json:"results"`
}

// jsonDoc returns doc as indented JSON, ending in a newline.
func jsonDoc(doc interface{}) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeOut writes b to out and closes it, or to stdout when out is nil.
func writeOut(e *env, out *output, b []byte) error {
	if out == nil {
		_, err := e.stdout.Write(b)
		return err
	}
	if _, err := out.f.Write(b); err != nil {
		return err
	}
	return out.finish()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeVisualization writes porcupine's visualization of a kv history that is not
// linearizable beside the trace (run.jsonl gives run.porcupine.html), and says where.
func writeVisualization(e *env, o *runOptions, res *runner.Result, trace *output) error {
	if res.KV == nil || !res.KV.Check.HasVisualization() {
		return nil
	}
	if trace == nil {
		if !o.quiet {
			fmt.Fprintln(e.stdout, "  (run with --trace FILE to keep porcupine's visualization of the history beside the trace)")
		}
		return nil
	}
	path := strings.TrimSuffix(trace.path, filepath.Ext(trace.path)) + ".porcupine.html"
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("porcupine visualization: %w", err)
	}
	if err := res.KV.WriteVisualization(f); err != nil {
		f.Close()
		return fmt.Errorf("porcupine visualization: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("porcupine visualization: %w", err)
	}
	if !o.quiet {
		fmt.Fprintf(e.stdout, "  porcupine's visualization of the history: %s\n", path)
	}
	return nil
}

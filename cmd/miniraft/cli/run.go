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
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
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
		fs.IntVar(&o.peers, "peers", 0, "number of peers, overriding the scenario's")
		o.raft.addFlags(fs)
		fs.StringVar(&o.engine, "engine", "sim", "engine: sim (virtual time, deterministic) or live (real time, goroutines)")
		fs.StringVar(&o.json, "json", "", "write the results as JSON to this file (- for stdout)")
		fs.StringVar(&o.trace, "trace", "", "write every event as JSON Lines to this file (a directory when running several scenarios)")
		fs.StringVar(&o.report, "report", "", "write a self-contained HTML report of the run to this file (a directory when running several scenarios)")
		fs.StringVar(&o.reportWindow, "report-window", "", "the span of the report's message diagram, as in 2s-4.5s (default: around the first violation, else the last 2s)")
		fs.DurationVar(&o.checkBudget, "check-budget", 0, "how long the linearizability check of a kv workload may take before it says unknown (default 10s)")
		fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only one line per scenario")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "print the events of the run as they happen (not messages)")
		bug := addBugFlag(fs)
		return func(e *env, args []string) int {
			o.seedSet = fs.Changed("seed")
			o.raft.parsed(fs)
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
	peers          int
	raft           overrides
	engine         string
	json, trace    string
	report         string
	reportWindow   string
	checkBudget    time.Duration
	quiet, verbose bool
}

func runScenarios(e *env, o *runOptions, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, "miniraft run: name at least one scenario (a file, or one of: %s)\n", strings.Join(scripts.Names(), ", "))
		return exitUsage
	}
	if o.engine != "sim" && o.engine != "live" {
		fmt.Fprintf(e.stderr, "miniraft run: --engine %q: want sim or live\n", o.engine)
		return exitUsage
	}
	if o.peers != 0 && (o.peers < 1 || o.peers > scenario.MaxPeers) {
		fmt.Fprintf(e.stderr, "miniraft run: --peers %d: want 1..%d\n", o.peers, scenario.MaxPeers)
		return exitUsage
	}
	if len(args) == 1 && args[0] == "all" {
		args = scripts.Names()
	}
	var scs []*scenario.Scenario
	bad := false
	for _, a := range args {
		sc, err := loadScenario(a, o.peers)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			bad = true
			continue
		}
		scs = append(scs, sc)
	}
	if bad {
		return exitUsage
	}
	if o.trace != "" && len(scs) > 1 {
		if err := os.MkdirAll(o.trace, 0o755); err != nil {
			fmt.Fprintf(e.stderr, "miniraft run: --trace: %v\n", err)
			return exitUsage
		}
	}
	if o.report != "" && len(scs) > 1 {
		if err := os.MkdirAll(o.report, 0o755); err != nil {
			fmt.Fprintf(e.stderr, "miniraft run: --report: %v\n", err)
			return exitUsage
		}
	}

	// With --json -, stdout carries the JSON alone: everything else goes to stderr.
	human := *e
	if o.json == "-" {
		human.stdout = e.stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []*runner.Result
	for _, sc := range scs {
		res, err := runOne(ctx, &human, o, sc, len(scs) > 1)
		if err != nil {
			fmt.Fprintf(e.stderr, "miniraft run: %s: %v\n", sc.Name, err)
			if ctx.Err() != nil {
				return exitInterrupted
			}
			return exitUsage
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
	if len(scs) > 1 {
		fmt.Fprintf(human.stdout, "\n%s\n", tally(results, len(scs)))
	}
	if o.json != "" {
		if err := writeJSON(e, o.json, results); err != nil {
			fmt.Fprintf(e.stderr, "miniraft run: --json: %v\n", err)
			return exitUsage
		}
	}
	return code
}

// tally says how many of n scenarios passed, failed, were interrupted and were not run.
func tally(results []*runner.Result, n int) string {
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
	if left := n - len(results); left > 0 {
		s += fmt.Sprintf(", %d not run", left)
	}
	return s
}

// loadScenario reads a scenario from a file or the library (runner.Load), with
// --peers applied. Parse errors come back as they are, naming file:line:col; other
// errors say they come from miniraft.
func loadScenario(arg string, peers int) (*scenario.Scenario, error) {
	sc, err := runner.Load(arg)
	if err != nil {
		var list scenario.ErrorList
		if errors.As(err, &list) {
			return nil, err
		}
		return nil, fmt.Errorf("miniraft: %w", err)
	}
	if peers > 0 && peers != sc.Header.Peers {
		sc.Header.Peers = peers
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("with --peers %d: %w", peers, err)
		}
	}
	return sc, nil
}

// overrides are the flags of run and tui that change what a scenario says: --prevote
// and --checkquorum replace the header's option, as --peers replaces its peer count,
// and --kv turns its workloads into kv workloads.
type overrides struct {
	prevote, checkQuorum       bool
	prevoteSet, checkQuorumSet bool
	kv                         bool
}

func (o *overrides) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.prevote, "prevote", false, "turn Raft's PreVote on, or off with --prevote=false, overriding the scenario's")
	fs.BoolVar(&o.checkQuorum, "checkquorum", false, "turn Raft's CheckQuorum on, or off with --checkquorum=false, overriding the scenario's")
	fs.BoolVar(&o.kv, "kv", false, "make the scenario's workloads kv workloads: clients of a key-value store, checked for linearizability")
}

// parsed notes which of the flags were given.
func (o *overrides) parsed(fs *pflag.FlagSet) {
	o.prevoteSet, o.checkQuorumSet = fs.Changed("prevote"), fs.Changed("checkquorum")
}

// apply changes sc as the flags say, and describes the changes for the summary (as in
// "prevote off (the scenario has on)"), or returns "" if no flag was given.
func (o *overrides) apply(sc *scenario.Scenario) string {
	var parts []string
	set := func(name string, given, v bool, opt *bool) {
		if !given {
			return
		}
		parts = append(parts, fmt.Sprintf("%s %s (the scenario has %s)", name, onOff(v), onOff(*opt)))
		*opt = v
	}
	set("prevote", o.prevoteSet, o.prevote, &sc.Header.PreVote)
	set("checkquorum", o.checkQuorumSet, o.checkQuorum, &sc.Header.CheckQuorum)
	if o.kv {
		switch n := sc.AsKV(); n {
		case 0:
			parts = append(parts, "kv (the scenario has no basic workload to change)")
		case 1:
			parts = append(parts, "kv (its workload made a kv workload)")
		default:
			parts = append(parts, fmt.Sprintf("kv (its %d workload lines made kv workloads)", n))
		}
	}
	return strings.Join(parts, ", ")
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

func runOne(ctx context.Context, e *env, o *runOptions, sc *scenario.Scenario, many bool) (*runner.Result, error) {
	if o.seedSet {
		sc.Header.Seed, sc.Header.HasSeed = o.seed, true
	}
	overridden := o.raft.apply(sc)
	opts := runner.Options{Engine: o.engine, Seed: pickSeed(), Tool: toolName(), CheckBudget: o.checkBudget}
	tracePath := ""
	if o.trace != "" {
		path := o.trace
		if many {
			path = filepath.Join(o.trace, sc.Name+".jsonl")
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("--trace: %w", err)
		}
		defer f.Close()
		opts.Trace, tracePath = f, path
	}
	rep, err := startReport(o, sc, many)
	if err != nil {
		return nil, err
	}
	defer rep.close()
	if rep != nil {
		opts.Observers = append(opts.Observers, rep.rec.Observe)
	}
	progress := !o.quiet && !o.verbose && e.isTerminal(e.stderr)
	var line progressLine
	if progress {
		opts.Progress = func(s runner.State) { line.show(e.stderr, s) }
	}
	r, err := runner.New(sc, opts)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	if o.quiet {
		switch {
		case res.Failure != nil:
			fmt.Fprintf(e.stdout, "FAIL %s (seed %d): %s\n", res.Name, res.Seed, res.Failure)
		case res.Interrupted != nil:
			fmt.Fprintf(e.stdout, "INTERRUPTED %s (seed %d) %s\n", res.Name, res.Seed, res.Interrupted)
		default:
			fmt.Fprintf(e.stdout, "PASS %s (seed %d)\n", res.Name, res.Seed)
		}
	} else {
		res.WriteSummary(e.stdout)
		if overridden != "" {
			fmt.Fprintf(e.stdout, "  overridden on the command line: %s\n", overridden)
		}
	}
	if err := writeVisualization(e, o, res, tracePath); err != nil {
		return nil, err
	}
	if rep != nil {
		if err := rep.finish(o, sc, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

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

func writeJSON(e *env, path string, results []*runner.Result) error {
	pass := true
	for _, r := range results {
		pass = pass && r.Pass
	}
	return writeJSONDoc(e, path, struct {
		Tool    string           `json:"tool"`
		Pass    bool             `json:"pass"`
		Results []*runner.Result `json:"results"`
	}{"miniraft " + version(), pass, results})
}

// writeJSONDoc writes doc, indented, to the file path, or to stdout when path is "-".
func writeJSONDoc(e *env, path string, doc interface{}) error {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = e.stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeVisualization writes porcupine's visualization of a kv history that is not
// linearizable beside the trace (run.jsonl gives run.porcupine.html), and says where.
func writeVisualization(e *env, o *runOptions, res *runner.Result, tracePath string) error {
	if res.KV == nil || !res.KV.Check.HasVisualization() {
		return nil
	}
	if tracePath == "" {
		if !o.quiet {
			fmt.Fprintln(e.stdout, "  (run with --trace FILE to keep porcupine's visualization of the history beside the trace)")
		}
		return nil
	}
	path := strings.TrimSuffix(tracePath, filepath.Ext(tracePath)) + ".porcupine.html"
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

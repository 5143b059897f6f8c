package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/internal/bugs"
)

var cmdFuzz = &command{
	name:    "fuzz",
	args:    "| fuzz merge [--json FILE] DIR...",
	summary: "run random fault schedules until Raft breaks, and shrink what breaks it",
	long: `Each seed gives a random fault schedule on 2 to 7 peers: crashes and reboots, pauses,
isolations, partitions, bridges, one-way cuts, message loss, delay, reordering and
duplication (of every message, or of replies alone), clock skew, torn saves, faults
fired the moment after an event (a vote, an election, a save), and bursts or lulls of
client load, each undone sooner or later, then a final heal. With swarm testing (the
default) each run uses a random part of those kinds, with random weights and rates; a
quarter of the runs (--kv) use clients of a kv store whose history is checked for
linearizability. Every schedule runs on the sim engine (virtual time, as fast as the
CPU goes) with every safety and liveness checker watching.

When a run fails, fuzz writes its schedule to the output directory as a scenario
file, shrinks it (drops steps, brings them earlier, lowers rates and delays, removes
peers) while the same checker still fails, and writes the smallest one with its
trace and the command that runs it again. A schedule carries its seed, so the file
alone repeats the failure: "miniraft run FILE" shows it, "miniraft replay TRACE"
steps through it.

Seeds are taken from --seed-start on: --runs of them, or as many as fit in --time.
To spread a campaign over machines, give each the same range and its own
--shard i/n: it takes the seeds s with s % n == i. In a Kubernetes Indexed Job,
--shard auto takes i from JOB_COMPLETION_INDEX and n from MINIRAFT_SHARDS (or
--shard auto/n). Each campaign writes its record (record.json) into --out;
"miniraft fuzz merge DIR..." combines the shards' directories into one summary,
listing each shrunk failure once however many shards found it.

Exit code 0 if no run failed, 1 if any did, 2 on bad usage.

examples:
  miniraft fuzz                                  1000 schedules on every core
  miniraft fuzz --time 10m --out failures/       as many as fit in ten minutes
  miniraft fuzz --runs 100000 --shard 3/8        the 4th of 8 machines' share
  miniraft fuzz merge shard-*/                   one summary of every shard's findings
  miniraft fuzz --faults crash,partition --peers 3 --duration 10s
  miniraft fuzz --peers 4 --swarm=false --kv 1   every kind in every run, all with kv clients`,
	flags: func(fs *pflag.FlagSet) func(*env, []string) int {
		o := &fuzzOptions{}
		fs.Int64Var(&o.runs, "runs", 1000, "number of seeds to try (no limit when only --time is given)")
		fs.DurationVar(&o.time, "time", 0, "stop trying new seeds after this long (e.g. 2m)")
		fs.Int64Var(&o.seedStart, "seed-start", 1, "first seed of the range")
		fs.StringVar(&o.shard, "shard", "", "take only shard i of n of the seeds (i/n, e.g. 0/4): those with seed % n == i; auto or auto/n: i from JOB_COMPLETION_INDEX")
		fs.IntVar(&o.workers, "workers", 0, "runs at once (default GOMAXPROCS; 10 with --realtime)")
		o.eng.add(fs, "engine: sim (raft.Node, virtual time, deterministic) or live (raft.Raft's goroutines over labrpc, in virtual time in worker processes)")
		fs.BoolVar(&o.realTime, "realtime", false, "live engine: run in real time, many clusters at once, rather than in virtual time (for a Raft that a synctest bubble cannot run)")
		fs.IntVar(&o.gen.Peers, "peers", 0, "cluster size (default 2 to 7 by seed, mostly 3 and 5)")
		fs.DurationVar(&o.gen.Duration, "duration", fuzz.DefaultDuration, "how long faults keep coming in each run (the run lasts 6s longer)")
		fs.StringVar(&o.faults, "faults", "all", "fault kinds to use, comma-separated: "+kindNames()+", or all")
		fs.Float64Var(&o.gen.FaultRate, "fault-rate", fuzz.DefaultFaultRate, "mean faults (and remedies) per second")
		fs.Float64Var(&o.rate, "rate", fuzz.DefaultRate, "client proposals per second (0 for none)")
		fs.Float64Var(&o.kv, "kv", fuzz.DefaultKV, "share of runs whose clients use a kv store, their history checked for linearizability (0 to 1)")
		fs.BoolVar(&o.swarm, "swarm", true, "swarm testing: each run uses a random part of the fault kinds, with random weights and rates")
		fs.BoolVar(&o.gen.PreVote, "prevote", false, "run Raft with PreVote")
		fs.BoolVar(&o.gen.CheckQuorum, "checkquorum", false, "run Raft with CheckQuorum")
		fs.BoolVar(&o.gen.NoLiveness, "no-liveness", false, "check safety only, not liveness")
		fs.StringVar(&o.out, "out", "fuzz-failures", "directory for failing schedules, shrunk ones and their traces")
		fs.IntVar(&o.shrink, "shrink", fuzz.DefaultShrinkEach, "failures of each kind to shrink, keeping the smallest (0: none)")
		fs.IntVar(&o.shrinkRuns, "shrink-runs", fuzz.DefaultShrinkRuns, "runs each shrink may make")
		fs.IntVar(&o.stopAfter, "stop-after", 0, "stop after this many failing runs (0: never)")
		fs.StringVar(&o.json, "json", "", "write the report as JSON to this file (- for stdout)")
		fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar")
		bug := addBugFlag(fs)
		return func(e *env, args []string) int {
			if len(args) > 0 && args[0] == "merge" {
				return runFuzzMerge(e, fs, o, args[1:])
			}
			if len(args) > 0 {
				fmt.Fprintf(e.stderr, "miniraft fuzz: unexpected argument %q (fuzz takes flags only, or: fuzz merge DIR...)\n", args[0])
				return exitUsage
			}
			if code := bug(e, "fuzz"); code != exitPass {
				return code
			}
			o.runsSet, o.rateSet = fs.Changed("runs"), fs.Changed("rate")
			o.shrinkRunsSet, o.faultsSet = fs.Changed("shrink-runs"), fs.Changed("faults")
			return runFuzz(e, o)
		}
	},
}

type fuzzOptions struct {
	gen                fuzz.Generator
	eng                engineFlags
	realTime           bool
	shrinkRunsSet      bool
	faultsSet          bool
	runs               int64
	runsSet            bool
	time               time.Duration
	seedStart          int64
	shard, faults, out string
	json               string
	workers            int
	rate               float64
	rateSet            bool
	kv                 float64
	swarm              bool
	shrink, shrinkRuns int
	stopAfter          int
	quiet              bool
}

func kindNames() string {
	names := make([]string, len(fuzz.Kinds))
	for i, k := range fuzz.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ",")
}

// parseShard parses i/n, auto or auto/n. auto takes i from JOB_COMPLETION_INDEX, which
// Kubernetes sets in each pod of an Indexed Job, and n from MINIRAFT_SHARDS unless given.
func parseShard(s string, getenv func(string) string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if a == "auto" {
		if !ok {
			b = getenv("MINIRAFT_SHARDS")
			if b == "" {
				return 0, 0, fmt.Errorf("--shard auto: MINIRAFT_SHARDS is not set; set it to the number of shards (the Job's completions), or write --shard auto/N")
			}
		}
		idx := getenv("JOB_COMPLETION_INDEX")
		if idx == "" {
			return 0, 0, fmt.Errorf("--shard %s: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in the pods of an Indexed Job)", s)
		}
		i, err1 := strconv.Atoi(idx)
		n, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return 0, 0, fmt.Errorf("--shard %s: shard %q of %q: want 0 <= JOB_COMPLETION_INDEX < shards", s, idx, b)
		}
		return i, n, nil
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n, as in 0/4 (or auto, in a Kubernetes Indexed Job)", s)
	}
	return i, n, nil
}

// runFuzzMerge combines the records in dirs (campaigns' --out directories) and prints
// one summary; --json writes the merged record. Only --json and -q apply to it.
func runFuzzMerge(e *env, fs *pflag.FlagSet, o *fuzzOptions, dirs []string) int {
	usage := func(format string, args ...interface{}) int {
		fmt.Fprintf(e.stderr, "miniraft fuzz merge: "+format+"\n", args...)
		return exitUsage
	}
	var bad []string
	fs.Visit(func(f *pflag.Flag) {
		if f.Name != "json" && f.Name != "quiet" {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return usage("%s: not a merge flag (merge takes --json FILE and DIR...)", strings.Join(bad, ", "))
	}
	if len(dirs) == 0 {
		return usage("no directories: give the --out directories of the campaigns to merge")
	}
	recs := make([]*fuzz.Record, 0, len(dirs))
	for _, d := range dirs {
		rec, err := fuzz.ReadRecord(d)
		if err != nil {
			return usage("%v", err)
		}
		recs = append(recs, rec)
	}
	merged, err := fuzz.Merge(recs)
	if err != nil {
		return usage("%v", err)
	}
	if o.json != "-" && !o.quiet {
		merged.WriteSummary(e.stdout)
	}
	if o.json != "" {
		if err := writeJSONDoc(e, o.json, merged); err != nil {
			fmt.Fprintf(e.stderr, "miniraft fuzz merge: --json: %v\n", err)
			return exitUsage
		}
	}
	if merged.Failed > 0 {
		return exitFail
	}
	return exitPass
}

func runFuzz(e *env, o *fuzzOptions) int {
	usage := func(format string, args ...interface{}) int {
		fmt.Fprintf(e.stderr, "miniraft fuzz: "+format+"\n", args...)
		return exitUsage
	}
	engine, impl, err := o.eng.resolve()
	if err != nil {
		return usage("%v", err)
	}
	if o.realTime && engine != "live" {
		return usage("--realtime runs the live engine in real time: add --engine live (or --raft DIR)")
	}
	if impl != nil && (o.gen.PreVote || o.gen.CheckQuorum) {
		return usage("--prevote and --checkquorum set MiniRaft's Raft; %s runs with its own settings", impl.Name)
	}
	c := &fuzz.Campaign{
		Generator: o.gen, SeedStart: o.seedStart, Runs: o.runs, Time: o.time, Workers: o.workers,
		ShrinkEach: o.shrink, ShrinkRuns: o.shrinkRuns, StopAfter: o.stopAfter, Out: o.out,
		Tool: toolName(), Repro: fuzzRepro,
	}
	if engine == "live" {
		c.Engine = fuzz.Engine{Live: true, Raft: o.eng.raft, RealTime: o.realTime}
		if !o.shrinkRunsSet {
			c.ShrinkRuns = liveShrinkRuns
		}
		c.Repro = func(file string) string { return liveFuzzRepro(o.eng.raft, o.realTime, file) }
	}
	if o.time > 0 && !o.runsSet {
		c.Runs = 0
	}
	if o.runsSet && o.runs < 1 {
		return usage("--runs %d: want at least 1", o.runs)
	}
	if o.time < 0 {
		return usage("--time %v: want a positive duration", o.time)
	}
	if o.workers < 0 {
		return usage("--workers %d: want at least 1 (or 0 for GOMAXPROCS)", o.workers)
	}
	if o.shard != "" {
		i, n, err := parseShard(o.shard, e.getenv)
		if err != nil {
			return usage("%v", err)
		}
		c.Shard, c.Shards = i, n
	}
	kinds, err := fuzz.ParseKinds(o.faults)
	if err != nil {
		return usage("--faults: %v", err)
	}
	if impl != nil && slices.Contains(kinds, fuzz.KindSkew) {
		if o.faultsSet && o.faults != "all" {
			return usage("--faults: skew cannot reach the timers of %s", impl.Name)
		}
		kinds = slices.DeleteFunc(kinds, func(k fuzz.Kind) bool { return k == fuzz.KindSkew })
	}
	c.Generator.Kinds = kinds
	if o.rateSet && o.rate == 0 {
		c.Generator.Rate = -1
	} else if o.rate < 0 {
		return usage("--rate %g: want 0 or more", o.rate)
	} else {
		c.Generator.Rate = o.rate
	}
	if !(o.kv >= 0 && o.kv <= 1) {
		return usage("--kv %g: want a share from 0 to 1", o.kv)
	}
	c.Generator.KV = o.kv
	if o.kv == 0 {
		c.Generator.KV = -1
	}
	c.Generator.NoSwarm = !o.swarm
	if o.shrink < 0 || o.shrinkRuns < 1 || o.stopAfter < 0 {
		return usage("--shrink, --shrink-runs and --stop-after take counts (at least 1 for --shrink-runs)")
	}
	if err := c.Generator.Validate(); err != nil {
		return usage("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var jsonOut *output // nil: stdout, with --json -
	if o.json != "" && o.json != "-" {
		files, err := create([]flagPath{{"--json", o.json}})
		if err != nil {
			return usage("%v", err)
		}
		jsonOut = files[0]
		defer jsonOut.finish()
	}
	bar := newFuzzBar(e, o, c)
	c.Progress = bar.update
	rep, err := c.Run(ctx)
	bar.finish()
	if rep == nil {
		return usage("%v", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "miniraft fuzz: interrupted; the report covers the runs made")
	}
	human := e.stdout
	if o.json == "-" {
		human = e.stderr // stdout carries the JSON alone
	}
	rep.WriteSummary(human)
	if err != nil {
		fmt.Fprintf(e.stderr, "miniraft fuzz: %v\n", err)
	}
	if o.out != "" {
		fmt.Fprintf(human, "\nrecord: %s\n", filepath.Join(o.out, fuzz.RecordFile))
	}
	if o.json != "" {
		b, jerr := jsonDoc(rep.Record(toolName(), ""))
		if jerr == nil {
			jerr = writeOut(e, jsonOut, b)
		}
		if jerr != nil {
			fmt.Fprintf(e.stderr, "miniraft fuzz: --json: %v\n", jerr)
			return exitFail
		}
		if jsonOut != nil {
			fmt.Fprintf(human, "results (JSON): %s\n", jsonOut.path)
		}
	}
	switch {
	case rep.Failed > 0:
		return exitFail
	case ctx.Err() != nil:
		return exitInterrupted
	case err != nil:
		return exitUsage
	}
	return exitPass
}

// liveShrinkRuns bounds a live shrink's runs unless --shrink-runs says otherwise: each
// run there costs about as much as fifteen sim runs, and a candidate runs up to three
// times.
const liveShrinkRuns = 300

// fuzzRepro is the command line that runs a scenario file of the fuzzer's again (the
// file carries its seed and options), with the bugs this run switched on.
func fuzzRepro(file string) string {
	cmd := "miniraft run"
	for _, b := range chaos.ActiveBugs() {
		cmd += " --bug " + b
	}
	return cmd + " " + shellWord(file)
}

// reproRepeat is how many times the repro command of a live campaign's failure runs
// its file.
const reproRepeat = 10

// liveFuzzRepro is the command line that runs a scenario file of a live campaign again:
// on the Raft in raftDir ("": raft.Raft), in virtual time unless realTime, as the
// campaign ran it, and reproRepeat times, since runs of goroutine code are not exactly
// repeatable: it says how often the file fails, and how.
func liveFuzzRepro(raftDir string, realTime bool, file string) string {
	words := []string{"miniraft", "run", "--engine", "live"}
	if raftDir != "" {
		words = []string{"miniraft", "run", "--raft", shellWord(raftDir)}
	}
	if !realTime {
		words = append(words, "--vtime")
	}
	words = append(words, "--repeat", fmt.Sprint(reproRepeat))
	for _, b := range chaos.ActiveBugs() {
		words = append(words, "--bug", b)
	}
	return strings.Join(append(words, shellWord(file)), " ")
}

// writeJSONDoc writes doc, indented, to the file path, or to stdout when path is "-".
func writeJSONDoc(e *env, path string, doc interface{}) error {
	b, err := jsonDoc(doc)
	if err != nil {
		return err
	}
	if path == "-" {
		_, err = e.stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// progressEvery is how often fuzz prints a progress line when stderr is no terminal.
const progressEvery = 5 * time.Second

// barThrottle is the least time between two drawings of the progress bar (tests draw
// every change).
var barThrottle = 100 * time.Millisecond

// fuzzBar shows a campaign's progress on stderr: a bar on a terminal (runs, their rate,
// failures and the time left), or, elsewhere (a CI log), a line every progressEvery.
// Safe for concurrent use.
type fuzzBar struct {
	w      io.Writer
	total  int64         // runs to make, 0 when the campaign runs for budget
	budget time.Duration // the campaign's time, when it has one

	mu    sync.Mutex
	bar   *progressbar.ProgressBar // nil: lines
	lines bool
	last  time.Duration // when the last line was printed, as Progress.Elapsed
}

func newFuzzBar(e *env, o *fuzzOptions, c *fuzz.Campaign) *fuzzBar {
	b := &fuzzBar{w: e.stderr, budget: c.Time}
	if o.quiet {
		return b
	}
	b.total = c.Runs
	if c.Shards > 1 && b.total > 0 {
		b.total = (b.total + int64(c.Shards) - 1) / int64(c.Shards)
	}
	if !e.isTerminal(e.stderr) {
		b.lines = true
		return b
	}
	if b.total > 0 {
		b.bar = progressbar.NewOptions64(b.total,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("fuzzing"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("runs"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(barThrottle),
			progressbar.OptionClearOnFinish(),
		)
	} else {
		// Over the time budget, in seconds: the bar's own rate and ETA would be of
		// seconds, so the description gives the runs and their rate.
		b.bar = progressbar.NewOptions64(max(int64(c.Time/time.Second), 1),
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("fuzzing"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(barThrottle),
			progressbar.OptionClearOnFinish(),
		)
	}
	return b
}

func (b *fuzzBar) update(p fuzz.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.lines:
		if p.Elapsed-b.last >= progressEvery {
			b.last = p.Elapsed
			fmt.Fprintln(b.w, b.line(p))
		}
	case b.bar != nil:
		desc := fmt.Sprintf("fuzzing, %d failed", p.Failed)
		if b.total == 0 {
			desc = fmt.Sprintf("fuzzing: %d runs (%s/s), %d failed", p.Runs, rate(p), p.Failed)
		}
		if p.Shrinking > 0 {
			desc += fmt.Sprintf(", shrinking %d", p.Shrinking)
		}
		if b.total == 0 && b.budget > 0 {
			desc += fmt.Sprintf(", %s left", max(b.budget-p.Elapsed, 0).Round(time.Second))
		}
		b.bar.Describe(desc)
		if b.total > 0 {
			b.bar.Set(p.Runs)
		} else {
			b.bar.Set64(min(int64(p.Elapsed/time.Second), b.bar.GetMax64()))
		}
	}
}

// line is a progress line: "fuzz: 1200 of 5000 runs (412/s), 2 failed, 2.9s elapsed,
// about 9s left".
func (b *fuzzBar) line(p fuzz.Progress) string {
	total := b.total
	if p.Total > 0 {
		total = p.Total // the exact count of a shard's seeds
	}
	runs := fmt.Sprint(p.Runs)
	if total > 0 {
		runs += fmt.Sprintf(" of %d", total)
	}
	s := fmt.Sprintf("fuzz: %s runs (%s/s), %d failed", runs, rate(p), p.Failed)
	if p.Shrinking > 0 {
		s += fmt.Sprintf(", shrinking %d", p.Shrinking)
	}
	s += fmt.Sprintf(", %s elapsed", p.Elapsed.Round(100*time.Millisecond))
	var left time.Duration
	switch {
	case total > 0 && p.Runs > 0:
		left = time.Duration(float64(p.Elapsed) / float64(p.Runs) * float64(total-int64(p.Runs)))
		if b.budget > 0 {
			left = min(left, b.budget-p.Elapsed)
		}
		s += fmt.Sprintf(", about %s left", max(left, 0).Round(time.Second))
	case total <= 0 && b.budget > 0:
		s += fmt.Sprintf(", %s left", max(b.budget-p.Elapsed, 0).Round(time.Second))
	}
	return s
}

// rate is p's runs a second, as a person reads it.
func rate(p fuzz.Progress) string {
	if p.Elapsed <= 0 {
		return "-"
	}
	r := float64(p.Runs) / p.Elapsed.Seconds()
	if r >= 10 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

func (b *fuzzBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Finish()
	}
}

// addBugFlag adds --bug to fs in builds that have the deliberate bugs, and returns the
// function that switches on the bugs named, if the flag is given (or reports a bad name,
// with exit code 2).
func addBugFlag(fs *pflag.FlagSet) func(e *env, cmd string) int {
	names := fs.StringSlice("bug", nil, "switch on a deliberate bug (test builds only): "+strings.Join(bugs.Known, ", "))
	if !bugs.Available {
		// Known, but not in this build's help: a person who read about --bug learns how
		// to get it instead of "unknown flag".
		fs.MarkHidden("bug") //nolint:errcheck // the flag was just defined
	}
	return func(e *env, cmd string) int {
		if !fs.Changed("bug") {
			return exitPass
		}
		if !bugs.Available {
			fmt.Fprintf(e.stderr, "miniraft %s: --bug: this binary has no deliberate bugs; build one that has them with -tags bugs:\n"+
				"  go build -tags bugs -o miniraft-bugs ./cmd/miniraft   (or: go run -tags bugs ./cmd/miniraft %s --bug %s ...)\n",
				cmd, cmd, strings.Join(*names, ","))
			return exitUsage
		}
		if err := bugs.Set(*names...); err != nil {
			fmt.Fprintf(e.stderr, "miniraft %s: --bug: %v\n", cmd, err)
			return exitUsage
		}
		return exitPass
	}
}

// toolName names this program in traces: its version and any bugs switched on, which a
// run needs to be repeated.
func toolName() string {
	s := "miniraft " + version()
	if on := chaos.ActiveBugs(); len(on) > 0 {
		s += " with bugs " + strings.Join(on, ",")
	}
	return s
}

package fuzz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/internal/bugs"
)

// Defaults of an Engine's fields for the live engine.
const (
	// DefaultTries is how many times a shrink candidate runs on the live engine.
	DefaultTries = 3
	// DefaultReruns is how many times a shrunk live schedule runs again to say how often
	// it reproduces.
	DefaultReruns = 10
	// DefaultRealTimeWorkers is how many real-time clusters run at once: they mostly wait.
	DefaultRealTimeWorkers = 10
)

// Engine says where a campaign runs its schedules. The zero value is the sim engine, in
// this process: raft.Node peers in virtual time, deterministic. With Live, schedules run
// on the live engine, whose peers are Rafts with all their goroutines (raft.Raft, or the
// Raft of a directory built into this binary), each run in a worker process of its own
// (vtime.Worker: this program again), so that a panic, a deadlock or goroutines left
// behind end only that worker: by default in virtual time (a testing/synctest bubble,
// about a hundred times faster than real time), or in real time.
//
// Runs on the live engine are nearly, not exactly, repeatable: goroutines woken
// together run in any order. A shrink candidate is run up to Tries times and counts as
// failing if any run fails as wanted, and each shrunk schedule is run Reruns times more
// to say how often it reproduces.
type Engine struct {
	// Live runs schedules on the live engine.
	Live bool
	// Raft is the directory of the Raft the live engine's peers run, which this binary
	// must carry (course.ForDir); "" runs MiniRaft's raft.Raft.
	Raft string
	// RealTime runs live schedules in real time instead of in synctest bubbles: for a
	// Raft a bubble cannot run (one that does real I/O). Give the campaign many workers:
	// real-time clusters mostly wait.
	RealTime bool
	// Tries and Reruns: see the type's comment (defaults DefaultTries, DefaultReruns on
	// the live engine; 1 and 0 on the sim, which repeats itself exactly).
	Tries, Reruns int
	// CheckBudget bounds each kv linearizability check (0: the default).
	CheckBudget time.Duration
	// Worker configures the worker processes (by default this program, which must call
	// Serve first thing in main).
	Worker vtime.WorkerOptions
}

// Name names the engine for people: "sim", "live (virtual time)"...
func (e Engine) Name() string {
	if !e.Live {
		return "sim"
	}
	clock := "virtual time"
	if e.RealTime {
		clock = "real time"
	}
	if e.Raft != "" {
		return fmt.Sprintf("live, the Raft in %s, %s", e.Raft, clock)
	}
	return "live, " + clock
}

func (e Engine) tries() int {
	switch {
	case e.Tries > 0:
		return e.Tries
	case e.Live:
		return DefaultTries
	}
	return 1
}

func (e Engine) reruns() int {
	switch {
	case e.Reruns > 0:
		return e.Reruns
	case e.Live:
		return DefaultReruns
	}
	return 0
}

// validate checks that the engine can run here.
func (e Engine) validate() error {
	if !e.Live && (e.Raft != "" || e.RealTime) {
		return fmt.Errorf("%w: a Raft directory and real time need the live engine", ErrCampaign)
	}
	if e.Raft != "" && course.ForDir(e.Raft) == nil {
		return fmt.Errorf("%w: this program does not carry the Raft in %s (miniraft --raft DIR builds one that does)", ErrCampaign, e.Raft)
	}
	return nil
}

// executor runs schedules one at a time, for one of a campaign's workers.
type executor interface {
	// run runs sc with seed, writing its trace to the file trace if it is not "".
	run(ctx context.Context, sc *scenario.Scenario, seed int64, trace, tool string) (Outcome, error)
	close()
}

func (e Engine) executor() executor {
	if !e.Live {
		return simExecutor{}
	}
	return &liveExecutor{e: e, w: vtime.NewWorker(e.workerOptions())}
}

// workerOptions are the options of the live engine's worker processes. A worker is this
// program started again, so it switches on the deliberate bugs switched on here (through
// bugs.EnvVar): a campaign against a bug of raft.Raft would fuzz correct code otherwise.
func (e Engine) workerOptions() vtime.WorkerOptions {
	w := e.Worker
	w.RealTime = w.RealTime || e.RealTime
	return WithBugs(w)
}

// WithBugs returns w with the deliberate bugs switched on in this program switched on
// in the worker processes too (they are this program started again): a run of a bug of
// raft.Raft in a worker would run correct code otherwise.
func WithBugs(w vtime.WorkerOptions) vtime.WorkerOptions {
	if on := chaos.ActiveBugs(); len(on) > 0 {
		w.Env = append(slices.Clone(w.Env), bugs.EnvVar+"="+strings.Join(on, ","))
	}
	return w
}

// simExecutor runs schedules in this process, on the sim engine.
type simExecutor struct{}

func (simExecutor) run(ctx context.Context, sc *scenario.Scenario, seed int64, trace, tool string) (Outcome, error) {
	if trace == "" {
		return Run(ctx, sc, seed, nil, tool)
	}
	f, err := os.Create(trace)
	if err != nil {
		return Outcome{}, fmt.Errorf("fuzz: %w", err)
	}
	o, err := Run(ctx, sc, seed, f, tool)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("fuzz: %w", cerr)
	}
	return o, err
}

func (simExecutor) close() {}

// Job is one run asked of a worker process: a scenario on the live engine.
type Job struct {
	// Name and Source are the scenario's.
	Name   string `json:"name"`
	Source string `json:"source"`
	// Seed is used if the scenario has none.
	Seed int64 `json:"seed"`
	// Raft is the directory of the Raft to run ("": raft.Raft).
	Raft string `json:"raft,omitempty"`
	// Trace, if set, is the file the run's trace goes to; Tool names the program in it.
	Trace string `json:"trace,omitempty"`
	Tool  string `json:"tool,omitempty"`
	// SeedSet makes Seed the run's seed even if the scenario has one (the command line
	// set it). Overrides are what the command line changed of the scenario, applied
	// after it is parsed, so that failures name the lines of Source; Repro is the
	// command that runs it again, for its trace.
	SeedSet   bool            `json:"seed_set,omitempty"`
	Overrides chaos.Overrides `json:"overrides,omitempty"`
	Repro     string          `json:"repro,omitempty"`
	// CheckBudget bounds the linearizability check of a kv workload (made by the parent).
	CheckBudget time.Duration `json:"check_budget,omitempty"`
}

// scenario parses the job's scenario and applies its overrides.
func (j *Job) scenario() (*scenario.Scenario, error) {
	sc, err := scenario.Parse(j.Name+".chaos", []byte(j.Source))
	if err != nil {
		return nil, err
	}
	if j.SeedSet {
		sc.Header.Seed, sc.Header.HasSeed = j.Seed, true
	}
	model.ApplyOverrides(sc, j.Overrides)
	return sc, sc.Validate()
}

// jobResult is what a worker returns for a Job.
type jobResult struct {
	Result *runner.Result `json:"result"`
	Events uint64         `json:"events"`
}

// liveExecutor runs schedules in a worker process.
type liveExecutor struct {
	e Engine
	w *vtime.Worker
}

func (x *liveExecutor) close() { x.w.Close() }

func (x *liveExecutor) run(ctx context.Context, sc *scenario.Scenario, seed int64, trace, tool string) (Outcome, error) {
	src := sc.Source
	if src == "" {
		src = scenario.Format(sc)
	}
	req, err := json.Marshal(Job{Name: sc.Name, Source: src, Seed: seed, Raft: x.e.Raft, Trace: trace, Tool: tool})
	if err != nil {
		return Outcome{}, err
	}
	rep, err := x.w.Do(ctx, req)
	if err != nil {
		return Outcome{}, err
	}
	return x.e.outcome(sc, seed, rep)
}

// RunJob runs j in the worker process w (see Serve) and returns its outcome, as a live
// campaign's runs are made: a deadlock or a panic of the Raft is a failing outcome with
// its stacks, and a kv history is checked here. sc is j's scenario, as the caller parsed
// it (for the outcome of a run that ended the worker).
func RunJob(ctx context.Context, w *vtime.Worker, j Job, sc *scenario.Scenario) (Outcome, error) {
	req, err := json.Marshal(j)
	if err != nil {
		return Outcome{}, err
	}
	rep, err := w.Do(ctx, req)
	if err != nil {
		return Outcome{}, err
	}
	return Engine{Live: true, Raft: j.Raft, CheckBudget: j.CheckBudget}.outcome(sc, j.Seed, rep)
}

// outcome turns a worker's reply into the run's outcome: a verdict is a deadlock, a
// panic a panic violation (both with the stacks of the Raft's code), an answer the run's
// result, whose kv history is checked here, outside the bubble, with a real-time budget.
func (e Engine) outcome(sc *scenario.Scenario, seed int64, rep *vtime.Reply) (Outcome, error) {
	failed := func(v chaos.Violation, at time.Duration) Outcome {
		if sc.Header.HasSeed {
			seed = sc.Header.Seed
		}
		rc := chaos.RunConfig{Name: sc.Name, Engine: "live", Seed: seed, Peers: sc.Header.Peers, Scenario: sc.Source}
		res := &runner.Result{Result: model.Result{RunConfig: rc,
			Duration: at, Wall: rep.Wall, Failure: &v, Violations: []chaos.Violation{v}}}
		return Outcome{Result: res}
	}
	switch {
	case rep.Verdict != nil:
		v := rep.Verdict.Violation()
		v.Message = withStacks(v.Message, rep.Verdict.Stacks)
		return failed(v, rep.Verdict.At), nil
	case rep.Panic != "":
		v := chaos.Violation{Checker: runner.CheckerPanic, Message: withStacks(rep.Panic, ownStacks(rep.Stacks, e.packages()))}
		return failed(v, rep.Virtual), nil
	case rep.Err != "":
		return Outcome{}, errors.New(rep.Err)
	case rep.Exit != 0:
		return Outcome{}, fmt.Errorf("the worker process ended with exit code %d:\n%s", rep.Exit, tailLines(rep.Output, 20))
	}
	var jr jobResult
	if err := json.Unmarshal(rep.Payload, &jr); err != nil || jr.Result == nil {
		return Outcome{}, fmt.Errorf("a worker's answer does not read: %v", err)
	}
	jr.Result.Wall = rep.Wall // the bubble's clock is virtual: the run took the worker's real time
	runner.CheckKV(jr.Result, e.CheckBudget)
	o := Outcome{Result: jr.Result, Events: jr.Events}
	if l := rep.Leaked; l != nil {
		msg := withStacks("goroutines were left behind after the run: "+l.Message, l.Stacks)
		if e.Raft == "" && o.Failure == nil {
			// MiniRaft's raft.Raft ends every goroutine it starts once killed (Wait).
			v := chaos.Violation{Checker: CheckerLeak, Message: msg, At: jr.Result.Duration}
			o.Pass, o.Failure = false, &v
			o.Violations = append(o.Violations, v)
		} else {
			o.Leaked = msg // a course Raft's goroutines often outlive Kill: worth saying, not a failure
		}
	}
	return o, nil
}

// CheckerLeak names the failure of a run of MiniRaft's raft.Raft that left goroutines
// behind once its peers were killed (in virtual time, where synctest sees them).
const CheckerLeak = "leak"

// packages are the prefixes of the functions whose goroutines a finding shows: MiniRaft's
// Raft's, or the Raft's of e.Raft.
func (e Engine) packages() []string {
	ps := []string{vtime.RaftPackage}
	if impl := course.ForDir(e.Raft); e.Raft != "" && impl != nil && impl.Package != "" {
		ps = append(ps, impl.Package+".")
	}
	return ps
}

// ownStacks keeps the goroutines that run one of packages.
func ownStacks(gs []vtime.Goroutine, packages []string) []vtime.Goroutine {
	var out []vtime.Goroutine
	for _, g := range gs {
		if g.Runs(packages...) {
			out = append(out, g)
		}
	}
	if len(out) == 0 && len(gs) > 0 {
		out = gs[:1] // the panicking goroutine
	}
	return out
}

// withStacks adds the goroutines' stacks, as the runtime printed them, to msg.
func withStacks(msg string, gs []vtime.Goroutine) string {
	var b strings.Builder
	b.WriteString(msg)
	for _, g := range gs {
		b.WriteString("\n\n" + g.Text)
	}
	return b.String()
}

// tailLines returns the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ServeJob is the handler of a worker process (see Serve): it runs a Job, where it is
// called (in a synctest bubble, or in real time), on the live engine under the watchdog,
// and answers with the run's result. The kv history is left for the parent to check.
func ServeJob(ctx context.Context, wd *vtime.Watchdog, req []byte) ([]byte, error) {
	var j Job
	if err := json.Unmarshal(req, &j); err != nil {
		return nil, fmt.Errorf("fuzz: a job that does not read: %w", err)
	}
	sc, err := j.scenario()
	if err != nil {
		return nil, err
	}
	opts := runner.Options{Engine: "live", Seed: j.Seed, Watchdog: wd, DeferKVCheck: true, Tool: j.Tool,
		Overrides: j.Overrides, Repro: j.Repro}
	if j.Raft != "" {
		if opts.Impl = course.ForDir(j.Raft); opts.Impl == nil {
			return nil, fmt.Errorf("fuzz: this program does not carry the Raft in %s", j.Raft)
		}
	}
	if j.Trace != "" {
		f, err := os.Create(j.Trace)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		opts.Trace = f
	}
	r, err := runner.New(sc, opts)
	if err != nil {
		return nil, err
	}
	res, err := r.Run(ctx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(jobResult{Result: res, Events: r.Cluster().Events().Seq()})
}

// WorkerOptions are the watchdog settings of a worker process: the goroutines of
// MiniRaft's Raft and of every Raft this binary carries are the ones a verdict shows.
func WorkerOptions() vtime.Options {
	ps := []string{vtime.RaftPackage}
	for _, impl := range course.Registered() {
		if impl.Package != "" {
			ps = append(ps, impl.Package+".")
		}
	}
	return vtime.Options{Packages: ps, Limit: 30 * time.Minute}
}

// Serve makes this process a worker of live campaigns when a campaign started it (see
// vtime.Serve), and returns at once otherwise. A program that runs live campaigns calls
// it first thing in main.
func Serve() { vtime.Serve(ServeJob, WorkerOptions()) }

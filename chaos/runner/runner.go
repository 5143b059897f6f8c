// Package runner runs a scenario on a cluster: it starts the cluster on the engine asked
// for, attaches the checkers, the workload and the trace before any peer boots, carries
// out the timeline (faults, proposals, waits, expectations and background repetitions) in
// cluster time, and reports a Result. The same Runner serves `miniraft run` (to the end
// of the scenario, as fast as the engine goes) and the TUI (held open, paced, taking
// commands typed by a person).
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/check"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/live"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/chaos/sim"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// Engines lists the engine names NewCluster accepts.
var Engines = []string{"sim", "live"}

// NewCluster starts a cluster on the named engine.
func NewCluster(engine string, cfg chaos.ClusterConfig) (chaos.Cluster, error) {
	return newCluster(engine, cfg, Options{})
}

// newCluster starts a cluster on the named engine, with the live engine's options.
func newCluster(engine string, cfg chaos.ClusterConfig, opts Options) (chaos.Cluster, error) {
	switch engine {
	case "sim":
		if opts.Impl != nil {
			return nil, fmt.Errorf("the sim engine runs MiniRaft's raft.Node only: %s needs the live engine", opts.Impl.Name)
		}
		return sim.New(cfg)
	case "live":
		lo := live.Options{Impl: opts.Impl}
		if opts.Watchdog != nil {
			lo.Watchdog = opts.Watchdog
		}
		return live.NewWith(cfg, lo)
	}
	return nil, fmt.Errorf("unknown engine %q (want sim or live)", engine)
}

// Options configure a run.
type Options struct {
	// Engine is "sim" (default) or "live".
	Engine string
	// Seed is used when the scenario sets none.
	Seed int64
	// Trace, when non-nil, receives the run as JSON Lines (see chaos.TraceWriter).
	Trace io.Writer
	// Tool names the program, for the trace header.
	Tool string
	// Overrides are the command line's changes to the scenario's header: New applies
	// them to the scenario (see model.ApplyOverrides), and the run's configuration
	// (trace header, Result) records them.
	Overrides chaos.Overrides
	// Repro is the command that runs the scenario again, for the run's configuration.
	Repro string
	// Hold keeps the cluster running after the last step, until the context ends or Stop
	// is called, and keeps going after a violation (for the TUI).
	Hold bool
	// Speed paces a sim run at Speed seconds of cluster time per second of real time;
	// zero runs it as fast as it goes. A live run always goes at real speed.
	Speed float64
	// Progress, when non-nil, is called from the run's goroutine about five times a
	// second of real time with the run's state.
	Progress func(State)
	// Observers are attached to the cluster's bus before any peer boots (see
	// chaos.ClusterConfig.Observers): they see every event of the run.
	Observers []func(chaos.Event)
	// CheckBudget bounds the time the linearizability check of a kv workload's history
	// may take; beyond it the outcome is unknown. Zero means kv.DefaultBudget.
	CheckBudget time.Duration
	// AfterTimeline are commands carried out once, with Hold, when the scenario's
	// timeline is over, so that a held-open cluster keeps doing something (the demo
	// turns its workload back on); AfterNote is published as a note then.
	AfterTimeline []string
	AfterNote     string
	// Impl is the Raft the live engine's peers run (nil: MiniRaft's raft.Raft). The sim
	// engine runs only MiniRaft's.
	Impl *course.Impl
	// Watchdog, when set, watches every call the live engine makes into a peer; its
	// verdict ends the run with a deadlock violation. Outside a synctest bubble, Run
	// returns at the verdict even when the run's own goroutine is stuck in a peer (it is
	// left behind, as are the peer's goroutines: nothing can end them).
	Watchdog *vtime.Watchdog
	// DeferKVCheck leaves a kv workload's history unchecked: Result.KV has the history
	// and a zero Check, for the caller to check with CheckKV (outside a synctest
	// bubble, where porcupine's budget is real time).
	DeferKVCheck bool
}

// slice is the longest stretch of cluster time the runner lets pass without looking
// at the cluster (to fire background work, check liveness and take commands).
const slice = 10 * time.Millisecond

// Runner runs one scenario on one cluster. Create it with New, then call Run once. Its
// other methods are safe to call from other goroutines while Run runs.
type Runner struct {
	sc     *scenario.Scenario
	opts   Options
	c      chaos.Cluster
	wl     *Workload
	kv     *kv.Workload // nil unless the scenario uses a kv workload
	trace  *chaos.TraceWriter
	cmds   chan queued
	stopCh chan struct{}
	stop   sync.Once
	speed  atomic.Uint64 // float64 bits

	pauseMu sync.Mutex // serialises Pause and Resume, which call the cluster without mu

	rngMu sync.Mutex // serialises selector picks: the run's goroutine's and triggers'
	rng   *rand.Rand

	trigMu   sync.Mutex // guards the armed on commands and the peers' roles
	triggers []*trigger
	roles    []raftpb.Role // each peer's role, as its raft events have it

	checkMu sync.Mutex // serialises the Suite's Observe (bus) and Advance (run)
	checks  *check.Suite

	modelMu sync.Mutex // serialises the model's Apply (bus) and its readers
	model   *model.Run
	watch   *feed   // the events a Source shows, when there is one
	source  *Source // made by Source

	done atomic.Bool // Run has returned
	// over: the timeline has been carried out. A run that ends before, but for a
	// failure that ends it (without Hold), was interrupted.
	over      atomic.Bool
	abandoned atomic.Bool // Run gave up on its timeline at a watchdog's verdict

	mu         sync.Mutex
	rate       float64
	nextWork   time.Duration
	background []*background
	fired      []func() // triggers fired on a cluster that is no chaos.Reactor
	kvResult   *kv.Result
	kvReported bool // a linearizability violation has been published
	paused     bool
	resumed    chan struct{}
	pausedAt   time.Time     // when the pause under way began
	pausedFor  time.Duration // the real time of the pauses that ended
	// sliceCtx is the context the cluster runs under, made from runCtx (Run's) anew
	// after each pause: Pause cancels it, so that a run computing a slice of cluster
	// time when the pause comes returns to take commands.
	runCtx      context.Context
	sliceCtx    context.Context
	sliceCancel context.CancelFunc

	// Used by the run's goroutine only.
	pace         pacer
	lastProgress time.Time
}

// queued is a command typed at the command bar, waiting for the run's goroutine.
type queued struct {
	cmd  scenario.Command
	text string
}

// background is an every step, or a wait typed at the command bar.
type background struct {
	step  scenario.Step
	next  time.Duration
	runs  int
	until time.Duration // for waits: the deadline
	cond  *scenario.Cond
	// throughout: cond must hold until the deadline (a typed expect COND for D), not
	// come to hold before it (a typed wait).
	throughout bool
}

// New checks sc, starts its cluster on opts.Engine with the checkers, the workload and
// the trace attached, and returns a Runner ready to Run. Errors are bad input (the
// scenario, the engine) or a failure to start.
func New(sc *scenario.Scenario, opts Options) (*Runner, error) {
	model.ApplyOverrides(sc, opts.Overrides)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if opts.Engine == "" {
		opts.Engine = "sim"
	}
	cfg := sc.ClusterConfig(opts.Seed)
	conf := runConfig(sc, opts, cfg.Seed)
	r := &Runner{
		sc:      sc,
		opts:    opts,
		wl:      NewWorkload(),
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x72756e6e6572)),
		cmds:    make(chan queued, 64),
		stopCh:  make(chan struct{}),
		resumed: make(chan struct{}),
	}
	r.SetSpeed(opts.Speed)
	info := model.InfoOf(sc, opts.Engine, cfg.Seed)
	info.Config = conf
	r.model = model.New(info)
	live := sc.Header.Liveness
	copts := check.Options{LeaderBound: live.Leader, CommitBound: live.Commit, OnViolation: r.violation}
	if live.Off {
		copts.Skip = []string{check.Liveness}
	}
	checks, err := check.New(sc.Header.Peers, copts)
	if err != nil {
		return nil, err
	}
	r.checks = checks
	// The runner's own sinks ignore message events, so a run without a trace or an
	// observer wanting them does not pay to build them. (The network's
	// totals come from the engine, in the run's end event.)
	mkinds := modelKinds
	if opts.Impl != nil {
		// Peers seen from outside show their commits only in what their services get.
		mkinds = append(mkinds[:len(mkinds):len(mkinds)], chaos.EventDeliver)
	}
	cfg.Sinks = append(cfg.Sinks,
		chaos.Sink{Fn: r.observeChecks, Kinds: check.EventKinds()},
		chaos.Sink{Fn: r.observeModel, Kinds: mkinds},
		chaos.Sink{Fn: r.observeTriggers, Kinds: []chaos.EventKind{chaos.EventRaft}})
	r.roles = make([]raftpb.Role, sc.Header.Peers)
	cfg.Observers = append(cfg.Observers, opts.Observers...)
	if opts.Trace != nil {
		r.trace, err = chaos.NewTraceWriter(opts.Trace, chaos.TraceHeader{RunConfig: conf})
		if err != nil {
			return nil, err
		}
		cfg.Observers = append(cfg.Observers, r.trace.Observe)
	}
	r.setupKV(&cfg)
	c, err := newCluster(opts.Engine, cfg, opts)
	if err != nil {
		if r.trace != nil {
			r.trace.Close()
		}
		return nil, err
	}
	r.c = c
	if r.kv != nil {
		r.kv.Start(c)
	}
	if err := r.setWorkload(sc.Header.Workload); err != nil {
		c.Stop()
		if r.trace != nil {
			r.trace.Close()
		}
		return nil, err
	}
	return r, nil
}

// runConfig returns the configuration of a run of sc (its overrides applied) with opts
// and seed.
func runConfig(sc *scenario.Scenario, opts Options, seed int64) chaos.RunConfig {
	c := chaos.RunConfig{Name: sc.Name, Engine: opts.Engine, Seed: seed, Peers: sc.Header.Peers, Scenario: sc.Source,
		Bugs: chaos.ActiveBugs(), Tool: opts.Tool, Repro: opts.Repro}
	if c.Tool == "" {
		c.Tool = "miniraft"
	}
	b := chaos.CurrentBuild()
	c.Build = &b
	if !opts.Overrides.IsZero() {
		o := opts.Overrides
		c.Overrides = &o
		eff := *sc // the seed written in, however it was chosen: the text is the run's
		eff.Header.Seed, eff.Header.HasSeed = seed, true
		c.Effective = scenario.Format(&eff)
	}
	return c
}

// Config returns the run's configuration: what its trace's header and its Result say.
func (r *Runner) Config() chaos.RunConfig {
	r.modelMu.Lock()
	defer r.modelMu.Unlock()
	return r.model.Info().Config
}

// Cluster returns the cluster the runner drives.
func (r *Runner) Cluster() chaos.Cluster { return r.c }

// Scenario returns the scenario.
func (r *Runner) Scenario() *scenario.Scenario { return r.sc }

// Workload returns the client workload.
func (r *Runner) Workload() *Workload { return r.wl }

// observeChecks feeds the checkers (a bus sink).
func (r *Runner) observeChecks(e chaos.Event) {
	r.checkMu.Lock()
	r.checks.Observe(e)
	r.checkMu.Unlock()
}

// modelKinds are the events the runner's model folds: all but messages and deliveries.
var modelKinds = []chaos.EventKind{chaos.EventRaft, chaos.EventFault, chaos.EventPropose, chaos.EventStep,
	chaos.EventViolation, chaos.EventExpect, chaos.EventNote, chaos.EventClient, chaos.EventCall, chaos.EventEnd}

// observeModel folds e into the run model (a bus sink), and queues it for a Source.
func (r *Runner) observeModel(e chaos.Event) {
	r.modelMu.Lock()
	eff := r.model.Apply(e)
	w := r.watch
	r.modelMu.Unlock()
	if w != nil && model.Watched(e) {
		w.push(model.Seen{Event: e, StepDown: eff.StepDown})
	}
}

// violation is the checkers' OnViolation: it publishes the violation (the model then
// records it).
func (r *Runner) violation(v chaos.Violation) {
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventViolation, Peer: firstOr(v.Peers, -1), Violation: &v})
}

func firstOr(xs []int, d int) int {
	if len(xs) > 0 {
		return xs[0]
	}
	return d
}

// Exec parses a command typed at the command bar and queues it for the run. It returns
// the parse error, if any, at once; the command's outcome appears on the event bus. A
// wait runs in the background and reports with an EventExpect.
func (r *Runner) Exec(line string) error {
	cmd, err := scenario.ParseCommand(line)
	if err != nil {
		return err
	}
	if err := scenario.ValidateCommand(cmd, r.sc.Header.Peers); err != nil {
		return err
	}
	if err := refuseTyped(cmd); err != nil {
		return err
	}
	select {
	case r.cmds <- queued{cmd: cmd, text: line}:
		return nil
	default:
		return errors.New("too many commands waiting; try again")
	}
}

// refuseTyped returns the error for a command that parses but cannot be typed at the
// command bar: a sleep (the bar runs each command at once), or a fault on links that
// names only a peer's link to itself (cut 0 -> 0).
func refuseTyped(cmd scenario.Command) error {
	switch c := cmd.(type) {
	case scenario.SleepCmd:
		return &scenario.Error{Pos: scenario.Pos{Col: 1}, Token: "sleep", Msg: "a command cannot sleep here:",
			Hint: "the command bar runs each command at once; sleep belongs in scenario files, and wait COND within D waits here"}
	case scenario.FaultCmd:
		if c.HasLinks() && onlySelf(c.From.Selector, c.To.Selector) {
			return &scenario.Error{Pos: c.To.Pos, Token: c.To.String(), Msg: "a peer has no link to itself:",
				Hint: "name other peers on each side, as in cut 0 -> 1"}
		}
	}
	return nil
}

// onlySelf reports whether links from -> to, both lists of ids, are all a peer's link
// to itself.
func onlySelf(from, to chaos.Selector) bool {
	if from.Kind != chaos.SelIDs || to.Kind != chaos.SelIDs || len(from.IDs) == 0 {
		return false
	}
	for _, f := range from.IDs {
		for _, t := range to.IDs {
			if f != t {
				return false
			}
		}
	}
	return true
}

// SetSpeed changes the pace of a sim run (see Options.Speed).
func (r *Runner) SetSpeed(x float64) {
	if !(x >= 0) {
		x = 0
	}
	r.speed.Store(mathFloat64bits(x))
}

// Speed returns the pace set by SetSpeed.
func (r *Runner) Speed() float64 { return mathFloat64frombits(r.speed.Load()) }

// Pause freezes the cluster; commands still run. Resume continues it.
func (r *Runner) Pause() {
	r.pauseMu.Lock()
	defer r.pauseMu.Unlock()
	r.mu.Lock()
	if r.paused {
		r.mu.Unlock()
		return
	}
	r.paused = true
	r.resumed = make(chan struct{})
	r.pausedAt = time.Now()
	if r.sliceCancel != nil {
		r.sliceCancel()
	}
	r.mu.Unlock()
	r.c.Pause() // not under mu: the cluster publishes under its lock, and sinks take mu
}

// Resume continues a paused run.
func (r *Runner) Resume() {
	r.pauseMu.Lock()
	defer r.pauseMu.Unlock()
	r.mu.Lock()
	if !r.paused {
		r.mu.Unlock()
		return
	}
	r.paused = false
	r.pausedFor += time.Since(r.pausedAt)
	resumed := r.resumed
	if r.runCtx != nil {
		r.sliceCancel()
		r.sliceCtx, r.sliceCancel = context.WithCancel(r.runCtx)
	}
	r.mu.Unlock()
	r.c.Resume() // not under mu, as in Pause
	close(resumed)
}

// pausedTime returns the real time the run has spent paused so far.
func (r *Runner) pausedTime() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.pausedFor
	if r.paused {
		d += time.Since(r.pausedAt)
	}
	return d
}

// Paused reports whether the run is paused.
func (r *Runner) Paused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paused
}

// Stop ends a run: Run returns soon after, with the result so far. It stops the cluster,
// so that a run waiting for a paused cluster returns too.
func (r *Runner) Stop() {
	r.stop.Do(func() {
		close(r.stopCh)
		r.c.Stop()
	})
}

// errStop ends the timeline early without being an error.
var errStop = errors.New("stopped")

// Run carries out the scenario and returns its result. A run that finds a violation
// returns a Result with Pass false and a nil error. A run stopped (by Stop, or the
// context ending, as when a signal comes) before its timeline was over, but for a
// failure that ends it, is interrupted: its Result says where (Interrupted) and does not
// pass, and the error is nil. The error is for a run that could not be carried out (the
// engine or the trace failed). Run stops the cluster before it returns.
//
// A panic in the run's goroutine (on the sim engine, raft.Node's code runs there) ends
// the run with a violation of checker "panic" carrying the stack. With a watchdog, its
// verdict ends the run with a "deadlock" violation.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	wallStart := time.Now()
	r.pace = pacer{wall: wallStart}
	r.mu.Lock()
	r.runCtx = ctx
	r.sliceCtx, r.sliceCancel = context.WithCancel(ctx)
	if r.paused {
		r.sliceCancel()
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.sliceCancel()
		r.mu.Unlock()
	}()
	var err error
	if wd := r.opts.Watchdog; wd != nil && !vtime.InBubble() {
		err = r.timelineWatched(ctx, wd)
	} else {
		err = r.safeTimeline(ctx)
	}
	if errors.Is(err, errStop) || err != nil && ctx.Err() != nil {
		err = nil // stopped, or the context ended (a signal came): the result says where
	}
	interrupted := !r.over.Load() && !(r.failed() && !r.opts.Hold)
	end := r.c.Now()
	if r.abandoned.Load() {
		r.stopWithin(stopGrace)
	} else {
		r.c.Stop()
	}
	r.checkMu.Lock()
	r.checks.Finish(end)
	r.checkMu.Unlock()
	kvCheck := r.finishKV(ctx, end)
	cs := r.checkStats()
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventEnd, Peer: -1, End: &chaos.RunEnd{
		Net: r.c.Stats(), LongestLeaderless: cs.LongestLeaderless, MaxCommitWait: cs.MaxCommitWait, KV: kvCheck,
		Interrupted: interrupted}})
	if r.trace != nil {
		if terr := r.trace.Close(); terr != nil && err == nil {
			err = terr
		}
	}
	res := r.result(end, time.Since(wallStart))
	r.done.Store(true)
	return res, err
}

// stopGrace bounds, in real time, how long a run abandoned at a watchdog's verdict waits
// for its cluster to stop.
const stopGrace = 2 * time.Second

// Checker names of the violations the runner itself reports.
const (
	// CheckerPanic: Raft code panicked; the message carries the stack.
	CheckerPanic = "panic"
	// CheckerDeadlock: the watchdog found a call into a peer that never returned, or a
	// cluster whose clock stopped (vtime.Checker).
	CheckerDeadlock = vtime.Checker
)

// safeTimeline is timeline, turning a panic in it into a violation of checker "panic".
func (r *Runner) safeTimeline(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked(p, debug.Stack())
			err = nil
		}
	}()
	return r.timeline(ctx)
}

// panicked publishes a panic of the run's goroutine as a violation.
func (r *Runner) panicked(p interface{}, stack []byte) {
	v := chaos.Violation{Checker: CheckerPanic, At: r.c.Now(),
		Message: fmt.Sprintf("panic: %v\n\n%s", p, stack)}
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventViolation, Peer: -1, Violation: &v})
}

// timelineWatched runs the timeline in a goroutine of its own and returns when it
// returns or when the watchdog reaches a verdict, which it publishes as a deadlock
// violation. The timeline's goroutine may then be stuck in a call into a peer for good:
// it is left behind.
func (r *Runner) timelineWatched(ctx context.Context, wd *vtime.Watchdog) error {
	done := make(chan error, 1)
	go func() { done <- r.safeTimeline(ctx) }()
	select {
	case err := <-done:
		if v := wd.Verdict(); v != nil {
			r.deadlock(*v)
		}
		return err
	case <-wd.Done():
		r.abandoned.Store(true)
		if v := wd.Verdict(); v != nil {
			r.deadlock(*v)
		}
		return nil
	}
}

// deadlock publishes a watchdog's verdict as a violation; its stacks go with it.
func (r *Runner) deadlock(v vtime.Verdict) {
	cv := v.Violation()
	if len(v.Stacks) > 0 {
		var b strings.Builder
		for _, g := range v.Stacks {
			b.WriteString("\n\n" + g.Text)
		}
		cv.Message += b.String()
	}
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventViolation, Peer: firstOr(cv.Peers, -1), Violation: &cv})
}

// stopWithin stops the cluster of an abandoned run, waiting at most d: a peer stuck for
// good may keep the cluster from stopping.
func (r *Runner) stopWithin(d time.Duration) {
	stopped := make(chan struct{})
	go func() {
		r.c.Stop()
		close(stopped)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
	}
}

// timeline carries out the steps, then the scenario's duration, then (with Hold) waits.
func (r *Runner) timeline(ctx context.Context) error {
	var due, finished time.Duration
	for _, st := range r.sc.Steps {
		switch st.When.Kind {
		case scenario.Immediate:
			due = finished
		case scenario.Absolute:
			due = st.When.At
		case scenario.Relative:
			due += st.When.At
		}
		if _, err := r.advance(ctx, due, nil); err != nil {
			return err
		}
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventStep, Peer: -1, Text: st.String(), Line: st.Pos.Line})
		status, err := r.exec(ctx, st)
		if err != nil {
			return err // stopped in the step: it did not finish
		}
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventStep, Peer: -1, Text: st.String(), Line: st.Pos.Line, Outcome: outcome(status)})
		finished = r.c.Now()
		if r.failed() && !r.opts.Hold {
			return nil
		}
	}
	if d := r.sc.Header.Duration; d > r.c.Now() {
		if _, err := r.advance(ctx, d, nil); err != nil {
			return err
		}
	}
	r.over.Store(true)
	if !r.opts.Hold {
		return nil
	}
	// The run goes on for a person to watch; what the scenario asked is known now, the
	// kv workload's linearizability included.
	r.checkKVSoFar()
	if len(r.opts.AfterTimeline) > 0 {
		if r.opts.AfterNote != "" {
			r.c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: r.opts.AfterNote})
		}
		for _, line := range r.opts.AfterTimeline {
			if err := r.Exec(line); err != nil {
				r.c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: fmt.Sprintf("%s: %v", line, err)})
			}
		}
	}
	for {
		if _, err := r.advance(ctx, r.c.Now()+time.Hour, nil); err != nil {
			return err
		}
	}
}

func (r *Runner) failed() bool {
	r.modelMu.Lock()
	defer r.modelMu.Unlock()
	return r.model.Failure() != nil
}

// peers returns every peer's status, as the model has it.
func (r *Runner) peers() []chaos.PeerStatus {
	r.modelMu.Lock()
	defer r.modelMu.Unlock()
	return r.model.Peers()
}

// fail records a failed expectation as a violation.
func (r *Runner) fail(st scenario.Step, msg string) {
	v := chaos.Violation{Checker: "expect", Message: fmt.Sprintf("line %d: %s: %s", st.Pos.Line, st.Cmd, msg), At: r.c.Now()}
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventExpect, Peer: -1, Text: v.Message, Line: st.Pos.Line})
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventViolation, Peer: -1, Violation: &v, Line: st.Pos.Line})
}

// exec carries out one step of the timeline.
func (r *Runner) exec(ctx context.Context, st scenario.Step) (StepStatus, error) {
	if st.Every != nil {
		b := &background{step: st}
		if st.Every.HasFrom {
			b.next = max(st.Every.From, r.c.Now())
		} else {
			b.next = r.c.Now() + st.Every.Period
		}
		r.mu.Lock()
		r.background = append(r.background, b)
		r.mu.Unlock()
		return StepDone, nil
	}
	switch c := st.Cmd.(type) {
	case scenario.SleepCmd:
		_, err := r.advance(ctx, r.c.Now()+c.D, nil)
		return StepDone, err
	case scenario.WaitCmd:
		cond := c.Cond.Bind(r.observation())
		var why string
		ok, err := r.advance(ctx, r.c.Now()+c.Within, func() bool {
			var ok bool
			ok, why = cond.Eval(r.observation())
			return ok
		})
		if err != nil {
			return StepFailed, err
		}
		if !ok {
			r.fail(st, fmt.Sprintf("not within %v (%s)", c.Within, why))
			return StepFailed, nil
		}
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventExpect, Peer: -1, Text: st.Cmd.String() + ": " + why, Line: st.Pos.Line, OK: true})
		return StepDone, nil
	case scenario.ExpectCmd:
		cond := c.Cond.Bind(r.observation())
		ok, why := cond.Eval(r.observation())
		if ok && c.For > 0 {
			broke, err := r.advance(ctx, r.c.Now()+c.For, func() bool {
				ok, why = cond.Eval(r.observation())
				return !ok
			})
			if err != nil {
				return StepFailed, err
			}
			ok = !broke
		}
		if !ok {
			r.fail(st, "failed: "+why)
			return StepFailed, nil
		}
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventExpect, Peer: -1, Text: st.Cmd.String() + ": " + why, Line: st.Pos.Line, OK: true})
		return StepDone, nil
	}
	if !r.do(st.Cmd, st.Pos.Line) {
		return StepSkipped, nil
	}
	return StepDone, nil
}

// do carries out a command that does not block: a fault, a proposal or a workload
// change. It reports false, with a note on the bus, when it could not (say, "isolate
// leader" with no leader).
func (r *Runner) do(cmd scenario.Command, line int) bool {
	note := func(format string, args ...interface{}) {
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Line: line, Text: fmt.Sprintf(format, args...)})
	}
	switch c := cmd.(type) {
	case scenario.FaultCmd:
		peers := r.peers()
		r.rngMu.Lock()
		f, err := c.Resolve(peers, r.rng)
		r.rngMu.Unlock()
		if err == nil {
			if why := noEffect(f, peers); why != "" {
				note("%s: no effect: %s", c, why)
				return true
			}
			err = r.c.Do(f)
		}
		if err != nil {
			note("%s: skipped: %v", c, err)
			return false
		}
	case scenario.ProposeCmd:
		took := 0
		for range c.N {
			if r.wl.Propose(r.c).OK {
				took++
			}
		}
		if took < c.N {
			note("%s: %d of %d proposals found no leader", c, c.N-took, c.N)
		}
	case scenario.WorkloadCmd:
		if err := r.setWorkload(c.Spec); err != nil {
			note("%s: skipped: %v", c, err)
			return false
		}
	case scenario.OnCmd:
		r.trigMu.Lock()
		r.triggers = append(r.triggers, &trigger{cmd: c, line: line, left: c.Times})
		r.trigMu.Unlock()
	default:
		note("%s: cannot run here", cmd)
		return false
	}
	return true
}

// noEffect says why fault f would change nothing, or "": a crash of crashed peers, a
// restart of peers that are up, a pause of no peer that is up, a resume of no paused
// peer, a fault on links that names only peers' links to themselves.
func noEffect(f chaos.Fault, peers []chaos.PeerStatus) string {
	spec, _ := f.Kind.Spec()
	if spec.Args == chaos.ArgsLinks || len(f.From) > 0 {
		if onlySelf(chaos.Selector{Kind: chaos.SelIDs, IDs: f.From}, chaos.Selector{Kind: chaos.SelIDs, IDs: f.To}) {
			return "a peer has no link to itself"
		}
		return ""
	}
	if len(f.Peers) == 0 {
		return ""
	}
	var want func(chaos.PeerState) bool
	var one, all string // why, for one peer and for several
	switch f.Kind {
	case chaos.Crash:
		want = func(s chaos.PeerState) bool { return s != chaos.Crashed }
		one, all = "peer %s is already crashed", "peers %s are already crashed"
	case chaos.Restart:
		want = func(s chaos.PeerState) bool { return s == chaos.Crashed }
		one, all = "peer %s is not crashed", "none of peers %s is crashed"
	case chaos.Pause:
		want = func(s chaos.PeerState) bool { return s == chaos.Up }
		one, all = "peer %s is not up (crashed, or paused already)", "none of peers %s is up"
	case chaos.Resume:
		want = func(s chaos.PeerState) bool { return s == chaos.Paused }
		one, all = "peer %s is not paused", "none of peers %s is paused"
	default:
		return ""
	}
	for _, id := range f.Peers {
		if id >= 0 && id < len(peers) && want(peers[id].State) {
			return ""
		}
	}
	ids := chaos.Selector{Kind: chaos.SelIDs, IDs: f.Peers}.String()
	if len(f.Peers) == 1 {
		return fmt.Sprintf(one, ids)
	}
	return fmt.Sprintf(all, ids)
}

// trigger is an armed on command.
type trigger struct {
	cmd     scenario.OnCmd
	line    int
	left    int  // firings left
	pending bool // a firing is queued and has not run yet: later matches join it
}

// observeTriggers checks each raft event against the armed on commands (a bus sink):
// each one it matches has its fault carried out the moment after (chaos.Reactor), or,
// on a cluster that cannot, in the run's next slice.
func (r *Runner) observeTriggers(e chaos.Event) {
	r.trigMu.Lock()
	defer r.trigMu.Unlock()
	ev := e.Raft
	was := raftpb.Follower
	if ev.Peer >= 0 && ev.Peer < len(r.roles) {
		was = r.roles[ev.Peer]
		if ev.Kind == raftpb.EventRole || ev.Kind == raftpb.EventBoot {
			r.roles[ev.Peer] = ev.Role
		}
	}
	for _, t := range r.triggers {
		if t.left == 0 || t.pending || !t.cmd.Matches(*ev, was) {
			continue
		}
		t.left--
		t.pending = true
		fire := func() { r.fire(t, *ev) }
		if re, ok := r.c.(chaos.Reactor); ok {
			re.React(fire)
		} else {
			r.mu.Lock()
			r.fired = append(r.fired, fire)
			r.mu.Unlock()
		}
	}
}

// fire carries out a trigger's fault, after the event e that fired it.
func (r *Runner) fire(t *trigger, e raftpb.Event) {
	r.trigMu.Lock()
	t.pending = false
	r.trigMu.Unlock()
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: e.Peer, Line: t.line,
		Text: fmt.Sprintf("%s: fired by %s", t.cmd, e)})
	r.do(t.cmd.Cmd, t.line)
}

// observation is what conditions are evaluated against, now: the run model.
func (r *Runner) observation() scenario.Observation {
	r.modelMu.Lock()
	defer r.modelMu.Unlock()
	return r.model.Observation()
}

func (r *Runner) checkStats() check.Stats {
	r.checkMu.Lock()
	defer r.checkMu.Unlock()
	return r.checks.Stats()
}

// advance lets the cluster run until cluster time until, doing the background work
// (workload, every steps, typed commands, liveness) as it goes. With cond, it stops as
// soon as cond holds and reports true. It returns errStop when the run is stopped or,
// without Hold, fails.
func (r *Runner) advance(ctx context.Context, until time.Duration, cond func() bool) (bool, error) {
	for {
		if err := r.interrupts(ctx); err != nil {
			return false, err
		}
		if cond != nil && cond() {
			return true, nil
		}
		now := r.c.Now()
		if now >= until {
			return false, nil
		}
		next := min(until, now+slice, r.nextBackground(now))
		r.mu.Lock()
		sctx := r.sliceCtx
		r.mu.Unlock()
		var err error
		if cond != nil || r.kv != nil {
			// Stop early when cond holds, or when a kv clerk has been answered (so that it
			// can go on at once, rather than at the end of the slice).
			var ok, met bool
			ok, err = r.c.RunUntil(sctx, next-now, func() bool {
				met = cond != nil && cond()
				return met || r.kvWoken()
			})
			if ok && met && err == nil {
				return true, nil
			}
		} else {
			err = r.c.RunFor(sctx, next-now)
		}
		if err != nil {
			if errors.Is(err, chaos.ErrStopped) {
				return false, errStop
			}
			if ctx.Err() == nil && sctx.Err() != nil {
				continue // paused in the slice: take commands while paused
			}
			return false, err
		}
		r.tick(ctx)
	}
}

// interrupts handles what may happen between slices: a stop, a pause, typed commands.
func (r *Runner) interrupts(ctx context.Context) error {
	for {
		select {
		case <-r.stopCh:
			return errStop
		case <-ctx.Done():
			return ctx.Err()
		case q := <-r.cmds:
			r.typed(q)
			continue
		default:
		}
		if r.failed() && !r.opts.Hold {
			return errStop
		}
		r.mu.Lock()
		paused, resumed := r.paused, r.resumed
		r.mu.Unlock()
		if !paused {
			return nil
		}
		select {
		case <-resumed:
			r.pace.reset(r.c.Now())
		case q := <-r.cmds:
			r.typed(q)
		case <-r.stopCh:
			return errStop
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// typed carries out a command typed at the command bar.
func (r *Runner) typed(q queued) {
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventStep, Peer: -1, Text: "> " + q.text})
	switch c := q.cmd.(type) {
	case scenario.WaitCmd:
		cond := c.Cond.Bind(r.observation())
		r.mu.Lock()
		r.background = append(r.background, &background{step: scenario.Step{Cmd: c}, cond: &cond, until: r.c.Now() + c.Within})
		r.mu.Unlock()
	case scenario.ExpectCmd:
		cond := c.Cond.Bind(r.observation())
		ok, why := cond.Eval(r.observation())
		if ok && c.For > 0 {
			// It must hold throughout the next D: watch it in the background.
			r.mu.Lock()
			r.background = append(r.background, &background{step: scenario.Step{Cmd: c}, cond: &cond, until: r.c.Now() + c.For, throughout: true})
			r.mu.Unlock()
			break
		}
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventExpect, Peer: -1, Text: fmt.Sprintf("%s: %s", c, why), OK: ok})
	default:
		r.do(c, 0)
	}
}

// nextBackground returns when background work is next due.
func (r *Runner) nextBackground(now time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := now + time.Hour
	if r.rate > 0 {
		next = min(next, max(r.nextWork, now))
	}
	if r.kv != nil {
		next = min(next, max(r.kv.Next(), now))
	}
	for _, b := range r.background {
		if b.cond == nil {
			next = min(next, max(b.next, now))
		}
	}
	return next
}

// tick does the background work due now, checks liveness, records recoveries, and
// paces a sim run.
func (r *Runner) tick(ctx context.Context) {
	now := r.c.Now()
	// The workload: catch up on every proposal due.
	for {
		r.mu.Lock()
		due := r.rate > 0 && r.nextWork <= now
		if due {
			r.nextWork += time.Duration(float64(time.Second) / r.rate)
		}
		r.mu.Unlock()
		if !due {
			break
		}
		r.wl.Propose(r.c)
	}
	if r.kv != nil {
		r.kv.Step()
	}
	// Every steps and typed waits.
	r.mu.Lock()
	var run []*background
	kept := r.background[:0]
	for _, b := range r.background {
		switch {
		case b.cond != nil:
			kept = append(kept, b)
		case b.next <= now:
			ev := b.step.Every
			if ev.Until > 0 && now > ev.Until {
				continue
			}
			run = append(run, b)
			b.runs++
			b.next += ev.Period
			if ev.Times == 0 || b.runs < ev.Times {
				kept = append(kept, b)
			}
		default:
			kept = append(kept, b)
		}
	}
	r.background = kept
	fired := r.fired
	r.fired = nil
	r.mu.Unlock()
	for _, fire := range fired {
		fire()
	}
	for _, b := range run {
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventStep, Peer: -1, Text: b.step.String(), Line: b.step.Pos.Line})
		r.do(b.step.Cmd, b.step.Pos.Line)
	}
	r.checkWaits(now)

	r.checkMu.Lock()
	r.checks.Advance(now)
	r.checkMu.Unlock()
	r.progress(now)
	r.pace.wait(ctx, now, r.Speed(), r.c.Engine() == "sim")
}

// checkWaits settles typed waits and expectations.
func (r *Runner) checkWaits(now time.Duration) {
	r.mu.Lock()
	var waits []*background
	for _, b := range r.background {
		if b.cond != nil {
			waits = append(waits, b)
		}
	}
	r.mu.Unlock()
	if len(waits) == 0 {
		return
	}
	o := r.observation()
	for _, b := range waits {
		ok, why := b.cond.Eval(o)
		if b.throughout {
			if ok && now < b.until {
				continue
			}
		} else if !ok && now < b.until {
			continue
		}
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventExpect, Peer: -1, Text: fmt.Sprintf("%s: %s", b.step.Cmd, why), OK: ok})
		r.mu.Lock()
		for i, x := range r.background {
			if x == b {
				r.background = append(r.background[:i:i], r.background[i+1:]...)
				break
			}
		}
		r.mu.Unlock()
	}
}

// pacer keeps a sim run at a given speed.
type pacer struct {
	wall    time.Time
	cluster time.Duration
	speed   float64
}

func (p *pacer) reset(now time.Duration) { p.wall, p.cluster = time.Now(), now }

// wait sleeps until real time catches up with cluster time at speed x: pacing, not
// waiting for an event.
func (p *pacer) wait(ctx context.Context, now time.Duration, x float64, sim bool) {
	if !sim || x <= 0 || x != p.speed {
		p.speed = x
		p.reset(now)
		return
	}
	target := p.wall.Add(time.Duration(float64(now-p.cluster) / x))
	if d := time.Until(target); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	} else if d < -time.Second {
		p.reset(now) // fell far behind (a slow machine, a debugger): don't race to catch up
	}
}

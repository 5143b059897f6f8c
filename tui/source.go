package tui

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/raft"
)

// Snapshot is a cluster at one moment, as the views show it. A Source makes a new one
// each time it is asked and never changes it afterwards, so a Snapshot may be shared
// between goroutines freely (it is read-only once made).
type Snapshot struct {
	// Run is the run's progress: scenario name, engine, seed, cluster time, speed,
	// paused, the timeline's steps, the first violation, workload and checker figures.
	Run runner.State
	// Peers is every peer's status, indexed by id.
	Peers []chaos.PeerStatus
	// Net is the state of the network's links.
	Net chaos.NetState
	// Stats are the network's totals.
	Stats chaos.NetStats
}

// Caps says which controls a Source supports, so that keys it cannot honour are shown
// as unavailable instead of failing.
type Caps struct {
	// Commands: Exec takes commands of the scenario language (a recorded trace cannot).
	Commands bool
	// Speed: SetSpeed changes the pace (a live cluster runs in real time only).
	Speed bool
	// Replay: the source plays back a recording and implements Stepper, so the keys
	// that step through it and seek work.
	Replay bool
}

// Stepper is implemented by a Source that plays back a recording (Caps.Replay). The
// replay keys call it from the UI goroutine; each call pauses the replay, returns at
// once, and returns a message for the person saying where it stopped.
type Stepper interface {
	// Step moves n events forward (n < 0: back).
	Step(n int) string
	// Seek moves to a time of the recording.
	Seek(at time.Duration) (string, error)
	// SeekViolation moves to the first violation.
	SeekViolation() (string, error)
}

// Source is where the views' data comes from and where their commands go: a running
// cluster (RunnerSource), or, later, a recorded trace being replayed. The App's model
// goroutine calls Snapshot, Wake and Drain; key handlers call the control methods from
// the UI goroutine, so none of them may block for long. Implementations must be safe
// for concurrent use.
type Source interface {
	// Snapshot returns the state now.
	Snapshot() Snapshot
	// Wake returns a channel that receives when Drain may have new events.
	Wake() <-chan struct{}
	// Drain returns the events that arrived since the last call, oldest first. reset
	// means the events before them no longer apply (a replay seeked backwards) and the
	// views should forget them.
	Drain() (events []chaos.Event, reset bool)
	// Caps says which controls work.
	Caps() Caps
	// Exec carries out one command of the scenario language, as typed at the command
	// bar. It returns at once: a parse error (a *scenario.Error, with the column), or
	// nil when the command was queued; what it did shows in the event stream.
	Exec(line string) error
	// Pause freezes the cluster (or the replay); Resume continues it.
	Pause()
	Resume()
	// SetSpeed sets the pace in cluster seconds per real second.
	SetSpeed(x float64) error
}

// ErrNoSpeed is returned by SetSpeed for a source that runs only in real time.
var ErrNoSpeed = errors.New("a live cluster runs in real time; its speed cannot change")

// SourceOptions configure a RunnerSource.
type SourceOptions struct {
	// AfterTimeline are commands carried out once, when the scenario's timeline has
	// finished, so that a held-open cluster keeps doing something (the demo turns its
	// workload back on).
	AfterTimeline []string
	// AfterNote is published as a note when AfterTimeline runs.
	AfterNote string
}

// RunnerSource is the live Source: a runner.Runner carrying out a scenario on a
// cluster, held open (runner.Options.Hold) so that a person can keep breaking it. Start
// runs it; Close stops it and returns its result. Safe for concurrent use.
type RunnerSource struct {
	r      *runner.Runner
	opts   SourceOptions
	q      *chaos.Queue
	cancel func()
	done   chan struct{}
	stop   context.CancelFunc

	mu      sync.Mutex
	started bool
	closed  bool
	after   bool // AfterTimeline was carried out
	res     *runner.Result
	err     error
}

// NewRunnerSource attaches to r's event bus. r must not have been run yet.
func NewRunnerSource(r *runner.Runner, opts SourceOptions) *RunnerSource {
	s := &RunnerSource{r: r, opts: opts, q: chaos.NewQueue(), done: make(chan struct{})}
	s.cancel = r.Cluster().Events().Observe(s.observe,
		chaos.EventRaft, chaos.EventFault, chaos.EventPropose, chaos.EventStep,
		chaos.EventViolation, chaos.EventExpect, chaos.EventNote)
	return s
}

// observe queues the events a person may want to see (a bus sink: never blocks). Appends,
// applies and a leader's progress are many and say nothing the logs and peers views do
// not show better.
func (s *RunnerSource) observe(e chaos.Event) {
	if e.Raft != nil && (e.Raft.Kind == raft.EventAppend || e.Raft.Kind == raft.EventApply || e.Raft.Kind == raft.EventProgress) {
		return
	}
	s.q.Push(e)
}

// Start runs the scenario in a goroutine of its own, which Close ends.
func (s *RunnerSource) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return
	}
	s.started = true
	ctx, s.stop = context.WithCancel(ctx)
	go func() {
		defer close(s.done)
		res, err := s.r.Run(ctx)
		s.mu.Lock()
		s.res, s.err = res, err
		s.mu.Unlock()
	}()
}

// Close stops the run, waits for it to end and returns its result (nil if it never
// started). It is idempotent.
func (s *RunnerSource) Close() (*runner.Result, error) {
	s.mu.Lock()
	started := s.started
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.r.Stop()
	if !started {
		s.r.Cluster().Stop()
		return nil, nil
	}
	<-s.done
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res, s.err
}

// Runner returns the runner.
func (s *RunnerSource) Runner() *runner.Runner { return s.r }

// Snapshot returns the run's state now. When the timeline has just finished it also
// carries out SourceOptions.AfterTimeline.
func (s *RunnerSource) Snapshot() Snapshot {
	c := s.r.Cluster()
	snap := Snapshot{Run: s.r.State(), Peers: c.Peers(), Net: c.Network(), Stats: c.Stats()}
	if len(s.opts.AfterTimeline) > 0 && timelineDone(snap.Run) {
		s.mu.Lock()
		first := !s.after
		s.after = true
		s.mu.Unlock()
		if first {
			if s.opts.AfterNote != "" {
				c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: s.opts.AfterNote})
			}
			for _, cmd := range s.opts.AfterTimeline {
				s.r.Exec(cmd) //nolint:errcheck // the commands are ours; a failure shows as a note
			}
		}
	}
	return snap
}

// timelineDone reports whether every step of the timeline has been carried out.
func timelineDone(st runner.State) bool {
	if len(st.Steps) == 0 {
		return st.Now > 0
	}
	for _, s := range st.Steps {
		if s.Status == runner.StepPending || s.Status == runner.StepRunning {
			return false
		}
	}
	return true
}

// Wake returns a channel that receives when events arrive.
func (s *RunnerSource) Wake() <-chan struct{} { return s.q.Wait() }

// Drain returns the events that arrived since the last call.
func (s *RunnerSource) Drain() ([]chaos.Event, bool) { return s.q.Drain(), false }

// Caps says that commands work, and speed on the sim engine.
func (s *RunnerSource) Caps() Caps {
	return Caps{Commands: true, Speed: s.r.Cluster().Engine() == "sim"}
}

// Exec parses line and queues it for the run.
func (s *RunnerSource) Exec(line string) error { return s.r.Exec(line) }

// Pause freezes the cluster.
func (s *RunnerSource) Pause() { s.r.Pause() }

// Resume continues the cluster.
func (s *RunnerSource) Resume() { s.r.Resume() }

// SetSpeed sets the pace of a sim run.
func (s *RunnerSource) SetSpeed(x float64) error {
	if !s.Caps().Speed {
		return ErrNoSpeed
	}
	s.r.SetSpeed(x)
	return nil
}

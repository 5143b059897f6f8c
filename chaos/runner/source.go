package runner

import (
	"context"
	"errors"
	"sync"

	"github.com/miniraft/miniraft/chaos/model"
)

// feed is a FIFO of events for a UI, with a wake-up channel. Safe for concurrent use.
type feed struct {
	mu   sync.Mutex
	seen []model.Seen
	wake chan struct{}
}

func newFeed() *feed { return &feed{wake: make(chan struct{}, 1)} }

// push appends s and wakes the reader. It never blocks.
func (f *feed) push(s model.Seen) {
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// drain removes and returns everything queued.
func (f *feed) drain() []model.Seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.seen
	f.seen = nil
	return s
}

// ErrNoSpeed is returned by SetSpeed for a source that runs only in real time.
var ErrNoSpeed = errors.New("a live cluster runs in real time; its speed cannot change")

// Source shows a run to a UI as it happens: the run model's View and the events a
// person follows, and takes the UI's commands. A replay (package replay) is the other
// kind of source, of the same shape. Start runs the scenario (held open: see
// Options.Hold); Close stops it and returns its result. Safe for concurrent use.
type Source struct {
	r    *Runner
	feed *feed
	done chan struct{}

	mu      sync.Mutex
	started bool
	closed  bool
	stop    context.CancelFunc
	res     *Result
	err     error
}

// Source returns the run's Source. Call it before Run (through Source.Start), so the
// source sees the run from its first event; it returns the same Source every time.
func (r *Runner) Source() *Source {
	r.modelMu.Lock()
	defer r.modelMu.Unlock()
	if r.source == nil {
		r.watch = newFeed()
		r.source = &Source{r: r, feed: r.watch, done: make(chan struct{})}
	}
	return r.source
}

// Start runs the scenario in a goroutine of its own, which Close ends.
func (s *Source) Start(ctx context.Context) {
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
func (s *Source) Close() (*Result, error) {
	s.mu.Lock()
	started := s.started
	s.closed = true
	s.mu.Unlock()
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
func (s *Source) Runner() *Runner { return s.r }

// View returns the cluster now, as the run model has it; the network's totals are the
// engine's (the model counts them only at the end).
func (s *Source) View() model.View {
	r := s.r
	r.modelMu.Lock()
	v := r.model.View()
	r.modelMu.Unlock()
	v.Run.Now = r.c.Now()
	v.Run.Paused = r.Paused()
	v.Run.Speed = r.Speed()
	v.Run.Done = r.done.Load()
	v.Stats = r.c.Stats()
	return v
}

// Wake returns a channel that receives when events arrive.
func (s *Source) Wake() <-chan struct{} { return s.feed.wake }

// Drain returns the events that arrived since the last call; a live run never resets.
func (s *Source) Drain() ([]model.Seen, bool) { return s.feed.drain(), false }

// Caps says that commands work, and speed on the sim engine.
func (s *Source) Caps() model.Caps {
	return model.Caps{Commands: true, Speed: s.r.Cluster().Engine() == "sim"}
}

// Exec parses line and queues it for the run.
func (s *Source) Exec(line string) error { return s.r.Exec(line) }

// Pause freezes the cluster.
func (s *Source) Pause() { s.r.Pause() }

// Resume continues the cluster.
func (s *Source) Resume() { s.r.Resume() }

// SetSpeed sets the pace of a sim run.
func (s *Source) SetSpeed(x float64) error {
	if !s.Caps().Speed {
		return ErrNoSpeed
	}
	s.r.SetSpeed(x)
	return nil
}

// Package replay plays back a recorded run: a trace written by a runner (see
// chaos.TraceWriter) is read into a Player, which folds its events through the run model
// (package model) to show the cluster as it was at any event, as a live run shows it
// (every peer's role, term, vote, leader, log, commit and apply indexes, snapshot, a
// leader's match and next for each follower, up, crashed or paused, clock rate; the
// network; the scenario's timeline, the workload's and the run's figures), and moves
// through the run: playing at a speed, pausing, stepping one event forward or back,
// seeking to a time, to the first violation, or to the next or previous fault, new
// leader or violation. Source shows a Player in a UI.
//
// It reads only the trace, never runs Raft and links no engine, so a replay shows
// exactly what was recorded, on either engine.
package replay

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// MaxHistory is how many of the events before the current one Drain returns after a
// move backwards (the views show the most recent ones).
const MaxHistory = 4000

// markEvery is how many events apart the Player keeps a copy of the rebuilt state, so
// that a move backwards replays at most that many events.
const markEvery = 2048

// Player plays back a trace. Create it with Open or New. Safe for concurrent use: a UI
// may read it from one goroutine while keys move it from another.
type Player struct {
	h      chaos.TraceHeader
	info   model.Info
	events []chaos.Event
	end    time.Duration
	first  int // the first violation's event, or -1
	clock  func() time.Time

	mu      sync.Mutex
	st      *model.Run   // after events[:cur]
	cur     int          // events played
	marks   []*model.Run // marks[k]: after events[:k*markEvery]
	now     time.Duration
	playing bool
	speed   float64
	wall    time.Time     // when playing last (re)started
	from    time.Duration // the replay's time then
	out     []model.Seen  // events passed since the last Drain, for the views
	reset   bool
	wake    chan struct{}
}

// ErrBadTrace is wrapped by the errors New returns for a trace that contradicts itself.
var ErrBadTrace = errors.New("bad trace")

// Open reads a trace and returns a Player at its start, paused.
func Open(r io.Reader) (*Player, error) {
	h, events, err := chaos.ReadTrace(r)
	if err != nil {
		return nil, err
	}
	return New(h, events)
}

// New returns a Player over a trace's header and events, at the start, paused. It
// checks that every event names peers the header's cluster has.
func New(h chaos.TraceHeader, events []chaos.Event) (*Player, error) {
	if h.Peers < 1 || h.Peers > chaos.MaxPeers {
		return nil, fmt.Errorf("%w: the header says %d peers", ErrBadTrace, h.Peers)
	}
	p := &Player{h: h, events: events, first: -1, speed: 1, clock: time.Now, wake: make(chan struct{}, 1)}
	for i, e := range events {
		if err := validate(e, h.Peers); err != nil {
			return nil, fmt.Errorf("%w: event %d (seq %d): %v", ErrBadTrace, i+1, e.Seq, err)
		}
		if i > 0 && e.At < events[i-1].At {
			return nil, fmt.Errorf("%w: event %d (seq %d) at %v comes before the one ahead of it (%v)", ErrBadTrace, i+1, e.Seq, e.At, events[i-1].At)
		}
		if p.first < 0 && e.Kind == chaos.EventViolation {
			p.first = i
		}
	}
	if n := len(events); n > 0 {
		p.end = events[n-1].At
	}
	// The timeline comes from the scenario the header carries; a trace whose scenario
	// no longer parses still plays, without it.
	p.info = model.InfoFromHeader(h)
	p.st = model.New(p.info)
	p.marks = []*model.Run{p.st.Clone()}
	return p, nil
}

func validate(e chaos.Event, n int) error {
	in := func(id int) bool { return id >= 0 && id < n }
	switch {
	case e.Kind == chaos.EventRaft && e.Raft == nil:
		return errors.New("a raft event without its content")
	case e.Raft != nil && !in(e.Raft.Peer):
		return fmt.Errorf("peer %d does not exist", e.Raft.Peer)
	case e.Raft != nil && (e.Raft.Index < 0 || e.Raft.LastIndex < 0):
		return fmt.Errorf("negative index %d..%d", e.Raft.Index, e.Raft.LastIndex)
	case e.Net != nil && (!in(e.Net.From) || !in(e.Net.To)):
		return fmt.Errorf("message %d->%d between peers that do not exist", e.Net.From, e.Net.To)
	case e.Fault != nil:
		return e.Fault.Validate(n)
	}
	return nil
}

// Header returns the trace's header.
func (p *Player) Header() chaos.TraceHeader { return p.h }

// Len returns the number of events in the trace.
func (p *Player) Len() int { return len(p.events) }

// End returns the time of the trace's last event.
func (p *Player) End() time.Duration { return p.end }

// Pos returns how many events have been played and the replay's time.
func (p *Player) Pos() (events int, now time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	return p.cur, p.now
}

// Current returns the last event played, and false at the start.
func (p *Player) Current() (chaos.Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	if p.cur == 0 {
		return chaos.Event{}, false
	}
	return p.events[p.cur-1], true
}

// View returns the cluster as it was at the replay's time.
func (p *Player) View() model.View {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	v := p.st.View()
	v.Run.Now, v.Run.Bound = p.now, max(v.Run.Bound, p.end)
	v.Run.Done = p.cur == len(p.events) && !p.playing
	v.Run.Paused, v.Run.Speed = !p.playing, p.speed
	if v.Run.Done {
		for i := range v.Run.Steps {
			if v.Run.Steps[i].Status == model.StepRunning {
				v.Run.Steps[i].Status = model.StepDone
			}
		}
	}
	return v
}

// Wake returns a channel that receives when Drain has events.
func (p *Player) Wake() <-chan struct{} { return p.wake }

// Drain returns the events played since the last call that a person watches (not
// messages, appends and applies, which the log view shows better). reset means the
// replay moved backwards: forget the events shown before, these are the ones leading to
// the current event.
func (p *Player) Drain() (events []model.Seen, reset bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	events, reset = p.out, p.reset
	p.out, p.reset = nil, false
	return events, reset
}

// Playing reports whether the replay is playing.
func (p *Player) Playing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	return p.playing
}

// Play plays from the current time at the current speed. At the end of the trace it
// starts again from the beginning.
func (p *Player) Play() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	if p.playing {
		return
	}
	if p.cur == len(p.events) && p.now >= p.end {
		p.moveTo(0, 0)
	}
	p.playing, p.wall, p.from = true, p.clock(), p.now
}

// Pause stops playing.
func (p *Player) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.playing = false
}

// Speed returns the playing speed, in recorded seconds per real second.
func (p *Player) Speed() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.speed
}

// SetSpeed sets the playing speed, in recorded seconds per real second.
func (p *Player) SetSpeed(x float64) error {
	if !(x > 0 && x <= 1e6) {
		return fmt.Errorf("replay speed %g: want more than 0", x)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.speed, p.wall, p.from = x, p.clock(), p.now
	return nil
}

// Step moves n events forward (n < 0: back), counting the events a person steps
// through (every event but messages, deliveries and a leader's progress), and pauses. It returns the event it stopped at, and
// false at the start of the trace.
func (p *Player) Step(n int) (chaos.Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.playing = false
	to := p.cur
	for ; n > 0 && to < len(p.events); to++ {
		if stepped(p.events[to]) {
			n--
		}
	}
	for ; n < 0 && to > 0; n++ {
		to-- // events[to] is the current event: move before it, to the previous stepped one
		for to > 0 && !stepped(p.events[to-1]) {
			to--
		}
	}
	at := time.Duration(0)
	if to > 0 {
		at = p.events[to-1].At
	}
	p.moveTo(to, at)
	if to == 0 {
		return chaos.Event{}, false
	}
	return p.events[to-1], true
}

// Seek moves to time t (clamped to the trace), after every event at or before it, and
// pauses.
func (p *Player) Seek(t time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.playing = false
	t = min(max(t, 0), p.end)
	p.moveTo(sort.Search(len(p.events), func(i int) bool { return p.events[i].At > t }), t)
}

// SeekEvent moves to just after the first n events (clamped to the trace), at the
// time of the last of them, and pauses.
func (p *Player) SeekEvent(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.playing = false
	n = min(max(n, 0), len(p.events))
	at := time.Duration(0)
	if n > 0 {
		at = p.events[n-1].At
	}
	p.moveTo(n, at)
}

// ErrNoViolation is returned by SeekViolation for a trace without one.
var ErrNoViolation = errors.New("the trace has no violation")

// SeekViolation moves to the first violation and pauses.
func (p *Player) SeekViolation() (chaos.Violation, error) {
	if p.first < 0 {
		return chaos.Violation{}, ErrNoViolation
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.playing = false
	e := p.events[p.first]
	p.moveTo(p.first+1, e.At)
	return *e.Violation, nil
}

// IsLandmark reports whether e is an event a replay jumps to: a fault, a new leader or
// a violation.
func IsLandmark(e chaos.Event) bool {
	return e.Kind == chaos.EventFault || IsViolation(e) ||
		e.Kind == chaos.EventRaft && e.Raft != nil && e.Raft.Kind == raftpb.EventRole && e.Raft.Role == raftpb.Leader
}

// IsViolation reports whether e is a violation (of a checker, or a failed expectation).
func IsViolation(e chaos.Event) bool { return e.Kind == chaos.EventViolation }

// ErrNoMore is returned by SeekNext when no event fits.
var ErrNoMore = errors.New("none")

// SeekNext moves to the next event that fits after the current one (forward), or to
// the last one before the current one, and pauses. It returns that event.
func (p *Player) SeekNext(is func(chaos.Event) bool, forward bool) (chaos.Event, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.playing = false
	i := -1
	if forward {
		for j := p.cur; j < len(p.events); j++ {
			if is(p.events[j]) {
				i = j
				break
			}
		}
	} else {
		// The current event is events[cur-1]: the previous one is before it.
		for j := p.cur - 2; j >= 0; j-- {
			if is(p.events[j]) {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return chaos.Event{}, ErrNoMore
	}
	p.moveTo(i+1, p.events[i].At)
	return p.events[i], nil
}

// advance plays the events due by now when playing. p.mu must be held.
func (p *Player) advance() {
	if !p.playing {
		return
	}
	t := p.from + time.Duration(float64(p.clock().Sub(p.wall))*p.speed)
	if t >= p.end {
		t, p.playing = p.end, false
	}
	p.moveTo(sort.Search(len(p.events), func(i int) bool { return p.events[i].At > t }), t)
}

// moveTo rebuilds the state after events[:to] and sets the replay's time. p.mu must be
// held.
func (p *Player) moveTo(to int, now time.Duration) {
	p.now = now
	if to == p.cur {
		return
	}
	if to > p.cur {
		for p.cur < to {
			e := p.events[p.cur]
			eff := p.st.Apply(e)
			p.cur++
			if model.Watched(e) {
				p.out = append(p.out, model.Seen{Event: e, StepDown: eff.StepDown})
			}
			p.mark()
		}
		if len(p.out) > 2*MaxHistory {
			p.out = slices.Clone(p.out[len(p.out)-MaxHistory:])
			p.reset = true // what was dropped is gone: the views start afresh
		}
		p.signal()
		return
	}
	// Backwards: from the last mark at or before to.
	k := min(to/markEvery, len(p.marks)-1)
	p.st, p.cur = p.marks[k].Clone(), k*markEvery
	// The events leading to the current one: those since the mark with what the model
	// made of them, and before them as many older ones as the views keep.
	var recent []model.Seen
	for p.cur < to {
		e := p.events[p.cur]
		eff := p.st.Apply(e)
		p.cur++
		if model.Watched(e) {
			recent = append(recent, model.Seen{Event: e, StepDown: eff.StepDown})
		}
	}
	var older []model.Seen
	for i := k*markEvery - 1; i >= 0 && len(older)+len(recent) < MaxHistory; i-- {
		if model.Watched(p.events[i]) {
			older = append(older, model.Seen{Event: p.events[i]})
		}
	}
	slices.Reverse(older)
	p.out = append(older, recent[max(0, len(recent)-MaxHistory):]...)
	p.reset = true
	p.signal()
}

// mark keeps a copy of the state every markEvery events. p.mu must be held.
func (p *Player) mark() {
	if p.cur%markEvery == 0 && p.cur/markEvery == len(p.marks) {
		p.marks = append(p.marks, p.st.Clone())
	}
}

func (p *Player) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// stepped reports whether Step stops at e.
func stepped(e chaos.Event) bool {
	return e.Kind != chaos.EventNet && e.Kind != chaos.EventDeliver && (e.Raft == nil || e.Raft.Kind != raftpb.EventProgress)
}

// errCommand is what commands typed at a replay get.
var errCommand = errors.New("a replay shows what was recorded and takes no commands")

// Source shows a Player in a UI, with the shape a live run's source has (see
// runner.Source): View, Wake, Drain, Caps and the controls; and, since it plays back a
// recording, Step, Seek and Jump, which pause it and say where it stopped.
// Safe for concurrent use.
type Source struct{ P *Player }

// View returns the cluster at the replay's time.
func (s Source) View() model.View { return s.P.View() }

// Wake returns a channel that receives when Drain has events.
func (s Source) Wake() <-chan struct{} { return s.P.Wake() }

// Drain returns the events played since the last call (see Player.Drain).
func (s Source) Drain() ([]model.Seen, bool) { return s.P.Drain() }

// Caps says that the speed changes and the replay steps and seeks, and that it takes no
// commands.
func (s Source) Caps() model.Caps { return model.Caps{Speed: true, Replay: true} }

// Exec refuses: a replay takes no commands.
func (s Source) Exec(string) error { return errCommand }

// Pause pauses the replay; Resume plays it.
func (s Source) Pause()  { s.P.Pause() }
func (s Source) Resume() { s.P.Play() }

// SetSpeed sets the playing speed.
func (s Source) SetSpeed(x float64) error { return s.P.SetSpeed(x) }

// Jump moves to the next (forward) or the previous violation, or, with violations
// false, fault, new leader or violation; it says what it found.
func (s Source) Jump(violations, forward bool) (string, error) {
	is, what := IsLandmark, "fault, new leader or violation"
	if violations {
		is, what = IsViolation, "violation"
	}
	e, err := s.P.SeekNext(is, forward)
	if err != nil {
		where := "after"
		if !forward {
			where = "before"
		}
		n, _ := s.P.Pos()
		return "", fmt.Errorf("no %s %s event %d of %d", what, where, n, s.P.Len())
	}
	return fmt.Sprintf("%.3fs: %s", e.At.Seconds(), landmarkText(e)), nil
}

// landmarkText says what a landmark event is.
func landmarkText(e chaos.Event) string {
	switch {
	case e.Violation != nil:
		return "violation: " + e.Violation.String()
	case e.Fault != nil:
		return "fault: " + e.Fault.String()
	case e.Raft != nil && e.Raft.Role == raftpb.Leader:
		return fmt.Sprintf("peer %d is leader of term %d", e.Raft.Peer, e.Raft.Term)
	}
	return strings.TrimSpace(e.String())
}

// Step moves n events forward (n < 0: back) and says where it stopped.
func (s Source) Step(n int) string { s.P.Step(n); return s.Where() }

// Seek moves to time at and says where it stopped.
func (s Source) Seek(at time.Duration) (string, error) {
	s.P.Seek(at)
	return s.Where(), nil
}

// Where says where the replay stands, for a message line.
func (s Source) Where() string {
	n, now := s.P.Pos()
	e, ok := s.P.Current()
	if !ok {
		return fmt.Sprintf("at %.3fs: the start of the recording", now.Seconds())
	}
	return fmt.Sprintf("event %d of %d: %s", n, s.P.Len(), strings.TrimSpace(e.String()))
}

// Package replay plays back a recorded run: a trace written by a runner (see
// chaos.TraceWriter) is read into a Player, which rebuilds the cluster as it was at any
// event (every peer's role, term, vote, leader, log terms, commit and apply indexes and
// snapshot, whether it was up, crashed or paused, its clock rate; the network's cuts and
// link settings; the scenario's timeline, the workload's and the checkers' figures) and
// moves through the run: playing at a speed, pausing, stepping one event forward or
// back, and seeking to a time or to the first violation.
//
// It reads only the trace, never runs Raft, so a replay shows exactly what was
// recorded, on either engine. What a trace does not hold is not shown: a leader's view
// of its followers' logs (Status.Progress) is left empty.
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
	"github.com/miniraft/miniraft/chaos/check"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/raft"
)

// MaxHistory is how many of the events before the current one Drain returns after a
// move backwards (the views show the most recent ones).
const MaxHistory = 4000

// markEvery is how many events apart the Player keeps a copy of the rebuilt state, so
// that a move backwards replays at most that many events.
const markEvery = 2048

// View is the cluster at the current event, as a live cluster would report it.
type View struct {
	Run   runner.State
	Peers []chaos.PeerStatus
	Net   chaos.NetState
	Stats chaos.NetStats
}

// Player plays back a trace. Create it with Open or New. Safe for concurrent use: a UI
// may read it from one goroutine while keys move it from another.
type Player struct {
	h      chaos.TraceHeader
	events []chaos.Event
	steps  []runner.StepState // the scenario's timeline, nothing started
	rates  map[int]float64    // line -> the workload rate its step sets
	bound  time.Duration
	rate   float64 // the workload's rate at the start
	end    time.Duration
	first  int // the first violation's event, or -1
	clock  func() time.Time

	mu      sync.Mutex
	st      *state   // after events[:st.cur]
	marks   []*state // marks[k]: after events[:k*markEvery]
	now     time.Duration
	playing bool
	speed   float64
	wall    time.Time     // when playing last (re)started
	from    time.Duration // the replay's time then
	out     []chaos.Event // events passed since the last Drain, for the views
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
	if h.Peers < 1 || h.Peers > check.MaxPeers {
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
	if sc, err := scenario.Parse(h.Name+".chaos", []byte(h.Scenario)); err == nil {
		p.rates = map[int]float64{}
		for _, s := range sc.Steps {
			p.steps = append(p.steps, runner.StepState{Text: s.String(), Line: s.Pos.Line})
			if w, ok := s.Cmd.(scenario.WorkloadCmd); ok {
				p.rates[s.Pos.Line] = rateOf(w)
			}
		}
		p.bound = sc.Bound()
		if w := sc.Header.Workload; w != nil {
			p.rate = w.Rate()
		}
	}
	p.st = p.initial()
	p.marks = []*state{p.st.clone()}
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
	return p.st.cur, p.now
}

// Current returns the last event played, and false at the start.
func (p *Player) Current() (chaos.Event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	if p.st.cur == 0 {
		return chaos.Event{}, false
	}
	return p.events[p.st.cur-1], true
}

// View returns the cluster as it was at the replay's time.
func (p *Player) View() View {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	s := p.st
	run := runner.State{
		Name: p.h.Name, Engine: p.h.Engine, Seed: p.h.Seed, Now: p.now, Bound: max(p.bound, p.end),
		Steps: slices.Clone(s.steps), Current: s.current, Done: s.cur == len(p.events) && !p.playing,
		Paused: !p.playing, Speed: p.speed, Rate: s.rate, Faults: s.faults, Workload: s.wl.stats(), Checks: s.checks,
	}
	if s.failure != nil {
		f := *s.failure
		run.Failure = &f
	}
	if run.Done {
		for i := range run.Steps {
			if run.Steps[i].Status == runner.StepRunning {
				run.Steps[i].Status = runner.StepDone
			}
		}
	}
	v := View{Run: run, Peers: make([]chaos.PeerStatus, len(s.peers)), Net: s.net.Clone(), Stats: s.stats}
	for i := range s.peers {
		v.Peers[i] = s.peers[i].status()
	}
	return v
}

// Wake returns a channel that receives when Drain has events.
func (p *Player) Wake() <-chan struct{} { return p.wake }

// Drain returns the events played since the last call that a person watches (not
// messages, appends and applies, which the log view shows better). reset means the
// replay moved backwards: forget the events shown before, these are the ones leading to
// the current event.
func (p *Player) Drain() (events []chaos.Event, reset bool) {
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
	if p.st.cur == len(p.events) && p.now >= p.end {
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
	to := p.st.cur
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
	if to == p.st.cur {
		return
	}
	if to > p.st.cur {
		for p.st.cur < to {
			e := p.events[p.st.cur]
			p.st.apply(e)
			p.st.cur++
			if watched(e) {
				p.out = append(p.out, e)
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
	p.st = p.marks[k].clone()
	for p.st.cur < to {
		p.st.apply(p.events[p.st.cur])
		p.st.cur++
	}
	p.out, p.reset = nil, true
	for i := to - 1; i >= 0 && len(p.out) < MaxHistory; i-- {
		if watched(p.events[i]) {
			p.out = append(p.out, p.events[i])
		}
	}
	slices.Reverse(p.out)
	p.signal()
}

// mark keeps a copy of the state every markEvery events. p.mu must be held.
func (p *Player) mark() {
	if p.st.cur%markEvery == 0 && p.st.cur/markEvery == len(p.marks) {
		p.marks = append(p.marks, p.st.clone())
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
	return e.Kind != chaos.EventNet && e.Kind != chaos.EventDeliver && (e.Raft == nil || e.Raft.Kind != raft.EventProgress)
}

// watched reports whether e is an event a person follows in the event view.
func watched(e chaos.Event) bool {
	if e.Kind == chaos.EventNet || e.Kind == chaos.EventDeliver {
		return false
	}
	return e.Raft == nil || e.Raft.Kind != raft.EventAppend && e.Raft.Kind != raft.EventApply && e.Raft.Kind != raft.EventProgress
}

// initial returns the state before the first event: every peer down and empty (each
// boots with its first event), a healthy network.
func (p *Player) initial() *state {
	s := &state{
		peers:   make([]peer, p.h.Peers),
		net:     chaos.NewNetState(p.h.Peers),
		steps:   slices.Clone(p.steps),
		current: -1,
		rate:    p.rate,
		rates:   p.rates,
		leaders: map[int]int{},
		wl:      workload{pending: map[int][]proposal{}},
	}
	for i := range s.peers {
		s.peers[i] = peer{id: i, state: chaos.Crashed, rate: 1, votedFor: raft.None, leader: raft.None}
	}
	return s
}

// state is the cluster rebuilt from events[:cur].
type state struct {
	cur     int
	peers   []peer
	net     chaos.NetState
	stats   chaos.NetStats
	steps   []runner.StepState
	current int
	faults  int
	failure *chaos.Violation
	rate    float64
	rates   map[int]float64 // shared, read-only: Player.rates
	leaders map[int]int     // term -> the first peer seen leading it
	checks  check.Stats
	wl      workload
}

func (s *state) clone() *state {
	c := *s
	c.peers = slices.Clone(s.peers)
	for i := range c.peers {
		c.peers[i].terms = slices.Clone(s.peers[i].terms)
	}
	c.net = s.net.Clone()
	c.steps = slices.Clone(s.steps)
	c.leaders = make(map[int]int, len(s.leaders))
	for k, v := range s.leaders {
		c.leaders[k] = v
	}
	c.wl.pending = make(map[int][]proposal, len(s.wl.pending))
	for k, v := range s.wl.pending {
		c.wl.pending[k] = slices.Clone(v)
	}
	return &c
}

// apply plays one event.
func (s *state) apply(e chaos.Event) {
	s.checks.Events++
	switch e.Kind {
	case chaos.EventRaft:
		s.raft(e.Raft)
	case chaos.EventNet:
		if e.Net != nil && e.Net.Kind == chaos.NetSent {
			s.stats.RPCs++
			s.stats.Bytes += int64(e.Net.Bytes)
		}
	case chaos.EventFault:
		if e.Fault != nil {
			s.fault(*e.Fault)
		}
	case chaos.EventPropose:
		if e.Propose != nil {
			s.wl.propose(*e.Propose)
		}
	case chaos.EventStep:
		s.step(e)
	case chaos.EventExpect:
		if !e.OK {
			s.finishStep(e.Line, runner.StepFailed)
		}
	case chaos.EventViolation:
		if s.failure == nil && e.Violation != nil {
			v := *e.Violation
			if v.At == 0 {
				v.At = e.At
			}
			s.failure = &v
		}
	case chaos.EventNote:
		s.note(e)
	}
}

// step marks the timeline step starting (a repetition of an every step, or a command
// typed in the TUI, leaves the timeline alone) and follows workload changes.
func (s *state) step(e chaos.Event) {
	if r, ok := s.rates[e.Line]; ok && e.Line > 0 {
		s.rate = r
	}
	if typed, ok := strings.CutPrefix(e.Text, "> "); ok && e.Line <= 0 {
		if c, err := scenario.ParseCommand(typed); err == nil {
			if w, ok := c.(scenario.WorkloadCmd); ok {
				s.rate = rateOf(w)
			}
		}
	}
	if e.Line <= 0 {
		return
	}
	i := slices.IndexFunc(s.steps, func(st runner.StepState) bool { return st.Line == e.Line })
	if i < 0 || s.steps[i].Status != runner.StepPending {
		return
	}
	if s.current >= 0 && s.steps[s.current].Status == runner.StepRunning {
		s.steps[s.current].Status = runner.StepDone
	}
	s.steps[i].Status, s.steps[i].At, s.current = runner.StepRunning, e.At, i
}

func (s *state) finishStep(line int, status runner.StepStatus) {
	if line <= 0 {
		return
	}
	if i := slices.IndexFunc(s.steps, func(st runner.StepState) bool { return st.Line == line }); i >= 0 {
		s.steps[i].Status = status
	}
}

// note follows skipped steps, which the runner reports as notes.
func (s *state) note(e chaos.Event) {
	if strings.Contains(e.Text, ": skipped: ") {
		s.finishStep(e.Line, runner.StepSkipped)
	}
}

func rateOf(w scenario.WorkloadCmd) float64 {
	if w.Spec == nil {
		return 0
	}
	return w.Spec.Rate()
}

func (s *state) fault(f chaos.Fault) {
	s.faults++
	s.checks.Faults++
	for _, id := range f.Peers {
		p := &s.peers[id]
		switch f.Kind {
		case chaos.Crash:
			p.state, p.role, p.leader = chaos.Crashed, raft.Follower, raft.None
		case chaos.Pause:
			if p.state == chaos.Up {
				p.state = chaos.Paused
			}
		case chaos.Resume:
			if p.state == chaos.Paused {
				p.state = chaos.Up
			}
		case chaos.Skew:
			p.rate = f.Rate
		}
	}
	if f.Kind == chaos.Reset {
		for i := range s.peers {
			s.peers[i].rate = 1
		}
	}
	s.net.Apply(f)
}

func (s *state) raft(r *raft.Event) {
	p := &s.peers[r.Peer]
	if r.Kind == raft.EventBoot {
		p.boot(r)
		if p.lives > 1 {
			s.checks.Restarts++
		}
		return
	}
	p.term, p.role = r.Term, r.Role
	s.checks.MaxTerm = max(s.checks.MaxTerm, r.Term)
	switch r.Kind {
	case raft.EventRole:
		p.leader = r.Other
		switch r.Role {
		case raft.Candidate:
			p.votedFor = p.id
		case raft.Leader:
			p.leader = p.id
			if _, seen := s.leaders[r.Term]; !seen {
				s.leaders[r.Term] = p.id
				s.checks.Elections++
			}
		}
	case raft.EventTerm:
		p.votedFor, p.leader = raft.None, raft.None
	case raft.EventVote:
		if r.Granted && !r.PreVote {
			p.votedFor = r.Other
		}
	case raft.EventAppend:
		terms := make([]int, len(r.Entries))
		for i, e := range r.Entries {
			terms[i] = e.Term
		}
		p.put(r.Index, terms)
	case raft.EventTruncate:
		p.truncate(r.Index)
		s.checks.Truncated += r.LastIndex - r.Index + 1
	case raft.EventCommit:
		p.commit = max(p.commit, r.LastIndex)
		s.checks.CommitIndex = max(s.checks.CommitIndex, r.LastIndex)
	case raft.EventApply:
		p.applied = max(p.applied, r.LastIndex)
		s.checks.Applied = max(s.checks.Applied, r.LastIndex)
		s.wl.applied(r)
	case raft.EventSnapshot:
		p.compact(r.LastIndex, r.PrevTerm)
		s.checks.Snapshots++
	case raft.EventInstallSnapshot:
		p.compact(r.LastIndex, r.PrevTerm)
		p.commit, p.applied = max(p.commit, r.LastIndex), r.LastIndex
		s.checks.Installs++
	}
}

// peer is one peer as the events show it. Its log is kept as the terms of the entries
// after its snapshot.
type peer struct {
	id, lives           int
	state               chaos.PeerState
	rate                float64
	role                raft.Role
	term, votedFor      int
	leader              int
	snapIndex, snapTerm int
	terms               []int // terms[i] is the term of entry snapIndex+1+i
	commit, applied     int
}

func (p *peer) last() int { return p.snapIndex + len(p.terms) }

// termAt returns the term of entry i, or 0 if the log does not hold it.
func (p *peer) termAt(i int) int {
	switch {
	case i == p.snapIndex:
		return p.snapTerm
	case i > p.snapIndex && i <= p.last():
		return p.terms[i-p.snapIndex-1]
	}
	return 0
}

// boot starts a life: the log is what the peer persisted (what the events built),
// from its snapshot through the last index the boot reports.
func (p *peer) boot(r *raft.Event) {
	terms := make([]int, max(r.LastIndex-r.Index, 0))
	for i := range terms {
		terms[i] = p.termAt(r.Index + 1 + i)
	}
	p.lives++
	p.state, p.role, p.term, p.leader = chaos.Up, r.Role, r.Term, raft.None
	p.snapIndex, p.snapTerm, p.terms = r.Index, r.PrevTerm, terms
	p.commit, p.applied = r.Index, r.Index
}

// put writes the terms of entries from index on, cutting off what follows them.
func (p *peer) put(index int, terms []int) {
	if skip := p.snapIndex + 1 - index; skip > 0 {
		if skip >= len(terms) {
			return
		}
		index, terms = p.snapIndex+1, terms[skip:]
	}
	for p.last() < index-1 {
		p.terms = append(p.terms, 0) // a gap the events did not show
	}
	p.terms = append(p.terms[:index-p.snapIndex-1], terms...)
}

func (p *peer) truncate(index int) {
	if n := index - p.snapIndex - 1; n < len(p.terms) {
		p.terms = p.terms[:max(n, 0)]
	}
}

// compact makes index (of term) the snapshot, keeping the entries after it if the log
// agrees with it there.
func (p *peer) compact(index, term int) {
	if index <= p.snapIndex {
		return
	}
	var kept []int
	if p.termAt(index) == term && index < p.last() {
		kept = slices.Clone(p.terms[index-p.snapIndex:])
	}
	p.snapIndex, p.snapTerm, p.terms = index, term, kept
}

// status returns the peer as a cluster reports it.
func (p *peer) status() chaos.PeerStatus {
	st := raft.Status{
		ID: p.id, Role: p.role, Term: p.term, VotedFor: p.votedFor, Leader: p.leader,
		FirstIndex: p.snapIndex + 1, LastIndex: p.last(), LastTerm: p.termAt(p.last()),
		CommitIndex: p.commit, LastApplied: p.applied, SnapshotIndex: p.snapIndex, SnapshotTerm: p.snapTerm,
	}
	for i, t := range p.terms {
		if len(st.Terms) == 0 || st.Terms[len(st.Terms)-1].Term != t {
			st.Terms = append(st.Terms, raft.TermRun{Index: p.snapIndex + 1 + i, Term: t})
		}
	}
	if p.state == chaos.Crashed {
		st.Role, st.Leader = raft.Follower, raft.None
	}
	return chaos.PeerStatus{Status: st, State: p.state, ClockRate: p.rate}
}

// workload follows the client's proposals to their fate, as runner.Workload does:
// committed when first applied at their index, lost when another command is.
type workload struct {
	pending                  map[int][]proposal // by index
	committed, lost, refused int
	proposed                 int
}

type proposal struct{ cmd interface{} }

func (w *workload) propose(pr chaos.Proposal) {
	if !pr.OK {
		w.refused++
		return
	}
	w.proposed++
	w.pending[pr.Index] = append(w.pending[pr.Index], proposal{cmd: pr.Command})
}

func (w *workload) applied(r *raft.Event) {
	if len(w.pending) == 0 {
		return
	}
	for i, e := range r.Entries {
		ps, ok := w.pending[r.Index+i]
		if !ok {
			continue
		}
		for _, pr := range ps {
			if chaos.SameCommand(pr.cmd, e.Command) {
				w.committed++
			} else {
				w.lost++
			}
		}
		delete(w.pending, r.Index+i)
	}
}

func (w *workload) stats() runner.WorkloadStats {
	inFlight := 0
	for _, ps := range w.pending {
		inFlight += len(ps)
	}
	return runner.WorkloadStats{Proposed: w.proposed, Committed: w.committed, Lost: w.lost, InFlight: inFlight, Refused: w.refused}
}

package tui

import (
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// frame is what the views render: a snapshot, the recent events, and what is derived
// from them once rather than by every view. A frame is immutable once the model has
// made it; the UI goroutine only reads it.
type frame struct {
	snap Snapshot
	// events are the most recent events, oldest first. The slice's backing array is
	// never written below its length again, so frames may share it.
	events []item
	// leader is chaos.LeaderOf(snap.Peers).
	leader int
	// gen counts the source's resets: events of different generations are different
	// even when their Seqs agree.
	gen int
}

// emptyFrame is what the views show before the first snapshot.
func emptyFrame() *frame { return &frame{leader: raftpb.None, snap: Snapshot{Run: runnerStateEmpty()}} }

// Timing of the model goroutine.
const (
	// defaultInterval is how often the model makes a snapshot: about ten a second.
	defaultInterval = 100 * time.Millisecond
	// minGap is the shortest time between two snapshots when events call for one
	// sooner than the interval (a fault, a new leader, a key pressed).
	minGap = 25 * time.Millisecond
	// hotFor is how long after a key press every event calls for a prompt snapshot.
	hotFor = 500 * time.Millisecond
	// maxEvents is how many events the model keeps for the event stream.
	maxEvents = 4000
)

// model is the goroutine that turns a Source into frames: it drains the source's
// events and makes a frame about every interval, or sooner after an event that matters
// or a key press, and hands each frame that differs from the last to post. post may
// block (QueueUpdateDraw waits for the UI goroutine); the model then simply makes fewer
// frames. Only kick and stop may be called from other goroutines.
type model struct {
	src      Source
	interval time.Duration
	post     func(*frame)
	kickCh   chan struct{}
	quit     chan struct{}
	done     chan struct{}

	// made, when set (by tests), is called after every frame made, with whether it was
	// posted.
	made func(posted bool)

	// Owned by the model goroutine.
	soon     *time.Timer // a frame is due when it fires
	events   []item
	gen      int
	last     *frame
	lastMade time.Time
	hotUntil time.Time
	urgent   bool // an event that matters arrived since the last frame
}

func newModel(src Source, interval time.Duration, post func(*frame)) *model {
	if interval <= 0 {
		interval = defaultInterval
	}
	return &model{src: src, interval: interval, post: post,
		kickCh: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// kick asks for a frame soon (a key was pressed). It never blocks.
func (m *model) kick() {
	select {
	case m.kickCh <- struct{}{}:
	default:
	}
}

// run is the model goroutine. It returns when quit is closed, after calling onExit.
func (m *model) run(onExit func()) {
	defer close(m.done)
	if onExit != nil {
		defer onExit()
	}
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	m.soon = time.NewTimer(time.Hour)
	m.soon.Stop()
	defer m.soon.Stop()
	// Events may come thousands a second: after taking a wake-up, the model ignores
	// the next ones for minGap (rearm), so it drains in batches.
	wake := m.src.Wake()
	rearm := time.NewTimer(time.Hour)
	rearm.Stop()
	defer rearm.Stop()
	m.make()
	for {
		select {
		case <-m.quit:
			return
		case <-tick.C:
			m.make()
		case <-m.soon.C:
			m.make()
		case <-rearm.C:
			wake = m.src.Wake()
		case <-wake:
			wake = nil
			rearm.Reset(minGap)
			m.drain()
			if m.urgent || time.Now().Before(m.hotUntil) {
				m.promptly()
			}
		case <-m.kickCh:
			m.hotUntil = time.Now().Add(hotFor)
			m.promptly()
		}
	}
}

// promptly makes a frame now, or as soon as minGap has passed since the last one.
func (m *model) promptly() {
	if wait := minGap - time.Since(m.lastMade); wait > 0 {
		m.soon.Reset(wait)
		return
	}
	m.make()
}

// drain moves the source's new events into the model's list.
func (m *model) drain() {
	evs, reset := m.src.Drain()
	if reset {
		m.events = nil
		m.gen++
	}
	if len(evs) == 0 {
		return
	}
	for _, e := range evs {
		if matters(e.Event) {
			m.urgent = true
			break
		}
	}
	for _, e := range evs {
		if repeats(e.Event) {
			continue
		}
		if len(m.events) == cap(m.events) {
			// Start a new array holding the newest maxEvents, with as much room again,
			// so that copying costs O(1) per event. Frames already made keep the old one.
			keep := m.events[len(m.events)-min(len(m.events), maxEvents):]
			m.events = append(make([]item, 0, 2*maxEvents), keep...)
		}
		m.events = append(m.events, newItem(e))
	}
}

// recent returns the newest maxEvents events, for a frame.
func (m *model) recent() []item {
	n := len(m.events)
	return m.events[n-min(n, maxEvents) : n : n]
}

// matters reports whether e should show at once rather than at the next tick.
func matters(e chaos.Event) bool {
	switch e.Kind {
	case chaos.EventFault, chaos.EventViolation, chaos.EventStep, chaos.EventExpect, chaos.EventNote:
		return true
	case chaos.EventRaft:
		return e.Raft != nil && e.Raft.Kind == raftpb.EventRole && e.Raft.Role == raftpb.Leader
	}
	return false
}

// make makes a frame and posts it if it differs from the last.
func (m *model) make() {
	m.drain()
	m.urgent = false
	m.lastMade = time.Now()
	if m.soon != nil {
		m.soon.Stop()
	}
	snap := m.src.View()
	f := &frame{snap: snap, events: m.recent(), leader: chaos.LeaderOf(snap.Peers), gen: m.gen}
	posted := m.last == nil || !sameFrame(m.last, f)
	if posted {
		m.last = f
		m.post(f)
	}
	if m.made != nil {
		m.made(posted)
	}
}

// sameFrame reports whether a and b would look the same: the same events, peers,
// network and run state, and the same cluster time to the tenth of a second shown.
func sameFrame(a, b *frame) bool {
	if a.gen != b.gen || len(a.events) != len(b.events) || len(a.events) > 0 && a.events[len(a.events)-1].ev.Seq != b.events[len(b.events)-1].ev.Seq {
		return false
	}
	ra, rb := a.snap.Run, b.snap.Run
	if ra.Now/(100*time.Millisecond) != rb.Now/(100*time.Millisecond) ||
		ra.Paused != rb.Paused || ra.Done != rb.Done || ra.Speed != rb.Speed || ra.Rate != rb.Rate ||
		ra.Current != rb.Current || ra.Faults != rb.Faults || ra.Workload != rb.Workload ||
		ra.Checks != rb.Checks || (ra.Failure == nil) != (rb.Failure == nil) || a.snap.Stats != b.snap.Stats ||
		(ra.Interrupted == nil) != (rb.Interrupted == nil) || !sameClients(ra, rb) {
		return false
	}
	if !slices.EqualFunc(ra.Steps, rb.Steps, func(x, y runnerStep) bool { return x == y }) {
		return false
	}
	if !slices.EqualFunc(a.snap.Peers, b.snap.Peers, samePeer) {
		return false
	}
	return sameNet(a.snap.Net, b.snap.Net)
}

// sameClients reports whether the kv clients of a and b would look the same.
func sameClients(a, b runmodel.State) bool {
	ca, cb := a.Clients, b.Clients
	if ca == nil || cb == nil {
		return ca == cb
	}
	last := func(c *runmodel.KVClients) chaos.ClientOp {
		if len(c.Recent) == 0 {
			return chaos.ClientOp{}
		}
		return c.Recent[len(c.Recent)-1]
	}
	return ca.Rate == cb.Rate && ca.Answering == cb.Answering && ca.Pending == cb.Pending && ca.Oldest == cb.Oldest &&
		(ca.Check == nil) == (cb.Check == nil) && last(ca) == last(cb) && (a.KV == nil) == (b.KV == nil) && (a.KV == nil || *a.KV == *b.KV)
}

func samePeer(a, b chaos.PeerStatus) bool {
	sa, sb := a.Status, b.Status
	sa.Terms, sb.Terms, sa.Progress, sb.Progress = nil, nil, nil, nil
	return a.State == b.State && a.ClockRate == b.ClockRate && sa.Role == sb.Role && sa.Term == sb.Term &&
		sa.VotedFor == sb.VotedFor && sa.Leader == sb.Leader && sa.FirstIndex == sb.FirstIndex &&
		sa.LastIndex == sb.LastIndex && sa.LastTerm == sb.LastTerm && sa.CommitIndex == sb.CommitIndex &&
		sa.LastApplied == sb.LastApplied && sa.SnapshotIndex == sb.SnapshotIndex && sa.SnapshotTerm == sb.SnapshotTerm &&
		slices.Equal(a.Terms, b.Terms) && slices.Equal(a.Progress, b.Progress)
}

func sameNet(a, b chaos.NetState) bool {
	if a.Global != b.Global || !slices.Equal(a.Groups, b.Groups) || len(a.Cut) != len(b.Cut) {
		return false
	}
	for i := range a.Cut {
		if !slices.Equal(a.Cut[i], b.Cut[i]) || !slices.Equal(a.Links[i], b.Links[i]) {
			return false
		}
	}
	return true
}

type runnerStep = runmodel.StepState

func runnerStateEmpty() runmodel.State { return runmodel.State{Current: -1} }

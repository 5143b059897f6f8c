// Package check holds Raft's safety and liveness checkers. They read a cluster's ordered
// event stream (the chaos.Events published on its chaos.Bus), never sampled state, so
// they see everything the peers report, in order, and behave the same on the live and the
// sim engine.
//
// A Suite runs every checker over one shared model of the cluster (each peer's log terms,
// commit and apply positions, and what is known committed and applied at each index), so
// memory grows with the logs, not with the number of checkers, and per-index data below
// every peer's snapshot is dropped. Each checker reports its first violation; the Suite
// keeps those.
//
// The stream must keep each peer's events in the order the peer emitted them, and an
// engine must restart a crashed peer from the state it persisted after its last event
// (both engines do: a Node's events and the Ready that persists them happen under one
// lock or in one step). For full coverage, attach the Suite before the peers boot;
// attached to a running cluster (see Options.Initial), it treats what it has not seen as
// unknown and never reports a violation against a guess.
package check

import (
	"fmt"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// The checkers' names, as they appear in chaos.Violation.Checker.
const (
	// ElectionSafety: at most one leader per term, counting every peer ever seen leading,
	// partitioned or crashed since.
	ElectionSafety = "election-safety"
	// LogMatching: two logs that hold an entry with the same index and term hold the same
	// entries up through that index.
	LogMatching = "log-matching"
	// LeaderCompleteness: a peer that becomes leader of a term holds every entry known to
	// be committed in an earlier term (as far as its snapshot lets one see).
	LeaderCompleteness = "leader-completeness"
	// StateMachineSafety: no two peers apply different entries at one index (a snapshot
	// counts as applying its last entry).
	StateMachineSafety = "state-machine-safety"
	// TermMonotonic: a peer's term never decreases, across restarts too.
	TermMonotonic = "term-monotonic"
	// IndexMonotonic: a peer's commitIndex and lastApplied never decrease within a life
	// (between one boot and the next).
	IndexMonotonic = "index-monotonic"
	// ApplyOrder: a peer applies entries in index order, without gaps or repeats, and only
	// committed ones; after a boot or an installed snapshot it resumes right after the
	// snapshot.
	ApplyOrder = "apply-order"
	// Durability: a committed entry is never lost: no peer commits, applies or snapshots
	// another entry at its index, no peer removes it when it must keep it, and no leader
	// that must hold it writes over its index.
	Durability = "durability"
	// Delivery: what a peer's service receives (chaos.EventDeliver) comes in index order,
	// without gaps or repeats, within the peer's commitIndex, equal to what its core
	// applied there and to what every other peer's service received there; a snapshot
	// never takes the service back and is followed by the command after it; after a boot,
	// deliveries resume right after the persisted snapshot.
	Delivery = "delivery"
	// Progress: a leader's bookkeeping of a follower (raft.EventProgress) stays true
	// within its leadership: match never falls, next stays above match, and match never
	// names an entry the follower does not hold with the leader's term, nor anything
	// before the follower reached the leader's term (a new leadership starts from 0).
	Progress = "progress"
	// Liveness: while a majority of peers is up and connected on a reliable network, a
	// leader exists within Options.LeaderBound, a proposal a leader accepts commits
	// within Options.CommitBound, the commit index advances within Options.CommitBound
	// of proposal waiting time even if leaders keep changing, and a candidate that a new
	// leader of its term reaches stops campaigning within Options.CandidateBound.
	Liveness = "liveness"
	// EventStream: the event stream itself is malformed or contradicts itself (an append
	// that does not continue the peer's log, a bad peer id, an invalid fault): a bug in an
	// engine or in the raft observer, not in Raft.
	EventStream = "event-stream"
)

// checker indexes the checkers, in the order Violations lists simultaneous ones.
type checker int

const (
	ckElection checker = iota
	ckLogMatching
	ckCompleteness
	ckStateMachine
	ckTerm
	ckIndex
	ckApplyOrder
	ckDurability
	ckDelivery
	ckProgress
	ckLiveness
	ckEvents
	numCheckers
)

var names = [numCheckers]string{ElectionSafety, LogMatching, LeaderCompleteness, StateMachineSafety, TermMonotonic, IndexMonotonic, ApplyOrder, Durability, Delivery, Progress, Liveness, EventStream}

// Names lists every checker's name.
func Names() []string { return slices.Clone(names[:]) }

// Default liveness bounds, as the course requires: a new leader within 5 seconds. A
// candidate that a new leader of its term reaches must stop campaigning within
// DefaultCandidateBound: the leader's first AppendEntries goes out as it is elected and
// takes a message delay (on the sim engine, at most 1.5ms on a reliable link).
const (
	DefaultLeaderBound    = 5 * time.Second
	DefaultCommitBound    = 5 * time.Second
	DefaultCandidateBound = 200 * time.Millisecond
)

// MaxPeers is the largest cluster a Suite checks: the engines' (chaos.MaxPeers).
const MaxPeers = chaos.MaxPeers

// Options configure a Suite. The zero value checks everything with the default bounds,
// for a cluster observed from its start.
type Options struct {
	// LeaderBound is how long the cluster may go without a leader while a majority is up
	// and connected on a reliable network (default DefaultLeaderBound).
	LeaderBound time.Duration
	// CommitBound is how long a proposal accepted by a leader may wait to commit while that
	// holds and the leader keeps leading, and how long in all proposals may wait while
	// the commit index stands still, whoever leads, while a connected majority has no
	// outsider disturbing it (default DefaultCommitBound).
	CommitBound time.Duration
	// CandidateBound is how long a peer that was a candidate (or pre-candidate) when a
	// leader of its term or a later one was elected may go on campaigning, unchanged,
	// while that leader can reach it on a reliable network and no fault happens
	// (default DefaultCandidateBound).
	CandidateBound time.Duration
	// Skip names checkers to leave out.
	Skip []string
	// OnViolation, when non-nil, is called with each checker's first violation as it is
	// found, from inside Observe, Advance or Finish. It may publish on the cluster's Bus
	// but must not call back into the Suite.
	OnViolation func(chaos.Violation)
	// Initial, when non-nil, is the peers' statuses at the moment the Suite is attached to
	// a running cluster (one per peer): their up/crashed/paused states, clock rates and
	// roles seed the liveness checker, and everything about their logs, terms and
	// indexes is treated as unknown until events show it. Nil means the Suite sees the
	// cluster from its start: every peer up, empty and in term 0.
	Initial []chaos.PeerStatus
	// Network, when non-nil, is the network's state when the Suite is attached; nil means
	// a healthy network.
	Network *chaos.NetState
}

// Stats are counts over the stream observed, for run summaries.
type Stats struct {
	Events      uint64 // events observed
	Elections   int    // distinct (term, leader) pairs seen
	MaxTerm     int    // the highest term any peer reached
	CommitIndex int    // the highest index any peer committed
	Applied     int    // the highest index any peer applied
	Proposals   int    // proposals a leader accepted
	Committed   int    // of the proposals the liveness checker watched, those committed
	Restarts    int    // boots other than a fresh peer's first
	Snapshots   int    // snapshots taken by services
	Installs    int    // snapshots installed from a leader
	Truncated   int    // log entries removed by conflicts
	Faults      int    // faults applied
	// LongestLeaderless is the longest time without a leader while a majority was up and
	// connected on a reliable network (the time to recover from losing a leader).
	LongestLeaderless time.Duration
	// MaxCommitWait is the longest a watched proposal waited to commit.
	MaxCommitWait time.Duration
}

// Suite runs every checker over one cluster's event stream. Feed it every event in
// order with Observe (it can be a Bus sink), tell it the time with Advance when no event
// comes, and call Finish at the end of the run.
//
// Not safe for concurrent use: call its methods from one goroutine at a time. A Bus calls
// a sink one event at a time, but a live cluster delivers from its own goroutines, so a
// runner that also calls Advance must serialise the two (for example by draining a
// chaos.Queue in one goroutine).
type Suite struct {
	n, quorum int
	opts      Options

	active [numCheckers]bool // enabled and not yet violated
	first  [numCheckers]*chaos.Violation

	peers []peerModel
	slots window[slot] // per index, from the lowest index any peer's log model needs
	top   int          // the highest index with a commit mark
	// delivered holds, per index from the same floor as slots, the first thing any
	// service received there: apart, so that a stream without deliveries pays nothing.
	delivered window[deliverMark]

	leaders     map[int]leaderMark // term -> the first peer seen leading it
	leadersKept int                // len(leaders) after the last pruning

	deliv []deliverModel  // per peer: what its service received
	prog  []progressModel // per peer: its bookkeeping as leader
	live  liveness

	armed bool          // the first event or Advance has set the clocks going
	now   time.Duration // the latest time seen
	seq   uint64        // the event being observed (the last one, between events)
	at    time.Duration // its time

	stats Stats
}

// leaderMark records a peer becoming leader.
type leaderMark struct {
	peer int
	seq  uint64
	at   time.Duration
}

// New returns a Suite for a cluster of peers peers.
func New(peers int, opts Options) (*Suite, error) {
	if peers < 1 || peers > MaxPeers {
		return nil, fmt.Errorf("check: %d peers, want 1..%d", peers, MaxPeers)
	}
	if opts.LeaderBound < 0 || opts.CommitBound < 0 || opts.CandidateBound < 0 {
		return nil, fmt.Errorf("check: negative liveness bound (leader %v, commit %v, candidate %v)", opts.LeaderBound, opts.CommitBound, opts.CandidateBound)
	}
	if opts.LeaderBound == 0 {
		opts.LeaderBound = DefaultLeaderBound
	}
	if opts.CommitBound == 0 {
		opts.CommitBound = DefaultCommitBound
	}
	if opts.CandidateBound == 0 {
		opts.CandidateBound = DefaultCandidateBound
	}
	if opts.Initial != nil && len(opts.Initial) != peers {
		return nil, fmt.Errorf("check: Initial has %d statuses for %d peers", len(opts.Initial), peers)
	}
	if opts.Network != nil && len(opts.Network.Cut) != peers {
		return nil, fmt.Errorf("check: Network is for %d peers, not %d", len(opts.Network.Cut), peers)
	}
	s := &Suite{n: peers, quorum: peers/2 + 1, opts: opts, leaders: map[int]leaderMark{}}
	for i := range s.active {
		s.active[i] = true
	}
	for _, name := range opts.Skip {
		k := slices.Index(names[:], name)
		if k < 0 {
			return nil, fmt.Errorf("check: no checker named %q (checkers: %v)", name, names)
		}
		s.active[k] = false
	}
	s.peers = make([]peerModel, peers)
	s.deliv = make([]deliverModel, peers)
	s.prog = make([]progressModel, peers)
	for i := range s.peers {
		p := &s.peers[i]
		if opts.Initial == nil {
			// A fresh peer: what its boot event would say.
			p.termKnown, p.commitKnown, p.appliedKnown = true, true, true
			p.resync(0, 0)
			s.deliv[i].boot(0)
			continue
		}
		st := opts.Initial[i]
		p.role, p.term, p.roleKnown = st.Role, st.Term, true
		p.terms.reset(1)
	}
	s.live.init(s, opts)
	return s, nil
}

// Observe checks one event. Events must come in stream order. It never blocks, so it can
// be a Bus sink.
func (s *Suite) Observe(e chaos.Event) {
	s.stats.Events++
	s.seq, s.at = e.Seq, e.At
	s.advance(e.At)
	s.checkDeadlines() // a bound that passed before this event is broken, whatever it says
	switch e.Kind {
	case chaos.EventRaft:
		if e.Raft == nil {
			s.report(ckEvents, chaos.Violation{Peers: []int{e.Peer}, Message: "raft event without its content"})
			return
		}
		s.onRaft(e.Raft, e.Sampled)
	case chaos.EventFault:
		if e.Fault != nil {
			s.onFault(*e.Fault)
		}
	case chaos.EventPropose:
		if e.Propose != nil {
			s.onPropose(*e.Propose)
		}
	case chaos.EventDeliver:
		if e.Deliver == nil {
			s.report(ckEvents, chaos.Violation{Peers: []int{e.Peer}, Message: "delivery event without its content"})
			return
		}
		s.onDeliver(e.Peer, e.Deliver)
	}
}

// EventKinds lists the kinds of event a Suite reads, for subscribing it to a Bus:
// cluster.Events().Observe(s.Observe, check.EventKinds()...).
func EventKinds() []chaos.EventKind {
	return []chaos.EventKind{chaos.EventRaft, chaos.EventFault, chaos.EventPropose, chaos.EventDeliver}
}

// Advance tells the Suite that the cluster's time is now now, so the liveness bounds are
// checked even when no event comes. Times earlier than one already seen are ignored.
func (s *Suite) Advance(now time.Duration) {
	s.advance(now)
	s.checkDeadlines()
}

// Finish ends the run at time now: it checks the liveness bounds at now and settles what
// was waiting for a peer's next event. Call it once, after the cluster has stopped and its
// last event was observed.
func (s *Suite) Finish(now time.Duration) {
	s.Advance(now)
	for p := range s.peers {
		s.flushCommit(p)
	}
	s.live.finish(s)
}

// checkDeadlines reports a liveness bound passed by now.
func (s *Suite) checkDeadlines() { s.live.check(s) }

// advance moves the clock to now (the first time seen starts it).
func (s *Suite) advance(now time.Duration) {
	if !s.armed {
		s.armed = true
		s.now = now
		s.live.start(s)
	}
	s.now = max(s.now, now)
}

// First returns the earliest violation found (by the event that revealed it), or nil.
func (s *Suite) First() *chaos.Violation {
	vs := s.Violations()
	if len(vs) == 0 {
		return nil
	}
	return &vs[0]
}

// Violations returns the first violation of each checker that found one, in the order
// they were found.
func (s *Suite) Violations() []chaos.Violation {
	var vs []chaos.Violation
	for _, v := range s.first {
		if v != nil {
			vs = append(vs, *v)
		}
	}
	slices.SortStableFunc(vs, func(a, b chaos.Violation) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return vs
}

// Stats returns counts over the events observed so far.
func (s *Suite) Stats() Stats { return s.stats }

// on reports whether checker c is enabled and has not reported yet.
func (s *Suite) on(c checker) bool { return s.active[c] }

// report records v as checker c's violation, if it is the first, and stops the checker.
// v.Seq and v.At default to the event being observed.
func (s *Suite) report(c checker, v chaos.Violation) {
	if !s.active[c] {
		return
	}
	s.active[c] = false
	v.Checker = names[c]
	if v.Seq == 0 {
		v.Seq = s.seq
	}
	if v.At == 0 {
		v.At = s.at
	}
	s.first[c] = &v
	if s.opts.OnViolation != nil {
		s.opts.OnViolation(v)
	}
}

// onRaft dispatches one raft event. sampled says the engine made it up from outside a
// peer that reports nothing itself (chaos.Event.Sampled): only its role and term count,
// and a boot says where its service resumes, nothing of its log.
func (s *Suite) onRaft(r *raft.Event, sampled bool) {
	if r.Peer < 0 || r.Peer >= s.n {
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer}, Message: fmt.Sprintf("event from peer %d, but the peers are 0..%d: %v", r.Peer, s.n-1, r)})
		return
	}
	p := &s.peers[r.Peer]
	if p.pending.hi > 0 && r.Kind != raft.EventInstallSnapshot {
		s.flushCommit(r.Peer)
	}
	wasRole, wasTerm := p.role, p.term
	s.checkTerm(r)
	s.stats.MaxTerm = max(s.stats.MaxTerm, r.Term)

	switch r.Kind {
	case raft.EventBoot:
		if sampled {
			s.onSampledBoot(r)
		} else {
			s.onBoot(r)
		}
	case raft.EventRole:
		p.role = r.Role
		switch r.Role {
		case raft.Leader:
			s.checkElection(r)
			if !sampled {
				s.checkCompleteness(r)
			}
			s.prog[r.Peer].lead(r.Term, s.n)
		case raft.PreCandidate:
			s.live.sawPreVote(s)
		}
	case raft.EventVote:
		if r.PreVote {
			s.live.sawPreVote(s)
		}
	case raft.EventProgress:
		s.onProgress(r)
	case raft.EventAppend:
		p.coreLog = true
		s.onAppend(r)
	case raft.EventTruncate:
		p.coreLog = true
		s.onTruncate(r)
	case raft.EventCommit:
		p.coreLog = true
		s.onCommit(r)
	case raft.EventApply:
		p.coreLog = true
		s.onApply(r)
	case raft.EventSnapshot:
		p.coreLog = true
		s.onSnapshot(r)
	case raft.EventInstallSnapshot:
		p.coreLog = true
		s.onInstall(r)
	}
	p.role, p.seen, p.roleKnown = r.Role, true, true
	if p.role != wasRole || p.term != wasTerm || r.Kind == raft.EventBoot {
		p.changes++
		s.live.peerChanged(s, r)
	}
}

// onBoot starts a new life of a peer from its persisted state.
func (s *Suite) onBoot(r *raft.Event) {
	p := &s.peers[r.Peer]
	if p.seen || r.Term > 0 || r.LastIndex > 0 {
		s.stats.Restarts++ // not a fresh peer's first boot (which may come before a Suite is attached)
	}
	s.checkRestoredSnapshot(r)
	p.reboot(r.Index, r.PrevTerm, r.LastIndex)
	p.commit, p.applied = r.Index, r.Index
	p.commitKnown, p.appliedKnown = true, true
	p.coreLog = true
	s.deliv[r.Peer].boot(r.Index)
	s.prune()
}

// onSampledBoot starts a new life of a peer seen from outside: its term is checked (by
// onRaft), and its service resumes after the snapshot it was restored from; its log is
// unknown.
func (s *Suite) onSampledBoot(r *raft.Event) {
	p := &s.peers[r.Peer]
	if p.seen || r.Term > 0 || r.Index > 0 {
		s.stats.Restarts++
	}
	s.deliv[r.Peer].boot(r.Index)
}

// onAppend adds entries to a peer's log model, checking each.
func (s *Suite) onAppend(r *raft.Event) {
	p := &s.peers[r.Peer]
	if n := r.LastIndex - r.Index + 1; n < 1 || n != len(r.Entries) {
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer}, Indexes: []int{r.Index, r.LastIndex},
			Message: fmt.Sprintf("peer %d appended %d..%d but the event carries %d entries", r.Peer, r.Index, r.LastIndex, len(r.Entries))})
		p.logKnown = false
		return
	}
	switch {
	case !p.logKnown:
		p.resync(r.Index-1, unknown)
	case r.Index != p.last()+1:
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer}, Indexes: []int{r.Index, p.last()},
			Message: fmt.Sprintf("peer %d appended at %d, but its log ends at %d", r.Peer, r.Index, p.last())})
		if r.Index > p.first()-1 && r.Index <= p.last() {
			p.terms.cut(r.Index)
		} else {
			p.resync(r.Index-1, unknown)
		}
	}
	prev := p.termAt(r.Index - 1)
	for k, e := range r.Entries {
		i := r.Index + k
		s.checkEntry(r, i, e, prev)
		p.terms.push(e.Term)
		prev = e.Term
	}
}

// onTruncate removes entries from a peer's log model.
func (s *Suite) onTruncate(r *raft.Event) {
	p := &s.peers[r.Peer]
	if !p.logKnown {
		return
	}
	prev := p.termAt(r.Index - 1)
	if r.Index-1 == p.snapIndex {
		prev = p.snapTerm
	}
	switch {
	case r.Index <= p.snapIndex || r.Index > p.last() || r.LastIndex != p.last():
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer}, Indexes: []int{r.Index, r.LastIndex},
			Message: fmt.Sprintf("peer %d removed entries %d..%d, but its log holds %d..%d after a snapshot through %d", r.Peer, r.Index, r.LastIndex, p.first(), p.last(), p.snapIndex)})
		p.resync(r.Index-1, prev)
		return
	}
	s.stats.Truncated += p.last() - r.Index + 1
	s.checkTruncate(r)
	if r.Index < p.first() {
		p.resync(r.Index-1, prev) // it reaches into entries the Suite never saw
		return
	}
	p.terms.cut(r.Index)
}

// onCommit checks a commit's order now, and records what it committed: a leader's at
// once, a follower's at its next event (see peerModel.pending).
func (s *Suite) onCommit(r *raft.Event) {
	p := &s.peers[r.Peer]
	if r.LastIndex < r.Index {
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer}, Indexes: []int{r.Index, r.LastIndex},
			Message: fmt.Sprintf("peer %d committed %d..%d, an empty range", r.Peer, r.Index, r.LastIndex)})
		return
	}
	s.checkCommitIndex(r)
	p.commit, p.commitKnown = r.LastIndex, true
	risen := r.LastIndex > s.stats.CommitIndex
	s.stats.CommitIndex = max(s.stats.CommitIndex, r.LastIndex)
	s.live.committed(s, r, risen)
	p.pending = pendingCommit{lo: r.Index, hi: r.LastIndex, term: r.Term, seq: s.seq, at: s.at}
	if r.Role == raft.Leader {
		// A leader commits from its own log, never by installing a snapshot: record it now,
		// so every index is known committed as soon as its first committer, a leader, says.
		s.flushCommit(r.Peer)
	}
}

// flushCommit records peer's pending commit, reading the committed entries' terms from
// its log model.
func (s *Suite) flushCommit(peer int) {
	p := &s.peers[peer]
	c := p.pending
	if c.hi == 0 {
		return
	}
	p.pending = pendingCommit{}
	for i := max(c.lo, p.first()-1, s.slots.base); i <= min(c.hi, p.last()); i++ {
		t := p.termAt(i)
		if t == unknown {
			continue
		}
		sl := s.slots.at(i)
		if sl.commit.term == 0 {
			sl.commit = commitMark{term: t, inTerm: c.term, peer: peer, seq: c.seq, at: c.at}
			s.top = max(s.top, i)
			continue
		}
		if !s.checkCommitted(peer, i, t, &c) {
			return
		}
		sl.commit.inTerm = min(sl.commit.inTerm, c.term)
	}
}

// onApply checks entries a peer hands its service.
func (s *Suite) onApply(r *raft.Event) {
	p := &s.peers[r.Peer]
	if n := r.LastIndex - r.Index + 1; n < 1 || n != len(r.Entries) {
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer}, Indexes: []int{r.Index, r.LastIndex},
			Message: fmt.Sprintf("peer %d applied %d..%d but the event carries %d entries", r.Peer, r.Index, r.LastIndex, len(r.Entries))})
		return
	}
	s.checkApplyOrder(r)
	for k, e := range r.Entries {
		s.checkApplied(r.Peer, r.Index+k, e.Term, true, e.Command, "applied")
	}
	s.deliv[r.Peer].handOut(r)
	p.applied, p.appliedKnown = r.LastIndex, true
	s.stats.Applied = max(s.stats.Applied, r.LastIndex)
}

// onSnapshot moves a peer's log start past a snapshot its service took.
func (s *Suite) onSnapshot(r *raft.Event) {
	s.stats.Snapshots++
	s.checkAgainstCommitted(r.Peer, r.LastIndex, r.PrevTerm, "took a snapshot through")
	s.peers[r.Peer].compact(r.LastIndex, r.PrevTerm, true)
	s.prune()
}

// onInstall replaces a peer's log start with a snapshot from a leader, which its service
// applies.
func (s *Suite) onInstall(r *raft.Event) {
	p := &s.peers[r.Peer]
	s.stats.Installs++
	p.compact(r.LastIndex, r.PrevTerm, false)
	s.flushCommit(r.Peer) // the commit the install caused, now read from the new log
	s.checkApplied(r.Peer, r.LastIndex, r.PrevTerm, false, nil, "installed a snapshot through")
	s.checkInstallOrder(r)
	s.deliv[r.Peer].handOutSnapshot(r)
	p.applied, p.appliedKnown = r.LastIndex, true
	if !p.commitKnown || p.commit < r.LastIndex {
		p.commit, p.commitKnown = r.LastIndex, true
	}
	s.stats.Applied = max(s.stats.Applied, r.LastIndex)
	s.prune()
}

// prune drops per-index data below every peer's log model (or, for a peer whose core
// reports nothing of its log, below its service's last delivery).
func (s *Suite) prune() {
	floor := -1
	for i := range s.peers {
		p := &s.peers[i]
		f := p.snapIndex
		switch {
		case !p.coreLog:
			f = s.deliv[i].pos
		case p.logKnown:
			f = min(f, p.first()-1)
		}
		if floor < 0 || f < floor {
			floor = f
		}
	}
	s.slots.dropBelow(floor)
	s.delivered.dropBelow(floor)
}

// onFault tracks peer states and the network for the liveness checker.
func (s *Suite) onFault(f chaos.Fault) {
	if err := f.Validate(s.n); err != nil {
		s.report(ckEvents, chaos.Violation{Peers: f.Peers, Message: fmt.Sprintf("invalid fault %q: %v", f, err)})
		return
	}
	s.stats.Faults++
	switch f.Kind {
	case chaos.Crash:
		for _, id := range f.Peers {
			s.flushCommit(id)                // its life is over: no install can follow
			s.peers[id].role = raft.Follower // a stopped process leads nothing
			s.deliv[id].end()                // the next life's boot, if seen, says where it resumes
		}
	}
	s.live.fault(s, f)
}

// onPropose watches a proposal for the liveness checker.
func (s *Suite) onPropose(p chaos.Proposal) {
	if !p.OK {
		return
	}
	s.stats.Proposals++
	s.live.proposed(s, p)
}

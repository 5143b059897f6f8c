package check

import (
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// This file holds the delivery checker: what each peer's service receives
// (chaos.EventDeliver, one event per ApplyMsg in the order the service took them), checked
// against the peer's own earlier deliveries, against what its core applied when the core
// reports it (raft.EventApply and raft.EventInstallSnapshot, as raft.Node does), and
// against what every other peer's service received. A peer whose core reports nothing (a
// course Raft observed from outside) is checked from its deliveries alone: order, gaps,
// repeats and agreement across peers, which is state machine safety as services see it.

// deliverPos says what a peer's delivery position is.
type deliverPos uint8

const (
	atBoot     deliverPos = iota // the snapshot the life began from (0: an empty log)
	atCommand                    // the last command delivered
	atSnapshot                   // the last snapshot delivered
)

// handoff is a command the core handed its service (an entry of raft.EventApply) that the
// service has not received yet.
type handoff struct {
	set  bool
	term int
	cmd  interface{}
}

// install is a snapshot the core installed (raft.EventInstallSnapshot) that the service
// has not received yet.
type install struct{ index, term int }

// deliverModel is what the delivery checker knows of one peer's service in its current
// life.
type deliverModel struct {
	// pos is the index of the last delivery in this life, or of the snapshot the life
	// began from: what says which, seq and at when (seq 0 for the start of a fresh
	// peer). posKnown is false after a restart until a boot event or the first delivery
	// says where the new life stands.
	pos      int
	posKnown bool
	what     deliverPos
	seq      uint64
	at       time.Duration

	// coreApplies says the peer's core reports what it hands its service, and delivers
	// that the engine reports what the service receives (each once seen, for all its
	// lives). Handoffs are recorded only once both hold, so that a stream without
	// deliveries costs no memory; coreFrom is the first index from which this life's
	// handoffs have all been recorded (0: none), and deliveries from coreFrom on are
	// compared with them. handedTo is the last index the core handed out in this life.
	coreApplies bool
	delivers    bool
	coreFrom    int
	handedTo    int
	handed      window[handoff] // commands handed and not yet delivered, by index
	installs    []install       // snapshots installed and not yet delivered, oldest first
}

// boot starts a life from a snapshot through snap (0: an empty log), as a boot event or a
// fresh peer says.
func (m *deliverModel) boot(snap int) {
	m.pos, m.posKnown, m.what, m.seq, m.at = snap, true, atBoot, 0, 0
	m.coreFrom, m.handedTo = 0, snap
	if m.delivers {
		m.coreFrom = snap + 1
	}
	m.handed.reset(snap + 1)
	m.installs = m.installs[:0]
}

// end ends a life: nothing is known of the next one yet.
func (m *deliverModel) end() {
	m.posKnown, m.coreFrom, m.handedTo = false, 0, 0
	m.handed.reset(m.pos + 1)
	m.installs = m.installs[:0]
}

// handOut records the commands a core applied (r is its EventApply).
func (m *deliverModel) handOut(r *raft.Event) {
	m.coreApplies, m.handedTo = true, r.LastIndex
	if !m.delivers {
		return
	}
	if m.coreFrom == 0 {
		m.coreFrom = r.Index
	}
	for k, e := range r.Entries {
		if h := m.handed.at(r.Index + k); h != nil {
			*h = handoff{set: true, term: e.Term, cmd: e.Command}
		}
	}
}

// handOutSnapshot records a snapshot a core installed (r is its EventInstallSnapshot).
func (m *deliverModel) handOutSnapshot(r *raft.Event) {
	m.coreApplies, m.handedTo = true, r.LastIndex
	if !m.delivers {
		return
	}
	if m.coreFrom == 0 {
		m.coreFrom = r.LastIndex
	}
	m.installs = append(m.installs, install{index: r.LastIndex, term: r.PrevTerm})
}

// compared reports whether a delivery at index i is to be compared with the core's
// handoffs.
func (m *deliverModel) compared(i int) bool {
	return m.coreApplies && m.coreFrom > 0 && i >= m.coreFrom
}

// advance moves the position to delivery d, made by event seq at time at.
func (m *deliverModel) advance(d *chaos.Delivery, seq uint64, at time.Duration) {
	if !m.delivers {
		// The first delivery seen: what the core hands out from now on is recorded.
		m.delivers = true
		if m.coreApplies {
			m.coreFrom = max(d.Index, m.handedTo) + 1
		}
	}
	m.pos, m.posKnown, m.seq, m.at = d.Index, true, seq, at
	m.what = atCommand
	if d.Snapshot {
		m.what = atSnapshot
	}
	m.handed.dropBelow(d.Index + 1)
	kept := m.installs[:0]
	for _, in := range m.installs {
		if in.index > d.Index {
			kept = append(kept, in)
		}
	}
	m.installs = kept
}

// describe renders the position for a message: "command 7", "a snapshot through 7" or
// "its boot from a snapshot through 7".
func (m *deliverModel) describe() string {
	switch m.what {
	case atCommand:
		return fmt.Sprintf("command %d (%s)", m.pos, when(m.seq, m.at))
	case atSnapshot:
		return fmt.Sprintf("a snapshot through %d (%s)", m.pos, when(m.seq, m.at))
	}
	if m.pos == 0 {
		return "starting with an empty log"
	}
	return fmt.Sprintf("booting from its snapshot through %d", m.pos)
}

// onDeliver checks what peer's service received.
func (s *Suite) onDeliver(peer int, d *chaos.Delivery) {
	if peer < 0 || peer >= s.n {
		s.report(ckEvents, chaos.Violation{Peers: []int{peer}, Message: fmt.Sprintf("delivery to peer %d, but the peers are 0..%d: %v", peer, s.n-1, d)})
		return
	}
	m := &s.deliv[peer]
	if s.on(ckDelivery) {
		s.checkDelivery(peer, m, d)
		s.checkDeliveredAgrees(peer, d)
	}
	m.advance(d, s.seq, s.at)
	s.stats.Applied = max(s.stats.Applied, d.Index)
	if !s.peers[peer].coreLog {
		// Nothing else says what such a peer committed: what its service received was.
		risen := d.Index > s.stats.CommitIndex
		s.stats.CommitIndex = max(s.stats.CommitIndex, d.Index)
		s.live.delivered(s, d, risen)
		if d.Snapshot || d.Index%256 == 0 {
			s.prune() // nothing else moves the floor for a peer seen only through its deliveries
		}
	}
}

// checkDelivery checks delivery d against peer's earlier deliveries in this life, its
// commitIndex, and what its core handed out.
func (s *Suite) checkDelivery(peer int, m *deliverModel, d *chaos.Delivery) {
	var v chaos.Violation
	i := d.Index
	switch {
	case i < 1:
		v.Indexes = []int{i}
		v.Message = fmt.Sprintf("peer %d's service received %v: no entry has index %d", peer, d, i)
	case m.posKnown && !d.Snapshot && i == m.pos && m.what == atCommand:
		v.Indexes = []int{i}
		v.Message = fmt.Sprintf("peer %d's service received command %d twice: again after %s", peer, i, m.describe())
	case m.posKnown && !d.Snapshot && i <= m.pos:
		v.Indexes = []int{i, m.pos}
		v.Message = fmt.Sprintf("peer %d's service received command %d after %s: out of order, it holds %d already", peer, i, m.describe(), i)
	case m.posKnown && !d.Snapshot && i > m.pos+1:
		v.Indexes = []int{m.pos + 1, i - 1}
		v.Message = fmt.Sprintf("peer %d's service received command %d after %s: it skipped %d..%d", peer, i, m.describe(), m.pos+1, i-1)
	case m.posKnown && d.Snapshot && i < m.pos:
		v.Indexes = []int{i, m.pos}
		v.Message = fmt.Sprintf("peer %d's service received a snapshot through %d after %s: the snapshot takes it back", peer, i, m.describe())
	case m.posKnown && d.Snapshot && i == m.pos && m.what == atSnapshot:
		v.Indexes = []int{i}
		v.Message = fmt.Sprintf("peer %d's service received the snapshot through %d twice: again after %s", peer, i, m.describe())
	default:
		if !m.compared(i) || s.checkAgainstCore(peer, m, d, &v) {
			return
		}
	}
	v.Peers = []int{peer}
	if v.Terms == nil && d.Snapshot {
		v.Terms = []int{d.Term}
	}
	s.report(ckDelivery, v)
}

// checkAgainstCore checks delivery d against peer's commitIndex and what its core handed
// its service. It fills in v and reports false when they disagree.
func (s *Suite) checkAgainstCore(peer int, m *deliverModel, d *chaos.Delivery, v *chaos.Violation) bool {
	p := &s.peers[peer]
	i := d.Index
	if p.commitKnown && i > p.commit {
		what := fmt.Sprintf("command %d", i)
		if d.Snapshot {
			what = fmt.Sprintf("a snapshot through %d", i)
		}
		v.Indexes = []int{i, p.commit}
		v.Message = fmt.Sprintf("peer %d's service received %s, beyond the peer's commitIndex %d", peer, what, p.commit)
		return false
	}
	if d.Snapshot {
		for _, in := range m.installs {
			if in.index != i {
				continue
			}
			if d.Term != 0 && d.Term != in.term {
				v.Terms, v.Indexes = []int{d.Term, in.term}, []int{i}
				v.Message = fmt.Sprintf("peer %d's service received a snapshot through %d of term %d, but its core installed one of term %d there", peer, i, d.Term, in.term)
				return false
			}
			return true
		}
		v.Indexes = []int{i}
		v.Message = fmt.Sprintf("peer %d's service received a snapshot through %d (term %d) that its core never installed in this life", peer, i, d.Term)
		return false
	}
	h := m.handed.get(i)
	if h == nil || !h.set {
		v.Indexes = []int{i}
		v.Message = fmt.Sprintf("peer %d's service received command %d, which its core had not applied (it applied through %d)", peer, i, m.handedTo)
		return false
	}
	if d.Term != 0 && d.Term != h.term || !sameCommand(h.cmd, d.Command) {
		v.Terms, v.Indexes = []int{d.Term, h.term}, []int{i}
		v.Message = fmt.Sprintf("peer %d's service received command %s (term %d) at index %d, but its core applied %s (term %d) there",
			peer, describe(d.Command), d.Term, i, describe(h.cmd), h.term)
		return false
	}
	return true
}

// checkDeliveredAgrees checks that delivery d is what every other service received at its
// index (a snapshot counts as its last entry, known by term only; a command of a peer
// that does not report terms, by command only).
func (s *Suite) checkDeliveredAgrees(peer int, d *chaos.Delivery) {
	w := &s.delivered
	if d.Index < 1 || len(w.s) > 0 && d.Index-w.end() >= maxGap {
		return // nothing to compare, and no reason to start the window afresh
	}
	mk := w.at(d.Index)
	if mk == nil {
		return // below every service's position
	}
	if !mk.set {
		*mk = deliverMark{set: true, hasCmd: !d.Snapshot, term: d.Term, peer: peer, seq: s.seq, at: s.at}
		if !d.Snapshot {
			mk.cmd = d.Command
		}
		return
	}
	termsDiffer := mk.term != 0 && d.Term != 0 && mk.term != d.Term
	if !termsDiffer && (!mk.hasCmd || d.Snapshot || sameCommand(mk.cmd, d.Command)) {
		if mk.term == 0 {
			mk.term = d.Term
		}
		if !mk.hasCmd && !d.Snapshot {
			mk.cmd, mk.hasCmd = d.Command, true
		}
		return
	}
	whose := fmt.Sprintf("peers %d and %d", mk.peer, peer)
	if mk.peer == peer {
		whose = fmt.Sprintf("peer %d (in two lives)", peer)
	}
	s.report(ckDelivery, chaos.Violation{
		Peers: []int{mk.peer, peer}, Terms: []int{mk.term, d.Term}, Indexes: []int{d.Index},
		Message: fmt.Sprintf("%s's services received different entries at index %d: peer %d got %s (%s), peer %d got %s",
			whose, d.Index, mk.peer, delivered(d.Index, mk.term, mk.hasCmd, mk.cmd), when(mk.seq, mk.at), peer, delivered(d.Index, d.Term, !d.Snapshot, d.Command)),
	})
}

// delivered describes what a service received at index i, for a message.
func delivered(i, term int, hasCmd bool, cmd interface{}) string {
	t := "term unknown"
	if term != 0 {
		t = fmt.Sprintf("term %d", term)
	}
	if hasCmd {
		return fmt.Sprintf("command %s (%s)", describe(cmd), t)
	}
	return fmt.Sprintf("a snapshot through %d (%s)", i, t)
}

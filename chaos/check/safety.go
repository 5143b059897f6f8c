package check

import (
	"fmt"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// This file holds the checks of Raft's safety properties (Figure 3 of the paper) and of
// durability. Each is called by the Suite's event handlers at the point where the model
// holds what it needs.

// checkElection records r's peer as leader of r.Term and reports a second leader of a
// term (election safety). Leaders are remembered for every term some peer may still
// reach, so a partitioned or crashed leader still counts.
func (s *Suite) checkElection(r *raft.Event) {
	if m, ok := s.leaders[r.Term]; ok {
		if m.peer == r.Peer {
			return // the same leader again (after stepping down in its term)
		}
		s.stats.Elections++
		s.report(ckElection, chaos.Violation{
			Peers: []int{m.peer, r.Peer}, Terms: []int{r.Term},
			Message: fmt.Sprintf("peers %d and %d were both leader of term %d: peer %d became leader (%s), then peer %d",
				m.peer, r.Peer, r.Term, m.peer, when(m.seq, m.at), r.Peer),
		})
		return
	}
	s.leaders[r.Term] = leaderMark{peer: r.Peer, seq: s.seq, at: s.at}
	s.stats.Elections++
	if n := len(s.leaders); n > 256 && n > 2*s.leadersKept {
		// No peer can lead a term below every peer's current term (its term would have to
		// fall first, which term-monotonic reports), so forget those.
		floor := -1
		for i := range s.peers {
			t := 0
			if s.peers[i].termKnown {
				t = s.peers[i].term
			}
			if floor < 0 || t < floor {
				floor = t
			}
		}
		for t := range s.leaders {
			if t < floor {
				delete(s.leaders, t)
			}
		}
		s.leadersKept = len(s.leaders)
	}
}

// checkCompleteness checks that r's peer, just become leader of r.Term, holds every entry
// known to be committed in an earlier term (leader completeness). Entries its snapshot
// covers, or that the Suite never saw in its log, are taken on trust.
func (s *Suite) checkCompleteness(r *raft.Event) {
	p := &s.peers[r.Peer]
	if !s.on(ckCompleteness) || !p.logKnown {
		return
	}
	for i := max(p.first()-1, s.slots.base, 1); i <= s.top; i++ {
		sl := s.slots.get(i)
		if sl == nil || sl.commit.term == 0 || sl.commit.inTerm >= r.Term {
			continue
		}
		c := sl.commit
		var has string
		switch t := p.termAt(i); {
		case i > p.last():
			has = fmt.Sprintf("its log ends at %d", p.last())
		case t == unknown || t == c.term:
			continue
		default:
			has = fmt.Sprintf("it holds an entry of term %d there", t)
		}
		s.report(ckCompleteness, chaos.Violation{
			Peers: []int{r.Peer, c.peer}, Terms: []int{r.Term, c.term}, Indexes: []int{i},
			Message: fmt.Sprintf("peer %d became leader of term %d without entry %d (term %d), which peer %d had committed in term %d (%s): %s",
				r.Peer, r.Term, i, c.term, c.peer, c.inTerm, when(c.seq, c.at), has),
		})
		return
	}
}

// checkEntry checks entry e, appended at index i of r's peer's log after an entry of term
// prev (or unknown), against the first entry seen with the same index and term (log
// matching), and checks that a leader does not write over a committed entry it must hold
// (durability).
func (s *Suite) checkEntry(r *raft.Event, i int, e raft.Entry, prev int) {
	if r.Other == r.Peer && s.on(ckDurability) {
		if sl := s.slots.get(i); sl != nil && sl.commit.term != 0 && sl.commit.term != e.Term && sl.commit.inTerm < r.Term {
			c := sl.commit
			s.report(ckDurability, chaos.Violation{
				Peers: []int{r.Peer, c.peer}, Terms: []int{r.Term, c.term}, Indexes: []int{i},
				Message: fmt.Sprintf("peer %d, leader of term %d, wrote a new entry at index %d, where peer %d had committed an entry of term %d in term %d (%s): the committed entry is lost",
					r.Peer, r.Term, i, c.peer, c.term, c.inTerm, when(c.seq, c.at)),
			})
		}
	}
	if !s.on(ckLogMatching) {
		return
	}
	sl := s.slots.at(i)
	if sl == nil {
		return
	}
	rec := sl.find(e.Term)
	if rec == nil {
		sl.add(record{term: e.Term, prevTerm: prev, peer: r.Peer, cmd: e.Command, seq: s.seq, at: s.at})
		return
	}
	switch {
	case !sameCommand(rec.cmd, e.Command):
		s.report(ckLogMatching, chaos.Violation{
			Peers: []int{rec.peer, r.Peer}, Terms: []int{e.Term}, Indexes: []int{i},
			Message: fmt.Sprintf("peers %d and %d hold different entries with index %d and term %d: peer %d got command %s (%s), peer %d got %s",
				rec.peer, r.Peer, i, e.Term, rec.peer, describe(rec.cmd), when(rec.seq, rec.at), r.Peer, describe(e.Command)),
		})
	case prev != unknown && rec.prevTerm != unknown && prev != rec.prevTerm:
		s.report(ckLogMatching, chaos.Violation{
			Peers: []int{rec.peer, r.Peer}, Terms: []int{e.Term, rec.prevTerm, prev}, Indexes: []int{i, i - 1},
			Message: fmt.Sprintf("peers %d and %d both hold entry %d of term %d but differ before it: entry %d has term %d in peer %d's log (%s) and term %d in peer %d's",
				rec.peer, r.Peer, i, e.Term, i-1, rec.prevTerm, rec.peer, when(rec.seq, rec.at), prev, r.Peer),
		})
	case rec.prevTerm == unknown:
		rec.prevTerm = prev
	}
}

// checkTruncate checks that r removes no committed entry its peer must keep: one it
// committed itself, or one the leader that sent the conflicting entries must hold
// because it was committed in an earlier term (durability). A stale leader may still make
// a stale follower drop its copy of an entry committed in a later term: that is legal.
func (s *Suite) checkTruncate(r *raft.Event) {
	p := &s.peers[r.Peer]
	if !s.on(ckDurability) {
		return
	}
	for i := r.Index; i <= p.last(); i++ {
		sl := s.slots.get(i)
		if sl == nil || sl.commit.term == 0 || p.termAt(i) != sl.commit.term {
			continue
		}
		c := sl.commit
		var why string
		switch {
		case p.commitKnown && i <= p.commit:
			why = fmt.Sprintf("it had committed it itself (its commitIndex is %d)", p.commit)
		case r.Term > c.inTerm:
			why = fmt.Sprintf("peer %d committed it in term %d (%s), so the leader of term %d that overwrote it must hold it", c.peer, c.inTerm, when(c.seq, c.at), r.Term)
		default:
			continue
		}
		s.report(ckDurability, chaos.Violation{
			Peers: []int{r.Peer, c.peer}, Terms: []int{r.Term, c.term}, Indexes: []int{i},
			Message: fmt.Sprintf("peer %d removed entries %d..%d, losing committed entry %d (term %d): %s",
				r.Peer, r.Index, r.LastIndex, i, c.term, why),
		})
		return
	}
}

// checkCommitted reports a commit, recorded from c, of the entry of term t at index i of
// peer's log, when another entry is known committed there (durability). It reports
// whether the commit agrees.
func (s *Suite) checkCommitted(peer, i, t int, c *pendingCommit) bool {
	m := s.slots.get(i).commit
	if m.term == t {
		return true
	}
	s.report(ckDurability, chaos.Violation{
		Peers: []int{peer, m.peer}, Terms: []int{t, m.term}, Indexes: []int{i}, Seq: c.seq, At: c.at,
		Message: fmt.Sprintf("peer %d committed index %d with an entry of term %d, but peer %d had committed an entry of term %d there (%s)",
			peer, i, t, m.peer, m.term, when(m.seq, m.at)),
	})
	return false
}

// checkAgainstCommitted reports peer doing something (what: "applied", "took a snapshot
// through", ...) with an entry of term t at index i where another entry is known
// committed (durability).
func (s *Suite) checkAgainstCommitted(peer, i, t int, what string) {
	if !s.on(ckDurability) {
		return
	}
	sl := s.slots.get(i)
	if sl == nil || sl.commit.term == 0 || sl.commit.term == t {
		return
	}
	c := sl.commit
	s.report(ckDurability, chaos.Violation{
		Peers: []int{peer, c.peer}, Terms: []int{t, c.term}, Indexes: []int{i},
		Message: fmt.Sprintf("peer %d %s index %d with an entry of term %d, but peer %d had committed an entry of term %d there (%s)",
			peer, what, i, t, c.peer, c.term, when(c.seq, c.at)),
	})
}

// checkApplied checks that what peer hands its service at index i (an entry of term t,
// with its command when hasCmd, else the last entry of a snapshot) is what every other
// peer applied there (state machine safety), and that it is the committed entry.
func (s *Suite) checkApplied(peer, i, t int, hasCmd bool, cmd interface{}, what string) {
	s.checkAgainstCommitted(peer, i, t, what)
	sl := s.slots.at(i)
	if sl == nil {
		return
	}
	a := &sl.apply
	if a.term == 0 {
		*a = applyMark{term: t, hasCmd: hasCmd, cmd: cmd, peer: peer, seq: s.seq, at: s.at, how: what}
		return
	}
	if !s.on(ckStateMachine) {
		return
	}
	if a.term == t && (!hasCmd || !a.hasCmd || sameCommand(a.cmd, cmd)) {
		if !a.hasCmd && hasCmd {
			a.cmd, a.hasCmd = cmd, true
		}
		return
	}
	s.report(ckStateMachine, chaos.Violation{
		Peers: []int{a.peer, peer}, Terms: []int{a.term, t}, Indexes: []int{i},
		Message: fmt.Sprintf("peers %d and %d applied different entries at index %d: peer %d %s (%s), peer %d %s",
			a.peer, peer, i, a.peer, applied(a.how, i, a.term, a.hasCmd, a.cmd), when(a.seq, a.at), peer, applied(what, i, t, hasCmd, cmd)),
	})
}

// applied describes applying at index i, for a message.
func applied(what string, i, t int, hasCmd bool, cmd interface{}) string {
	if hasCmd {
		return fmt.Sprintf("%s command %s (term %d)", what, describe(cmd), t)
	}
	return fmt.Sprintf("%s index %d (term %d)", what, i, t)
}

// checkRestoredSnapshot checks the snapshot a peer boots from: its service applies it.
func (s *Suite) checkRestoredSnapshot(r *raft.Event) {
	if r.Index > 0 {
		s.checkApplied(r.Peer, r.Index, r.PrevTerm, false, nil, "restarted from a snapshot through")
	}
}

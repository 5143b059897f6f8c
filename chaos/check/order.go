package check

import (
	"fmt"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// This file holds the per-peer ordering checks: terms never fall, commitIndex and
// lastApplied never fall within a life, and applies come in order.

// checkTerm checks that r's term is not below its peer's last term (term-monotonic), and
// records it. Every raft event carries the peer's term, and a boot its restored one.
func (s *Suite) checkTerm(r *raft.Event) {
	p := &s.peers[r.Peer]
	if p.termKnown && r.Term < p.term && s.on(ckTerm) {
		msg := fmt.Sprintf("peer %d's term fell from %d to %d (%s event)", r.Peer, p.term, r.Term, r.Kind)
		if r.Kind == raft.EventBoot {
			msg = fmt.Sprintf("peer %d restarted in term %d after reaching term %d: the term it persisted was lost", r.Peer, r.Term, p.term)
		}
		s.report(ckTerm, chaos.Violation{Peers: []int{r.Peer}, Terms: []int{p.term, r.Term}, Message: msg})
	}
	p.term, p.termKnown = r.Term, true
}

// checkCommitIndex checks that a commit does not lower its peer's commitIndex
// (index-monotonic): the event says it rose from r.Index-1, which must be what it was.
func (s *Suite) checkCommitIndex(r *raft.Event) {
	p := &s.peers[r.Peer]
	if !s.on(ckIndex) || !p.commitKnown || r.Index-1 >= p.commit {
		return
	}
	s.report(ckIndex, chaos.Violation{
		Peers: []int{r.Peer}, Indexes: []int{p.commit, min(r.Index-1, r.LastIndex)},
		Message: fmt.Sprintf("peer %d's commitIndex fell from %d to %d in one life (it then committed %d..%d)",
			r.Peer, p.commit, min(r.Index-1, r.LastIndex), r.Index, r.LastIndex),
	})
}

// checkApplyOrder checks that an apply continues right after its peer's lastApplied and
// stays within its commitIndex (apply-order), and that lastApplied does not fall
// (index-monotonic).
func (s *Suite) checkApplyOrder(r *raft.Event) {
	p := &s.peers[r.Peer]
	if !p.appliedKnown {
		return
	}
	if r.LastIndex < p.applied && s.on(ckIndex) {
		s.report(ckIndex, chaos.Violation{
			Peers: []int{r.Peer}, Indexes: []int{p.applied, r.LastIndex},
			Message: fmt.Sprintf("peer %d's lastApplied fell from %d to %d in one life (it applied %d..%d)",
				r.Peer, p.applied, r.LastIndex, r.Index, r.LastIndex),
		})
	}
	if !s.on(ckApplyOrder) {
		return
	}
	var v chaos.Violation
	switch {
	case r.Index > p.applied+1:
		v.Indexes = []int{p.applied + 1, r.Index - 1}
		v.Message = fmt.Sprintf("peer %d applied %d..%d after %d: it skipped %d..%d", r.Peer, r.Index, r.LastIndex, p.applied, p.applied+1, r.Index-1)
	case r.Index <= p.applied:
		v.Indexes = []int{r.Index, min(r.LastIndex, p.applied)}
		v.Message = fmt.Sprintf("peer %d applied %d..%d again: it had applied through %d", r.Peer, r.Index, r.LastIndex, p.applied)
	case p.commitKnown && r.LastIndex > p.commit:
		v.Indexes = []int{p.commit + 1, r.LastIndex}
		v.Message = fmt.Sprintf("peer %d applied %d..%d, beyond its commitIndex %d", r.Peer, r.Index, r.LastIndex, p.commit)
	default:
		return
	}
	v.Peers = []int{r.Peer}
	s.report(ckApplyOrder, v)
}

// checkInstallOrder checks that an installed snapshot does not take its peer's
// lastApplied back (index-monotonic). The next apply must follow the snapshot, which
// onInstall arranges by setting lastApplied.
func (s *Suite) checkInstallOrder(r *raft.Event) {
	p := &s.peers[r.Peer]
	if !s.on(ckIndex) || !p.appliedKnown || r.LastIndex >= p.applied {
		return
	}
	s.report(ckIndex, chaos.Violation{
		Peers: []int{r.Peer}, Indexes: []int{p.applied, r.LastIndex},
		Message: fmt.Sprintf("peer %d installed a snapshot through %d after applying through %d: its lastApplied fell", r.Peer, r.LastIndex, p.applied),
	})
}

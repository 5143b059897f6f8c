package check

import (
	"fmt"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// This file holds the progress checker: a leader's bookkeeping of each follower
// (raft.EventProgress: match and next index), checked within one leadership (one leader,
// one term) against itself and against the logs the Suite models.
//
// What makes a match index true: the follower answered an AppendEntries (or
// InstallSnapshot) of the leader's term, sent after the leader's entries through match,
// with success. So the follower was in the leader's term then, and terms never fall: a
// follower still in an earlier term has acknowledged nothing. And while the follower
// stays in that term, only that leader changes its log, which then holds the leader's
// entries through match (it cannot lose them: a follower persists before it answers).
// Once the follower has moved to a later term, a newer leader may have rewritten its log
// and a late answer may still raise the old leader's match: that is legal, and not judged.

// progressModel is one peer's bookkeeping as leader, as its progress events show it.
type progressModel struct {
	term  int   // the term of the peer's latest leadership; 0: none seen
	match []int // per follower, in that leadership
}

// lead starts the bookkeeping of a leadership of term, unless it is the one under way: a
// new leadership knows nothing of its followers (match 0).
func (m *progressModel) lead(term, peers int) {
	if m.match != nil && m.term == term {
		return
	}
	m.term = term
	if m.match == nil {
		m.match = make([]int, peers)
	} else {
		clear(m.match)
	}
}

// onProgress checks and records a leader's progress event.
func (s *Suite) onProgress(r *raft.Event) {
	if r.Other < 0 || r.Other >= s.n {
		s.report(ckEvents, chaos.Violation{Peers: []int{r.Peer, r.Other}, Message: fmt.Sprintf("peer %d reported the progress of peer %d, but the peers are 0..%d: %v", r.Peer, r.Other, s.n-1, r)})
		return
	}
	if r.Other == r.Peer {
		return // a leader's own log: its events say all about it
	}
	m := &s.prog[r.Peer]
	m.lead(r.Term, s.n) // the leadership's first event may come before its role event
	if s.on(ckProgress) {
		s.checkProgress(r, m.match[r.Other])
	}
	m.match[r.Other] = r.Index
}

// checkProgress checks progress event r of leader r.Peer for follower r.Other, whose
// match index in this leadership was prev.
func (s *Suite) checkProgress(r *raft.Event, prev int) {
	l, f, term, match, next := r.Peer, r.Other, r.Term, r.Index, r.LastIndex
	lp, fp := &s.peers[l], &s.peers[f]
	head := fmt.Sprintf("peer %d, leader of term %d, ", l, term)
	says := fmt.Sprintf("%ssays peer %d's log matches its own through %d", head, f, match)
	v := chaos.Violation{Peers: []int{l, f}, Terms: []int{term}, Indexes: []int{match}}
	switch {
	case match < 0:
		v.Message = fmt.Sprintf("%sset peer %d's match index to %d", head, f, match)
	case next <= match:
		v.Indexes = []int{match, next}
		v.Message = fmt.Sprintf("%sset peer %d's next index to %d, not above its match index %d", head, f, next, match)
	case match < prev:
		v.Indexes = []int{prev, match}
		v.Message = fmt.Sprintf("%stook peer %d's match index back from %d to %d within its leadership", head, f, prev, match)
	case lp.logKnown && match > lp.last():
		v.Indexes = []int{match, lp.last()}
		v.Message = fmt.Sprintf("%s, but its own log ends at %d", says, lp.last())
	case lp.logKnown && next > lp.last()+1:
		v.Indexes = []int{next, lp.last()}
		v.Message = fmt.Sprintf("%sset peer %d's next index to %d, past the end of its own log at %d", head, f, next, lp.last())
	case match == 0 || !fp.termKnown || fp.term > term:
		return
	case fp.term < term:
		v.Terms = []int{term, fp.term}
		v.Message = fmt.Sprintf("%s, but peer %d is still in term %d: it has acknowledged nothing in term %d (a match index kept from an earlier leadership?)", says, f, fp.term, term)
	case !fp.logKnown:
		return
	case match > fp.last():
		v.Indexes = []int{match, fp.last()}
		v.Message = fmt.Sprintf("%s, but peer %d's log ends at %d", says, f, fp.last())
	default:
		ft, lt := fp.termAt(match), lp.termAt(match)
		if ft == unknown || lt == unknown || ft == lt {
			return
		}
		v.Terms = []int{term, lt, ft}
		v.Message = fmt.Sprintf("%s, but peer %d holds an entry of term %d at %d where the leader's is of term %d", says, f, ft, match, lt)
	}
	s.report(ckProgress, v)
}

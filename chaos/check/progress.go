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
	var indexes, terms []int
	var what string
	switch {
	case match < 0:
		what = fmt.Sprintf("set peer %d's match index to %d", f, match)
	case next <= match:
		indexes = []int{match, next}
		what = fmt.Sprintf("set peer %d's next index to %d, not above its match index %d", f, next, match)
	case match < prev:
		indexes = []int{prev, match}
		what = fmt.Sprintf("took peer %d's match index back from %d to %d within its leadership", f, prev, match)
	case lp.logKnown && match > lp.last():
		indexes = []int{match, lp.last()}
		what = fmt.Sprintf("says peer %d's log matches its own through %d, but its own log ends at %d", f, match, lp.last())
	case lp.logKnown && next > lp.last()+1:
		indexes = []int{next, lp.last()}
		what = fmt.Sprintf("set peer %d's next index to %d, past the end of its own log at %d", f, next, lp.last())
	case match == 0 || !fp.termKnown || fp.term > term:
		return
	case fp.term < term:
		terms = []int{term, fp.term}
		what = fmt.Sprintf("says peer %d's log matches its own through %d, but peer %d is still in term %d: it has acknowledged nothing in term %d (a match index kept from an earlier leadership?)", f, match, f, fp.term, term)
	case !fp.logKnown:
		return
	case match > fp.last():
		indexes = []int{match, fp.last()}
		what = fmt.Sprintf("says peer %d's log matches its own through %d, but peer %d's log ends at %d", f, match, f, fp.last())
	default:
		ft, lt := fp.termAt(match), lp.termAt(match)
		if ft == unknown || lt == unknown || ft == lt {
			return
		}
		terms = []int{term, lt, ft}
		what = fmt.Sprintf("says peer %d's log matches its own through %d, but peer %d holds an entry of term %d at %d where the leader's is of term %d", f, match, f, ft, match, lt)
	}
	if terms == nil {
		terms = []int{term}
	}
	if indexes == nil {
		indexes = []int{match}
	}
	s.report(ckProgress, chaos.Violation{Peers: []int{l, f}, Terms: terms, Indexes: indexes,
		Message: fmt.Sprintf("peer %d, leader of term %d, %s", l, term, what)})
}

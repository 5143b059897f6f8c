package model

import (
	"slices"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// peer is one peer as the events show it. Its log is kept as the terms of the entries
// after its snapshot, in runs (terms never decrease along a log, so there are few).
type peer struct {
	id, lives           int
	state               chaos.PeerState
	rate                float64
	role                raftpb.Role
	term, votedFor      int
	leader              int
	snapIndex, snapTerm int
	runs                []raftpb.TermRun // the terms of entries snapIndex+1..last
	last                int
	commit, applied     int
	// progress is the leader's view of each follower, from its EventProgress events;
	// nil unless the peer leads.
	progress []raftpb.Progress
	// sampled: the peer is seen from outside (its raft events are Sampled): its log,
	// commit and applies are what its service received.
	sampled bool
}

func newPeer(id int) peer {
	return peer{id: id, state: chaos.Crashed, rate: 1, votedFor: raftpb.None, leader: raftpb.None}
}

// clone returns a copy of p that shares nothing with it.
func (p peer) clone() peer {
	p.runs = slices.Clone(p.runs)
	p.progress = slices.Clone(p.progress)
	return p
}

// termAt returns the term of entry i, or 0 if the log does not hold it.
func (p *peer) termAt(i int) int {
	switch {
	case i == p.snapIndex:
		return p.snapTerm
	case i < p.snapIndex || i > p.last:
		return 0
	}
	// The last run starting at or before i.
	k, _ := slices.BinarySearchFunc(p.runs, i+1, func(r raftpb.TermRun, x int) int { return r.Index - x })
	if k == 0 {
		return 0
	}
	return p.runs[k-1].Term
}

// cut keeps the log through index i (at least the snapshot).
func (p *peer) cut(i int) {
	i = max(i, p.snapIndex)
	if i >= p.last {
		return
	}
	k, _ := slices.BinarySearchFunc(p.runs, i+1, func(r raftpb.TermRun, x int) int { return r.Index - x })
	p.runs = p.runs[:k]
	p.last = i
}

// push appends one entry of term t.
func (p *peer) push(t int) {
	p.last++
	if n := len(p.runs); n == 0 || p.runs[n-1].Term != t {
		p.runs = append(p.runs, raftpb.TermRun{Index: p.last, Term: t})
	}
}

// put writes entries from index on, cutting off what follows them.
func (p *peer) put(index int, es []raftpb.Entry) {
	if skip := p.snapIndex + 1 - index; skip > 0 {
		if skip >= len(es) {
			return
		}
		index, es = p.snapIndex+1, es[skip:]
	}
	p.cut(index - 1)
	for p.last < index-1 {
		p.push(0) // a gap the events did not show
	}
	for _, e := range es {
		p.push(e.Term)
	}
}

// compact makes index (of term) the snapshot, keeping the entries after it if the log
// agrees with it there.
func (p *peer) compact(index, term int) {
	if index <= p.snapIndex {
		return
	}
	if p.termAt(index) != term || index >= p.last {
		p.runs, p.last = p.runs[:0], index
	} else {
		k, _ := slices.BinarySearchFunc(p.runs, index+1, func(r raftpb.TermRun, x int) int { return r.Index - x })
		// Runs k.. start after index; the one before (k-1) holds index and may go on.
		kept := p.runs[k:]
		if k > 0 && (k == len(p.runs) || p.runs[k].Index > index+1) {
			kept = append([]raftpb.TermRun{{Index: index + 1, Term: p.runs[k-1].Term}}, kept...)
		}
		p.runs = slices.Clone(kept)
	}
	p.snapIndex, p.snapTerm = index, term
}

// boot starts a life: the log is what the peer persisted (what the events built), from
// its snapshot through the last index the boot reports.
func (p *peer) boot(r *raftpb.Event) {
	old := *p
	old.runs = slices.Clone(p.runs)
	p.runs, p.last = p.runs[:0], r.Index
	p.snapIndex, p.snapTerm = r.Index, r.PrevTerm
	for i := r.Index + 1; i <= r.LastIndex; i++ {
		p.push(old.termAt(i))
	}
	p.lives++
	p.state, p.role, p.term, p.leader, p.progress = chaos.Up, r.Role, r.Term, raftpb.None, nil
	p.commit, p.applied = r.Index, r.Index
}

// status returns the peer as a cluster reports it.
func (p *peer) status() chaos.PeerStatus {
	st := raftpb.Status{
		ID: p.id, Role: p.role, Term: p.term, VotedFor: p.votedFor, Leader: p.leader,
		FirstIndex: p.snapIndex + 1, LastIndex: p.last, LastTerm: p.termAt(p.last),
		CommitIndex: p.commit, LastApplied: p.applied, SnapshotIndex: p.snapIndex, SnapshotTerm: p.snapTerm,
		Terms: slices.Clone(p.runs),
	}
	if p.role == raftpb.Leader && p.progress != nil {
		st.Progress = slices.Clone(p.progress)
		st.Progress[p.id] = raftpb.Progress{Match: p.last, Next: p.last + 1}
	}
	if p.state == chaos.Crashed {
		st.Role, st.Leader, st.Progress = raftpb.Follower, raftpb.None, nil
	}
	return chaos.PeerStatus{Status: st, State: p.state, ClockRate: p.rate, Sampled: p.sampled}
}

package scenario

import (
	"fmt"
	"slices"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// Observation is what conditions are evaluated against: the peers and the network as
// the cluster reports them (Cluster.Peers and Cluster.Network), and the counters the
// runner keeps from the event stream.
type Observation struct {
	Peers []chaos.PeerStatus
	// Net is the network's state; a zero NetState counts every pair as connected.
	Net chaos.NetState
	// Commits is the number of proposals committed, Lost the number lost, and
	// Elections the number of times a peer became leader.
	Commits, Lost, Elections int
}

// Leader returns the peer that leads with a connected majority and its term, or
// raftpb.None: an up peer that believes it is leader in term T such that, counting
// itself, a majority of all peers are up, in term T, follow it (their leader hint names
// it) and are connected to it both ways. At most one peer can qualify.
func (o Observation) Leader() (id, term int) {
	n := len(o.Peers)
	for l, lp := range o.Peers {
		if lp.State != chaos.Up || lp.Role != raftpb.Leader {
			continue
		}
		votes := 1
		for p, pp := range o.Peers {
			if p != l && pp.State == chaos.Up && pp.Term == lp.Term && pp.Leader == l && o.connected(l, p) {
				votes++
			}
		}
		if votes > n/2 {
			return l, lp.Term
		}
	}
	return raftpb.None, 0
}

func (o Observation) connected(a, b int) bool {
	if a >= len(o.Net.Cut) || b >= len(o.Net.Cut) || b >= len(o.Net.Cut[a]) || a >= len(o.Net.Cut[b]) {
		return true
	}
	return o.Net.Connected(a, b)
}

// CommitIndex returns the highest index that a majority of the peers are up and have
// committed: the commit index of the majority-th most advanced up peer, or 0.
func (o Observation) CommitIndex() int {
	var idx []int
	for _, p := range o.Peers {
		if p.State == chaos.Up {
			idx = append(idx, p.CommitIndex)
		}
	}
	k := len(o.Peers)/2 + 1
	if len(idx) < k {
		return 0
	}
	slices.Sort(idx)
	slices.Reverse(idx)
	return idx[k-1]
}

// Term returns the highest term of any peer (crashed peers count with their last term).
func (o Observation) Term() int {
	t := 0
	for _, p := range o.Peers {
		t = max(t, p.Term)
	}
	return t
}

// Leaders returns how many up peers believe they are leader, at any term.
func (o Observation) Leaders() int {
	n := 0
	for _, p := range o.Peers {
		if p.State == chaos.Up && p.Role == raftpb.Leader {
			n++
		}
	}
	return n
}

// value returns the number that a commit or counter condition compares.
func (c Cond) value(o Observation) int {
	switch c.Kind {
	case CondCommit:
		return o.CommitIndex()
	case CondTerm:
		return o.Term()
	case CondCommits:
		return o.Commits
	case CondLost:
		return o.Lost
	case CondElections:
		return o.Elections
	case CondLeaders:
		return o.Leaders()
	}
	return 0
}

// Bind makes a relative condition absolute by adding the value observed now, as a wait
// or an expect ... for does when it starts: "commit +5" observed at commit index 12
// becomes "commit 17". Other conditions are returned as they are.
func (c Cond) Bind(o Observation) Cond {
	if c.Relative {
		c.N += c.value(o)
		c.Relative = false
	}
	return c
}

// Eval reports whether c holds in o, and describes what it saw, for messages such as
// "expect term <= 5 failed: term is 7". A relative condition is evaluated as if bound
// to zero; Bind it first.
//
//   - leader: Observation.Leader finds a peer.
//   - no leader: it does not.
//   - leader is/not IDS: it does, and the leader is (is not) one of IDS.
//   - commit N: Observation.CommitIndex is at least N.
//   - converged: every up peer has the same last log index, last log term and commit
//     index (true when no peer is up).
//   - term, commits, lost, elections, leaders OP N: the number compares with N.
func (c Cond) Eval(o Observation) (bool, string) {
	switch c.Kind {
	case CondLeader, CondNoLeader, CondLeaderIs, CondLeaderNot:
		id, term := o.Leader()
		if id == raftpb.None {
			why := "no peer leads a connected majority"
			if n := o.Leaders(); n > 0 {
				why += fmt.Sprintf(" (%d believe they lead)", n)
			}
			return c.Kind == CondNoLeader, why
		}
		what := fmt.Sprintf("peer %d leads term %d", id, term)
		switch c.Kind {
		case CondLeaderIs:
			return slices.Contains(c.Sel.IDs, id), what
		case CondLeaderNot:
			return !slices.Contains(c.Sel.IDs, id), what
		}
		return c.Kind == CondLeader, what
	case CondConverged:
		return o.converged()
	case CondCommit:
		v := o.CommitIndex()
		return v >= c.N, fmt.Sprintf("commit index %d", v)
	}
	if c.Kind.counter() {
		v := c.value(o)
		return c.Op.Compare(v, c.N), fmt.Sprintf("%s is %d", c.Kind, v)
	}
	return false, fmt.Sprintf("unknown condition %v", c.Kind)
}

func (o Observation) converged() (bool, string) {
	first := -1
	for i, p := range o.Peers {
		if p.State != chaos.Up {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		f := o.Peers[first]
		if p.LastIndex != f.LastIndex || p.LastTerm != f.LastTerm || p.CommitIndex != f.CommitIndex {
			return false, fmt.Sprintf("peer %d has last index %d term %d commit %d, peer %d has %d term %d commit %d",
				first, f.LastIndex, f.LastTerm, f.CommitIndex, i, p.LastIndex, p.LastTerm, p.CommitIndex)
		}
	}
	if first < 0 {
		return true, "no peer is up"
	}
	f := o.Peers[first]
	return true, fmt.Sprintf("up peers at last index %d term %d commit %d", f.LastIndex, f.LastTerm, f.CommitIndex)
}

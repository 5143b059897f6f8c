package check

import (
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// minClockRate is the slowest clock a peer may have and still count towards the
// majority the liveness checker waits on: at half speed, election timeouts double, which
// the default bounds allow for.
const minClockRate = 0.5

// liveness is the liveness checker's state. The condition is: the network is reliable
// (no loss, delay, reordering or duplication on any link) and some majority of healthy
// peers (up, not paused, clock at least half speed) can all reach each other both ways.
// The group is every peer in such a majority. One more thing must hold: no up peer
// outside the group can send to a peer of the group that cannot answer it (a one-way
// link into the group). Without CheckQuorum, Raft promises nothing then: a deposed
// leader whose heartbeats still arrive, but whose followers cannot be heard, keeps them
// from ever standing for election. While the condition holds, some peer of the
// group must lead within leaderBound of the condition starting or of the last such leader
// going, and a proposal accepted by such a leader must commit within commitBound unless
// its leader stops leading its term first.
type liveness struct {
	leaderBound, commitBound time.Duration
	quorum                   int

	net   chaos.NetState
	state []chaos.PeerState
	rate  []float64

	cond  bool   // the network and peer states allow progress (recomputed on faults)
	group uint64 // the peers in a connected healthy majority, when cond

	holds           bool // cond, since holdsSince
	holdsSince      time.Duration
	leaderless      bool // holds and no peer of the group leads, since leaderlessSince
	leaderlessSince time.Duration

	pending []watched // proposals waiting to commit, oldest first
}

// watched is a proposal the liveness checker waits on.
type watched struct {
	peer, index, term int
	cmd               interface{}
	seq               uint64
	at                time.Duration
}

func (l *liveness) init(s *Suite, opts Options) {
	n := s.n
	l.leaderBound, l.commitBound, l.quorum = opts.LeaderBound, opts.CommitBound, s.quorum
	l.state, l.rate = make([]chaos.PeerState, n), make([]float64, n)
	for i := range n {
		l.state[i], l.rate[i] = chaos.Up, 1
		if opts.Initial != nil {
			l.state[i] = opts.Initial[i].State
			if r := opts.Initial[i].ClockRate; r > 0 {
				l.rate[i] = r
			}
		}
	}
	if opts.Network != nil {
		l.net = opts.Network.Clone()
	} else {
		l.net = chaos.NewNetState(n)
	}
	l.recompute()
}

// start starts the clocks at s.now.
func (l *liveness) start(s *Suite) {
	l.holds = false
	l.update(s)
}

// fault applies f to the peer states and network, then re-evaluates.
func (l *liveness) fault(s *Suite, f chaos.Fault) {
	for _, id := range f.Peers {
		switch f.Kind {
		case chaos.Crash:
			l.state[id] = chaos.Crashed
		case chaos.Restart:
			if l.state[id] == chaos.Crashed {
				l.state[id] = chaos.Up
			}
		case chaos.Pause:
			if l.state[id] == chaos.Up {
				l.state[id] = chaos.Paused
			}
		case chaos.Resume:
			if l.state[id] == chaos.Paused {
				l.state[id] = chaos.Up
			}
		case chaos.Skew:
			l.rate[id] = f.Rate
		}
	}
	if f.Kind == chaos.Reset {
		for i := range l.rate {
			l.rate[i] = 1
		}
	}
	l.net.Apply(f)
	l.recompute()
	l.update(s)
}

// peerChanged re-evaluates after a peer's role or term changed.
func (l *liveness) peerChanged(s *Suite) { l.update(s) }

// recompute evaluates the condition from the peer states and the network.
func (l *liveness) recompute() {
	l.cond, l.group = false, 0
	if !l.net.Reliable() {
		return
	}
	var healthy uint64
	for i, st := range l.state {
		if st == chaos.Up && l.rate[i] >= minClockRate {
			healthy |= 1 << i
		}
	}
	if bits.OnesCount64(healthy) < l.quorum {
		return
	}
	adj := make([]uint64, len(l.state))
	for a := range adj {
		for b := range adj {
			if a != b && healthy&(1<<a) != 0 && healthy&(1<<b) != 0 && l.net.Connected(a, b) {
				adj[a] |= 1 << b
			}
		}
	}
	l.group = bigCliques(adj, healthy, l.quorum)
	l.cond = l.group != 0 && !l.interfered()
	if !l.cond {
		l.group = 0
	}
}

// interfered reports whether an up peer outside the group has a one-way link into it:
// it can send to a peer of the group that cannot answer it.
func (l *liveness) interfered() bool {
	for o, st := range l.state {
		if st != chaos.Up || l.group&(1<<o) != 0 {
			continue
		}
		for m := range l.state {
			if l.group&(1<<m) != 0 && !l.net.Cut[o][m] && l.net.Cut[m][o] {
				return true
			}
		}
	}
	return false
}

// bigCliques returns the union of the cliques of at least k peers among cand, where
// adj[i] is the set of i's neighbours (Bron-Kerbosch with pivoting, on bit sets).
func bigCliques(adj []uint64, cand uint64, k int) uint64 {
	var union uint64
	var walk func(r, p, x uint64)
	walk = func(r, p, x uint64) {
		if bits.OnesCount64(r)+bits.OnesCount64(p) < k {
			return
		}
		if p == 0 {
			if x == 0 {
				union |= r
			}
			return
		}
		pivot := bits.TrailingZeros64(p | x)
		for rest := p &^ adj[pivot]; rest != 0; rest &= rest - 1 {
			v := bits.TrailingZeros64(rest)
			walk(r|1<<v, p&adj[v], x&adj[v])
			p &^= 1 << v
			x |= 1 << v
		}
	}
	walk(0, cand, 0)
	return union
}

// leads reports whether peer is a leader of term in the group.
func (l *liveness) leads(s *Suite, peer, term int) bool {
	p := &s.peers[peer]
	return l.group&(1<<peer) != 0 && p.role == raft.Leader && p.term == term
}

// update re-evaluates the leader and the proposals waiting, at s.now.
func (l *liveness) update(s *Suite) {
	now := s.now
	if !l.cond {
		if l.holds {
			l.endLeaderless(s, now)
			clear(l.pending)
			l.pending = l.pending[:0]
		}
		l.holds = false
		return
	}
	if !l.holds {
		l.holds, l.holdsSince = true, now
	}
	hasLeader := false
	for i := range s.peers {
		hasLeader = hasLeader || l.group&(1<<i) != 0 && s.peers[i].role == raft.Leader
	}
	switch {
	case hasLeader:
		l.endLeaderless(s, now)
	case !l.leaderless:
		l.leaderless, l.leaderlessSince = true, now
	}
	kept := l.pending[:0]
	for _, w := range l.pending {
		if l.leads(s, w.peer, w.term) {
			kept = append(kept, w)
		}
	}
	clear(l.pending[len(kept):])
	l.pending = kept
}

func (l *liveness) endLeaderless(s *Suite, now time.Duration) {
	if l.leaderless {
		s.stats.LongestLeaderless = max(s.stats.LongestLeaderless, now-l.leaderlessSince)
		l.leaderless = false
	}
}

// proposed starts waiting on a proposal, if a leader of the group took it while the
// condition holds.
func (l *liveness) proposed(s *Suite, p chaos.Proposal) {
	if !s.on(ckLiveness) || !l.holds || p.Peer < 0 || p.Peer >= s.n || !l.leads(s, p.Peer, p.Term) {
		return
	}
	// The proposal's event comes after the leader's Start returns, when the entry may be
	// committed already (a one-peer cluster commits it at once).
	if sl := s.slots.get(p.Index); p.Index < s.slots.base || sl != nil && sl.commit.term != 0 {
		if sl != nil && sl.commit.term == p.Term {
			s.stats.Committed++
		}
		return
	}
	l.pending = append(l.pending, watched{peer: p.Peer, index: p.Index, term: p.Term, cmd: p.Command, seq: s.seq, at: s.now})
}

// committed stops waiting on the proposals r's commit settles: committed if r's peer
// holds them, else lost to a conflicting entry (legal for an uncommitted entry).
func (l *liveness) committed(s *Suite, r *raft.Event) {
	if len(l.pending) == 0 {
		return
	}
	p := &s.peers[r.Peer]
	kept := l.pending[:0]
	for _, w := range l.pending {
		if w.index > r.LastIndex {
			kept = append(kept, w)
			continue
		}
		if p.termAt(w.index) == w.term {
			s.stats.Committed++
			s.stats.MaxCommitWait = max(s.stats.MaxCommitWait, s.now-w.at)
		}
	}
	clear(l.pending[len(kept):])
	l.pending = kept
}

// check reports a bound passed at s.now.
func (l *liveness) check(s *Suite) {
	if !s.on(ckLiveness) || !l.holds {
		return
	}
	if l.leaderless && s.now > l.leaderlessSince+l.leaderBound {
		s.report(ckLiveness, chaos.Violation{
			Peers: members(l.group), Terms: []int{s.stats.MaxTerm}, At: l.leaderlessSince + l.leaderBound,
			Message: fmt.Sprintf("no leader for over %v: since %.3fs, peers %s (a majority) were up and connected on a reliable network, and none of them led (highest term %d)",
				l.leaderBound, l.leaderlessSince.Seconds(), list(members(l.group)), s.stats.MaxTerm),
		})
		return
	}
	if len(l.pending) > 0 {
		w := l.pending[0]
		if s.now > w.at+l.commitBound {
			s.report(ckLiveness, chaos.Violation{
				Peers: []int{w.peer}, Terms: []int{w.term}, Indexes: []int{w.index}, At: w.at + l.commitBound,
				Message: fmt.Sprintf("proposal %s, accepted by peer %d as index %d in term %d (#%d at %.3fs), did not commit within %v, though peer %d kept leading and peers %s were up and connected on a reliable network",
					describe(w.cmd), w.peer, w.index, w.term, w.seq, w.at.Seconds(), l.commitBound, w.peer, list(members(l.group))),
			})
		}
	}
}

// finish counts a leaderless stretch still going at the end.
func (l *liveness) finish(s *Suite) {
	if l.holds && l.leaderless {
		s.stats.LongestLeaderless = max(s.stats.LongestLeaderless, s.now-l.leaderlessSince)
	}
}

// members lists the peers in a set.
func members(set uint64) []int {
	var ps []int
	for ; set != 0; set &= set - 1 {
		ps = append(ps, bits.TrailingZeros64(set))
	}
	return ps
}

// list renders peer ids as "0,1,2".
func list(ps []int) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}

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
// The group is every peer in such a majority. No up peer outside the group may disturb
// it, in any of three ways Raft does not protect against:
//   - a one-way link into the group: the outsider can send to a peer of the group that
//     cannot answer it. Without CheckQuorum, a deposed leader whose heartbeats still
//     arrive, but whose followers cannot be heard, keeps them from ever standing.
//   - an outsider raising its term through the group (the "bridge livelock"): it can
//     send to a peer of the group but cannot hear some other one, which may be the
//     leader, so it times out, raises its term and deposes leader after leader through
//     the peers it reaches. PreVote stops this unless the outsider could win a majority
//     of pre-votes (it reaches a majority, counting itself), so while the Suite has
//     seen no pre-vote (raft.PreCandidate, or a pre-vote answered) it assumes no PreVote.
//     Seen on 4 peers as `bridge 3 - 2 - 0,1` with peer 3's clock skewed: a real
//     livelock of Raft without PreVote, not a safety bug. The same holds for an
//     outsider that hears the whole group but some peers of it cannot hear (a one-way
//     cut from it, as `cut leader -> minority` leaves a deposed leader): while no
//     leader stands it times out, raises its term through the peers it reaches and,
//     its log the most up to date, takes their votes each term; if the one peer of the
//     group that could win is slow (clock at half speed), its timer, reset by each vote
//     it grants, never runs out first. Seen on 5 peers (fuzz seed 501569: peer 4
//     deposed with `cut 4 -> 1,3`, peer 2 paused, peer 0 at half speed and alone
//     holding peer 4's last entries): no leader for 5 s, a livelock of Raft without
//     PreVote.
//   - with PreVote, a stale leader outside the group that still reaches a peer of it:
//     that peer, hearing a leader, refuses the pre-votes the group needs to elect one
//     of its own, and without CheckQuorum the stale leader never steps down (the same
//     bridge, with PreVote, when peer 3 led before it). This one lasts only while the
//     outsider leads, so it is judged from the roles as they change.
//
// While the condition holds, some peer of the group must lead within leaderBound of the
// condition starting or of the last such leader going, and a proposal accepted by such
// a leader must commit within commitBound unless its leader stops leading its term
// first. When moreover the group is one clique (every two of its peers connected: no
// bridges inside it), the stricter commit rule holds too: while the commit index stands
// still, the time during which some leader of the group has a proposal of its term
// waiting, added up over however many leaders come and go, stays within commitBound.
//
// Independently of the condition, a peer that is a candidate or pre-candidate of a term
// no later than a leader's when that leader is elected, both up and the leader's link to
// it reliable, must stop campaigning within candidateBound (the leader's first
// AppendEntries tells it to): unless a fault changes things first, a peer whose role and
// term stay the same for that long ignored the leader.
type liveness struct {
	leaderBound, commitBound, candidateBound time.Duration
	quorum                                   int

	net   chaos.NetState
	state []chaos.PeerState
	rate  []float64

	preVote bool // some peer was seen pre-voting: the peers run PreVote

	cond   bool   // the network and peer states allow progress (recomputed on faults)
	group  uint64 // the peers in a connected healthy majority, when cond
	clique bool   // cond, and the group is one clique: the stricter commit rule applies

	holds           bool // cond, since holdsSince
	holdsSince      time.Duration
	leaderless      bool // holds and no peer of the group leads, since leaderlessSince
	leaderlessSince time.Duration

	pending []watched // proposals waiting to commit, oldest first

	stall stall // the stricter commit rule's account

	campaigns []campaign // candidates a new leader must stop
}

// stall accounts, for the stricter commit rule, the time proposals have waited while the
// commit index stood still and the group was a clique.
type stall struct {
	on      bool          // the account runs: the condition holds and the group is a clique
	since   time.Duration // when the commit index last rose (or the account started)
	commit  int           // the highest commit index, which has not risen since
	waited  time.Duration // the time proposals waited, up to waitFrom
	waiting bool          // some leader of the group has a proposal waiting, since waitFrom
	from    time.Duration
	leaders uint64 // the leaders whose proposals waited
	terms   [2]int // the first and the last term of those leaders
	index   int    // the first proposal that waited
}

// campaign is a peer that was campaigning (in a term no later than term) when peer
// leader was elected in term: it must have changed role or term by due.
type campaign struct {
	peer, leader, term int
	changes            uint64 // the peer's count of role and term changes then
	seq                uint64
	at, due            time.Duration
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
	l.leaderBound, l.commitBound, l.candidateBound, l.quorum = opts.LeaderBound, opts.CommitBound, opts.CandidateBound, s.quorum
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
	clear(l.campaigns) // a fault may keep a leader's messages from a candidate
	l.campaigns = l.campaigns[:0]
	l.recompute()
	l.update(s)
}

// sawPreVote records that the peers run PreVote, which changes who can disturb the group.
func (l *liveness) sawPreVote(s *Suite) {
	if l.preVote {
		return
	}
	l.preVote = true
	l.recompute()
	l.update(s)
}

// peerChanged re-evaluates after r changed a peer's role or term (or booted it).
func (l *liveness) peerChanged(s *Suite, r *raft.Event) {
	if r.Kind == raft.EventRole && r.Role == raft.Leader {
		l.elected(s, r.Peer, r.Term)
	}
	l.update(s)
}

// elected starts watching the peers that campaign while leader, just elected in term,
// can reach them: its first AppendEntries must end their campaigns.
func (l *liveness) elected(s *Suite, leader, term int) {
	if !s.on(ckLiveness) || l.state[leader] != chaos.Up || !l.net.Reliable() {
		return
	}
	for c := range s.peers {
		p := &s.peers[c]
		if c == leader || l.state[c] != chaos.Up || l.net.Cut[leader][c] || !p.roleKnown || p.term > term ||
			p.role != raft.Candidate && p.role != raft.PreCandidate {
			continue
		}
		l.campaigns = append(l.campaigns, campaign{peer: c, leader: leader, term: term, changes: p.changes,
			seq: s.seq, at: s.now, due: s.now + l.candidateBound})
	}
}

// recompute evaluates the condition from the peer states and the network.
func (l *liveness) recompute() {
	l.cond, l.group, l.clique = false, 0, false
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
		return
	}
	l.clique = true
	for rest := l.group; rest != 0; rest &= rest - 1 {
		m := bits.TrailingZeros64(rest)
		l.clique = l.clique && l.group&^(1<<m)&^adj[m] == 0
	}
}

// interfered reports whether an up peer outside the group can disturb it (see liveness):
// by a one-way link into it, or by raising its term through it.
func (l *liveness) interfered() bool {
	for o, st := range l.state {
		if st != chaos.Up || l.group&(1<<o) != 0 {
			continue
		}
		reaches, partial := false, false
		for m := range l.state {
			if l.group&(1<<m) == 0 {
				continue
			}
			if !l.net.Cut[o][m] {
				if l.net.Cut[m][o] {
					return true // a one-way link into the group
				}
				reaches = true
			}
			// o cannot hear m (deaf), or m cannot hear o (mute).
			partial = partial || l.net.Cut[m][o] || l.net.Cut[o][m]
		}
		if reaches && partial && l.canRaiseTerm(o) {
			return true // the bridge livelock, or the mute outsider's
		}
	}
	return false
}

// staleLeader reports whether, with PreVote, an up leader outside the group reaches a
// peer of it (see liveness).
func (l *liveness) staleLeader(s *Suite) bool {
	if !l.preVote {
		return false
	}
	for o, st := range l.state {
		if st != chaos.Up || l.group&(1<<o) != 0 || s.peers[o].role != raft.Leader {
			continue
		}
		for m := range l.state {
			if l.group&(1<<m) != 0 && !l.net.Cut[o][m] {
				return true
			}
		}
	}
	return false
}

// canRaiseTerm reports whether peer o, when it times out, can raise its term: always
// without PreVote; with it, only if o can reach a majority (counting itself) both ways to
// gather pre-votes.
func (l *liveness) canRaiseTerm(o int) bool {
	if !l.preVote {
		return true
	}
	reach := 1
	for x, st := range l.state {
		if x != o && st == chaos.Up && !l.net.Cut[o][x] && !l.net.Cut[x][o] {
			reach++
		}
	}
	return reach >= l.quorum
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
	if !l.cond || l.staleLeader(s) {
		if l.holds {
			l.endLeaderless(s, now)
			clear(l.pending)
			l.pending = l.pending[:0]
		}
		l.holds = false
		l.track(s)
		return
	}
	if !l.holds {
		l.holds, l.holdsSince = true, now
	}
	hasLeader := false
	for i := range s.peers {
		// A peer whose role the Suite cannot see (its core reports nothing) may lead.
		hasLeader = hasLeader || l.group&(1<<i) != 0 && (s.peers[i].role == raft.Leader || !s.peers[i].roleKnown)
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
	l.track(s)
}

// track updates the stricter commit rule's account at s.now, after the condition, the
// group or the proposals waiting changed.
func (l *liveness) track(s *Suite) {
	st := &l.stall
	if !l.holds || !l.clique {
		*st = stall{}
		return
	}
	if !st.on {
		st.on, st.since, st.commit = true, s.now, s.stats.CommitIndex
	}
	switch waiting := len(l.pending) > 0; {
	case waiting && !st.waiting:
		st.waiting, st.from = true, s.now
	case !waiting && st.waiting:
		st.waiting = false
		st.waited += s.now - st.from
	}
}

// risen restarts the stricter commit rule's account: the highest commit index rose.
func (l *liveness) risen(s *Suite) {
	st := &l.stall
	*st = stall{}
	if !l.holds || !l.clique {
		return
	}
	st.on, st.since, st.commit = true, s.now, s.stats.CommitIndex
	if len(l.pending) > 0 {
		st.waiting, st.from = true, s.now
		for _, w := range l.pending {
			st.note(w)
		}
	}
}

// note records that w's leader had a proposal waiting.
func (st *stall) note(w watched) {
	if st.leaders == 0 {
		st.terms[0], st.index = w.term, w.index
	}
	st.leaders |= 1 << w.peer
	st.terms[1] = w.term
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
	w := watched{peer: p.Peer, index: p.Index, term: p.Term, cmd: p.Command, seq: s.seq, at: s.now}
	l.pending = append(l.pending, w)
	l.track(s)
	if l.stall.on {
		l.stall.note(w)
	}
}

// committed stops waiting on the proposals r's commit settles: committed if r's peer
// holds them, else lost to a conflicting entry (legal for an uncommitted entry). risen
// says r raised the highest commit index.
func (l *liveness) committed(s *Suite, r *raft.Event, risen bool) {
	if len(l.pending) > 0 {
		l.settle(s, r)
	}
	if risen {
		l.risen(s)
	}
}

// settle stops waiting on the proposals r's commit settles (see committed).
func (l *liveness) settle(s *Suite, r *raft.Event) {
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
	l.track(s)
}

// delivered stops waiting on the proposals a delivery to the service of a peer that
// reports no commits settles (the index was committed, with the proposal's command or
// another): committed if it carries the proposal's command. Deliveries of one peer come
// in index order, so a proposal below d's index was settled by an earlier one or by a
// snapshot, and is dropped. risen says d raised the highest commit index.
func (l *liveness) delivered(s *Suite, d *chaos.Delivery, risen bool) {
	if risen {
		defer l.risen(s)
	}
	if len(l.pending) == 0 {
		return
	}
	kept := l.pending[:0]
	for _, w := range l.pending {
		switch {
		case w.index > d.Index:
			kept = append(kept, w)
		case w.index == d.Index && !d.Snapshot && sameCommand(w.cmd, d.Command):
			s.stats.Committed++
			s.stats.MaxCommitWait = max(s.stats.MaxCommitWait, s.now-w.at)
		}
	}
	clear(l.pending[len(kept):])
	l.pending = kept
	l.track(s)
}

// check reports a bound passed at s.now.
func (l *liveness) check(s *Suite) {
	if !s.on(ckLiveness) {
		return
	}
	if len(l.campaigns) > 0 {
		l.checkCampaigns(s)
	}
	if !l.holds {
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
			return
		}
	}
	if l.stall.waiting {
		l.checkStall(s)
	}
}

// checkStall reports the stricter commit rule broken at s.now: proposals have waited
// longer than commitBound, in all, since the commit index last rose.
func (l *liveness) checkStall(s *Suite) {
	st := &l.stall
	if !st.on || !st.waiting {
		return // waiting time only grows while a proposal waits, and was checked then
	}
	waited := st.waited + s.now - st.from
	if waited <= l.commitBound {
		return
	}
	leaders := members(st.leaders)
	s.report(ckLiveness, chaos.Violation{
		Peers: leaders, Terms: []int{st.terms[0], st.terms[1]}, Indexes: []int{st.commit, st.index},
		At: st.from + l.commitBound - st.waited,
		Message: fmt.Sprintf("the commit index stayed at %d from %.3fs while proposals waited over %v in all (the first at index %d in term %d) under leaders %s of terms %d..%d, though peers %s were up, all connected to each other on a reliable network, and no other peer could disturb them",
			st.commit, st.since.Seconds(), l.commitBound, st.index, st.terms[0], list(leaders), st.terms[0], st.terms[1], list(members(l.group))),
	})
}

// checkCampaigns reports a peer still campaigning, unchanged, candidateBound after a
// leader that could reach it was elected, and forgets the campaigns that ended.
func (l *liveness) checkCampaigns(s *Suite) {
	kept := l.campaigns[:0]
	for _, c := range l.campaigns {
		switch {
		case s.peers[c.peer].changes != c.changes:
			continue // it stopped (or moved on to another term)
		case s.now <= c.due:
			kept = append(kept, c)
			continue
		}
		p := &s.peers[c.peer]
		s.report(ckLiveness, chaos.Violation{
			Peers: []int{c.peer, c.leader}, Terms: []int{p.term, c.term}, At: c.due,
			Message: fmt.Sprintf("peer %d stayed %s of term %d for %v after peer %d became leader of term %d (#%d at %.3fs), though both were up and peer %d's messages reach peer %d on a reliable network: it ignored the leader's AppendEntries",
				c.peer, p.role, p.term, l.candidateBound, c.leader, c.term, c.seq, c.at.Seconds(), c.leader, c.peer),
		})
		break
	}
	clear(l.campaigns[len(kept):])
	l.campaigns = kept
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

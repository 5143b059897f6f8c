// Package enginetest is the conformance suite of chaos engines: what every
// implementation of chaos.Cluster must do, whatever drives its time. The live and sim
// engines run it from their tests:
//
//	func TestConformance(t *testing.T) {
//		enginetest.Run(t, func(cfg chaos.ClusterConfig) (chaos.Cluster, error) { return live.New(cfg) })
//	}
//
// Each case starts its own clusters (of 3 or 5 peers), drives them only through the
// Cluster interface, waits only with RunFor and RunUntil (in cluster time, with generous
// bounds), and at the end stops the cluster and checks that no goroutine is left. While
// a case runs, the suite's own state machine and event sink check that events are
// ordered, that no term has two leaders, that no peer's term goes down (even across a
// restart), that every peer applies in order without gaps, and that peers that applied
// the same index agree.
package enginetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// NewCluster starts a cluster as cfg says.
type NewCluster = func(chaos.ClusterConfig) (chaos.Cluster, error)

// Run runs every conformance case against the engine newCluster starts, each as a
// subtest. The cases run one after another (they check for leaked goroutines).
func Run(t *testing.T, newCluster NewCluster) { run(t, newCluster, false, false) }

// RunSmoke runs a few of the cases (a leader, commits, events and deliveries, stopping):
// what an engine that runs in real time checks in the short suite (go test -short),
// while Run's every case runs in the full one.
func RunSmoke(t *testing.T, newCluster NewCluster) { run(t, newCluster, true, false) }

// RunSampled runs every case against an engine whose peers it watches from outside
// (chaos.PeerStatus.Sampled: a course Raft it did not build), with what such an engine
// can and cannot do: its peers' raft events are only sampled boots, roles and terms; a
// paused peer's own timers keep running, so its messages may enter the network while it
// is paused (they are held); clock skew is refused with an error. With smoke, only the
// smoke cases run.
func RunSampled(t *testing.T, newCluster NewCluster, smoke bool) { run(t, newCluster, smoke, true) }

// suite is what the cases run against: the engine, and whether it watches its peers
// from outside.
type suite struct {
	nc      NewCluster
	sampled bool
}

func run(t *testing.T, newCluster NewCluster, smoke, sampled bool) {
	s := suite{nc: newCluster, sampled: sampled}
	cases := []struct {
		name  string
		n     int
		run   func(*testing.T, suite, int)
		smoke bool
	}{
		{"Elect", 3, testElect, true},
		{"Elect", 5, testElect, false},
		{"Commit", 3, testCommit, true},
		{"Commit", 5, testCommit, false},
		{"CrashLeader", 5, testCrashLeader, false},
		{"CrashAll", 3, testCrashAll, false},
		{"IsolateLeader", 5, testIsolateLeader, false},
		{"Partition", 5, testPartition, false},
		{"Bridge", 5, testBridge, false},
		{"OneWayCut", 3, testOneWayCut, false},
		{"Lossy", 5, testLossy, false},
		{"PauseFollower", 3, testPauseFollower, false},
		{"Skew", 5, testSkew, false},
		{"PauseCluster", 3, testPauseCluster, false},
		{"BadFaults", 5, testBadFaults, false},
		{"Stop", 3, testStop, true},
		{"Events", 3, testEvents, true},
		{"Deliver", 3, testDeliver, true},
		{"ReplyFaults", 3, testReplyFaults, false},
		{"Tear", 3, testTear, false},
		{"React", 3, testReact, false},
	}
	for _, tc := range cases {
		if smoke && !tc.smoke {
			continue
		}
		t.Run(fmt.Sprintf("%s/n=%d", tc.name, tc.n), func(t *testing.T) { tc.run(t, s, tc.n) })
	}
}

// testElect: a leader within 5 s, the same leader seen by all, and time that moves.
func testElect(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	if got := len(h.c.Peers()); got != n {
		t.Fatalf("Peers() has %d entries, want %d", got, n)
	}
	l, term := h.leader()
	h.until("every peer follows the leader", leaderWithin, func() bool {
		for i, p := range h.c.Peers() {
			if i != l && (p.Term != term || p.Leader != l || p.Role != raft.Follower) {
				return false
			}
		}
		return true
	})
	for i, p := range h.c.Peers() {
		if p.ID != i || p.State != chaos.Up || p.ClockRate != 1 {
			t.Errorf("peer %d: ID %d state %v rate %g, want ID %d up rate 1", i, p.ID, p.State, p.ClockRate, i)
		}
	}
	before := h.c.Now()
	h.runFor(200 * time.Millisecond)
	if got := h.c.Now() - before; got < 200*time.Millisecond {
		t.Errorf("RunFor(200ms) advanced Now by %v, want at least 200ms", got)
	}
	if s := h.c.Stats(); s.RPCs <= 0 || s.Bytes <= 0 {
		t.Errorf("Stats() = %+v after an election, want RPCs and bytes", s)
	}
}

// testCommit: proposals go to the leader and commit, with the same command at the same
// index, on every peer; a follower refuses proposals.
func testCommit(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, term := h.leader()
	var proposed []chaos.ProposeResult
	var cmds []string
	for range 20 {
		cmd := h.cmd()
		r := h.c.Propose(cmd)
		if !r.OK || r.Peer != l || r.Term != term {
			t.Fatalf("Propose(%s) = %+v, want OK from leader %d in term %d", cmd, r, l, term)
		}
		if len(proposed) > 0 && r.Index != proposed[len(proposed)-1].Index+1 {
			t.Errorf("Propose(%s) got index %d after %d, want consecutive", cmd, r.Index, proposed[len(proposed)-1].Index)
		}
		proposed, cmds = append(proposed, r), append(cmds, cmd)
	}
	last := proposed[len(proposed)-1].Index
	h.until(fmt.Sprintf("index %d applied on all peers", last), commitWithin, func() bool {
		for i := range n {
			if h.serviceAt(i) < last {
				return false
			}
		}
		return true
	})
	for i := range n {
		for j, r := range proposed {
			if got, ok := h.cmdAt(i, r.Index); !ok || got != cmds[j] {
				t.Errorf("peer %d applied %q at index %d, want %q", i, got, r.Index, cmds[j])
			}
		}
	}
	f := (l + 1) % n
	if r := h.c.ProposeTo(f, h.cmd()); r.OK || r.Peer != raft.None {
		t.Errorf("ProposeTo(follower %d) = %+v, want refused with Peer None", f, r)
	}
	if r := h.c.ProposeTo(l, h.cmd()); !r.OK || r.Peer != l || r.Index != last+1 {
		t.Errorf("ProposeTo(leader %d) = %+v, want OK at index %d", l, r, last+1)
	}
	for _, id := range []int{-1, n} {
		if r := h.c.ProposeTo(id, h.cmd()); r.OK || r.Peer != raft.None {
			t.Errorf("ProposeTo(%d) = %+v, want refused with Peer None", id, r)
		}
	}
	h.commit(5, h.all(), commitWithin)
}

// testCrashLeader: crash the leader; the others elect a new leader in a higher term and
// go on (compacting their logs); the old leader restarts with its persisted term, gets
// the snapshot it missed and catches up.
func testCrashLeader(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{snapshotEvery: 10})
	l, term := h.leader()
	h.commit(15, h.all(), commitWithin) // everyone snapshots at 10
	h.until(fmt.Sprintf("leader %d snapshots", l), commitWithin, func() bool { return h.c.Peers()[l].SnapshotIndex >= 10 })
	before := h.c.Peers()[l]
	h.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{l}})
	got := h.c.Peers()[l]
	if got.State != chaos.Crashed || got.Role != raft.Follower || got.Term < before.Term || got.CommitIndex < before.CommitIndex {
		t.Errorf("crashed leader shows %v %v term %d commit %d, want crashed follower with term >= %d, commit >= %d",
			got.State, got.Role, got.Term, got.CommitIndex, before.Term, before.CommitIndex)
	}
	if r := h.c.ProposeTo(l, h.cmd()); r.OK {
		t.Errorf("ProposeTo(crashed %d) = %+v, want refused", l, r)
	}
	nl, nterm := h.newLeader(l, term)
	rest := h.others(l)
	target := h.commit(25, rest, commitWithin) // past two more snapshots
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{l}})
	back := h.c.Peers()[l]
	if back.State != chaos.Up || back.Term < got.Term || back.SnapshotIndex < 10 {
		t.Errorf("restarted peer %d shows %v term %d snapshot %d, want up with its persisted term >= %d and snapshot >= 10",
			l, back.State, back.Term, back.SnapshotIndex, got.Term)
	}
	h.mu.Lock()
	boots := slices.Clone(h.boots[l])
	h.mu.Unlock()
	if len(boots) != 1 || boots[0] < got.Term {
		t.Errorf("boot events of peer %d have terms %v, want one with term >= %d", l, boots, got.Term)
	}
	// Restarting a running peer changes nothing.
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{nl}})
	if p := h.c.Peers()[nl]; p.State != chaos.Up || p.Term < nterm {
		t.Errorf("restart of running peer %d: %v term %d, want it left alone", nl, p.State, p.Term)
	}
	h.until(fmt.Sprintf("restarted peer %d catches up to index %d", l, target), commitWithin, func() bool {
		return h.c.Peers()[l].LastApplied >= target && h.serviceAt(l) >= target
	})
	h.converge()
}

// testCrashAll: with every peer crashed nothing can be proposed; after a restart of all,
// the committed entries are still there and the cluster goes on.
func testCrashAll(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{snapshotEvery: 7})
	h.leader()
	target := h.commit(10, h.all(), commitWithin)
	h.do(chaos.Fault{Kind: chaos.Crash, Peers: h.all()})
	if r := h.c.Propose(h.cmd()); r.OK || r.Peer != raft.None {
		t.Errorf("Propose with every peer crashed = %+v, want refused", r)
	}
	h.runFor(300 * time.Millisecond)
	for i, p := range h.c.Peers() {
		if p.State != chaos.Crashed || p.CommitIndex < target {
			t.Errorf("peer %d: %v commit %d, want crashed with commit >= %d", i, p.State, p.CommitIndex, target)
		}
	}
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: h.all()})
	for i, p := range h.c.Peers() {
		if p.State != chaos.Up || p.SnapshotIndex < 7 {
			t.Errorf("restarted peer %d: %v snapshot %d, want up from its snapshot >= 7", i, p.State, p.SnapshotIndex)
		}
	}
	h.leader()
	// The harness checks that what the peers apply again matches what they applied before.
	h.commit(3, h.all(), commitWithin)
}

// testIsolateLeader: the isolated leader cannot commit what it is given; the others
// elect a leader and go on; after healing its entry is gone and everyone agrees.
func testIsolateLeader(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, term := h.leader()
	h.commit(5, h.all(), commitWithin)
	h.do(chaos.Fault{Kind: chaos.Isolate, Peers: []int{l}})
	net := h.c.Network()
	for _, q := range h.others(l) {
		if net.Connected(l, q) {
			t.Errorf("Network() after isolating %d: still connected to %d", l, q)
		}
	}
	stale := h.cmd()
	r := h.c.ProposeTo(l, stale)
	if !r.OK || r.Peer != l || r.Term != term {
		t.Fatalf("ProposeTo(isolated leader %d) = %+v, want accepted in term %d", l, r, term)
	}
	h.newLeader(l, term)
	h.commit(5, h.others(l), commitWithin)
	if p := h.c.Peers()[l]; p.CommitIndex >= r.Index {
		t.Errorf("isolated leader %d committed its entry %d: commit index %d", l, r.Index, p.CommitIndex)
	}
	h.do(chaos.Fault{Kind: chaos.Heal})
	if net := h.c.Network(); !net.Connected(l, (l+1)%n) || slices.Max(net.Groups) != 0 {
		t.Errorf("Network() after heal: groups %v, want all connected", net.Groups)
	}
	h.converge()
	if ps := h.appliedAnywhere(stale); len(ps) > 0 {
		t.Errorf("peers %v applied %q, which only the isolated leader had", ps, stale)
	}
}

// testPartition: the leader and one follower on the minority side; only the majority
// commits.
func testPartition(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, term := h.leader()
	h.commit(3, h.all(), commitWithin)
	minority := []int{l, (l + 1) % n}
	majority := h.others(minority...)
	h.do(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{majority, minority}})
	net := h.c.Network()
	if net.Connected(majority[0], minority[0]) || !net.Connected(majority[0], majority[1]) || net.Groups[minority[0]] != net.Groups[minority[1]] {
		t.Errorf("Network() after partition %v|%v: groups %v", majority, minority, net.Groups)
	}
	atSplit := h.c.Peers()[l].CommitIndex
	stale := h.cmd()
	r := h.c.ProposeTo(l, stale)
	if !r.OK {
		t.Fatalf("ProposeTo(minority leader %d) = %+v, want accepted", l, r)
	}
	nl, _ := h.newLeader(l, term)
	if !slices.Contains(majority, nl) {
		t.Errorf("new leader %d is not in the majority %v", nl, majority)
	}
	h.commit(10, majority, commitWithin)
	for _, i := range minority {
		if got := h.c.Peers()[i].CommitIndex; got > atSplit || got >= r.Index {
			t.Errorf("minority peer %d committed while partitioned: commit %d, was at most %d at the split", i, got, atSplit)
		}
	}
	h.do(chaos.Fault{Kind: chaos.Heal})
	h.converge()
	if ps := h.appliedAnywhere(stale); len(ps) > 0 {
		t.Errorf("peers %v applied %q, proposed to the minority", ps, stale)
	}
}

// testBridge: the two sides cannot reach each other but both reach the middle peer;
// the cluster still makes progress.
func testBridge(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, _ := h.leader()
	h.commit(2, h.all(), commitWithin)
	o := h.others(l)
	left, mid, right := []int{l, o[0]}, []int{o[1]}, []int{o[2], o[3]}
	h.do(chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{left, mid, right}})
	net := h.c.Network()
	if net.Connected(left[0], right[0]) || !net.Connected(left[0], mid[0]) || !net.Connected(right[0], mid[0]) {
		t.Errorf("Network() after bridge %v-%v-%v: cut %v", left, mid, right, net.Cut)
	}
	// The middle peer is in every majority that can form, so it sees all progress.
	h.commit(10, mid, lossyWithin)
	h.do(chaos.Fault{Kind: chaos.Heal})
	h.converge()
}

// testOneWayCut: the leader's messages to the others are lost (theirs to it are not);
// the others elect a new leader.
func testOneWayCut(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, term := h.leader()
	h.commit(2, h.all(), commitWithin)
	rest := h.others(l)
	h.do(chaos.Fault{Kind: chaos.Cut, From: []int{l}, To: rest})
	net := h.c.Network()
	if !net.Cut[l][rest[0]] || net.Cut[rest[0]][l] {
		t.Errorf("Network() after cut %d->%v: Cut[%d][%d]=%v Cut[%d][%d]=%v, want true, false",
			l, rest, l, rest[0], net.Cut[l][rest[0]], rest[0], l, net.Cut[rest[0]][l])
	}
	nl, _ := h.newLeader(l, term)
	if nl == l {
		t.Errorf("peer %d, whose messages are all lost, leads", l)
	}
	h.commit(3, rest, commitWithin)
	h.do(chaos.Fault{Kind: chaos.Heal})
	h.converge()
}

// testLossy: with 20% loss, delays and duplicates everywhere the cluster still commits;
// Reset restores a reliable network.
func testLossy(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{snapshotEvery: 10})
	h.leader()
	h.do(chaos.Fault{Kind: chaos.Loss, P: 0.2})
	h.do(chaos.Fault{Kind: chaos.Delay, Min: time.Millisecond, Max: 5 * time.Millisecond})
	h.do(chaos.Fault{Kind: chaos.Duplicate, P: 0.2})
	h.do(chaos.Fault{Kind: chaos.Reorder, P: 0.1, From: []int{0}, To: []int{1}})
	net := h.c.Network()
	want := chaos.LinkFaults{Loss: 0.2, DelayMin: time.Millisecond, DelayMax: 5 * time.Millisecond, Duplicate: 0.2}
	if net.Global != want || net.Links[1][0] != want || net.Reliable() {
		t.Errorf("Network(): global %+v, link 1->0 %+v, want %+v on both", net.Global, net.Links[1][0], want)
	}
	reordered := want
	reordered.Reorder = 0.1
	if net.Links[0][1] != reordered {
		t.Errorf("Network(): link 0->1 %+v, want %+v", net.Links[0][1], reordered)
	}
	h.commit(20, h.all(), lossyWithin)
	h.do(chaos.Fault{Kind: chaos.Reset})
	if net := h.c.Network(); !net.Reliable() || net.Global != (chaos.LinkFaults{}) {
		t.Errorf("Network() after reset: global %+v, reliable %v", net.Global, net.Reliable())
	}
	h.converge()
}

// testPauseFollower: a paused follower keeps its state and commits nothing; the rest go
// on; resumed, it catches up.
func testPauseFollower(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, _ := h.leader()
	h.commit(2, h.all(), commitWithin)
	f := (l + 1) % n
	h.do(chaos.Fault{Kind: chaos.Pause, Peers: []int{f}})
	was := h.c.Peers()[f]
	if was.State != chaos.Paused {
		t.Errorf("paused peer %d shows %v", f, was.State)
	}
	if r := h.c.ProposeTo(f, h.cmd()); r.OK {
		t.Errorf("ProposeTo(paused %d) = %+v, want refused", f, r)
	}
	target := h.commit(10, h.others(f), commitWithin)
	if p := h.c.Peers()[f]; p.CommitIndex != was.CommitIndex || p.Term != was.Term || p.State != chaos.Paused {
		t.Errorf("paused peer %d changed: %v term %d commit %d, was term %d commit %d",
			f, p.State, p.Term, p.CommitIndex, was.Term, was.CommitIndex)
	}
	h.do(chaos.Fault{Kind: chaos.Resume, Peers: []int{f}})
	if p := h.c.Peers()[f]; p.State != chaos.Up {
		t.Errorf("resumed peer %d shows %v", f, p.State)
	}
	h.until(fmt.Sprintf("resumed peer %d applies index %d", f, target), commitWithin, func() bool {
		return h.c.Peers()[f].LastApplied >= target
	})
	h.converge()
}

// testSkew: a peer whose clock runs fast times out sooner; the rate survives a restart
// and Reset restores it.
func testSkew(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, _ := h.leader()
	o := h.others(l)
	if s.sampled {
		// Its peers' timers are their own: skew is refused, and changes nothing.
		err := h.c.Do(chaos.Fault{Kind: chaos.Skew, Peers: []int{o[0]}, Rate: 5})
		if err == nil || !strings.Contains(err.Error(), "skew") {
			t.Errorf("Do(skew) on peers watched from outside = %v, want an error saying why skew cannot apply", err)
		}
		if p := h.c.Peers()[o[0]]; p.ClockRate != 1 {
			t.Errorf("refused skew: ClockRate %g, want 1", p.ClockRate)
		}
		if fs := h.faultsSeen(); len(fs) > 0 && fs[len(fs)-1].Kind == chaos.Skew {
			t.Errorf("a refused skew was published: %v", fs[len(fs)-1])
		}
		h.do(chaos.Fault{Kind: chaos.Reset}) // nothing to undo, and no error
		h.converge()
		return
	}
	fast, slow := o[0], o[1]
	h.do(chaos.Fault{Kind: chaos.Skew, Peers: []int{fast}, Rate: 5})
	h.do(chaos.Fault{Kind: chaos.Skew, Peers: []int{o[2]}, Rate: 0.5})
	if p := h.c.Peers()[fast]; p.ClockRate != 5 {
		t.Errorf("skewed peer %d: ClockRate %g, want 5", fast, p.ClockRate)
	}
	// Isolated, both campaign in vain; the fast one raises its term more often.
	h.do(chaos.Fault{Kind: chaos.Isolate, Peers: []int{fast, slow}})
	ps := h.c.Peers()
	fast0, slow0 := ps[fast].Term, ps[slow].Term
	h.runFor(1500 * time.Millisecond)
	ps = h.c.Peers()
	if df, ds := ps[fast].Term-fast0, ps[slow].Term-slow0; df <= ds {
		t.Errorf("isolated for 1.5s, the 5x peer %d raised its term by %d, the 1x peer %d by %d: want the fast one more",
			fast, df, slow, ds)
	}
	h.commit(3, []int{l, o[2], o[3]}, commitWithin) // the slow clock does not stop the majority
	h.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{fast}})
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{fast}})
	if p := h.c.Peers()[fast]; p.ClockRate != 5 {
		t.Errorf("restarted skewed peer %d: ClockRate %g, want 5 kept", fast, p.ClockRate)
	}
	h.do(chaos.Fault{Kind: chaos.Reset})
	for i, p := range h.c.Peers() {
		if p.ClockRate != 1 {
			t.Errorf("after reset peer %d: ClockRate %g, want 1", i, p.ClockRate)
		}
	}
	h.converge()
}

// testPauseCluster: while the whole cluster is paused its time stands still and nothing
// commits; resumed, it goes on. The pause is observed across a short real wait, which
// both engines must sit out without running: a paused cluster's RunFor cannot finish.
func testPauseCluster(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	h.leader()
	h.commit(5, h.all(), commitWithin)
	h.do(chaos.Fault{Kind: chaos.Pause, Peers: []int{(chaos.LeaderOf(h.c.Peers()) + 1) % n}}) // one peer paused on its own too
	for range 3 {
		h.c.Propose(h.cmd()) // in flight when the cluster pauses
	}
	h.c.Pause()
	if !h.c.Paused() {
		t.Fatal("Paused() = false after Pause")
	}
	h.c.Pause() // no effect
	now, before := h.c.Now(), h.c.Peers()
	h.c.Propose(h.cmd()) // taken or refused, it must not commit while paused

	// A paused cluster's RunFor cannot finish: it ends with its context.
	sitOut := func(real time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(h.ctx, real)
		defer cancel()
		if err := h.c.RunFor(ctx, time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RunFor(1s) on a paused cluster, for %v of real time = %v, want %v", real, err, context.DeadlineExceeded)
		}
	}
	// Messages whose sending began before the pause may still enter a live network;
	// after a moment, none may. The second wait is long enough for a live leader that
	// was not really paused to send heartbeats.
	sitOut(100 * time.Millisecond)
	stats := h.c.Stats()
	sitOut(200 * time.Millisecond)
	if got := h.c.Stats(); got != stats && !s.sampled { // sampled: its timers run, its messages are held
		t.Errorf("Stats() went from %+v to %+v while paused: messages were sent", stats, got)
	}
	ctx, cancel := context.WithTimeout(h.ctx, 50*time.Millisecond)
	ok, err := h.c.RunUntil(ctx, time.Second, func() bool { return false })
	cancel()
	if ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunUntil on a paused cluster = %v, %v, want false, %v", ok, err, context.DeadlineExceeded)
	}
	if got := h.c.Now(); got != now {
		t.Errorf("Now() moved from %v to %v while paused", now, got)
	}
	for i, p := range h.c.Peers() {
		b := before[i]
		if p.CommitIndex != b.CommitIndex || p.LastApplied != b.LastApplied || p.Term != b.Term || p.State != b.State {
			t.Errorf("peer %d changed while the cluster was paused: %v term %d commit %d applied %d, was %v term %d commit %d applied %d",
				i, p.State, p.Term, p.CommitIndex, p.LastApplied, b.State, b.Term, b.CommitIndex, b.LastApplied)
		}
	}
	h.c.Resume()
	if h.c.Paused() {
		t.Error("Paused() = true after Resume")
	}
	paused := -1
	for i, p := range h.c.Peers() {
		if p.State == chaos.Paused {
			paused = i
		}
	}
	if paused == raft.None {
		t.Fatalf("the peer paused on its own was resumed with the cluster")
	}
	was := h.c.Peers()[paused].CommitIndex
	h.commit(3, h.others(paused), commitWithin)
	if got := h.c.Peers()[paused].CommitIndex; got != was {
		t.Errorf("peer %d, paused on its own, committed after the cluster resumed: commit %d, was %d", paused, got, was)
	}
	h.do(chaos.Fault{Kind: chaos.Resume, Peers: []int{paused}})
	h.converge()
}

// testBadFaults: faults naming missing peers or out-of-range values are refused, change
// nothing and are not published.
func testBadFaults(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	h.leader()
	h.do(chaos.Fault{Kind: chaos.Loss, P: 0.01, From: []int{0}, To: []int{1}})
	bad := []struct {
		name string
		f    chaos.Fault
	}{
		{"crash peer 9 of 5", chaos.Fault{Kind: chaos.Crash, Peers: []int{9}}},
		{"restart peer -1", chaos.Fault{Kind: chaos.Restart, Peers: []int{-1}}},
		{"crash a valid and an invalid peer", chaos.Fault{Kind: chaos.Crash, Peers: []int{0, 5}}},
		{"isolate a peer twice", chaos.Fault{Kind: chaos.Isolate, Peers: []int{1, 1}}},
		{"loss 150%", chaos.Fault{Kind: chaos.Loss, P: 1.5}},
		{"loss -10%", chaos.Fault{Kind: chaos.Loss, P: -0.1}},
		{"duplicate 200% on a link", chaos.Fault{Kind: chaos.Duplicate, P: 2, From: []int{0}, To: []int{1}}},
		{"loss on a link to peer 7", chaos.Fault{Kind: chaos.Loss, P: 0.5, From: []int{0}, To: []int{7}}},
		{"delay min above max", chaos.Fault{Kind: chaos.Delay, Min: time.Second, Max: time.Millisecond}},
		{"negative delay", chaos.Fault{Kind: chaos.Delay, Min: -time.Second, Max: time.Second}},
		{"skew rate 0", chaos.Fault{Kind: chaos.Skew, Peers: []int{0}, Rate: 0}},
		{"skew rate 1000", chaos.Fault{Kind: chaos.Skew, Peers: []int{0}, Rate: 1000}},
		{"partition with peer 5", chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}, {2, 5}}}},
		{"partition with a peer twice", chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}, {1, 2}}}},
		{"bridge of two groups", chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{{0, 1}, {2, 3}}}},
		{"bridge with two middles", chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{{0}, {1, 2}, {3}}}},
		{"cut to peer 5", chaos.Fault{Kind: chaos.Cut, From: []int{0}, To: []int{5}}},
		{"unknown kind", chaos.Fault{Kind: 200}},
		{"no kind", chaos.Fault{}},
	}
	net, peers, nfaults := h.c.Network(), h.c.Peers(), len(h.faultsSeen())
	for _, tc := range bad {
		if err := h.c.Do(tc.f); err == nil {
			t.Errorf("%s: Do(%v) = nil, want an error", tc.name, tc.f)
		}
	}
	if got := h.c.Network(); !reflect.DeepEqual(got, net) {
		t.Errorf("bad faults changed the network:\n got %+v\nwant %+v", got, net)
	}
	for i, p := range h.c.Peers() {
		if p.State != peers[i].State || p.ClockRate != peers[i].ClockRate {
			t.Errorf("bad faults changed peer %d: %v rate %g, was %v rate %g", i, p.State, p.ClockRate, peers[i].State, peers[i].ClockRate)
		}
	}
	if got := h.faultsSeen(); len(got) != nfaults {
		t.Errorf("bad faults were published: %v", got[nfaults:])
	}
	h.commit(2, h.all(), commitWithin)
}

// testStop: Stop is idempotent, also when called concurrently, and ends everything; a
// stopped cluster refuses to run or take faults.
func testStop(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	h.leader()
	h.commit(3, h.all(), commitWithin)
	h.do(chaos.Fault{Kind: chaos.Pause, Peers: []int{0}})
	h.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{1}})
	h.c.Pause() // stopping a paused cluster must not hang
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(h.c.Stop)
	}
	wg.Wait()
	h.c.Stop()
	if err := h.c.RunFor(h.ctx, time.Millisecond); !errors.Is(err, chaos.ErrStopped) {
		t.Errorf("RunFor after Stop = %v, want %v", err, chaos.ErrStopped)
	}
	if ok, err := h.c.RunUntil(h.ctx, time.Second, func() bool { return false }); ok || !errors.Is(err, chaos.ErrStopped) {
		t.Errorf("RunUntil after Stop = %v, %v, want false, %v", ok, err, chaos.ErrStopped)
	}
	if err := h.c.Do(chaos.Fault{Kind: chaos.Heal}); err == nil {
		t.Errorf("Do after Stop = nil, want an error")
	}
	if got := len(h.c.Peers()); got != n {
		t.Errorf("Peers() after Stop has %d entries, want %d", got, n)
	}
	// The harness's cleanup checks, once more, that nothing is left running.
}

// testEvents: every applied fault is published, in order, as an EventFault; raft events
// come from every peer; message events come when asked for; Seq and At never go back
// (the harness's sink checks those on every event).
func testEvents(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	var mu sync.Mutex
	var netEvents []chaos.NetEvent
	cancel := h.c.Events().Observe(func(e chaos.Event) {
		if e.Net == nil {
			return
		}
		mu.Lock()
		netEvents = append(netEvents, *e.Net)
		mu.Unlock()
	}, chaos.EventNet)
	defer cancel()
	if !h.c.Events().Wants(chaos.EventNet) {
		t.Error("Events().Wants(EventNet) = false with a net sink")
	}
	l, _ := h.leader()
	f := (l + 1) % n
	// The order of a restart and the boot it causes: the fault first.
	var order []string
	cancelOrder := h.c.Events().Observe(func(e chaos.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case e.Kind == chaos.EventFault && e.Fault.Kind == chaos.Restart:
			order = append(order, "restart")
		case e.Kind == chaos.EventRaft && e.Raft != nil && e.Raft.Kind == raft.EventBoot && e.Peer == f:
			order = append(order, "boot")
		}
	}, chaos.EventFault, chaos.EventRaft)
	defer cancelOrder()
	faults := []chaos.Fault{
		{Kind: chaos.Isolate, Peers: []int{f}},
		{Kind: chaos.Heal},
		{Kind: chaos.Loss, P: 0.1, From: []int{0}, To: []int{1}},
		{Kind: chaos.Delay, Min: time.Millisecond, Max: 2 * time.Millisecond},
		{Kind: chaos.Reorder, P: 0.1},
		{Kind: chaos.Duplicate, P: 0.1},
		{Kind: chaos.Skew, Peers: []int{f}, Rate: 2}, // left out when sampled: refused
		{Kind: chaos.Pause, Peers: []int{f}},
		{Kind: chaos.Resume, Peers: []int{f}},
		{Kind: chaos.Crash, Peers: []int{f}},
		{Kind: chaos.Restart, Peers: []int{f}},
		{Kind: chaos.Partition, Groups: [][]int{{f}}},
		{Kind: chaos.Cut, From: []int{l}, To: []int{f}},
		{Kind: chaos.Reset},
	}
	if s.sampled {
		faults = slices.DeleteFunc(faults, func(f chaos.Fault) bool { return f.Kind == chaos.Skew })
	}
	start := len(h.faultsSeen())
	for i, fl := range faults {
		h.do(fl)
		if i == 0 {
			h.runFor(300 * time.Millisecond) // heartbeats to the isolated peer fail
		}
	}
	if got := h.faultsSeen()[start:]; len(got) != len(faults) {
		t.Errorf("published %d faults, want %d: %v", len(got), len(faults), got)
	} else {
		for i := range got {
			if got[i].String() != faults[i].String() || got[i].Kind != faults[i].Kind {
				t.Errorf("fault event %d = %v, want %v", i, got[i], faults[i])
			}
		}
	}
	mu.Lock()
	if !slices.Equal(order, []string{"restart", "boot"}) {
		t.Errorf("restart of peer %d and its boot published as %v, want [restart boot]: the fault, then what it caused", f, order)
	}
	mu.Unlock()
	stats := h.c.Stats()
	h.commit(3, h.all(), commitWithin)
	if s := h.c.Stats(); s.RPCs <= stats.RPCs || s.Bytes <= stats.Bytes {
		t.Errorf("Stats() went from %+v to %+v over three commits, want both to grow", stats, s)
	}
	h.mu.Lock()
	raftKinds := []raft.EventKind{raft.EventAppend, raft.EventCommit, raft.EventApply}
	if s.sampled {
		// Seen from outside: the terms GetState and traffic show (and boots: the
		// restart's is checked above).
		raftKinds = []raft.EventKind{raft.EventTerm}
	}
	for i := range n {
		for _, k := range raftKinds {
			if h.raftSeen[i][k] == 0 {
				t.Errorf("no %v event from peer %d (saw %v)", k, i, h.raftSeen[i])
			}
		}
		if s.sampled && h.notSampled[i] > 0 {
			t.Errorf("peer %d: %d raft events not marked Sampled, from an engine that watches it from outside", i, h.notSampled[i])
		}
	}
	h.mu.Unlock()
	cancel()
	mu.Lock()
	defer mu.Unlock()
	kinds := map[chaos.NetEventKind]int{}
	failedTo := 0
	for _, e := range netEvents {
		kinds[e.Kind]++
		if e.From < 0 || e.From >= n || e.To < 0 || e.To >= n || e.From == e.To {
			t.Errorf("net event %v: bad peers", e)
		}
		switch e.Method {
		case raft.MethodRequestVote, raft.MethodAppendEntries, raft.MethodInstallSnapshot:
		default:
			t.Errorf("net event %v: method %q", e, e.Method)
		}
		if (e.Kind == chaos.NetFailed || e.Kind == chaos.NetDropped) && e.Reason == "" {
			t.Errorf("net event %v: no reason", e)
		}
		if e.Kind == chaos.NetFailed && e.To == f {
			failedTo++
		}
		// Requests and replies are described, alike in every engine.
		want := map[string][]chaos.MsgKind{
			raft.MethodRequestVote:     {chaos.MsgVote, chaos.MsgPreVote},
			raft.MethodAppendEntries:   {chaos.MsgAppend, chaos.MsgHeartbeat},
			raft.MethodInstallSnapshot: {chaos.MsgSnapshot},
		}[e.Method]
		switch m := e.Msg; {
		case e.Kind != chaos.NetSent && e.Kind != chaos.NetReplied:
			if m != nil {
				t.Errorf("net event %v: describes a message (only sent and replied events do)", e)
			}
		case m == nil || m.Term < 1 && m.Kind != chaos.MsgPreVoteReply: // a pre-vote is answered in term 0 at first
			t.Errorf("net event %v: no description of its message", e)
		case e.Kind == chaos.NetSent && !slices.Contains(want, m.Kind):
			t.Errorf("net event %v: a %v message, want one of %v", e, m.Kind, want)
		case e.Kind == chaos.NetReplied && !slices.ContainsFunc(want, func(k chaos.MsgKind) bool { return k.Reply() == m.Kind }):
			t.Errorf("net event %v: a %v message, want a reply to one of %v", e, m.Kind, want)
		}
	}
	for _, k := range []chaos.NetEventKind{chaos.NetSent, chaos.NetDelivered, chaos.NetReplied, chaos.NetFailed} {
		if kinds[k] == 0 {
			t.Errorf("no %v message events (saw %v)", k, kinds)
		}
	}
	if failedTo == 0 {
		t.Errorf("no failed call to isolated peer %d among %d message events", f, len(netEvents))
	}
}

// testDeliver: every message a peer's service takes from its Raft is published as an
// EventDeliver, in the order the service takes them: each command with its index, term
// and value, each snapshot a leader sent with its index and term. (A service restoring
// its own snapshot at a boot takes nothing from Raft: that is no delivery.)
func testDeliver(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{snapshotEvery: 4})
	var mu sync.Mutex
	got := make([][]svcCall, n)
	bad := 0
	cancel := h.c.Events().Observe(func(e chaos.Event) {
		mu.Lock()
		defer mu.Unlock()
		d := e.Deliver
		// A course Raft's ApplyMsg has no term for commands: seen from outside, 0 is fine.
		if d == nil || e.Peer < 0 || e.Peer >= n || d.Index <= 0 || d.Term < 0 || d.Term == 0 && (!s.sampled || d.Snapshot) {
			bad++
			if bad < 5 {
				h.problem("deliver event %v: want a delivery with a peer, an index and a term", e)
			}
			return
		}
		c := svcCall{index: d.Index, restore: d.Snapshot}
		if !d.Snapshot {
			c.cmd = fmt.Sprint(d.Command)
		}
		got[e.Peer] = append(got[e.Peer], c)
	}, chaos.EventDeliver)
	defer cancel()
	if !h.c.Events().Wants(chaos.EventDeliver) {
		t.Error("Events().Wants(EventDeliver) = false with a deliver sink")
	}
	l, _ := h.leader()
	f := (l + 1) % n
	h.commit(3, h.all(), commitWithin)
	h.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{f}})
	h.commit(12, h.others(f), commitWithin) // the others snapshot past what f holds
	fLast := h.c.Peers()[f].LastIndex
	h.until("the others snapshot past what the crashed peer holds", commitWithin, func() bool {
		ps := h.c.Peers()
		for _, p := range h.others(f) {
			if ps[p].SnapshotIndex <= fLast {
				return false // its service has yet to apply far enough (a loaded machine)
			}
		}
		return true
	})
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{f}})
	h.converge() // f catches up through a snapshot the leader sends
	h.c.Stop()   // every service is done: compare

	mu.Lock()
	defer mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range n {
		calls := h.calls[p]
		// Every apply, in order, was delivered; so was every restore but those of boots.
		var applies, delivered []svcCall
		for _, c := range calls {
			if !c.restore {
				applies = append(applies, c)
			}
		}
		for _, c := range got[p] {
			if !c.restore {
				delivered = append(delivered, c)
			}
		}
		if !slices.Equal(applies, delivered) {
			t.Errorf("peer %d: the service applied\n%v\nbut the deliveries say\n%v", p, applies, delivered)
		}
		i := 0
		for _, c := range got[p] {
			for i < len(calls) && calls[i] != c {
				i++
			}
			if i == len(calls) {
				t.Errorf("peer %d: delivery %+v is not among what the service was asked, in order: %v", p, c, calls)
				break
			}
			i++
		}
	}
	if !slices.ContainsFunc(got[f], func(c svcCall) bool { return c.restore }) {
		t.Errorf("peer %d, restarted behind the others' snapshots, was delivered no snapshot: %v", f, got[f])
	}
}

// testReplyFaults: settings for replies alone leave requests alone. With every reply to
// the leader lost, its followers take its entries but it never learns so and commits
// nothing; the setting shows in Network(), and a reset brings the commits back.
func testReplyFaults(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	l, _ := h.leader()
	o := h.others(l)
	h.commit(2, h.all(), commitWithin)
	h.do(chaos.Fault{Kind: chaos.Loss, P: 1, Replies: true, From: o, To: []int{l}})
	net := h.c.Network()
	if got := net.Links[o[0]][l]; got.Replies.Loss != 1 || got.Loss != 0 || net.Reliable() {
		t.Errorf("Network(): link %d->%d %+v, reliable %v; want reply loss 1 only", o[0], l, got, net.Reliable())
	}
	ps := h.c.Peers()
	commit, last := ps[l].CommitIndex, ps[o[0]].LastIndex
	for range 3 {
		if r := h.c.ProposeTo(l, h.cmd()); !r.OK {
			t.Fatalf("ProposeTo(leader %d) = %+v", l, r)
		}
	}
	if !s.sampled { // a peer seen from outside shows only what it applies
		h.until("the followers take the entries whose acks are lost", commitWithin, func() bool {
			ps := h.c.Peers()
			return ps[o[0]].LastIndex >= last+3 && ps[o[1]].LastIndex >= last+3
		})
	}
	h.runFor(300 * time.Millisecond)
	if ps := h.c.Peers(); ps[l].Role == raft.Leader && ps[l].CommitIndex != commit {
		t.Errorf("leader %d committed %d -> %d without hearing a reply", l, commit, ps[l].CommitIndex)
	}
	h.do(chaos.Fault{Kind: chaos.Reset})
	h.converge()
}

// testTear: a tear never fires on a Raft that saves atomically, however many snapshots
// it takes: nobody crashes; a peer crashed and restarted after it comes back whole.
func testTear(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{snapshotEvery: 5})
	h.leader()
	h.do(chaos.Fault{Kind: chaos.Tear, Peers: h.all()})
	h.commit(30, h.all(), commitWithin) // six snapshots on every peer
	for i, p := range h.c.Peers() {
		if p.State != chaos.Up || p.SnapshotIndex < 25 {
			t.Errorf("peer %d: %v, snapshot index %d; want up, having snapshotted", i, p.State, p.SnapshotIndex)
		}
	}
	for _, f := range h.faultsSeen() {
		if f.Kind == chaos.Crash {
			t.Errorf("a tear crashed a peer of a Raft that saves atomically: %v", f)
		}
	}
	h.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{1}})
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{1}})
	h.converge()
}

// testReact: a function handed to React from an event sink runs after the event, and
// may call the cluster: here it crashes the first two leaders the moment they are
// elected.
func testReact(t *testing.T, s suite, n int) {
	h := newHarness(t, s, n, options{})
	r, ok := h.c.(chaos.Reactor)
	if !ok {
		t.Skipf("%T is no chaos.Reactor", h.c)
	}
	var mu sync.Mutex
	var crashed []int
	fired := 0
	cancel := h.c.Events().Observe(func(e chaos.Event) {
		if e.Raft.Kind != raft.EventRole || e.Raft.Role != raft.Leader {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fired == 2 {
			return
		}
		fired++
		peer := e.Peer
		r.React(func() {
			if p := h.c.Peers()[peer]; p.State != chaos.Up {
				return
			}
			if err := h.c.Do(chaos.Fault{Kind: chaos.Crash, Peers: []int{peer}}); err == nil {
				mu.Lock()
				crashed = append(crashed, peer)
				mu.Unlock()
			}
		})
	}, chaos.EventRaft)
	defer cancel()
	h.until("two leaders crashed the moment they were elected", 3*leaderWithin, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(crashed) == 2
	})
	mu.Lock()
	first, second := crashed[0], crashed[1]
	mu.Unlock()
	if first == second {
		t.Errorf("the same peer %d crashed twice", first)
	}
	h.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{first, second}})
	h.converge()
}

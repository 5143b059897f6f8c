package enginetest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// Bounds, in cluster time. They are generous: the suite checks behaviour, not speed.
const (
	leaderWithin   = 5 * time.Second  // the course's bound for electing a leader
	commitWithin   = 10 * time.Second // for proposals to commit on a healthy network
	lossyWithin    = 30 * time.Second // for proposals to commit on a lossy network
	convergeWithin = 15 * time.Second // for a healed cluster to agree again
)

// harness runs one cluster for one subtest and watches it: its service records what
// every peer applies, and its event sink checks, as events arrive, the properties every
// engine must keep (ordered events, one leader per term, terms that never decrease,
// state machines that agree). Safe for concurrent use: the service and the sink run on
// the engine's goroutines.
type harness struct {
	t       *testing.T
	c       chaos.Cluster
	ctx     context.Context
	n       int
	sampled bool          // the engine watches its peers from outside (see RunSampled)
	ignore  goleak.Option // the goroutines that ran before the cluster started

	mu       sync.Mutex
	problems []string
	lastSeq  uint64
	lastAt   time.Duration
	leaders  map[int]int // term -> the peer that led it
	maxTerm  []int       // per peer, the highest term seen in its events
	boots    [][]int     // per peer, the term of each boot seen
	raftSeen []map[raft.EventKind]int
	// notSampled counts, per peer, raft events not marked Sampled.
	notSampled []int
	faults     []chaos.Fault // EventFaults, in order
	applied    []map[int]applied
	svcLast    []int       // per peer, the last index its service applied or restored
	calls      [][]svcCall // per peer, over all lives: what its service was asked to do
	nextCmd    int

	proposedTo map[int]int // by term, the highest index commit's proposals took (used by its goroutine only)
}

// svcCall is one call of a peer's service: an Apply, or a Restore (of a snapshot sent
// by a leader, or of its own at a boot).
type svcCall struct {
	index   int
	restore bool
	cmd     string
}

// applied is what a peer's service held after index.
type applied struct {
	cmd  string // the command applied at index, or "" when a snapshot was restored there
	hash uint64
}

// options tune a harness's cluster.
type options struct {
	snapshotEvery int // the Digest's snapshot interval (0: default)
}

// newHarness starts a cluster of n peers with newCluster and stops it when the test
// ends, checking then that the engine left no goroutine behind.
func newHarness(t *testing.T, s suite, n int, opt options) *harness {
	t.Helper()
	h := &harness{
		t: t, ctx: t.Context(), n: n, sampled: s.sampled, ignore: goleak.IgnoreCurrent(),
		proposedTo: map[int]int{},
		leaders:    map[int]int{}, maxTerm: make([]int, n), boots: make([][]int, n),
		raftSeen: make([]map[raft.EventKind]int, n), applied: make([]map[int]applied, n), notSampled: make([]int, n),
		svcLast: make([]int, n), calls: make([][]svcCall, n),
	}
	for i := range n {
		h.raftSeen[i] = map[raft.EventKind]int{}
		h.applied[i] = map[int]applied{}
	}
	every := opt.snapshotEvery
	if every == 0 {
		every = chaos.DefaultSnapshotEvery
	}
	c, err := s.nc(chaos.ClusterConfig{
		Peers: n,
		Seed:  seedOf(t.Name()),
		NewService: func(peer int) chaos.Service {
			return &recService{h: h, peer: peer, d: chaos.NewDigest(every)}
		},
	})
	if err != nil {
		t.Fatalf("new cluster of %d: %v", n, err)
	}
	h.c = c
	if got := c.Config().Peers; got != n {
		t.Errorf("Config().Peers = %d, want %d", got, n)
	}
	c.Events().Observe(h.sink, chaos.EventRaft, chaos.EventFault, chaos.EventViolation, chaos.EventNote)
	t.Cleanup(h.finish)
	return h
}

// seedOf gives each case its own seed, the same in every run.
func seedOf(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() >> 1)
}

// finish reports what the sink and the services found, stops the cluster (twice: Stop
// is idempotent) and checks that nothing it started is left running.
func (h *harness) finish() {
	t := h.t
	h.mu.Lock()
	for _, p := range h.problems {
		t.Error(p)
	}
	h.mu.Unlock()
	h.c.Stop()
	h.c.Stop()
	if err := h.c.RunFor(context.Background(), time.Millisecond); !errors.Is(err, chaos.ErrStopped) {
		t.Errorf("RunFor after Stop = %v, want %v", err, chaos.ErrStopped)
	}
	goleak.VerifyNone(t, h.ignore)
}

// problem records a broken property; the test fails when it ends.
func (h *harness) problem(format string, args ...interface{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.problems) < 20 {
		h.problems = append(h.problems, fmt.Sprintf(format, args...))
	}
}

// sink checks every event as it is delivered. The bus calls it one event at a time.
func (h *harness) sink(e chaos.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	add := func(format string, args ...interface{}) {
		if len(h.problems) < 20 {
			h.problems = append(h.problems, fmt.Sprintf(format, args...))
		}
	}
	if e.Seq <= h.lastSeq {
		add("event Seq %d follows Seq %d: want strictly increasing (%v)", e.Seq, h.lastSeq, e)
	}
	if e.At < h.lastAt {
		add("event #%d At %v follows At %v: cluster time went back (%v)", e.Seq, e.At, h.lastAt, e)
	}
	h.lastSeq, h.lastAt = e.Seq, e.At
	switch e.Kind {
	case chaos.EventFault:
		if e.Fault == nil {
			add("fault event #%d carries no fault", e.Seq)
			return
		}
		h.faults = append(h.faults, *e.Fault)
	case chaos.EventViolation:
		add("engine reported a violation: %v", e)
	case chaos.EventRaft:
		r := e.Raft
		if r == nil || r.Peer != e.Peer || r.Peer < 0 || r.Peer >= h.n {
			add("raft event #%d: bad peer (event peer %d, raft %v)", e.Seq, e.Peer, r)
			return
		}
		h.raftSeen[r.Peer][r.Kind]++
		if !e.Sampled {
			h.notSampled[r.Peer]++
		}
		if r.Term < h.maxTerm[r.Peer] {
			add("peer %d: term went from %d down to %d (%v)", r.Peer, h.maxTerm[r.Peer], r.Term, r)
		}
		h.maxTerm[r.Peer] = max(h.maxTerm[r.Peer], r.Term)
		if r.Kind == raft.EventBoot {
			h.boots[r.Peer] = append(h.boots[r.Peer], r.Term)
		}
		if r.Kind == raft.EventRole && r.Role == raft.Leader {
			if other, ok := h.leaders[r.Term]; ok && other != r.Peer {
				add("two leaders in term %d: peers %d and %d", r.Term, other, r.Peer)
			}
			h.leaders[r.Term] = r.Peer
		}
	}
}

// recService is the Digest every peer runs, recording what it applies so the harness
// can check that the peers' state machines agree and that applies come in order. Like
// every Service, it is used by one goroutine at a time.
type recService struct {
	h    *harness
	peer int
	d    *chaos.Digest
	last int // the last index applied or restored in this life; 0 before any
}

func (s *recService) Apply(index int, cmd interface{}) []byte {
	if index != s.last+1 {
		s.h.problem("peer %d applied index %d after %d: want no gaps and no repeats", s.peer, index, s.last)
	}
	s.last = index
	snap := s.d.Apply(index, cmd)
	s.h.record(s.peer, index, applied{cmd: fmt.Sprint(cmd), hash: s.d.Hash})
	s.h.called(s.peer, svcCall{index: index, cmd: fmt.Sprint(cmd)})
	return snap
}

// SnapshotIndex reads the index of a snapshot of the service's (chaos.SnapshotIndexer),
// as an engine that cannot see its peers' snapshot indexes needs at a restart.
func (s *recService) SnapshotIndex(snap []byte) (int, error) { return s.d.SnapshotIndex(snap) }

func (s *recService) Restore(index int, snap []byte) error {
	if err := s.d.Restore(index, snap); err != nil {
		return err
	}
	s.last = index
	s.h.record(s.peer, index, applied{hash: s.d.Hash})
	s.h.called(s.peer, svcCall{index: index, restore: true})
	return nil
}

// record notes that peer's state after index is a, and checks it against the other
// peers' state after index.
func (h *harness) record(peer, index int, a applied) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Compare with the first peer (this one, in an earlier life, included) that recorded
	// its state after index: they must all agree, so one comparison is enough.
	for q := range h.applied {
		b, ok := h.applied[q][index]
		if !ok {
			continue
		}
		if b.hash != a.hash || a.cmd != "" && b.cmd != "" && a.cmd != b.cmd {
			if len(h.problems) < 20 {
				h.problems = append(h.problems, fmt.Sprintf(
					"state machines differ after index %d: peer %d applied %q (hash %x), peer %d %q (hash %x)",
					index, peer, a.cmd, a.hash, q, b.cmd, b.hash))
			}
		}
		break
	}
	h.applied[peer][index] = a
	h.svcLast[peer] = index
}

// called records a call of peer's service.
func (h *harness) called(peer int, c svcCall) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls[peer] = append(h.calls[peer], c)
}

// serviceAt returns the last index peer's service applied or restored.
func (h *harness) serviceAt(peer int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.svcLast[peer]
}

// cmdAt returns the command peer applied at index, if it did.
func (h *harness) cmdAt(peer, index int) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.applied[peer][index]
	return a.cmd, ok && a.cmd != ""
}

// appliedAnywhere reports the peers that applied cmd.
func (h *harness) appliedAnywhere(cmd string) []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int
	for p, m := range h.applied {
		for _, a := range m {
			if a.cmd == cmd {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// faultsSeen returns the faults published so far.
func (h *harness) faultsSeen() []chaos.Fault {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.faults)
}

// cmd returns a fresh command.
func (h *harness) cmd() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextCmd++
	return fmt.Sprintf("c%d", h.nextCmd)
}

// ---- Waiting ---------------------------------------------------------------------------------

// until runs the cluster until cond holds, failing the test if it does not within d.
func (h *harness) until(what string, d time.Duration, cond func() bool) {
	h.t.Helper()
	ok, err := h.c.RunUntil(h.ctx, d, cond)
	if err != nil {
		h.t.Fatalf("%s: RunUntil: %v", what, err)
	}
	if !ok {
		h.t.Fatalf("%s: not within %v (cluster time now %v)\n%s", what, d, h.c.Now(), h.dump())
	}
}

// runFor runs the cluster for d.
func (h *harness) runFor(d time.Duration) {
	h.t.Helper()
	if err := h.c.RunFor(h.ctx, d); err != nil {
		h.t.Fatalf("RunFor(%v): %v", d, err)
	}
}

// do applies f, failing the test if the engine refuses it.
func (h *harness) do(f chaos.Fault) {
	h.t.Helper()
	if err := h.c.Do(f); err != nil {
		h.t.Fatalf("Do(%v): %v", f, err)
	}
}

// leader waits for a leader and returns it with its term.
func (h *harness) leader() (int, int) {
	h.t.Helper()
	return h.newLeader(raft.None, 0)
}

// newLeader waits for a leader other than old in a term above term, and returns it and
// its term.
func (h *harness) newLeader(old, term int) (int, int) {
	h.t.Helper()
	var l, lt int
	h.until(fmt.Sprintf("a leader other than %d above term %d", old, term), leaderWithin, func() bool {
		ps := h.c.Peers()
		l = chaos.LeaderOf(ps)
		if l == raft.None || l == old || ps[l].Term <= term {
			return false
		}
		lt = ps[l].Term
		return true
	})
	return l, lt
}

// commit makes k more entries commit, proposing as needed, and waits until every peer
// of among has committed them and its service has applied them. It returns the index
// they reached.
func (h *harness) commit(k int, among []int, within time.Duration) int {
	h.t.Helper()
	ps := h.c.Peers()
	target := 0
	for _, i := range among {
		target = max(target, ps[i].CommitIndex)
	}
	target += k
	h.until(fmt.Sprintf("%d more entries committed and applied on peers %v (index %d)", k, among, target), within, func() bool {
		ps := h.c.Peers()
		done := true
		for _, i := range among {
			done = done && ps[i].CommitIndex >= target && h.serviceAt(i) >= target
		}
		if done {
			return true
		}
		// Keep the leader's log long enough to reach target, with an entry of its own
		// term (a leader commits older entries only through one of those).
		if l := chaos.LeaderOf(ps); l != raft.None {
			need := target - ps[l].LastIndex
			switch {
			case ps[l].Sampled:
				// Its log is unknown, only what it applied: count what it took in its
				// term, and make sure it took one entry of its term.
				need = target - max(ps[l].LastIndex, h.proposedTo[ps[l].Term])
				if h.proposedTo[ps[l].Term] == 0 {
					need = max(need, 1)
				}
			case ps[l].LastTerm != ps[l].Term:
				need = max(need, 1)
			}
			for range need {
				r := h.c.Propose(h.cmd())
				if !r.OK {
					break
				}
				h.proposedTo[r.Term] = max(h.proposedTo[r.Term], r.Index)
			}
		}
		return false
	})
	return target
}

// converge waits until the up peers agree again: a new entry commits on all of them,
// and then they share one term, one leader and one commit index, all applied.
func (h *harness) converge() {
	h.t.Helper()
	up := h.up()
	h.commit(1, up, convergeWithin)
	h.until("the up peers agree on term, leader and commit index", convergeWithin, func() bool {
		ps := h.c.Peers()
		l := chaos.LeaderOf(ps)
		if l == raft.None {
			return false
		}
		for _, i := range up {
			p := ps[i]
			if p.Term != ps[l].Term || p.CommitIndex != ps[l].CommitIndex || p.LastApplied != p.CommitIndex {
				return false
			}
			if i != l && p.Role == raft.Leader {
				return false
			}
		}
		return true
	})
}

// up returns the peers that are up.
func (h *harness) up() []int {
	var out []int
	for i, p := range h.c.Peers() {
		if p.State == chaos.Up {
			out = append(out, i)
		}
	}
	return out
}

// all returns every peer id.
func (h *harness) all() []int {
	out := make([]int, h.n)
	for i := range out {
		out[i] = i
	}
	return out
}

// others returns every peer but those given.
func (h *harness) others(not ...int) []int {
	var out []int
	for i := range h.n {
		if !slices.Contains(not, i) {
			out = append(out, i)
		}
	}
	return out
}

// dump describes every peer, for failure messages.
func (h *harness) dump() string {
	var b strings.Builder
	for i, p := range h.c.Peers() {
		fmt.Fprintf(&b, "  peer %d %-7v %-9v term %3d leader %2d log %d..%d commit %d applied %d snap %d rate %g\n",
			i, p.State, p.Role, p.Term, p.Leader, p.FirstIndex, p.LastIndex, p.CommitIndex, p.LastApplied, p.SnapshotIndex, p.ClockRate)
	}
	net := h.c.Network()
	fmt.Fprintf(&b, "  groups %v global %+v", net.Groups, net.Global)
	return b.String()
}

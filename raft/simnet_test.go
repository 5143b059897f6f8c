package raft

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// simNet is a deterministic in-memory network of Nodes for tests. Nothing moves unless a
// test says so: a tick reaches one peer, a packet is delivered, dropped or duplicated when
// the test (or a seeded random driver) picks it. Every delivery follows the Ready contract
// a real caller must keep: a request is handled, the receiver's Ready is carried out
// (persist, send, apply) and only then does its reply travel back.
//
// Along the way it checks, and reports through tb.Errorf, what must always hold:
//   - after every Ready the saved state equals the peer's persistent state, and a saved
//     State or Snapshot never changes afterwards;
//   - every message and reply depends only on saved state (term, vote, entries);
//   - HasReady agrees with Ready, and one Ready drains everything;
//   - each service applies commands in index order without gaps or repeats, only entries
//     already saved, and no two services apply different commands at one index (checked
//     through a hash of the service state, which snapshots carry);
//   - at most one leader per term, terms never decrease (also across restarts), and
//     commitIndex and lastApplied never decrease within a life;
//   - a leader's matchIndex for a follower in its term never exceeds what the follower
//     holds, and nextIndex > matchIndex.
//
// Not safe for concurrent use.
type simNet struct {
	tb    testing.TB
	cfgs  []Config
	nodes []*Node // nil while crashed
	lives []int   // incarnation of each peer, bumped by restart
	disks []simDisk
	svcs  []simService
	queue []simPacket
	seq   int
	cut   [][]bool // cut[a][b]: messages from a to b are lost

	leaders map[int]int    // term -> the peer that was leader in it
	hashAt  map[int]uint64 // index -> service state hash after applying it
	maxTerm []int          // highest term each peer has had (across lives)
	commits []int          // commitIndex at the last check, per life
	events  [][]Event      // per peer, over all lives
	applied [][]ApplyMsg   // per peer, over all lives

	// strict turns on the HasReady checks.
	strict bool
	// watch, when non-nil, sees every packet just before it is delivered.
	watch func(p simPacket)
	// tracing records everything observable in trace, for determinism tests.
	tracing bool
	trace   []string

	// sent are the entries of recent AppendEntries, with copies, to check that the
	// Node never changes what it handed out.
	sent []simSentEntries

	delivered, failed int
}

type simSentEntries struct{ got, want []Entry }

// simDisk is one peer's stable storage.
type simDisk struct {
	state, snap []byte
	st          persistentState // state, decoded
	// saved are recent States and Snapshots handed out by Ready, with copies, to check that
	// the Node never changes them afterwards.
	saved []simSaved
}

type simSaved struct{ got, want []byte }

// simService is a peer's service: its state is a hash chain over the applied commands.
type simService struct {
	index int
	hash  uint64
}

// simPacket is a request on its way to m.To, or (reply != nil) the reply on its way back to
// m.From, or (fail) the news that m failed, on its way to m.From.
type simPacket struct {
	seq     int
	m       Message
	life    int // the sender's life when it sent m
	reply   interface{}
	fail    bool
	noReply bool // a duplicated request: its reply goes nowhere
}

func (p simPacket) String() string {
	switch {
	case p.fail:
		return fmt.Sprintf("#%d failure of %v", p.seq, p.m)
	case p.reply != nil:
		return fmt.Sprintf("#%d reply %+v to %v", p.seq, p.reply, p.m)
	}
	return fmt.Sprintf("#%d %v", p.seq, p.m)
}

func (p simPacket) isRequest() bool { return p.reply == nil && !p.fail }

// simConfig is the test configuration of the simulated peers: heartbeats every 2 ticks,
// election timeouts of 10 to 20 ticks.
func simConfig(id, peers int) Config {
	return Config{ID: id, Peers: peers, HeartbeatTicks: 2, ElectionTicksMin: 10, ElectionTicksMax: 20, Seed: 1}
}

// newSimNet starts n empty peers with simConfig, changed by opt if non-nil.
func newSimNet(tb testing.TB, n int, opt func(*Config)) *simNet {
	tb.Helper()
	return newSimNetFrom(tb, n, opt, nil)
}

// newSimNetFrom is newSimNet with peers restored from the state and snapshot that disk
// returns for each (nil for an empty peer).
func newSimNetFrom(tb testing.TB, n int, opt func(*Config), disk func(id int) (state, snap []byte)) *simNet {
	tb.Helper()
	s := &simNet{
		tb:      tb,
		cfgs:    make([]Config, n),
		nodes:   make([]*Node, n),
		lives:   make([]int, n),
		disks:   make([]simDisk, n),
		svcs:    make([]simService, n),
		cut:     make([][]bool, n),
		leaders: map[int]int{},
		hashAt:  map[int]uint64{},
		maxTerm: make([]int, n),
		commits: make([]int, n),
		events:  make([][]Event, n),
		applied: make([][]ApplyMsg, n),
		strict:  true,
	}
	for i := range n {
		s.cut[i] = make([]bool, n)
		cfg := simConfig(i, n)
		if opt != nil {
			opt(&cfg)
		}
		cfg.ID, cfg.Peers = i, n
		cfg.SetDefaults()
		s.cfgs[i] = cfg
		d := &s.disks[i]
		if disk != nil {
			d.state, d.snap = disk(i)
		}
		var err error
		if d.st, err = decodeState(d.state); err != nil {
			tb.Fatalf("peer %d: %v", i, err)
		}
		s.start(i)
	}
	return s
}

// start boots peer id from its disk.
func (s *simNet) start(id int) {
	s.tb.Helper()
	cfg := s.cfgs[id]
	life := s.lives[id]
	cfg.Observer = func(e Event) { s.observe(id, life, e) }
	d := &s.disks[id]
	n, err := NewNode(cfg, d.state, d.snap)
	if err != nil {
		s.tb.Fatalf("peer %d: restart: %v", id, err)
	}
	s.nodes[id] = n
	s.svcs[id] = simService{}
	if len(d.snap) > 0 {
		s.svcs[id].index, s.svcs[id].hash = decodeSimSnap(s.tb, d.snap)
	}
	s.commits[id] = n.Status().CommitIndex
	if n.Term() < s.maxTerm[id] {
		s.tb.Errorf("peer %d restarted in term %d, below its earlier term %d", id, n.Term(), s.maxTerm[id])
	}
	if s.strict && n.HasReady() {
		s.tb.Errorf("peer %d: HasReady right after NewNode", id)
	}
	s.checkDurable(id)
}

func (s *simNet) observe(id, life int, e Event) {
	if life != s.lives[id] {
		s.tb.Errorf("peer %d: event from a dead life: %v", id, e)
	}
	s.events[id] = append(s.events[id], e)
	if e.Kind == EventRole && e.Role == Leader {
		if l, ok := s.leaders[e.Term]; ok && l != id {
			s.tb.Errorf("two leaders in term %d: %d and %d", e.Term, l, id)
		}
		s.leaders[e.Term] = id
	}
	if e.Term < s.maxTerm[id] {
		s.tb.Errorf("peer %d: term went down from %d to %d: %v", id, s.maxTerm[id], e.Term, e)
	}
	s.maxTerm[id] = max(s.maxTerm[id], e.Term)
	if s.tracing {
		s.logf("event %v entries=%v", e, e.Entries)
	}
}

func (s *simNet) logf(format string, args ...interface{}) {
	if s.tracing {
		s.trace = append(s.trace, fmt.Sprintf(format, args...))
	}
}

// ---- Driving ----------------------------------------------------------------------------

// tick ticks peer id once (if it is up) and carries out its Ready.
func (s *simNet) tick(id int) {
	if s.nodes[id] == nil {
		return
	}
	s.logf("tick %d", id)
	s.nodes[id].Tick()
	s.ready(id)
}

// tickAll ticks every live peer once, in id order.
func (s *simNet) tickAll() {
	for id := range s.nodes {
		s.tick(id)
	}
}

// round ticks every peer and then delivers every message, to quiescence.
func (s *simNet) round() {
	s.tickAll()
	s.flush()
}

// propose proposes cmd at peer id and carries out its Ready.
func (s *simNet) propose(id int, cmd interface{}) (index, term int, ok bool) {
	n := s.nodes[id]
	if n == nil {
		return -1, 0, false
	}
	index, term, err := n.Propose(cmd)
	s.logf("propose %d %v: %d %d %v", id, cmd, index, term, err)
	s.ready(id)
	return index, term, err == nil
}

// snapshot has peer id's service snapshot its state at its applied index.
func (s *simNet) snapshot(id int) error {
	n := s.nodes[id]
	if n == nil {
		return nil
	}
	sv := s.svcs[id]
	err := n.Snapshot(sv.index, encodeSimSnap(sv.index, sv.hash))
	s.logf("snapshot %d at %d: %v", id, sv.index, err)
	s.ready(id)
	return err
}

// crash stops peer id; its disk survives. Its packets in flight stay in flight, but replies
// to its old life go nowhere.
func (s *simNet) crash(id int) {
	s.logf("crash %d", id)
	s.nodes[id] = nil
}

// restart boots peer id again from its disk.
func (s *simNet) restart(id int) {
	s.logf("restart %d", id)
	s.lives[id]++
	s.start(id)
}

// isolate cuts every link to and from id.
func (s *simNet) isolate(id int) {
	for o := range s.cut {
		if o != id {
			s.cut[id][o], s.cut[o][id] = true, true
		}
	}
}

// partition cuts every link between peers in different groups; peers in no group are
// isolated.
func (s *simNet) partition(groups ...[]int) {
	group := make([]int, len(s.nodes))
	for i := range group {
		group[i] = -1 - i
	}
	for g, ids := range groups {
		for _, id := range ids {
			group[id] = g
		}
	}
	for a := range s.cut {
		for b := range s.cut {
			s.cut[a][b] = a != b && group[a] != group[b]
		}
	}
	s.logf("partition %v", groups)
}

// heal restores every link.
func (s *simNet) heal() {
	for a := range s.cut {
		clear(s.cut[a])
	}
	s.logf("heal")
}

func (s *simNet) push(p simPacket) {
	s.seq++
	p.seq = s.seq
	s.queue = append(s.queue, p)
}

// maxFlush bounds the deliveries of one flush. Correct code quiets within a few hundred
// (481 at most in this package's tests, a 5-peer chaos run with small messages); a broken
// core that keeps messages circulating forever fails the test within a second instead of
// after a minute of deliveries.
const maxFlush = 20_000

// flush delivers packets in FIFO order until none is left.
func (s *simNet) flush() {
	s.tb.Helper()
	for i := 0; len(s.queue) > 0; i++ {
		if i > maxFlush {
			s.tb.Fatalf("flush: still %d packets after %d deliveries: the peers never quiet down", len(s.queue), maxFlush)
		}
		s.deliver(0)
	}
}

// deliver delivers the i-th packet in flight.
func (s *simNet) deliver(i int) {
	p := s.queue[i]
	s.queue = slices.Delete(s.queue, i, i+1)
	s.deliverPacket(p)
}

// drop loses the i-th packet in flight, a request or a reply; its sender learns that the
// call failed. The news of a failure itself is never lost (the Node relies on hearing one
// outcome per message, as labrpc guarantees), so dropping it delivers it.
func (s *simNet) drop(i int) {
	p := s.queue[i]
	if p.fail {
		s.deliver(i)
		return
	}
	s.queue = slices.Delete(s.queue, i, i+1)
	s.logf("drop %v", p)
	if !p.noReply {
		s.push(simPacket{m: p.m, life: p.life, fail: true})
	}
}

// duplicate puts a copy of the i-th packet in flight. A copied request is handled twice
// but only one reply comes back (as with labrpc); a copied reply or failure is stepped
// twice, which breaks the Ready contract but must not break safety.
func (s *simNet) duplicate(i int) {
	p := s.queue[i]
	if p.isRequest() {
		p.noReply = true
	}
	s.logf("duplicate %v", p)
	s.push(p)
}

// sender returns the node a reply or failure for p goes to, or nil if that life is over.
func (s *simNet) sender(p simPacket) *Node {
	if s.lives[p.m.From] != p.life {
		return nil
	}
	return s.nodes[p.m.From]
}

func (s *simNet) deliverPacket(p simPacket) {
	s.delivered++
	s.logf("deliver %v", p)
	if s.watch != nil {
		s.watch(p)
	}
	from, to := p.m.From, p.m.To
	switch {
	case p.fail:
		if n := s.sender(p); n != nil {
			s.failed++
			n.StepFailure(p.m)
			s.ready(from)
		}
	case p.reply != nil:
		if n := s.sender(p); n != nil {
			if s.cut[to][from] {
				s.failed++
				n.StepFailure(p.m)
			} else {
				n.StepReply(p.m, p.reply)
			}
			s.ready(from)
		}
	default:
		if s.nodes[to] == nil || s.cut[from][to] {
			if !p.noReply {
				s.push(simPacket{m: p.m, life: p.life, fail: true})
			}
			return
		}
		reply := s.handle(to, p.m)
		s.ready(to) // the reply may depend on state that must be saved first
		s.checkReply(to, p.m, reply)
		if !p.noReply {
			s.push(simPacket{m: p.m, life: p.life, reply: reply})
		}
	}
	s.check()
}

// handle hands request m to peer to and returns its reply.
func (s *simNet) handle(to int, m Message) interface{} {
	n := s.nodes[to]
	switch a := m.Args.(type) {
	case *RequestVoteArgs:
		r := &RequestVoteReply{}
		n.RequestVote(a, r)
		return r
	case *AppendEntriesArgs:
		r := &AppendEntriesReply{}
		n.AppendEntries(a, r)
		return r
	case *InstallSnapshotArgs:
		r := &InstallSnapshotReply{}
		n.InstallSnapshot(a, r)
		return r
	}
	s.tb.Fatalf("unknown message %v", m)
	return nil
}

// ---- The Ready contract -----------------------------------------------------------------

// ready carries out peer id's Ready as a careful caller would: save, send, apply.
func (s *simNet) ready(id int) {
	s.tb.Helper()
	n := s.nodes[id]
	has := n.HasReady()
	rd := n.Ready()
	if s.strict && has == rd.IsEmpty() {
		s.tb.Errorf("peer %d: HasReady() = %v but Ready() = %+v", id, has, rd)
	}
	if s.tracing && !rd.IsEmpty() {
		s.logf("ready %d: state %x snapshot %x/%v", id, sha256.Sum256(rd.State.Bytes()), sha256.Sum256(rd.Snapshot), rd.Snapshot == nil)
	}
	if rd.State != nil {
		s.save(id, rd.State.Bytes(), rd.Snapshot)
	} else if rd.Snapshot != nil {
		s.tb.Errorf("peer %d: Ready has a Snapshot without a State", id)
	}
	s.checkDurable(id)
	for _, m := range rd.Messages {
		s.logf("send %v %+v", m, m.Args)
		if m.From != id || m.To == id || m.To < 0 || m.To >= len(s.nodes) {
			s.tb.Errorf("peer %d: bad message %v", id, m)
			continue
		}
		s.checkMessage(id, m)
		if a, ok := m.Args.(*AppendEntriesArgs); ok && len(a.Entries) > 0 {
			s.sent = append(s.sent, simSentEntries{a.Entries, slices.Clone(a.Entries)})
			if len(s.sent) > 32 {
				s.sent = slices.Delete(s.sent, 0, len(s.sent)-32)
			}
		}
		s.push(simPacket{m: m, life: s.lives[id]})
	}
	for _, a := range rd.Apply {
		s.logf("apply %d %+v", id, a)
		s.apply(id, a)
	}
	if s.strict && n.HasReady() {
		s.tb.Errorf("peer %d: HasReady right after Ready", id)
	}
}

func (s *simNet) save(id int, state, snap []byte) {
	d := &s.disks[id]
	for _, sv := range d.saved {
		if !bytes.Equal(sv.got, sv.want) {
			s.tb.Errorf("peer %d: a saved State or Snapshot changed after Ready handed it out", id)
		}
	}
	st, err := decodeState(state)
	if err != nil {
		s.tb.Errorf("peer %d: Ready's State does not decode: %v", id, err)
		return
	}
	d.state, d.st = state, st
	d.saved = append(d.saved, simSaved{state, bytes.Clone(state)})
	if snap != nil {
		d.snap = snap
		d.saved = append(d.saved, simSaved{snap, bytes.Clone(snap)})
	}
	if len(d.saved) > 8 {
		d.saved = slices.Delete(d.saved, 0, len(d.saved)-8)
	}
}

// checkDurable checks that peer id's disk holds exactly its persistent state.
func (s *simNet) checkDurable(id int) {
	s.tb.Helper()
	n, st := s.nodes[id], s.disks[id].st
	ns := n.Status()
	if st.term != ns.Term || st.votedFor != ns.VotedFor || st.snapIndex != ns.SnapshotIndex || st.snapTerm != ns.SnapshotTerm || st.snapIndex+len(st.entries) != ns.LastIndex {
		s.tb.Errorf("peer %d: saved term %d vote %d snapshot %d/%d last %d, but the node has term %d vote %d snapshot %d/%d last %d",
			id, st.term, st.votedFor, st.snapIndex, st.snapTerm, st.snapIndex+len(st.entries),
			ns.Term, ns.VotedFor, ns.SnapshotIndex, ns.SnapshotTerm, ns.LastIndex)
		return
	}
	if es := n.Entries(ns.FirstIndex, ns.LastIndex); !simEntriesEqual(es, st.entries) {
		s.tb.Errorf("peer %d: saved log %v, node's log %v", id, st.entries, es)
	}
	if !bytes.Equal(s.disks[id].snap, n.SnapshotData()) {
		s.tb.Errorf("peer %d: saved snapshot %x, node's %x", id, s.disks[id].snap, n.SnapshotData())
	}
}

func simEntriesEqual(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Term != b[i].Term || !reflect.DeepEqual(a[i].Command, b[i].Command) {
			return false
		}
	}
	return true
}

// durableTerm returns the term of index i in id's saved log, and false if it holds
// neither that entry nor a snapshot covering it.
func (s *simNet) durableTerm(id, i int) (int, bool) {
	st := s.disks[id].st
	switch {
	case i == st.snapIndex:
		return st.snapTerm, true
	case i < st.snapIndex:
		return 0, true // covered by the snapshot: committed, so it matches
	case i > st.snapIndex+len(st.entries):
		return 0, false
	}
	return st.entries[i-st.snapIndex-1].Term, true
}

// checkMessage checks that m, just handed out by peer id, depends only on saved state.
func (s *simNet) checkMessage(id int, m Message) {
	st := s.disks[id].st
	switch a := m.Args.(type) {
	case *RequestVoteArgs:
		if a.PreVote {
			if a.Term != st.term+1 {
				s.tb.Errorf("peer %d: pre-vote for term %d with saved term %d", id, a.Term, st.term)
			}
		} else if a.Term != st.term || st.votedFor != id {
			s.tb.Errorf("peer %d: RequestVote for term %d with saved term %d vote %d", id, a.Term, st.term, st.votedFor)
		}
		if a.LastLogIndex != st.snapIndex+len(st.entries) {
			s.tb.Errorf("peer %d: RequestVote claims last index %d, saved %d", id, a.LastLogIndex, st.snapIndex+len(st.entries))
		}
	case *AppendEntriesArgs:
		if a.Term != st.term {
			s.tb.Errorf("peer %d: AppendEntries in term %d with saved term %d", id, a.Term, st.term)
		}
		for i, e := range a.Entries {
			if t, ok := s.durableTerm(id, a.PrevLogIndex+1+i); !ok || (t != e.Term && a.PrevLogIndex+1+i > st.snapIndex) {
				s.tb.Errorf("peer %d: sends entry %d (term %d) it has not saved", id, a.PrevLogIndex+1+i, e.Term)
			}
		}
	case *InstallSnapshotArgs:
		if a.Term != st.term || a.LastIncludedIndex > st.snapIndex {
			s.tb.Errorf("peer %d: InstallSnapshot %d in term %d, saved term %d snapshot %d", id, a.LastIncludedIndex, a.Term, st.term, st.snapIndex)
		}
	}
}

// checkReply checks that peer id's reply to m depends only on its saved state.
func (s *simNet) checkReply(id int, m Message, reply interface{}) {
	st := s.disks[id].st
	var term int
	switch r := reply.(type) {
	case *RequestVoteReply:
		term = r.Term
		if a := m.Args.(*RequestVoteArgs); r.VoteGranted && !a.PreVote && (st.votedFor != a.CandidateID || st.term != a.Term) {
			s.tb.Errorf("peer %d: granted a vote to %d in term %d, but saved vote %d term %d", id, a.CandidateID, a.Term, st.votedFor, st.term)
		}
	case *AppendEntriesReply:
		term = r.Term
		a := m.Args.(*AppendEntriesArgs)
		if r.Success {
			for i := -1; i < len(a.Entries); i++ {
				idx, want := a.PrevLogIndex+1+i, a.PrevLogTerm
				if i >= 0 {
					want = a.Entries[i].Term
				}
				if t, ok := s.durableTerm(id, idx); !ok || (idx > st.snapIndex && t != want) {
					s.tb.Errorf("peer %d: acknowledged entry %d (term %d) of %v it has not saved", id, idx, want, m)
					break
				}
			}
		}
	case *InstallSnapshotReply:
		term = r.Term
	}
	if term != st.term {
		s.tb.Errorf("peer %d: replies to %v with term %d, saved term %d", id, m, term, st.term)
	}
}

// apply is peer id's service taking a.
func (s *simNet) apply(id int, a ApplyMsg) {
	s.applied[id] = append(s.applied[id], a)
	sv := &s.svcs[id]
	switch {
	case a.SnapshotValid && a.CommandValid:
		s.tb.Errorf("peer %d: ApplyMsg is both a command and a snapshot: %+v", id, a)
	case a.SnapshotValid:
		idx, h := decodeSimSnap(s.tb, a.Snapshot)
		if idx != a.SnapshotIndex {
			s.tb.Errorf("peer %d: snapshot data is at %d but SnapshotIndex is %d", id, idx, a.SnapshotIndex)
		}
		if a.SnapshotIndex <= sv.index {
			s.tb.Errorf("peer %d: applies snapshot %d after applying %d", id, a.SnapshotIndex, sv.index)
		}
		if st := s.disks[id].st; st.snapIndex < a.SnapshotIndex || !bytes.Equal(s.disks[id].snap, a.Snapshot) {
			s.tb.Errorf("peer %d: applies snapshot %d before saving it (saved snapshot %d)", id, a.SnapshotIndex, st.snapIndex)
		}
		if want, ok := s.hashAt[idx]; ok && want != h {
			s.tb.Errorf("peer %d: installs a snapshot at %d that differs from what others applied", id, idx)
		}
		sv.index, sv.hash = idx, h
	case a.CommandValid:
		if a.CommandIndex != sv.index+1 {
			s.tb.Errorf("peer %d: applies %d after %d", id, a.CommandIndex, sv.index)
		}
		if t, ok := s.durableTerm(id, a.CommandIndex); !ok || (a.CommandIndex > s.disks[id].st.snapIndex && t != a.CommandTerm) {
			s.tb.Errorf("peer %d: applies entry %d (term %d) it has not saved", id, a.CommandIndex, a.CommandTerm)
		}
		sv.index, sv.hash = a.CommandIndex, simHash(sv.hash, a.Command)
		if want, ok := s.hashAt[sv.index]; ok && want != sv.hash {
			s.tb.Errorf("peer %d: applies %v at %d, which differs from what another peer applied there", id, a.Command, sv.index)
		}
		s.hashAt[sv.index] = sv.hash
	default:
		s.tb.Errorf("peer %d: empty ApplyMsg %+v", id, a)
	}
}

func simHash(h uint64, cmd interface{}) uint64 {
	f := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], h)
	f.Write(b[:])
	fmt.Fprintf(f, "%T:%v", cmd, cmd)
	return f.Sum64()
}

func encodeSimSnap(index int, h uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(index))
	return binary.LittleEndian.AppendUint64(b, h)
}

func decodeSimSnap(tb testing.TB, b []byte) (int, uint64) {
	if len(b) != 16 {
		tb.Errorf("snapshot of %d bytes, want 16", len(b))
		return 0, 0
	}
	return int(binary.LittleEndian.Uint64(b)), binary.LittleEndian.Uint64(b[8:])
}

// check checks the invariants that span peers.
func (s *simNet) check() {
	s.tb.Helper()
	for _, se := range s.sent {
		if !simEntriesEqual(se.got, se.want) {
			s.tb.Errorf("entries of a message changed after it was sent: %v, were %v", se.got, se.want)
		}
	}
	for id, n := range s.nodes {
		if n == nil {
			continue
		}
		ns := n.Status()
		if ns.CommitIndex < s.commits[id] {
			s.tb.Errorf("peer %d: commitIndex went down from %d to %d", id, s.commits[id], ns.CommitIndex)
		}
		s.commits[id] = ns.CommitIndex
		if ns.LastApplied > ns.CommitIndex || ns.CommitIndex > ns.LastIndex || ns.SnapshotIndex > ns.LastApplied {
			s.tb.Errorf("peer %d: want snapshot %d <= applied %d <= commit %d <= last %d", id, ns.SnapshotIndex, ns.LastApplied, ns.CommitIndex, ns.LastIndex)
		}
		if ns.Role != Leader {
			continue
		}
		for p, pr := range ns.Progress {
			if pr.Inflight > s.cfgs[id].MaxInflight {
				s.tb.Errorf("leader %d: %d messages in flight to %d", id, pr.Inflight, p)
			}
			if p == id {
				continue
			}
			if pr.Next <= pr.Match {
				s.tb.Errorf("leader %d: peer %d has next %d <= match %d", id, p, pr.Next, pr.Match)
			}
			f := s.nodes[p]
			if f == nil || pr.Match == 0 || f.Term() != ns.Term {
				continue
			}
			fs := f.Status()
			if pr.Match > fs.LastIndex {
				s.tb.Errorf("leader %d (term %d): match %d for peer %d, whose log ends at %d", id, ns.Term, pr.Match, p, fs.LastIndex)
				continue
			}
			lt, ft := ns.TermAt(pr.Match), fs.TermAt(pr.Match)
			if lt != 0 && ft != 0 && lt != ft {
				s.tb.Errorf("leader %d: match %d for peer %d, whose entry there has term %d, not %d", id, pr.Match, p, ft, lt)
			}
		}
	}
}

// ---- Queries ----------------------------------------------------------------------------

// leader returns the live leader with the highest term, or None.
func (s *simNet) leader() int {
	best := None
	for id, n := range s.nodes {
		if n != nil && n.Role() == Leader && (best == None || n.Term() > s.nodes[best].Term()) {
			best = id
		}
	}
	return best
}

// runUntil runs rounds until cond holds, for at most rounds rounds, and reports whether it
// came to hold.
func (s *simNet) runUntil(rounds int, cond func() bool) bool {
	for range rounds {
		if cond() {
			return true
		}
		s.round()
	}
	return cond()
}

// electLeader runs rounds until there is a leader and returns it, failing the test if
// none emerges within 50 election timeouts.
func (s *simNet) electLeader() int {
	s.tb.Helper()
	if !s.runUntil(50*s.cfgs[0].ElectionTicksMax, func() bool { return s.leader() != None }) {
		s.tb.Fatalf("no leader after %d rounds", 50*s.cfgs[0].ElectionTicksMax)
	}
	return s.leader()
}

// campaign ticks peer id alone until it starts a new election (or pre-vote), then
// delivers everything.
func (s *simNet) campaign(id int) {
	s.tb.Helper()
	started := func() int {
		k := 0
		for _, e := range s.events[id] {
			if e.Kind == EventRole && (e.Role == Candidate || e.Role == PreCandidate) {
				k++
			}
		}
		return k
	}
	before := started()
	for i := 0; started() == before; i++ {
		if i > 10*s.cfgs[id].ElectionTicksMax {
			s.tb.Fatalf("peer %d does not campaign (%v)", id, s.nodes[id].Role())
		}
		s.tick(id)
	}
	s.flush()
}

// heartbeat ticks peer id alone until it has sent one round of heartbeats, then delivers
// everything.
func (s *simNet) heartbeat(id int) {
	for range s.cfgs[id].HeartbeatTicks {
		s.tick(id)
	}
	s.flush()
}

// commandsOf returns the commands peer id applied, by index, over all its lives (a later
// life re-applies what an earlier one did; the last application wins).
func (s *simNet) commandsOf(id int) map[int]interface{} {
	out := map[int]interface{}{}
	for _, a := range s.applied[id] {
		if a.CommandValid {
			out[a.CommandIndex] = a.Command
		}
	}
	return out
}

// ---- Random faults ----------------------------------------------------------------------

// simChaos drives a simNet with random steps from a seeded source.
type simChaos struct {
	s   *simNet
	rng *rand.Rand
	// dupReplies also duplicates replies, which labrpc never does.
	dupReplies bool
	// crashes allows crashing and restarting peers.
	crashes bool
	// snapshots has services snapshot now and then.
	snapshots bool
	proposals int
}

// step takes one random step: deliver, drop or duplicate a packet, tick a peer, propose,
// snapshot, crash or restart a peer, or change the partition.
func (c *simChaos) step() {
	s, r := c.s, c.rng
	switch k := r.IntN(1000); {
	case k < 550 && len(s.queue) > 0:
		// Mostly in order, sometimes out of order.
		i := 0
		if r.IntN(4) == 0 {
			i = r.IntN(len(s.queue))
		}
		s.deliver(i)
	case k < 590 && len(s.queue) > 0:
		s.drop(r.IntN(len(s.queue)))
	case k < 610 && len(s.queue) > 0:
		i := r.IntN(len(s.queue))
		if c.dupReplies || s.queue[i].isRequest() {
			s.duplicate(i)
		}
	case k < 860:
		s.tick(r.IntN(len(s.nodes)))
	case k < 950:
		// Any peer that believes it leads, stale or not: stale leaders' entries are
		// what later leaders must overwrite.
		var leaders []int
		for id, n := range s.nodes {
			if n != nil && n.Role() == Leader {
				leaders = append(leaders, id)
			}
		}
		if len(leaders) > 0 {
			c.proposals++
			s.propose(leaders[r.IntN(len(leaders))], c.proposals)
		}
	case k < 980:
		if c.snapshots {
			id := r.IntN(len(s.nodes))
			if n := s.nodes[id]; n != nil && s.svcs[id].index > n.Status().SnapshotIndex {
				if err := s.snapshot(id); err != nil {
					s.tb.Errorf("peer %d: Snapshot(%d): %v", id, s.svcs[id].index, err)
				}
			}
		}
	case k < 996:
		if c.crashes {
			id := r.IntN(len(s.nodes))
			if s.nodes[id] == nil {
				s.restart(id)
			} else {
				down := 0
				for _, n := range s.nodes {
					if n == nil {
						down++
					}
				}
				if down < (len(s.nodes)-1)/2 {
					s.crash(id)
				}
			}
		}
	default:
		switch r.IntN(3) {
		case 0:
			s.heal()
		case 1:
			var a, b []int
			for id := range s.nodes {
				if r.IntN(2) == 0 {
					a = append(a, id)
				} else {
					b = append(b, id)
				}
			}
			s.partition(a, b)
		case 2:
			// Strand the leader in a minority, where it keeps taking proposals.
			l := s.leader()
			if l == None {
				break
			}
			a := []int{l}
			var b []int
			for _, id := range r.Perm(len(s.nodes)) {
				if id != l && len(a) < (len(s.nodes)-1)/2 {
					a = append(a, id)
				} else if id != l {
					b = append(b, id)
				}
			}
			s.partition(a, b)
		}
	}
}

// settle heals everything, restarts crashed peers and runs until a leader commits cmd
// and every peer applies it, failing the test if that takes too long.
func (c *simChaos) settle(cmd interface{}) {
	s := c.s
	s.tb.Helper()
	s.heal()
	for id, n := range s.nodes {
		if n == nil {
			s.restart(id)
		}
	}
	s.flush()
	limit := 200 * s.cfgs[0].ElectionTicksMax
	for r := 0; r < limit; {
		l := s.electLeader()
		index, term, ok := s.propose(l, cmd)
		if !ok {
			continue
		}
		for ; r < limit; r++ {
			s.round()
			done := true
			for id := range s.nodes {
				done = done && s.svcs[id].index >= index
			}
			if done && s.commandsOf(l)[index] == cmd {
				return
			}
			if done || s.nodes[l].Role() != Leader || s.nodes[l].Term() != term {
				break // lost, or overwritten: propose again
			}
		}
	}
	for id, n := range s.nodes {
		s.tb.Logf("peer %d: %+v", id, n.Status())
	}
	s.tb.Fatalf("no progress after healing: %v not applied everywhere within %d rounds", cmd, limit)
}

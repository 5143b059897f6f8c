// Package sim is the deterministic chaos engine: raft.Node peers driven by one goroutine
// over a simulated network in virtual time.
//
// Everything that happens is an item in one time-ordered queue (a peer's clock tick, a
// request or reply arriving, a call failing), and every random choice comes from one
// source seeded by the cluster's seed. So a seed and the same sequence of calls on the
// Cluster give the same events, byte for byte, and a run computes as fast as the host
// allows: many thousand times real time for a small cluster.
//
// The network follows labrpc's semantics where they matter to Raft: a lost request or a
// request to a crashed peer makes the call fail after up to 100 ms, a lost reply makes
// it fail when the reply would have arrived, a paused peer holds what is sent to it.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/engine"
	"github.com/miniraft/miniraft/raft"
)

// Network timing. Every message takes BaseLatency plus up to Jitter, plus the link's
// configured delay, plus, when reordered, an extra hold in ReorderMin..ReorderMax. A call
// that cannot be delivered fails after up to FailWait, as labrpc's do.
const (
	BaseLatency = 500 * time.Microsecond
	Jitter      = 1000 * time.Microsecond
	ReorderMin  = 25 * time.Millisecond
	ReorderMax  = 250 * time.Millisecond
	FailWait    = 100 * time.Millisecond
)

// How often RunUntil evaluates its condition, in cluster time.
const checkEvery = time.Millisecond

type itemKind uint8

const (
	itemTick itemKind = iota
	itemRequest
	itemReply
	itemFailure
)

// item is one scheduled happening.
type item struct {
	at   time.Duration
	seq  uint64
	kind itemKind
	peer int // for ticks: the peer; for the rest: see msg
	life int // the life of the peer the item is for (ticks, replies, failures)
	call uint64
	dup  bool // a duplicate request: its reply is not sent
	msg  raft.Message
	rep  interface{}
}

// peer is one simulated server: a Node while up, and its "disk" always.
type peer struct {
	id    int
	life  int
	node  *raft.Node // nil while crashed
	state chaos.PeerState
	rate  float64
	svc   chaos.Service
	last  raft.Status // the status at the crash, shown while crashed

	// disk holds what the peer persisted. It keeps the node's PersistentState as it is,
	// sharing its encoded log: O(1) per save.
	disk *raft.Persister

	held    []item // deliveries that arrived while paused
	ticking bool   // a tick is scheduled for this life
}

// Cluster is a simulated cluster. It is safe for concurrent use, but nothing happens
// unless RunFor or RunUntil is called; while they run they hold the cluster's lock, in
// slices, so Peers and the rest interleave with them.
type Cluster struct {
	cfg  chaos.ClusterConfig
	tick time.Duration
	bus  *chaos.Bus
	now  atomic.Int64 // the virtual time, readable without mu (for the bus clock)

	mu      sync.Mutex
	queue   []key  // a binary min-heap on (at, seq) of the scheduled items
	items   []item // the scheduled items, indexed by key.slot
	free    []int32
	seq     uint64
	rng     *rand.Rand
	peers   []*peer
	net     chaos.NetState
	stats   chaos.NetStats
	callID  uint64
	paused  bool
	resumed chan struct{} // closed when the cluster is resumed or stopped
	stopped bool

	// reactMu guards the functions React queued (see React), and whether one goroutine
	// is running them.
	reactMu   sync.Mutex
	reactions []func()
	reacting  bool
	pending   atomic.Bool // reactions is not empty
}

// New starts a simulated cluster as cfg says. All peers start up, with empty state.
func New(cfg chaos.ClusterConfig) (*Cluster, error) {
	if cfg.Peers < 1 || cfg.Peers > chaos.MaxPeers {
		return nil, fmt.Errorf("sim: %d peers; want 1..%d", cfg.Peers, chaos.MaxPeers)
	}
	rc := cfg.Raft
	rc.ID, rc.Peers, rc.Observer = 0, cfg.Peers, nil
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	c := &Cluster{
		cfg:   cfg,
		tick:  raft.DefaultConfig(0, 1).TickInterval,
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5349_4d4e_4554)),
		net:   chaos.NewNetState(cfg.Peers),
		peers: make([]*peer, cfg.Peers),
	}
	if cfg.Raft.TickInterval > 0 {
		c.tick = cfg.Raft.TickInterval
	}
	c.bus = chaos.NewBus(func() time.Duration { return time.Duration(c.now.Load()) })
	cfg.Attach(c.bus)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.peers {
		c.peers[i] = &peer{id: i, rate: 1, disk: raft.MakePersister()}
	}
	for _, p := range c.peers {
		if err := c.boot(p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// boot starts p's next life from its disk. c.mu must be held.
func (c *Cluster) boot(p *peer) error {
	rc := c.cfg.Raft
	rc.ID, rc.Peers = p.id, c.cfg.Peers
	rc.Seed = engine.PeerSeed(c.cfg.Seed, p.id, p.life)
	rc.Observer = func(e raft.Event) {
		if !c.bus.Wants(chaos.EventRaft) {
			c.bus.Skip() // number the events as a run that publishes them does
			return
		}
		c.bus.Publish(chaos.Event{Kind: chaos.EventRaft, Peer: e.Peer, Raft: &e})
	}
	p.life++
	snap := p.disk.ReadSnapshot()
	node, err := raft.NewNode(rc, p.disk.ReadRaftState(), snap)
	if err != nil {
		return fmt.Errorf("sim: peer %d: %w", p.id, err)
	}
	svc := c.cfg.Service(p.id)
	if s, ok := svc.(chaos.StateSizer); ok {
		s.SetStateSize(p.disk.RaftStateSize)
	}
	if err := engine.Restore(svc, p.id, node.Status().SnapshotIndex, snap); err != nil {
		c.violation(p.id, err.Error())
		return fmt.Errorf("sim: %w", err)
	}
	p.node, p.svc, p.state, p.held = node, svc, chaos.Up, nil
	// Peers' clocks start out of phase, as real ones would.
	c.scheduleTick(p, time.Duration(c.rng.Int64N(int64(c.tickOf(p))))+1)
	return nil
}

func (c *Cluster) tickOf(p *peer) time.Duration {
	return time.Duration(float64(c.tick) / p.rate)
}

func (c *Cluster) scheduleTick(p *peer, after time.Duration) {
	p.ticking = true
	c.push(item{at: c.nowD() + after, kind: itemTick, peer: p.id, life: p.life})
}

func (c *Cluster) nowD() time.Duration { return time.Duration(c.now.Load()) }

// ---- The queue ----------------------------------------------------------------------------

// key orders a scheduled item in the queue. The heap moves only keys, which hold no
// pointers, so sifting costs no write barriers; the items stay put in c.items.
type key struct {
	at   time.Duration
	seq  uint64
	slot int32
}

func (c *Cluster) push(it item) {
	c.seq++
	it.seq = c.seq
	var slot int32
	if n := len(c.free); n > 0 {
		slot = c.free[n-1]
		c.free = c.free[:n-1]
		c.items[slot] = it
	} else {
		slot = int32(len(c.items))
		c.items = append(c.items, it)
	}
	q := append(c.queue, key{at: it.at, seq: it.seq, slot: slot})
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !less(&q[i], &q[parent]) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
	c.queue = q
}

func less(a, b *key) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (c *Cluster) pop() item {
	q := c.queue
	slot := q[0].slot
	top := c.items[slot]
	c.items[slot] = item{}
	c.free = append(c.free, slot)
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && less(&q[l], &q[m]) {
			m = l
		}
		if r < len(q) && less(&q[r], &q[m]) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	c.queue = q
	return top
}

// ---- Processing ---------------------------------------------------------------------------

// step carries out one item. c.mu must be held.
func (c *Cluster) step(it item) {
	c.now.Store(int64(it.at))
	switch it.kind {
	case itemTick:
		p := c.peers[it.peer]
		if p.life != it.life || p.node == nil {
			return
		}
		if p.state == chaos.Paused {
			p.ticking = false
			return
		}
		p.node.Tick()
		c.ready(p)
		if p.node != nil { // not crashed by a torn save
			c.scheduleTick(p, c.tickOf(p))
		}
	case itemRequest:
		c.deliver(it)
	case itemReply, itemFailure:
		p := c.peers[it.msg.From]
		if p.life != it.life || p.node == nil {
			return // the caller crashed since: nobody is waiting
		}
		if p.state == chaos.Paused {
			p.held = append(p.held, it)
			return
		}
		if it.kind == itemReply {
			c.netEvent(chaos.NetReplied, it, 0, "")
			p.node.StepReply(it.msg, it.rep)
		} else {
			c.netEvent(chaos.NetFailed, it, 0, "no reply")
			p.node.StepFailure(it.msg)
		}
		c.ready(p)
	}
}

// deliver hands a request to its peer and sends the reply back. c.mu must be held.
func (c *Cluster) deliver(it item) {
	m := it.msg
	p := c.peers[m.To]
	if p.node == nil {
		c.netEvent(chaos.NetDropped, it, 0, "peer crashed")
		if !it.dup { // nobody waits on a duplicate: failing it too would fail the call twice
			c.failLater(it)
		}
		return
	}
	if p.state == chaos.Paused {
		p.held = append(p.held, it)
		return
	}
	c.netEvent(chaos.NetDelivered, it, 0, "")
	rep := m.NewReply()
	switch a := m.Args.(type) {
	case *raft.RequestVoteArgs:
		p.node.RequestVote(a, rep.(*raft.RequestVoteReply))
	case *raft.AppendEntriesArgs:
		p.node.AppendEntries(a, rep.(*raft.AppendEntriesReply))
	case *raft.InstallSnapshotArgs:
		p.node.InstallSnapshot(a, rep.(*raft.InstallSnapshotReply))
	}
	c.ready(p)
	if it.dup {
		return
	}
	if p.node == nil { // crashed while handling it (a torn save): no reply
		c.failLater(it)
		return
	}
	back := item{kind: itemReply, life: it.life, call: it.call, msg: m, rep: rep}
	if c.lost(m.To, m.From) || c.replyLost(m.To, m.From) {
		c.netEvent(chaos.NetDropped, back, 0, "reply lost")
		back.kind = itemFailure
	}
	back.at = c.nowD() + c.delay(m.To, m.From) + c.replyDelay(m.To, m.From)
	c.push(back)
	if d := c.net.Links[m.To][m.From].Replies.Duplicate; back.kind == itemReply && d > 0 && c.rng.Float64() < d {
		c.netEvent(chaos.NetDuplicated, back, 0, "reply")
		dup := back
		dup.rep = copyReply(rep)
		dup.at = c.nowD() + c.delay(m.To, m.From) + c.replyDelay(m.To, m.From)
		c.push(dup)
	}
}

// copyReply returns a copy of a reply, so that a duplicate shares nothing with the
// original.
func copyReply(rep interface{}) interface{} {
	switch r := rep.(type) {
	case *raft.RequestVoteReply:
		c := *r
		return &c
	case *raft.AppendEntriesReply:
		c := *r
		return &c
	case *raft.InstallSnapshotReply:
		c := *r
		return &c
	}
	return rep
}

// ready carries out p's Ready: save, send, apply, until the node has nothing more.
// c.mu must be held.
func (c *Cluster) ready(p *peer) {
	for p.node != nil && p.node.HasReady() {
		rd := p.node.Ready()
		if rd.IsEmpty() {
			// HasReady and Ready disagree (a bug in the core): stop here rather than
			// spin for ever inside one event of the simulation.
			break
		}
		p.disk.SaveReady(rd)
		if p.node == nil {
			return // the save was torn and the peer crashed: nothing more leaves it
		}
		for _, m := range rd.Messages {
			c.send(p, m)
		}
		// The service asks to compact: the Node refuses only indexes it can't use.
		compact := func(index int, snap []byte) { _ = p.node.Snapshot(index, snap) }
		for _, a := range rd.Apply {
			c.delivered(p.id, a)
			if msg := engine.Serve(p.svc, p.id, a, compact); msg != "" {
				c.violation(p.id, msg)
			}
		}
	}
}

// delivered publishes what peer's service is handed, if anyone listens. c.mu must be
// held.
func (c *Cluster) delivered(peer int, a raft.ApplyMsg) {
	if !c.bus.Wants(chaos.EventDeliver) {
		c.bus.Skip() // number the events as a run that publishes them does
		return
	}
	c.bus.Publish(chaos.Event{Kind: chaos.EventDeliver, Peer: peer, Deliver: engine.Delivery(a)})
}

func (c *Cluster) violation(peer int, msg string) {
	engine.ServiceViolation(c.bus, peer, c.nowD(), msg)
}

// send puts a request from p on the network. c.mu must be held.
func (c *Cluster) send(p *peer, m raft.Message) {
	c.callID++
	it := item{kind: itemRequest, life: p.life, call: c.callID, msg: m}
	c.stats.RPCs++
	c.stats.Bytes += int64(size(m.Args))
	c.netEvent(chaos.NetSent, it, size(m.Args), "")
	if c.lost(m.From, m.To) {
		c.netEvent(chaos.NetDropped, it, 0, "request lost")
		c.failLater(it)
		return
	}
	it.at = c.nowD() + c.delay(m.From, m.To)
	c.push(it)
	if d := c.net.Links[m.From][m.To].Duplicate; d > 0 && c.rng.Float64() < d {
		c.netEvent(chaos.NetDuplicated, it, 0, "")
		dup := it
		dup.dup = true
		dup.at = c.nowD() + c.delay(m.From, m.To)
		c.push(dup)
	}
}

// failLater makes the call of request it fail after up to FailWait. c.mu must be held.
func (c *Cluster) failLater(it item) {
	it.kind = itemFailure
	it.at = c.nowD() + time.Duration(c.rng.Int64N(int64(FailWait)))
	c.push(it)
}

// lost decides whether a message from a to b is lost. c.mu must be held.
func (c *Cluster) lost(a, b int) bool {
	if c.net.Cut[a][b] {
		return true
	}
	l := c.net.Links[a][b].Loss
	return l > 0 && c.rng.Float64() < l
}

// replyLost decides whether a reply from a to b is lost by the link's setting for
// replies (on top of lost). c.mu must be held.
func (c *Cluster) replyLost(a, b int) bool {
	l := c.net.Links[a][b].Replies.Loss
	return l > 0 && c.rng.Float64() < l
}

// replyDelay decides the extra delay of a reply from a to b by the link's settings for
// replies (on top of delay). c.mu must be held.
func (c *Cluster) replyDelay(a, b int) time.Duration {
	rf := &c.net.Links[a][b].Replies
	var d time.Duration
	if rf.DelayMax > 0 {
		d += rf.DelayMin + time.Duration(c.rng.Int64N(int64(rf.DelayMax-rf.DelayMin)+1))
	}
	if rf.Reorder > 0 && c.rng.Float64() < rf.Reorder {
		d += ReorderMin + time.Duration(c.rng.Int64N(int64(ReorderMax-ReorderMin)))
	}
	return d
}

// delay decides how long a message from a to b takes. c.mu must be held.
func (c *Cluster) delay(a, b int) time.Duration {
	lf := &c.net.Links[a][b]
	d := BaseLatency + time.Duration(c.rng.Int64N(int64(Jitter)))
	if lf.DelayMax > 0 {
		d += lf.DelayMin + time.Duration(c.rng.Int64N(int64(lf.DelayMax-lf.DelayMin)+1))
	}
	if lf.Reorder > 0 && c.rng.Float64() < lf.Reorder {
		d += ReorderMin + time.Duration(c.rng.Int64N(int64(ReorderMax-ReorderMin)))
	}
	return d
}

// netEvent publishes a message event, if anyone listens. c.mu must be held.
func (c *Cluster) netEvent(kind chaos.NetEventKind, it item, bytes int, reason string) {
	if !c.bus.Wants(chaos.EventNet) {
		c.bus.Skip() // number the events as a traced run does
		return
	}
	ne := &chaos.NetEvent{Kind: kind, ID: it.call, From: it.msg.From, To: it.msg.To, Method: it.msg.Method(), Bytes: bytes, Reason: reason}
	switch kind {
	case chaos.NetSent:
		ne.Msg = chaos.DescribeRequest(ne.Method, it.msg.Args)
	case chaos.NetReplied:
		ne.Msg = chaos.DescribeReply(ne.Method, it.msg.Args, it.rep)
	}
	c.bus.Publish(chaos.Event{Kind: chaos.EventNet, Peer: it.msg.From, Net: ne})
}

// size estimates the bytes a message takes on the wire.
func size(args interface{}) int {
	const header = 48
	switch a := args.(type) {
	case *raft.AppendEntriesArgs:
		n := header
		for _, e := range a.Entries {
			n += 4
			switch c := e.Command.(type) {
			case string:
				n += len(c)
			case []byte:
				n += len(c)
			default:
				n += 8
			}
		}
		return n
	case *raft.InstallSnapshotArgs:
		return header + len(a.Data)
	}
	return header
}

// ---- chaos.Cluster ---------------------------------------------------------------------------

// Engine returns "sim".
func (c *Cluster) Engine() string { return "sim" }

// Config returns the cluster's configuration.
func (c *Cluster) Config() chaos.ClusterConfig { return c.cfg }

// Now returns the virtual time.
func (c *Cluster) Now() time.Duration { return c.nowD() }

// Events returns the cluster's event bus.
func (c *Cluster) Events() *chaos.Bus { return c.bus }

// Peers returns every peer's status.
func (c *Cluster) Peers() []chaos.PeerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peersLocked()
}

// peersLocked is Peers. c.mu must be held.
func (c *Cluster) peersLocked() []chaos.PeerStatus {
	out := make([]chaos.PeerStatus, len(c.peers))
	for i, p := range c.peers {
		ps := chaos.PeerStatus{State: p.state, ClockRate: p.rate}
		if p.node != nil {
			ps.Status = p.node.Status()
		} else {
			ps.Status = p.last
		}
		out[i] = ps
	}
	return out
}

// Network returns the network's state.
func (c *Cluster) Network() chaos.NetState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.net.Clone()
}

// Stats returns network totals. Bytes are estimated from the messages' content.
func (c *Cluster) Stats() chaos.NetStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Do applies a fault.
func (c *Cluster) Do(f chaos.Fault) error {
	if err := f.Validate(c.cfg.Peers); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.unlock()
	if c.stopped {
		return chaos.ErrStopped
	}
	switch f.Kind {
	case chaos.Crash:
		for _, id := range f.Peers {
			c.crash(c.peers[id])
		}
	case chaos.Tear:
		for _, id := range f.Peers {
			if p := c.peers[id]; p.node != nil {
				life := p.life
				p.disk.Tear(func() { c.torn(p, life) })
			}
		}
	case chaos.Restart:
		// The fault comes before the events of the lives it starts: cause, then effect.
		c.bus.Publish(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &f, Text: f.String()})
		for _, id := range f.Peers {
			if p := c.peers[id]; p.node == nil {
				if err := c.boot(p); err != nil {
					return err
				}
			}
		}
		return nil
	case chaos.Pause:
		for _, id := range f.Peers {
			if p := c.peers[id]; p.state == chaos.Up {
				p.state = chaos.Paused
			}
		}
	case chaos.Resume:
		for _, id := range f.Peers {
			c.resume(c.peers[id])
		}
	case chaos.Skew:
		for _, id := range f.Peers {
			c.peers[id].rate = f.Rate
		}
	case chaos.Reset:
		for _, p := range c.peers {
			p.rate = 1
		}
		c.net.Apply(f)
	default:
		c.net.Apply(f)
	}
	c.bus.Publish(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &f, Text: f.String()})
	return nil
}

// crash stops p, keeping its disk. c.mu must be held.
func (c *Cluster) crash(p *peer) {
	if p.node == nil {
		return
	}
	p.last = p.node.Status()
	p.last.Role, p.last.Leader, p.last.Progress = raft.Follower, raft.None, nil
	for _, it := range p.held {
		if it.kind == itemRequest && !it.dup {
			c.failLater(it) // callers waiting on the paused peer now see it gone
		}
	}
	p.node, p.svc, p.held, p.state = nil, nil, nil, chaos.Crashed
	p.disk.Tear(nil) // a tear is armed for one life
}

// torn crashes p, whose disk was armed by a tear in life and has just torn a save in
// two: it runs inside the save, from ready. c.mu must be held.
func (c *Cluster) torn(p *peer, life int) {
	if p.life != life || p.node == nil {
		return
	}
	c.crash(p)
	f := chaos.Fault{Kind: chaos.Crash, Peers: []int{p.id}}
	c.bus.Publish(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &f, Text: f.String() + " (torn save: between its two writes)"})
}

// resume unpauses p and hands it what arrived meanwhile. c.mu must be held.
func (c *Cluster) resume(p *peer) {
	if p.state != chaos.Paused {
		return
	}
	p.state = chaos.Up
	held := p.held
	p.held = nil
	for _, it := range held {
		it.at = c.nowD()
		c.push(it)
	}
	if !p.ticking {
		c.scheduleTick(p, c.tickOf(p))
	}
}

// Propose hands cmd to the leader.
func (c *Cluster) Propose(cmd interface{}) chaos.ProposeResult {
	c.mu.Lock()
	defer c.unlock()
	best := engine.Leader(len(c.peers), func(i int) (int, bool, bool) {
		p := c.peers[i]
		if p.node == nil || p.state != chaos.Up {
			return 0, false, false
		}
		return p.node.Term(), p.node.Role() == raft.Leader, true
	})
	if best == raft.None {
		return chaos.ProposeResult{Peer: raft.None}
	}
	return c.proposeLocked(best, cmd)
}

// ProposeTo hands cmd to peer id.
func (c *Cluster) ProposeTo(id int, cmd interface{}) chaos.ProposeResult {
	c.mu.Lock()
	defer c.unlock()
	if id < 0 || id >= len(c.peers) {
		return chaos.ProposeResult{Peer: raft.None}
	}
	return c.proposeLocked(id, cmd)
}

func (c *Cluster) proposeLocked(id int, cmd interface{}) chaos.ProposeResult {
	p := c.peers[id]
	if p.node == nil || p.state != chaos.Up {
		return chaos.ProposeResult{Peer: raft.None}
	}
	index, term, err := p.node.Propose(cmd)
	if err != nil {
		return chaos.ProposeResult{Peer: raft.None, Term: term}
	}
	c.ready(p)
	return chaos.ProposeResult{Peer: id, Index: index, Term: term, OK: true}
}

// RunFor computes the next d of virtual time.
func (c *Cluster) RunFor(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	end := c.nowD() + d
	c.mu.Unlock()
	return c.runTo(ctx, end)
}

// runTo processes items up to time end, in slices, letting other callers in between.
func (c *Cluster) runTo(ctx context.Context, end time.Duration) error {
	const slice = 2048
	for {
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return chaos.ErrStopped
		}
		if c.paused {
			wait := c.resumed
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		c.stepTo(end, slice)
		if c.pending.Load() {
			c.unlock() // what React queued runs now, right after the step
			continue
		}
		done := len(c.queue) == 0 || c.queue[0].at > end
		if done && c.nowD() < end {
			c.now.Store(int64(end))
		}
		c.mu.Unlock()
		if done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// stepTo carries out at most max items due by end, stopping early after a step that
// queued a reaction (see React). c.mu must be held; if a step panics
// (the peers' Raft and services run in the steps), stepTo releases it, so that the
// caller that recovers can still stop the cluster.
func (c *Cluster) stepTo(end time.Duration, max int) {
	ok := false
	defer func() {
		if !ok {
			c.mu.Unlock()
		}
	}()
	for n := 0; n < max && len(c.queue) > 0 && c.queue[0].at <= end && !c.pending.Load(); n++ {
		c.step(c.pop())
	}
	ok = true
}

// RunUntil computes virtual time until cond holds (checked every millisecond of it) or d
// passes.
func (c *Cluster) RunUntil(ctx context.Context, d time.Duration, cond func() bool) (bool, error) {
	end := c.Now() + d
	for {
		if cond() {
			return true, nil
		}
		now := c.Now()
		if now >= end {
			return false, nil
		}
		if err := c.runTo(ctx, min(end, now+checkEvery)); err != nil {
			return false, err
		}
	}
}

// React queues fn to run right after the step whose processing is publishing the event
// at hand (see chaos.Reactor): RunFor, RunUntil, Do, Propose and ProposeTo run what was
// queued, in order, on their own goroutine, before they process anything else.
func (c *Cluster) React(fn func()) {
	c.reactMu.Lock()
	c.reactions = append(c.reactions, fn)
	c.pending.Store(true)
	c.reactMu.Unlock()
}

// unlock releases c.mu, then runs the functions React queued, unless this goroutine is
// already running them further up its stack (they run in order, one at a time).
func (c *Cluster) unlock() {
	c.mu.Unlock()
	if !c.pending.Load() {
		return
	}
	c.reactMu.Lock()
	if c.reacting {
		c.reactMu.Unlock()
		return
	}
	c.reacting = true
	ok := false
	defer func() {
		if !ok { // a reaction panicked: the next unlock runs what is still queued
			c.reactMu.Lock()
			c.reacting = false
			c.reactMu.Unlock()
		}
	}()
	for len(c.reactions) > 0 {
		fn := c.reactions[0]
		c.reactions = c.reactions[1:]
		c.reactMu.Unlock()
		fn()
		c.reactMu.Lock()
	}
	c.reactions = nil
	c.reacting = false
	c.pending.Store(false)
	c.reactMu.Unlock()
	ok = true
}

// Pause freezes the cluster: RunFor and RunUntil wait until Resume.
func (c *Cluster) Pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused || c.stopped {
		return
	}
	c.paused = true
	c.resumed = make(chan struct{})
	c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: "cluster paused"})
}

// Resume continues a paused cluster.
func (c *Cluster) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused {
		return
	}
	c.paused = false
	close(c.resumed)
	c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: "cluster resumed"})
}

// Paused reports whether the cluster is paused.
func (c *Cluster) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// Stop ends the cluster. A sim cluster has no goroutines; Stop makes later runs fail.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	if c.paused {
		close(c.resumed)
	}
}

var (
	_ chaos.Cluster = (*Cluster)(nil)
	_ chaos.Reactor = (*Cluster)(nil)
)

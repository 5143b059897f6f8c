// Package live is the real-time chaos engine: raft.Raft peers, with all their goroutines,
// talking over a labrpc network, as a course implementation runs under the course's
// tester.
//
// Each peer has a labrpc server named by its id and, for each life, one client end per
// peer it calls, owned by it, so that per-link faults (cuts, loss, delay, reordering,
// duplication) apply to its requests and to the replies it gets. The cluster keeps a
// chaos.NetState and sets every directed link of the network to match it; labrpc keeps
// link faults by server name, so they hold for a restarted peer's new ends too. A peer's durable state
// is a raft.Persister that outlives its crashes: a crash deletes the peer's server (so
// calls pending on it fail), disables its ends, kills it and keeps a copy of its
// persister, as the course's crash1 does; a restart makes a new raft.Raft from that copy.
// Each life also runs a service goroutine that reads the peer's applyCh and applies
// what it gets to a chaos.Service.
//
// The cluster's clock is real time since New, less the time the whole cluster spent
// paused. The network's seed is the cluster's seed, and each peer life gets a seed
// derived from it, but goroutine scheduling makes runs differ: use the sim engine to
// reproduce a run exactly.
package live

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/engine"
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// wakeEvery is how long RunUntil waits for an event before it evaluates its condition
// anyway: conditions should change only with events, so this is a coarse fallback.
const wakeEvery = 100 * time.Millisecond

// MaxPeers is the largest cluster New accepts.
const MaxPeers = chaos.MaxPeers

// endName names the client end peer From uses, in its life Life, to call peer To. Each
// life has fresh ends, so calls left over from an earlier life fail on their own
// (disabled) ends and never mix with the new life's.
type endName struct {
	From, To, Life int
}

// peer is one Raft server: its running raft.Raft while up, and its persister always.
type peer struct {
	id    int
	life  int // lives started so far
	ps    *raft.Persister
	state chaos.PeerState
	rate  float64     // the clock rate, kept across restarts
	last  raft.Status // the status at the crash, shown while crashed

	// The current life, or nil while crashed.
	rf   *raft.Raft
	ends []interface{} // the names of this life's ends
	stop chan struct{} // closed to end this life's service goroutine
	done chan struct{} // closed when this life's service goroutine has ended
	// dead is set when the life is over for the world, the moment its persister tears a
	// save (see tear), before the engine has killed it: none of its events is published
	// after that.
	dead *atomic.Bool
}

// Cluster is a live cluster. It is safe for concurrent use. Its event sinks run on the
// peers' goroutines, sometimes with a peer's lock held: like every Bus sink, they must be
// quick and must not call the cluster.
type Cluster struct {
	cfg     chaos.ClusterConfig
	net     *labrpc.Network
	bus     *chaos.Bus
	start   time.Time
	stopped chan struct{}  // closed by Stop
	wg      sync.WaitGroup // service goroutines and the reapers of crashed lives

	// clockMu guards the clock. It is taken by the bus (to stamp events) from any
	// goroutine, so nothing may be called with it held.
	clockMu     sync.Mutex
	clockPaused bool
	pausedAt    time.Time
	pausedFor   time.Duration
	resumed     chan struct{} // closed when the cluster resumes; valid while paused

	mu       sync.Mutex
	peers    []*peer
	netState chaos.NetState
	links    [][]labrpc.Faults // what labrpc was told about each directed link
	paused   bool              // the whole cluster is paused
	isStop   bool
	stopOnce sync.Once

	// reactMu guards what React queued and whether a goroutine is running it.
	reactMu   sync.Mutex
	reactions []func()
	reacting  bool
}

// New starts a live cluster as cfg says: every peer up, with empty state, on a reliable
// network.
func New(cfg chaos.ClusterConfig) (*Cluster, error) {
	if cfg.Peers < 1 || cfg.Peers > MaxPeers {
		return nil, fmt.Errorf("live: %d peers; want 1..%d", cfg.Peers, MaxPeers)
	}
	rc := cfg.Raft
	rc.ID, rc.Peers, rc.Observer = 0, cfg.Peers, nil
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	n := cfg.Peers
	c := &Cluster{
		cfg:      cfg,
		net:      labrpc.MakeNetworkSeed(cfg.Seed),
		start:    time.Now(),
		stopped:  make(chan struct{}),
		peers:    make([]*peer, n),
		netState: chaos.NewNetState(n),
		links:    make([][]labrpc.Faults, n),
	}
	c.bus = chaos.NewBus(c.Now)
	cfg.Attach(c.bus)
	c.net.SetObserver(c.observeNet)
	for i := range c.links {
		c.links[i] = make([]labrpc.Faults, n)
	}
	for i := range c.peers {
		c.peers[i] = &peer{id: i, ps: raft.MakePersister(), rate: 1, state: chaos.Crashed}
	}
	c.mu.Lock()
	var err error
	for _, p := range c.peers {
		if err = c.boot(p); err != nil {
			break
		}
	}
	c.mu.Unlock()
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// boot starts p's next life from its persister. c.mu must be held.
func (c *Cluster) boot(p *peer) error {
	n := c.cfg.Peers
	rc := c.cfg.Raft
	rc.Seed = engine.PeerSeed(c.cfg.Seed, p.id, p.life)
	dead := new(atomic.Bool)
	rc.Observer = func(e raft.Event) {
		if !dead.Load() {
			c.bus.Publish(chaos.Event{Kind: chaos.EventRaft, Peer: e.Peer, Raft: &e})
		}
	}
	p.life++
	ends := make([]*labrpc.ClientEnd, n)
	names := make([]interface{}, n)
	for j := range ends {
		name := endName{From: p.id, To: j, Life: p.life}
		ends[j], names[j] = c.net.MakeEnd(name), name
		c.net.SetEndOwner(name, p.id)
		c.net.Connect(name, j)
		c.net.Enable(name, true)
	}
	disable := func() {
		for _, name := range names {
			c.net.Enable(name, false)
		}
	}
	applyCh := make(chan raft.ApplyMsg)
	rf, err := raft.MakeWithConfig(ends, p.id, p.ps, applyCh, rc)
	if err != nil {
		disable() // a Raft that failed to start has no goroutines
		return fmt.Errorf("live: peer %d: %w", p.id, err)
	}
	if c.paused {
		rf.SetPaused(true)
	}
	if p.rate != 1 {
		rf.SetClockRate(p.rate)
	}
	svc := c.cfg.Service(p.id)
	if s, ok := svc.(chaos.StateSizer); ok {
		s.SetStateSize(p.ps.RaftStateSize) // this life's persister (a crash copies it)
	}
	if err := engine.Restore(svc, p.id, rf.Status().SnapshotIndex, p.ps.ReadSnapshot()); err != nil {
		c.violation(p.id, err.Error())
		disable()
		rf.Kill()
		c.reap(rf)
		return fmt.Errorf("live: %w", err)
	}
	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(rf))
	c.net.AddServer(p.id, srv)
	p.rf, p.ends, p.state, p.dead = rf, names, chaos.Up, dead
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	c.wg.Add(1)
	go c.serve(p.id, rf, svc, applyCh, p.stop, p.done, dead)
	return nil
}

// serve is a life's service goroutine: it applies what the peer commits to svc, and
// hands svc's snapshots back to the peer, until stop is closed. It publishes every
// message it takes from applyCh, as it takes it, as an EventDeliver.
func (c *Cluster) serve(id int, rf *raft.Raft, svc chaos.Service, applyCh <-chan raft.ApplyMsg, stop <-chan struct{}, done chan<- struct{}, dead *atomic.Bool) {
	defer c.wg.Done()
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case m := <-applyCh:
			if dead.Load() {
				continue // the life is over for the world: it only waits to be killed
			}
			if c.bus.Wants(chaos.EventDeliver) {
				c.bus.Publish(chaos.Event{Kind: chaos.EventDeliver, Peer: id, Deliver: engine.Delivery(m)})
			}
			switch {
			case m.SnapshotValid:
				if err := svc.Restore(m.SnapshotIndex, m.Snapshot); err != nil {
					c.violation(id, fmt.Sprintf("peer %d could not restore the snapshot through %d it was sent: %v", id, m.SnapshotIndex, err))
				}
			case m.CommandValid:
				if snap := svc.Apply(m.CommandIndex, m.Command); snap != nil {
					rf.Snapshot(m.CommandIndex, snap)
				}
			}
		}
	}
}

func (c *Cluster) violation(peer int, msg string) {
	engine.ServiceViolation(c.bus, peer, c.Now(), msg)
}

// reap waits, in a goroutine of the cluster's, for the last goroutines of a killed life
// (its RPCs in flight), so that a crash need not wait for them.
func (c *Cluster) reap(rf *raft.Raft) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		rf.Wait()
	}()
}

// crash ends p's life, keeping its persister. c.mu must be held.
func (c *Cluster) crash(p *peer) {
	if p.rf == nil {
		return
	}
	c.net.DeleteServer(p.id) // calls pending on it fail, and its replies are lost
	for _, name := range p.ends {
		c.net.Enable(name, false) // its own calls in flight fail
	}
	p.rf.Kill()
	close(p.stop)
	<-p.done
	p.last = p.rf.Status()
	p.last.Role, p.last.Leader, p.last.Progress = raft.Follower, raft.None, nil
	c.reap(p.rf)
	// The dead life can no longer write to its persister (Kill has returned), but the
	// course hands the next life a copy, and so do we.
	p.ps = p.ps.Copy()
	p.rf, p.ends, p.stop, p.done, p.dead = nil, nil, nil, nil, nil
	p.state = chaos.Crashed
}

// tear arms p's persister for its current life (see chaos.Tear). When it tears a save,
// the life ends for the world at once, inside the second write, with the peer's lock
// held: its events stop, its server goes (so no reply leaves it) and its ends are
// disabled (so no request does); then a goroutine of the cluster's crashes it as a
// crash fault does, which waits for the peer to release its lock. c.mu must be held.
func (c *Cluster) tear(p *peer) {
	if p.rf == nil {
		return
	}
	rf, dead, ends := p.rf, p.dead, p.ends
	p.ps.Tear(func() {
		if dead.Swap(true) {
			return
		}
		c.net.DeleteServer(p.id)
		for _, name := range ends {
			c.net.Enable(name, false)
		}
		c.wg.Add(1) // before Stop's Wait: Stop kills rf, which waits for rf's lock, held here
		go func() {
			defer c.wg.Done()
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.isStop || p.rf != rf {
				return
			}
			c.crash(p)
			f := chaos.Fault{Kind: chaos.Crash, Peers: []int{p.id}}
			c.bus.Publish(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &f, Text: f.String() + " (torn save: between its two writes)"})
		}()
	})
}

// React runs fn on a goroutine of the cluster's, after what React was given before
// (see chaos.Reactor).
func (c *Cluster) React(fn func()) {
	c.reactMu.Lock()
	defer c.reactMu.Unlock()
	c.reactions = append(c.reactions, fn)
	if c.reacting || c.isStopped() {
		return
	}
	c.reacting = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.reactMu.Lock()
		for len(c.reactions) > 0 && !c.isStopped() {
			fn := c.reactions[0]
			c.reactions = c.reactions[1:]
			c.reactMu.Unlock()
			fn()
			c.reactMu.Lock()
		}
		c.reactions, c.reacting = nil, false
		c.reactMu.Unlock()
	}()
}

// ---- The network --------------------------------------------------------------------------

var netKinds = [...]chaos.NetEventKind{
	labrpc.EventSent:       chaos.NetSent,
	labrpc.EventDelivered:  chaos.NetDelivered,
	labrpc.EventDuplicated: chaos.NetDuplicated,
	labrpc.EventDropped:    chaos.NetDropped,
	labrpc.EventReplied:    chaos.NetReplied,
	labrpc.EventFailed:     chaos.NetFailed,
}

// observeNet turns labrpc's message events into EventNet, when someone wants them. It
// runs on the callers' goroutines, concurrently.
func (c *Cluster) observeNet(e labrpc.Event) {
	if !c.bus.Wants(chaos.EventNet) {
		return
	}
	from, to := -1, -1
	if v, ok := e.From.(int); ok {
		from = v
	}
	if v, ok := e.To.(int); ok {
		to = v
	}
	ne := &chaos.NetEvent{From: from, To: to, ID: e.CallID, Method: e.Method, Bytes: e.Bytes, Latency: e.Latency}
	if int(e.Kind) < len(netKinds) {
		ne.Kind = netKinds[e.Kind]
	}
	// The caller is still in Call: its args and reply can be read now, not later.
	switch e.Kind {
	case labrpc.EventSent:
		ne.Msg = chaos.DescribeRequest(e.Method, e.Args)
	case labrpc.EventReplied:
		ne.Msg = chaos.DescribeReply(e.Method, e.Args, e.ReplyValue)
	}
	if e.Kind == labrpc.EventDuplicated && e.Reply {
		ne.Reason = "reply"
	}
	if e.Reason != labrpc.NoFailure {
		ne.Reason = e.Reason.String()
		if e.Kind == labrpc.EventDropped {
			if e.Reply {
				ne.Reason = "reply " + ne.Reason
			} else {
				ne.Reason = "request " + ne.Reason
			}
		}
	}
	c.bus.Publish(chaos.Event{Kind: chaos.EventNet, Peer: from, Net: ne})
}

// linkFaults is what labrpc must apply to the link a->b for the network state s.
func linkFaults(s *chaos.NetState, a, b int) labrpc.Faults {
	l := s.Links[a][b]
	return labrpc.Faults{
		Loss:           l.Loss,
		DelayMin:       l.DelayMin,
		DelayMax:       l.DelayMax,
		Reorder:        l.Reorder,
		Duplicate:      l.Duplicate,
		Cut:            s.Cut[a][b],
		ReplyLoss:      l.Replies.Loss,
		ReplyDelayMin:  l.Replies.DelayMin,
		ReplyDelayMax:  l.Replies.DelayMax,
		ReplyReorder:   l.Replies.Reorder,
		ReplyDuplicate: l.Replies.Duplicate,
	}
}

// applyNet applies a network fault: it computes the new state, checks that labrpc
// accepts every link of it, and only then pushes the links that changed. c.mu must be
// held.
func (c *Cluster) applyNet(f chaos.Fault) error {
	next := c.netState.Clone()
	next.Apply(f)
	n := c.cfg.Peers
	want := make([][]labrpc.Faults, n)
	for a := range n {
		want[a] = make([]labrpc.Faults, n)
		for b := range n {
			if a == b {
				continue
			}
			want[a][b] = linkFaults(&next, a, b)
			if err := want[a][b].Validate(); err != nil {
				return fmt.Errorf("live: %v: link %d->%d: %w", f.Kind, a, b, err)
			}
		}
	}
	for a := range n {
		for b := range n {
			if a != b && want[a][b] != c.links[a][b] {
				if err := c.net.SetLinkFaults(a, b, want[a][b]); err != nil {
					// Validated above; labrpc refuses nothing else for int names.
					panic(fmt.Sprintf("live: SetLinkFaults(%d, %d): %v", a, b, err))
				}
			}
		}
	}
	c.netState, c.links = next, want
	return nil
}

// ---- Time ---------------------------------------------------------------------------------

// clock returns the cluster time, whether it is paused, and if so a channel closed when
// it resumes.
func (c *Cluster) clock() (now time.Duration, paused bool, resumed <-chan struct{}) {
	c.clockMu.Lock()
	defer c.clockMu.Unlock()
	if c.clockPaused {
		return c.pausedAt.Sub(c.start) - c.pausedFor, true, c.resumed
	}
	return time.Since(c.start) - c.pausedFor, false, nil
}

// Now returns the real time since New, less the time the cluster spent paused.
func (c *Cluster) Now() time.Duration {
	now, _, _ := c.clock()
	return now
}

// RunFor waits until d of cluster time has passed: longer if the cluster is paused
// meanwhile. It returns ctx's error if ctx ends first, or chaos.ErrStopped if the cluster
// is or gets stopped.
func (c *Cluster) RunFor(ctx context.Context, d time.Duration) error {
	end := c.Now() + d
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if c.isStopped() {
			return chaos.ErrStopped
		}
		now, paused, resumed := c.clock()
		if paused {
			select {
			case <-resumed:
				continue
			case <-ctx.Done():
				return ctx.Err()
			case <-c.stopped:
				return chaos.ErrStopped
			}
		}
		if now >= end {
			return nil
		}
		timer = resetTimer(timer, end-now)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stopped:
			return chaos.ErrStopped
		}
	}
}

// resetTimer returns a timer that fires after d, reusing t if it is not nil.
func resetTimer(t *time.Timer, d time.Duration) *time.Timer {
	if t == nil {
		return time.NewTimer(d)
	}
	t.Reset(d) // since Go 1.23, Reset discards a stale expiry
	return t
}

// wakeKinds are the events RunUntil wakes up for: everything but message events, which
// are many and change no state by themselves (and asking for them would make the
// network publish them).
var wakeKinds = []chaos.EventKind{
	chaos.EventRaft, chaos.EventFault, chaos.EventPropose, chaos.EventStep,
	chaos.EventViolation, chaos.EventExpect, chaos.EventNote, chaos.EventClient,
}

// RunUntil waits until cond returns true or d of cluster time passes, and reports
// whether cond became true. cond is evaluated in the calling goroutine, first at once and
// then after each burst of events (and at least every 100ms, in case it depends on
// something else). It returns ctx's error if ctx ends first, or chaos.ErrStopped.
func (c *Cluster) RunUntil(ctx context.Context, d time.Duration, cond func() bool) (bool, error) {
	wake := make(chan struct{}, 1)
	cancel := c.bus.Observe(func(chaos.Event) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}, wakeKinds...)
	defer cancel()
	end := c.Now() + d
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if c.isStopped() {
			return false, chaos.ErrStopped
		}
		if cond() {
			return true, nil
		}
		now, paused, resumed := c.clock()
		wait := wakeEvery
		if !paused {
			if now >= end {
				return false, nil
			}
			wait = min(wait, end-now)
		}
		timer = resetTimer(timer, wait)
		select {
		case <-wake:
		case <-timer.C:
		case <-resumed: // nil, and so never ready, unless paused
		case <-ctx.Done():
			return false, ctx.Err()
		case <-c.stopped:
			return false, chaos.ErrStopped
		}
	}
}

func (c *Cluster) isStopped() bool {
	select {
	case <-c.stopped:
		return true
	default:
		return false
	}
}

// ---- chaos.Cluster ---------------------------------------------------------------------------

// Engine returns "live".
func (c *Cluster) Engine() string { return "live" }

// Config returns the cluster's configuration.
func (c *Cluster) Config() chaos.ClusterConfig { return c.cfg }

// Events returns the cluster's event bus.
func (c *Cluster) Events() *chaos.Bus { return c.bus }

// Network returns the state of the network's links.
func (c *Cluster) Network() chaos.NetState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.netState.Clone()
}

// Stats returns labrpc's totals: calls that entered the network, and the gob bytes of
// their requests plus those of the replies returned (as the course counts them; the sim
// engine estimates request bytes only).
func (c *Cluster) Stats() chaos.NetStats {
	return chaos.NetStats{RPCs: c.net.GetTotalCount(), Bytes: c.net.GetTotalBytes()}
}

// Peers returns every peer's status.
func (c *Cluster) Peers() []chaos.PeerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]chaos.PeerStatus, len(c.peers))
	for i, p := range c.peers {
		out[i] = chaos.PeerStatus{State: p.state, ClockRate: p.rate}
		if p.rf != nil {
			out[i].Status = p.rf.Status()
		} else {
			out[i].Status = p.last
		}
	}
	return out
}

// Do applies a fault. It returns an error, and changes nothing, if the fault is invalid.
func (c *Cluster) Do(f chaos.Fault) error {
	if err := f.Validate(c.cfg.Peers); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isStop {
		return chaos.ErrStopped
	}
	switch f.Kind {
	case chaos.Crash:
		for _, id := range f.Peers {
			c.crash(c.peers[id])
		}
	case chaos.Restart:
		// The fault comes before the events of the lives it starts: cause, then effect.
		c.bus.Publish(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &f, Text: f.String()})
		for _, id := range f.Peers {
			if p := c.peers[id]; p.rf == nil {
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
				p.rf.SetPaused(true)
			}
		}
	case chaos.Resume:
		for _, id := range f.Peers {
			if p := c.peers[id]; p.state == chaos.Paused {
				p.state = chaos.Up
				if !c.paused {
					p.rf.SetPaused(false)
				}
			}
		}
	case chaos.Skew:
		for _, id := range f.Peers {
			c.skew(c.peers[id], f.Rate)
		}
	case chaos.Tear:
		for _, id := range f.Peers {
			c.tear(c.peers[id])
		}
	case chaos.Reset:
		if err := c.applyNet(f); err != nil {
			return err
		}
		for _, p := range c.peers {
			c.skew(p, 1)
		}
	default:
		if err := c.applyNet(f); err != nil {
			return err
		}
	}
	c.bus.Publish(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &f, Text: f.String()})
	return nil
}

// skew sets p's clock rate, now and for its later lives. c.mu must be held.
func (c *Cluster) skew(p *peer, rate float64) {
	p.rate = rate
	if p.rf != nil {
		p.rf.SetClockRate(rate)
	}
}

// Propose hands cmd to the up peer that believes it leads with the highest term.
func (c *Cluster) Propose(cmd interface{}) chaos.ProposeResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	best, bestTerm := raft.None, 0
	for i, p := range c.peers {
		if p.state != chaos.Up || p.rf == nil {
			continue
		}
		if term, leader := p.rf.GetState(); leader && (best == raft.None || term > bestTerm) {
			best, bestTerm = i, term
		}
	}
	if best == raft.None {
		return chaos.ProposeResult{Peer: raft.None}
	}
	return c.proposeLocked(best, cmd)
}

// ProposeTo hands cmd to peer id.
func (c *Cluster) ProposeTo(id int, cmd interface{}) chaos.ProposeResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id < 0 || id >= len(c.peers) {
		return chaos.ProposeResult{Peer: raft.None}
	}
	return c.proposeLocked(id, cmd)
}

// proposeLocked calls Start on peer id. c.mu must be held.
func (c *Cluster) proposeLocked(id int, cmd interface{}) chaos.ProposeResult {
	p := c.peers[id]
	if p.rf == nil || p.state != chaos.Up {
		return chaos.ProposeResult{Peer: raft.None}
	}
	index, term, ok := p.rf.Start(cmd)
	if !ok {
		return chaos.ProposeResult{Peer: raft.None, Term: term}
	}
	return chaos.ProposeResult{Peer: id, Index: index, Term: term, OK: true}
}

// Pause freezes the whole cluster: the network holds every message (labrpc's Freeze),
// every peer is paused, and Now stands still. A paused cluster refuses proposals (a
// paused raft.Raft is not the leader).
func (c *Cluster) Pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused || c.isStop {
		return
	}
	c.paused = true
	c.net.Freeze()
	for _, p := range c.peers {
		if p.rf != nil {
			p.rf.SetPaused(true)
		}
	}
	c.clockMu.Lock()
	c.clockPaused, c.pausedAt, c.resumed = true, time.Now(), make(chan struct{})
	c.clockMu.Unlock()
	c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: "cluster paused"})
}

// Resume continues a paused cluster. Peers paused by a Pause fault stay paused.
func (c *Cluster) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused || c.isStop {
		return
	}
	c.paused = false
	c.clockMu.Lock()
	c.pausedFor += time.Since(c.pausedAt)
	c.clockPaused = false
	close(c.resumed)
	c.resumed = nil
	c.clockMu.Unlock()
	for _, p := range c.peers {
		if p.rf != nil && p.state == chaos.Up {
			p.rf.SetPaused(false)
		}
	}
	c.net.Thaw()
	c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: "cluster resumed"})
}

// Paused reports whether the cluster is paused.
func (c *Cluster) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// Stop kills every peer, shuts the network down and waits until every goroutine the
// cluster started has ended. It is idempotent; a second call returns once the first has
// finished. Peers, Network and Stats still answer after Stop (a stopped peer shows the
// state it had).
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.isStop = true
		close(c.stopped)
		var lives []*raft.Raft
		for _, p := range c.peers {
			if p.rf != nil {
				p.rf.Kill()
				close(p.stop)
				lives = append(lives, p.rf)
			}
		}
		c.net.Cleanup() // every call in flight returns false promptly
		c.mu.Unlock()
		for _, rf := range lives {
			rf.Wait()
		}
		c.wg.Wait() // service goroutines and reapers
	})
}

var (
	_ chaos.Cluster = (*Cluster)(nil)
	_ chaos.Reactor = (*Cluster)(nil)
)

// Package live is the real-time chaos engine: peers of any Raft with the course's
// interface (package course), with all their goroutines, talking over a labrpc network,
// as a course implementation runs under the course's tester. MiniRaft's own raft.Raft is
// one such Raft, and the default; a student's, built in from a directory, is another.
//
// Each peer has a labrpc server named by its id and, for each life, one client end per
// peer it calls, owned by it, so that per-link faults (cuts, loss, delay, reordering,
// duplication) apply to its requests and to the replies it gets. The cluster keeps a
// chaos.NetState and sets every directed link of the network to match it; labrpc keeps
// link faults by server name, so they hold for a restarted peer's new ends too. A peer's
// durable state is a course.Persister that outlives its crashes: a crash deletes the
// peer's server (so calls pending on it fail), disables its ends, hands the next life a
// copy of its persister (before the kill, as the course's crash1 does, so that the dead
// life's goroutines cannot change what the next one reads) and kills it; a restart makes
// a new peer from that copy. Each life's applied messages go through a course.Tap to a
// service goroutine that applies them to a chaos.Service.
//
// MiniRaft's raft.Raft reports everything it does (its observer); a peer of another
// Raft is watched from outside (see observe.go): its term and leadership sampled with
// GetState and read from its AppendEntries traffic, what it applies from its apply
// channel. Pausing such a peer holds its messages and its applies but cannot stop its
// timers; clock skew cannot reach its timers at all, and is refused.
//
// Every call into a peer can be watched by a deadlock watchdog (Options.Watchdog), and
// each life runs under the pprof label peer=ID, so that a stack dump says whose
// goroutine is whose.
//
// The cluster's clock is real time since New, less the time the whole cluster spent
// paused (in a testing/synctest bubble, the bubble's virtual time). The network's seed
// is the cluster's seed, and each MiniRaft peer life gets a seed derived from it, but
// goroutine scheduling makes runs differ: use the sim engine to reproduce a run exactly.
package live

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/engine"
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// wakeEvery is how long RunUntil waits for an event before it evaluates its condition
// anyway: conditions should change only with events, so this is a coarse fallback.
const wakeEvery = 100 * time.Millisecond

// MaxPeers is the largest cluster New accepts.
const MaxPeers = chaos.MaxPeers

// PeerLabel is the runtime/pprof label each peer's goroutines carry, with its id: the
// label labrpc gives its handlers and the deadlock watchdog reads.
const PeerLabel = labrpc.HandlerLabel

// stopGrace bounds how long Stop waits, in cluster time, for the goroutines of peers
// that do not end when killed (a peer stuck for good, which a watchdog reports).
const stopGrace = 10 * time.Second

// Watcher watches calls into peers: a deadlock watchdog (vtime.Watchdog is one). Watch
// marks the start of a call of op into peer; the function it returns marks its end.
type Watcher interface {
	Watch(peer int, op string) (done func())
}

// Options are the engine's own settings, beyond the cluster's configuration.
type Options struct {
	// Impl is the Raft the peers run. Nil means MiniRaft's raft.Raft, configured by the
	// cluster configuration's Raft (course.Mini with that configuration); any other runs
	// as the course's tester would run it, with its own configuration, and is watched
	// from outside.
	Impl *course.Impl
	// Watchdog, when set, watches every call the engine makes into a peer (Start,
	// GetState, Status, Snapshot, Kill, SetPaused, SetClockRate...), and GetState is
	// sampled on every peer so that a peer stuck for good is noticed even when nothing
	// else calls it.
	Watchdog Watcher
	// SampleEvery is how often a peer watched from outside is asked GetState (default
	// 10ms).
	SampleEvery time.Duration
}

// endName names the client end peer From uses, in its life Life, to call peer To. Each
// life has fresh ends, so calls left over from an earlier life fail on their own
// (disabled) ends and never mix with the new life's.
type endName struct {
	From, To, Life int
}

// peer is one Raft server: its running life while up, and its persister always.
type peer struct {
	id    int
	life  int // lives started so far
	ps    course.Persister
	state chaos.PeerState
	rate  float64     // the clock rate, kept across restarts
	last  raft.Status // MiniRaft's: the status at the crash, shown while crashed

	// The current life, or zero while crashed.
	p    course.Peer
	rf   *raft.Raft    // p, when it is MiniRaft's (Options.Impl nil)
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
	impl    *course.Impl
	mini    bool // impl is MiniRaft's raft.Raft, whose events come from its observer
	wd      Watcher
	net     *labrpc.Network
	bus     *chaos.Bus
	start   time.Time
	stopped chan struct{}  // closed by Stop
	wg      sync.WaitGroup // service goroutines and the reapers of crashed lives
	sampler *course.Sampler

	// clockMu guards the clock. It is taken by the bus (to stamp events) from any
	// goroutine, so nothing may be called with it held.
	clockMu     sync.Mutex
	clockPaused bool
	pausedAt    time.Time
	pausedFor   time.Duration
	resumed     chan struct{} // closed when the cluster resumes; valid while paused

	// holdMu guards the holds on the peers' applies (a paused peer watched from
	// outside: its service takes nothing from it).
	holdMu sync.Mutex
	held   []bool          // per peer: its applies are held
	unheld []chan struct{} // per peer: closed when its hold ends; nil while not held

	// obsMu guards what is seen of peers watched from outside, and orders the events
	// made from it.
	obsMu sync.Mutex
	obs   []observed

	mu       sync.Mutex
	peers    []*peer
	taps     []*course.Tap // every life's, closed at Stop
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

// New starts a live cluster of MiniRaft's raft.Raft peers as cfg says: every peer up,
// with empty state, on a reliable network.
func New(cfg chaos.ClusterConfig) (*Cluster, error) { return NewWith(cfg, Options{}) }

// NewWith starts a live cluster as cfg and opts say: every peer up, with empty state,
// on a reliable network.
func NewWith(cfg chaos.ClusterConfig, opts Options) (*Cluster, error) {
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
		impl:     opts.Impl,
		mini:     opts.Impl == nil,
		wd:       opts.Watchdog,
		net:      labrpc.MakeNetworkSeed(cfg.Seed),
		start:    time.Now(),
		stopped:  make(chan struct{}),
		peers:    make([]*peer, n),
		netState: chaos.NewNetState(n),
		links:    make([][]labrpc.Faults, n),
		held:     make([]bool, n),
		unheld:   make([]chan struct{}, n),
		obs:      make([]observed, n),
	}
	if c.mini {
		c.impl = course.Mini(c.miniConfig)
	}
	c.bus = chaos.NewBus(c.Now)
	cfg.Attach(c.bus)
	c.net.SetObserver(c.observeNet)
	for i := range c.links {
		c.links[i] = make([]labrpc.Faults, n)
	}
	for i := range c.peers {
		c.peers[i] = &peer{id: i, ps: c.impl.MakePersister(), rate: 1, state: chaos.Crashed}
	}
	if !c.mini || c.wd != nil {
		every := opts.SampleEvery
		if every <= 0 {
			every = 10 * time.Millisecond
		}
		if c.mini {
			every = 100 * time.Millisecond // only for the watchdog: the observer says the rest
		}
		c.sampler = course.NewSampler(course.SamplerConfig{Every: every, Report: c.stuck})
	}
	if !c.mini {
		c.noteForeign()
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

// miniConfig is the configuration of a MiniRaft peer's next life: the cluster's, seeded
// for the life, reporting to the bus. It is called from Make, inside boot, with c.mu
// held.
func (c *Cluster) miniConfig(me int) raft.Config {
	rc := c.cfg.Raft
	rc.Seed = engine.PeerSeed(c.cfg.Seed, me, c.peers[me].life-1)
	dead := c.peers[me].dead
	rc.Observer = func(e raft.Event) {
		if !dead.Load() {
			c.bus.Publish(chaos.Event{Kind: chaos.EventRaft, Peer: e.Peer, Raft: &e})
		}
	}
	return rc
}

// noteForeign says, once, which of the scenario's Raft settings the peers cannot take.
func (c *Cluster) noteForeign() {
	r := c.cfg.Raft
	var ignored []string
	if r.PreVote {
		ignored = append(ignored, "prevote on")
	}
	if r.CheckQuorum {
		ignored = append(ignored, "checkquorum on")
	}
	if r.TickInterval != 0 || r.HeartbeatTicks != 0 || r.ElectionTicksMin != 0 || r.ElectionTicksMax != 0 {
		ignored = append(ignored, "its timing")
	}
	if len(ignored) > 0 {
		c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1,
			Text: fmt.Sprintf("%s runs with its own settings: the scenario's %v does not apply", c.impl.Name, ignored)})
	}
}

// watch marks a call into peer id for the watchdog, if there is one.
func (c *Cluster) watch(id int, op string) (done func()) {
	if c.wd == nil {
		return func() {}
	}
	return c.wd.Watch(id, op)
}

// labelled runs f with the calling goroutine labelled as peer id's, so that the
// goroutines f starts carry the label too.
func labelled(id int, f func()) {
	pprof.Do(context.Background(), pprof.Labels(PeerLabel, strconv.Itoa(id)), func(context.Context) { f() })
}

// boot starts p's next life from its persister. c.mu must be held.
func (c *Cluster) boot(p *peer) error {
	n := c.cfg.Peers
	p.life++
	p.dead = new(atomic.Bool) // before Make: a MiniRaft peer's observer reads it
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
	svc := c.cfg.Service(p.id)
	if s, ok := svc.(chaos.StateSizer); ok {
		s.SetStateSize(p.ps.RaftStateSize) // this life's persister (a crash copies it)
	}
	snapIndex := 0
	if !c.mini {
		// A course Raft keeps its snapshot index to itself: the service reads it from its
		// own snapshot, as a course service restores itself from the persister.
		if snap := p.ps.ReadSnapshot(); len(snap) > 0 {
			var err error
			if snapIndex, err = restore(svc, snap); err != nil {
				disable()
				return fmt.Errorf("live: peer %d: restore snapshot: %w", p.id, err)
			}
		}
	}
	applyCh := make(chan raft.ApplyMsg)
	tap := course.NewTap(applyCh, nil)
	var made course.Peer
	labelled(p.id, func() {
		defer c.watch(p.id, "Make")()
		made = c.impl.Make(ends, p.id, p.ps, tap)
	})
	c.taps = append(c.taps, tap)
	rf, _ := made.(*raft.Raft)
	if made == nil || c.mini && rf == nil {
		disable() // a Raft that failed to start has no goroutines
		return fmt.Errorf("live: peer %d: %s did not start", p.id, c.impl.Name)
	}
	if c.mini {
		if c.paused {
			c.call(p.id, "SetPaused", func() { rf.SetPaused(true) })
		}
		if p.rate != 1 {
			c.call(p.id, "SetClockRate", func() { rf.SetClockRate(p.rate) })
		}
		if err := engine.Restore(svc, p.id, c.status(p.id, rf).SnapshotIndex, p.ps.ReadSnapshot()); err != nil {
			c.violation(p.id, err.Error())
			disable()
			c.call(p.id, "Kill", rf.Kill)
			c.reap(p.id, made)
			return fmt.Errorf("live: %w", err)
		}
	}
	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(made))
	c.net.AddServer(p.id, srv)
	p.p, p.rf, p.ends, p.state = made, rf, names, chaos.Up
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	if !c.mini {
		c.booted(p, snapIndex)
		if c.paused {
			c.hold(p.id, true)
			c.observePaused(p.id, true)
		}
	}
	if c.sampler != nil {
		labelled(p.id, func() { c.sampler.Set(p.id, &sampled{c: c, id: p.id, life: p.life, p: made}) })
	}
	c.wg.Add(1)
	life, dead := p.life, p.dead
	labelled(p.id, func() { go c.serve(p.id, life, made, svc, applyCh, p.stop, p.done, dead) })
	return nil
}

// restore restores svc from snap, a snapshot of its own, and returns its index.
func restore(svc chaos.Service, snap []byte) (int, error) {
	si, ok := svc.(chaos.SnapshotIndexer)
	if !ok {
		return 0, fmt.Errorf("the service (%T) cannot read the index of its snapshot (chaos.SnapshotIndexer), which a course Raft does not say", svc)
	}
	index, err := si.SnapshotIndex(snap)
	if err != nil {
		return 0, err
	}
	return index, svc.Restore(index, snap)
}

// call runs f, a call named op into peer id, under the watchdog.
func (c *Cluster) call(id int, op string, f func()) {
	defer c.watch(id, op)()
	f()
}

// status returns MiniRaft peer rf's status, under the watchdog.
func (c *Cluster) status(id int, rf *raft.Raft) raft.Status {
	defer c.watch(id, "Status")()
	return rf.Status()
}

// serve is a life's service goroutine: it applies what the peer commits to svc, and
// hands svc's snapshots back to the peer, until stop is closed. It publishes every
// message it takes from applyCh, as it takes it, as an EventDeliver. While the peer's
// applies are held (a paused peer watched from outside), it takes nothing; once the life
// is over for the world (dead: its persister tore a save), it drops what it takes.
func (c *Cluster) serve(id, life int, p course.Peer, svc chaos.Service, applyCh <-chan raft.ApplyMsg, stop <-chan struct{}, done chan<- struct{}, dead *atomic.Bool) {
	defer c.wg.Done()
	defer close(done)
	compact := func(index int, snap []byte) {
		c.call(id, "Snapshot", func() { p.Snapshot(index, snap) })
		if !c.mini {
			c.snapshotted(id, life, index)
		}
	}
	for {
		if !c.waitUnheld(id, stop) {
			return
		}
		var m raft.ApplyMsg
		select {
		case <-stop:
			return
		case m = <-applyCh:
		}
		if dead.Load() {
			continue // the life is over for the world: it only waits to be killed
		}
		if m.SnapshotValid {
			accept := false
			c.call(id, "CondInstallSnapshot", func() { accept = course.AcceptSnapshot(p, m) })
			if !accept {
				continue
			}
		}
		if !c.mini {
			c.applied(id, life, m)
		}
		if c.bus.Wants(chaos.EventDeliver) {
			c.bus.Publish(chaos.Event{Kind: chaos.EventDeliver, Peer: id, Deliver: engine.Delivery(m)})
		}
		if msg := engine.Serve(svc, id, m, compact); msg != "" {
			c.violation(id, msg)
		}
	}
}

// waitUnheld waits while peer id's applies are held. It returns false if stop closes.
func (c *Cluster) waitUnheld(id int, stop <-chan struct{}) bool {
	c.holdMu.Lock()
	ch := c.unheld[id]
	c.holdMu.Unlock()
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-stop:
		return false
	}
}

// hold holds or releases peer id's applies.
func (c *Cluster) hold(id int, on bool) {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if c.held[id] == on {
		return
	}
	c.held[id] = on
	if on {
		c.unheld[id] = make(chan struct{})
	} else {
		close(c.unheld[id])
		c.unheld[id] = nil
	}
}

func (c *Cluster) violation(peer int, msg string) {
	engine.ServiceViolation(c.bus, peer, c.Now(), msg)
}

// reap kills a dead life's peer, if kill, and waits, in a goroutine of the cluster's,
// for the last goroutines it can wait for (a MiniRaft peer's RPCs in flight), so that a
// crash need not wait for them.
func (c *Cluster) reap(id int, p course.Peer) {
	w, ok := p.(course.Waiter)
	if !ok {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.call(id, "Wait", w.Wait)
	}()
}

// crash ends p's life, keeping its persister. c.mu must be held.
func (c *Cluster) crash(p *peer) {
	if p.p == nil {
		return
	}
	c.net.DeleteServer(p.id) // calls pending on it fail, and its replies are lost
	for _, name := range p.ends {
		c.net.Enable(name, false) // its own calls in flight fail
	}
	if c.sampler != nil {
		c.sampler.Set(p.id, nil)
	}
	if !c.mini {
		c.crashed(p.id)
	}
	// The next life gets a copy, made before the kill as the course's crash1 makes it:
	// what the dead life's goroutines save from now on is lost, as in a real crash. So
	// is what they do: the life is over for the world first, so that no event of a step
	// whose save the copy missed reaches the checkers (a MiniRaft peer tells its events
	// once they are saved or shown; the checkers would take a term told after the copy
	// as one the restart lost).
	if p.dead != nil {
		p.dead.Store(true)
	}
	next := p.ps.Copy()
	c.call(p.id, "Kill", p.p.Kill)
	close(p.stop)
	<-p.done
	if p.rf != nil {
		p.last = c.status(p.id, p.rf)
		p.last.Role, p.last.Leader, p.last.Progress = raft.Follower, raft.None, nil
	}
	c.reap(p.id, p.p)
	p.ps = next
	p.p, p.rf, p.ends, p.stop, p.done, p.dead = nil, nil, nil, nil, nil, nil
	p.state = chaos.Crashed
	c.hold(p.id, false)
	c.net.ThawServer(p.id)
}

// tearer is a persister that can tear a save (raft.Persister, see chaos.Tear).
type tearer interface {
	Tear(torn func())
}

// tear arms p's persister for its current life (see chaos.Tear). When it tears a save,
// the life ends for the world at once, inside the second write, with the peer's lock
// held: its events stop, its server goes (so no reply leaves it) and its ends are
// disabled (so no request does); then a goroutine of the cluster's crashes it as a
// crash fault does, which waits for the peer to release its lock. c.mu must be held.
func (c *Cluster) tear(p *peer) {
	if p.p == nil {
		return
	}
	ps, ok := p.ps.(tearer)
	if !ok {
		return // refused in Do
	}
	dead, ends := p.dead, p.ends
	ps.Tear(func() {
		if dead.Swap(true) {
			return
		}
		c.net.DeleteServer(p.id)
		for _, name := range ends {
			c.net.Enable(name, false)
		}
		c.wg.Add(1) // before Stop's Wait: Stop kills the peer, which waits for its lock, held here
		go func() {
			defer c.wg.Done()
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.isStop || p.dead != dead { // stopped, or that life already ended
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

// observeNet turns labrpc's message events into EventNet, when someone wants them, and
// reads the AppendEntries traffic of peers watched from outside. It runs on the callers'
// goroutines, concurrently.
func (c *Cluster) observeNet(e labrpc.Event) {
	if !c.mini {
		c.traffic(e)
	}
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
	kinds := wakeKinds
	if !c.mini {
		// A peer watched from outside shows its progress only in what its service gets.
		kinds = append(kinds[:len(kinds):len(kinds)], chaos.EventDeliver)
	}
	cancel := c.bus.Observe(func(chaos.Event) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}, kinds...)
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

// Impl returns the Raft the peers run.
func (c *Cluster) Impl() *course.Impl { return c.impl }

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

// Peers returns every peer's status. A MiniRaft peer's is its own (raft.Raft.Status); a
// peer watched from outside has what is seen of it, marked Sampled.
func (c *Cluster) Peers() []chaos.PeerStatus {
	c.mu.Lock()
	out := make([]chaos.PeerStatus, len(c.peers))
	rfs := make([]*raft.Raft, len(c.peers))
	for i, p := range c.peers {
		out[i] = chaos.PeerStatus{State: p.state, ClockRate: p.rate}
		switch {
		case !c.mini:
			out[i].Sampled = true
		case p.rf != nil:
			rfs[i] = p.rf
		default:
			out[i].Status = p.last
		}
	}
	c.mu.Unlock()
	for i, rf := range rfs {
		if rf != nil {
			out[i].Status = c.status(i, rf) // not under c.mu: a peer stuck for good blocks only this
		}
	}
	if !c.mini {
		c.obsMu.Lock()
		for i := range out {
			out[i].Status = c.obs[i].status(i)
		}
		c.obsMu.Unlock()
	}
	return out
}

// Do applies a fault. It returns an error, and changes nothing, if the fault is invalid
// or cannot apply to the peers' Raft (clock skew on a Raft watched from outside, a tear
// on a persister that cannot tear).
func (c *Cluster) Do(f chaos.Fault) error {
	if err := f.Validate(c.cfg.Peers); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	if f.Kind == chaos.Skew && !c.mini {
		return fmt.Errorf("live: %v: %s runs on its own timers (time.Sleep, timers, tickers), which MiniRaft cannot speed up or slow down: clock skew works only on MiniRaft's own Raft", f, c.impl.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isStop {
		return chaos.ErrStopped
	}
	if _, ok := c.peers[0].ps.(tearer); f.Kind == chaos.Tear && !ok {
		return fmt.Errorf("live: %v: %s's persister (%T) cannot tear a save", f, c.impl.Name, c.peers[0].ps)
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
			if p := c.peers[id]; p.p == nil {
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
				c.pause(p, true)
			}
		}
	case chaos.Resume:
		for _, id := range f.Peers {
			if p := c.peers[id]; p.state == chaos.Paused {
				p.state = chaos.Up
				if !c.paused {
					c.pause(p, false)
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

// pause freezes or thaws a running peer: a MiniRaft peer stops ticking and holds its
// messages (SetPaused); a peer watched from outside, whose timers MiniRaft cannot stop,
// has its messages held by the network and its applies held by its service. c.mu must
// be held.
func (c *Cluster) pause(p *peer, on bool) {
	if p.rf != nil {
		c.call(p.id, "SetPaused", func() { p.rf.SetPaused(on) })
		return
	}
	if on {
		c.net.FreezeServer(p.id)
	} else {
		c.net.ThawServer(p.id)
	}
	c.hold(p.id, on)
	c.observePaused(p.id, on)
}

// skew sets p's clock rate, now and for its later lives. c.mu must be held.
func (c *Cluster) skew(p *peer, rate float64) {
	if !c.mini {
		return // refused in Do; a reset has nothing to undo
	}
	p.rate = rate
	if p.rf != nil {
		c.call(p.id, "SetClockRate", func() { p.rf.SetClockRate(rate) })
	}
}

// Propose hands cmd to the up peer that believes it leads with the highest term.
func (c *Cluster) Propose(cmd interface{}) chaos.ProposeResult {
	running := c.running()
	best := engine.Leader(len(running), func(i int) (term int, leader, up bool) {
		if p := running[i]; p != nil {
			c.call(i, "GetState", func() { term, leader = p.GetState() })
			up = true
		}
		return term, leader, up
	})
	if best == raft.None {
		return chaos.ProposeResult{Peer: raft.None}
	}
	return c.ProposeTo(best, cmd)
}

// running returns the peers up and not paused, by id (nil for the others).
func (c *Cluster) running() []course.Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]course.Peer, len(c.peers))
	for i, p := range c.peers {
		if p.state == chaos.Up && !c.paused {
			out[i] = p.p
		}
	}
	return out
}

// ProposeTo hands cmd to peer id. Calls into peers are made without the cluster's lock,
// so that a peer stuck for good holds up only its caller.
func (c *Cluster) ProposeTo(id int, cmd interface{}) chaos.ProposeResult {
	if id < 0 || id >= c.cfg.Peers {
		return chaos.ProposeResult{Peer: raft.None}
	}
	p := c.running()[id]
	if p == nil {
		return chaos.ProposeResult{Peer: raft.None}
	}
	var index, term int
	var ok bool
	c.call(id, "Start", func() { index, term, ok = p.Start(cmd) })
	if !ok {
		return chaos.ProposeResult{Peer: raft.None, Term: term}
	}
	return chaos.ProposeResult{Peer: id, Index: index, Term: term, OK: true}
}

// Pause freezes the whole cluster: the network holds every message (labrpc's Freeze),
// every peer is paused, and Now stands still. A paused cluster refuses proposals. Peers
// watched from outside keep their timers running (their applies are held).
func (c *Cluster) Pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused || c.isStop {
		return
	}
	c.paused = true
	c.net.Freeze()
	for _, p := range c.peers {
		if p.p != nil {
			if p.rf != nil {
				c.call(p.id, "SetPaused", func() { p.rf.SetPaused(true) })
			} else {
				c.hold(p.id, true)
				c.observePaused(p.id, true)
			}
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
		if p.p != nil && p.state == chaos.Up {
			if p.rf != nil {
				c.call(p.id, "SetPaused", func() { p.rf.SetPaused(false) })
			} else {
				c.hold(p.id, false)
				c.observePaused(p.id, false)
			}
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
// cluster started has ended, or, for peers that do not end when killed, until
// stopGrace of cluster time has passed: a peer stuck for good cannot be ended. Their
// goroutines are the implementation's (a watchdog, if set, reports them). Stop is
// idempotent; a second call returns once the first has finished. Peers, Network and
// Stats still answer after Stop (a stopped peer shows the state it had).
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.isStop = true
		close(c.stopped)
		var lives []*peer
		for _, p := range c.peers {
			if p.p != nil {
				lives = append(lives, p)
			}
		}
		taps := c.taps
		c.mu.Unlock()
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			c.stopLives(lives, taps)
		}()
		t := time.NewTimer(stopGrace)
		defer t.Stop()
		select {
		case <-ended:
		case <-t.C:
			c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1,
				Text: fmt.Sprintf("stop: some peers' goroutines did not end within %v after they were killed", stopGrace)})
		}
	})
}

// stopLives kills the running lives, shuts the network down, ends the taps and the
// sampler, and waits for the cluster's goroutines.
func (c *Cluster) stopLives(lives []*peer, taps []*course.Tap) {
	if c.sampler != nil {
		c.sampler.Stop(stopGrace)
	}
	for _, p := range lives {
		c.call(p.id, "Kill", p.p.Kill)
		close(p.stop)
	}
	c.net.Cleanup() // every call in flight returns false promptly
	for _, t := range taps {
		t.Close()
	}
	for _, p := range lives {
		c.reap(p.id, p.p)
	}
	c.wg.Wait() // service goroutines, reapers, tears and reactions
}

var (
	_ chaos.Cluster = (*Cluster)(nil)
	_ chaos.Reactor = (*Cluster)(nil)
)

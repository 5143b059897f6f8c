package course

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// smokeTimeout bounds each step of Smoke: a leader, a command committed everywhere.
const smokeTimeout = 10 * time.Second

// Smoke checks, in a few seconds of real time, that impl works as the engine will use
// it: n peers (at least 3) on a reliable labrpc network elect a leader, commit commands
// that every peer applies in order, and a follower that crashes and restarts from a copy
// of its persister comes back, applies everything again and catches up. It is the
// shortest end-to-end proof that a Raft built in from a directory is wired up right,
// and a small example of the pieces of this package at work. It returns nil or what
// went wrong, and leaves no goroutine of its own behind; a peer whose goroutines do not
// end when it is killed is the implementation's affair.
func Smoke(ctx context.Context, impl *Impl, n int, log io.Writer) error {
	if n < 3 {
		return fmt.Errorf("smoke: %d peers, want at least 3", n)
	}
	if log == nil {
		log = io.Discard
	}
	c := newSmokeCluster(impl, n)
	defer c.stop()
	for i := range n {
		c.boot(i)
	}

	leader, err := c.waitLeader(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "peer %d leads\n", leader)
	next := 1
	for ; next <= 5; next++ {
		if err := c.commit(ctx, next, c.all()); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "%d commands applied by all %d peers\n", next-1, n)

	follower := (leader + 1) % n
	c.crash(follower)
	fmt.Fprintf(log, "peer %d crashed\n", follower)
	for ; next <= 8; next++ {
		if err := c.commit(ctx, next, c.up()); err != nil {
			return err
		}
	}
	c.boot(follower)
	fmt.Fprintf(log, "peer %d restarted from its persister (%d bytes of Raft state)\n", follower, c.persisters[follower].RaftStateSize())
	if err := c.commit(ctx, next, c.all()); err != nil {
		return err
	}
	fmt.Fprintf(log, "peer %d caught up: %d commands applied by all %d peers\n", follower, next, n)
	return c.err()
}

// smokeCluster is Smoke's cluster: each peer's current incarnation, its persister, its
// tap, and what its service has been given.
type smokeCluster struct {
	impl       *Impl
	n          int
	net        *labrpc.Network
	persisters []Persister
	peers      []Peer // nil while crashed
	taps       []*Tap // each peer's current tap
	lives      []Peer // every incarnation, for stop
	allTaps    []*Tap // every tap, for stop
	services   sync.WaitGroup
	quit       chan struct{} // closed by stop: services return

	mu      sync.Mutex
	life    []int           // the incarnation of each peer
	applied [][]interface{} // applied[i][k-1] is the command peer i applied at index k, this life
	bad     error           // the first out-of-order or conflicting apply
}

func newSmokeCluster(impl *Impl, n int) *smokeCluster {
	c := &smokeCluster{
		impl:       impl,
		n:          n,
		net:        labrpc.MakeNetwork(),
		persisters: make([]Persister, n),
		peers:      make([]Peer, n),
		taps:       make([]*Tap, n),
		life:       make([]int, n),
		applied:    make([][]interface{}, n),
		quit:       make(chan struct{}),
	}
	for i := range n {
		c.persisters[i] = impl.MakePersister()
	}
	return c
}

// boot starts a new incarnation of peer i, connected to every other peer.
func (c *smokeCluster) boot(i int) {
	c.mu.Lock()
	c.life[i]++
	life := c.life[i]
	c.applied[i] = nil
	c.mu.Unlock()
	ends := make([]*labrpc.ClientEnd, c.n)
	for j := range c.n {
		name := fmt.Sprintf("%d->%d#%d", i, j, life)
		ends[j] = c.net.MakeEnd(name)
		c.net.Connect(name, j)
		c.net.Enable(name, true)
	}
	applyCh := make(chan raft.ApplyMsg)
	tap := NewTap(applyCh, nil)
	peer := c.impl.Make(ends, i, c.persisters[i], tap)
	c.peers[i], c.taps[i] = peer, tap
	c.lives, c.allTaps = append(c.lives, peer), append(c.allTaps, tap)
	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(peer))
	c.net.AddServer(i, srv)
	c.services.Add(1)
	go c.service(i, life, applyCh)
}

// service is peer i's service in one life: it records what the peer applies and checks
// that commands come in order and agree with what other peers applied.
func (c *smokeCluster) service(i, life int, applyCh <-chan raft.ApplyMsg) {
	defer c.services.Done()
	for {
		var m raft.ApplyMsg
		select {
		case m = <-applyCh:
		case <-c.quit:
			return
		}
		c.mu.Lock()
		switch {
		case c.life[i] != life:
			// A message delivered just before the crash; the new life starts afresh.
		case m.CommandValid:
			if want := len(c.applied[i]) + 1; m.CommandIndex != want && c.bad == nil {
				c.bad = fmt.Errorf("peer %d applied index %d, want %d", i, m.CommandIndex, want)
			}
			c.applied[i] = append(c.applied[i], m.Command)
			for j := range c.n {
				if k := len(c.applied[i]); j != i && len(c.applied[j]) >= k && c.applied[j][k-1] != m.Command && c.bad == nil {
					c.bad = fmt.Errorf("peers %d and %d applied different commands at index %d: %v and %v", i, j, k, m.Command, c.applied[j][k-1])
				}
			}
		case m.SnapshotValid && c.bad == nil:
			c.bad = fmt.Errorf("peer %d sent a snapshot at index %d, though the service took none", i, m.SnapshotIndex)
		}
		c.mu.Unlock()
	}
}

// crash kills peer i as the course's tester does: its server goes, its ends are cut, and
// its successor will read a copy of what it persisted.
func (c *smokeCluster) crash(i int) {
	c.net.DeleteServer(i)
	c.persisters[i] = c.persisters[i].Copy()
	c.peers[i].Kill()
	c.taps[i].Detach()
	c.peers[i] = nil
}

func (c *smokeCluster) all() []int {
	ids := make([]int, c.n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

func (c *smokeCluster) up() []int {
	var ids []int
	for i, p := range c.peers {
		if p != nil {
			ids = append(ids, i)
		}
	}
	return ids
}

func (c *smokeCluster) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bad
}

// waitLeader waits until exactly one peer says it leads the highest term any leader has.
func (c *smokeCluster) waitLeader(ctx context.Context) (int, error) {
	var found int
	err := c.await(ctx, "a leader", func() bool {
		leaders := map[int][]int{}
		top := -1
		for _, i := range c.up() {
			if term, ok := c.peers[i].GetState(); ok {
				leaders[term] = append(leaders[term], i)
				top = max(top, term)
			}
		}
		if top >= 0 && len(leaders[top]) == 1 {
			found = leaders[top][0]
			return true
		}
		return false
	})
	return found, err
}

// commit proposes cmd until every peer in want applies it, as the course's one() does:
// it asks each peer in turn to Start it, and if the one that took it does not get it
// applied within two seconds, proposes it again.
func (c *smokeCluster) commit(ctx context.Context, k int, want []int) error {
	cmd := fmt.Sprintf("command %d", k)
	return c.await(ctx, fmt.Sprintf("%q applied by peers %v", cmd, want), func() bool {
		index := -1
		for _, i := range c.up() {
			if idx, _, ok := c.peers[i].Start(cmd); ok {
				index = idx
				break
			}
		}
		if index < 1 {
			return false
		}
		ok, _ := c.within(ctx, 2*time.Second, func() bool { return c.appliedBy(index, cmd, want) })
		return ok
	})
}

// appliedBy reports whether every peer in ids applied cmd at index k.
func (c *smokeCluster) appliedBy(k int, cmd interface{}, ids []int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !slices.ContainsFunc(ids, func(i int) bool {
		return len(c.applied[i]) < k || c.applied[i][k-1] != cmd
	})
}

// await polls cond for smokeTimeout, and fails early on a bad apply.
func (c *smokeCluster) await(ctx context.Context, what string, cond func() bool) error {
	ok, err := c.within(ctx, smokeTimeout, cond)
	if err == nil && !ok {
		err = fmt.Errorf("no %s within %v", what, smokeTimeout)
	}
	return err
}

// within polls cond every 20ms for at most d, and reports whether it held; the error is
// a bad apply or ctx's.
func (c *smokeCluster) within(ctx context.Context, d time.Duration, cond func() bool) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := c.err(); err != nil {
			return false, err
		}
		if cond() {
			return true, nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return false, nil
			}
			return false, ctx.Err()
		case <-tick.C:
		}
	}
}

// stop kills every peer, shuts the network down and ends every tap and service.
func (c *smokeCluster) stop() {
	for i, p := range c.peers {
		if p != nil {
			c.net.DeleteServer(i)
			p.Kill()
			c.taps[i].Detach()
		}
	}
	c.net.Cleanup()
	for _, t := range c.allTaps {
		t.Close()
	}
	close(c.quit)
	c.services.Wait()
	for _, p := range c.lives {
		if w, ok := p.(Waiter); ok {
			w.Wait()
		}
	}
}

package live

import (
	"fmt"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// A peer whose Raft the engine did not build reports nothing of what happens inside it.
// The engine watches it from outside and publishes what it sees as raft events marked
// Sampled (see chaos.Event.Sampled):
//
//   - a boot, when it starts a life: the term GetState then gives, and the snapshot its
//     service was restored from;
//   - its term and whether it leads, from GetState, asked every SampleEvery by the
//     cluster's course.Sampler, and from its AppendEntries traffic: a peer that sends an
//     AppendEntries of term T leads T (even between two samples), and one that answers
//     it in term T follows its sender;
//   - what its service receives, from its apply channel (EventDeliver, as for every
//     peer): its commit index as its applies show it.
//
// A sample that started before the traffic last showed the peer's state is older news,
// and is dropped; a term below the one already seen is never published.

// observed is what is seen of a peer watched from outside, in its current or last life.
// It is guarded by Cluster.obsMu.
type observed struct {
	life    int // the life it is of
	up      bool
	paused  bool // paused, or the whole cluster is: what it does is seen when it resumes
	term    int
	leader  bool
	follows int // the leader it last answered in term, or None
	// since is when the peer's traffic last showed its term or role (by the clock of
	// the cluster's world).
	since   time.Time
	applied int // the last index its service received
	snap    int // the index of the last snapshot its service received or booted from
}

// status returns the peer's status as seen from outside.
func (o *observed) status(id int) raft.Status {
	st := raft.Status{
		ID: id, Role: raft.Follower, Term: o.term, VotedFor: raft.None, Leader: o.follows,
		FirstIndex: o.snap + 1, LastIndex: o.applied, CommitIndex: o.applied, LastApplied: o.applied,
		SnapshotIndex: o.snap,
	}
	switch {
	case !o.up:
		st.Leader = raft.None
	case o.leader:
		st.Role, st.Leader = raft.Leader, id
	}
	return st
}

// publishSampled publishes r, a raft event made up from outside. c.obsMu must be held, so
// that a peer's events come in the order its state changed.
func (c *Cluster) publishSampled(r raft.Event) {
	c.bus.Publish(chaos.Event{Kind: chaos.EventRaft, Peer: r.Peer, Raft: &r, Sampled: true})
}

// booted records that p started a life whose service was restored from a snapshot
// through snapIndex (0: none), and publishes its boot with the term it gives. c.mu must
// be held.
func (c *Cluster) booted(p *peer, snapIndex int) {
	var term int
	var leader bool
	c.call(p.id, "GetState", func() { term, leader = p.p.GetState() })
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	c.obs[p.id] = observed{life: p.life, up: true, term: term, follows: raft.None, applied: snapIndex, snap: snapIndex}
	c.publishSampled(raft.Event{Kind: raft.EventBoot, Peer: p.id, Term: term, Role: raft.Follower, Index: snapIndex, LastIndex: snapIndex})
	if leader {
		c.observeLocked(p.id, p.life, term, true, raft.None, time.Now(), false)
	}
}

// observePaused records that peer id is paused (on), or runs again. A paused peer watched from
// outside still runs its timers, but nothing of it reaches the others: the engine shows
// it as it was when it was paused, and what it did meanwhile once it resumes.
func (c *Cluster) observePaused(id int, on bool) {
	if c.mini {
		return
	}
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	c.obs[id].paused = on
}

// crashed records that peer id's life ended. Its crash fault says so to the stream.
func (c *Cluster) crashed(id int) {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	o := &c.obs[id]
	o.up, o.leader, o.follows = false, false, raft.None
}

// applied records what peer id's service received from life.
func (c *Cluster) applied(id, life int, m raft.ApplyMsg) {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	o := &c.obs[id]
	if o.life != life {
		return
	}
	switch {
	case m.SnapshotValid:
		o.snap, o.applied = m.SnapshotIndex, m.SnapshotIndex
	case m.CommandValid:
		o.applied = m.CommandIndex
	}
}

// snapshotted records that peer id's service, in life, gave its peer a snapshot through
// index.
func (c *Cluster) snapshotted(id, life, index int) {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	if o := &c.obs[id]; o.life == life {
		o.snap = max(o.snap, index)
	}
}

// observe records that peer id, in life (-1: whichever is current), was in term and led
// it (leader), or followed follows in it, as seen at time at: by a GetState sample that
// started then, or by its traffic. It publishes what changed.
func (c *Cluster) observe(id, life, term int, leader bool, follows int, at time.Time, traffic bool) {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	c.observeLocked(id, life, term, leader, follows, at, traffic)
}

// observeLocked is observe. c.obsMu must be held.
func (c *Cluster) observeLocked(id, life, term int, leader bool, follows int, at time.Time, traffic bool) {
	o := &c.obs[id]
	if !o.up || o.paused || life >= 0 && o.life != life || term < o.term {
		return
	}
	if traffic {
		if at.After(o.since) {
			o.since = at
		}
	} else if at.Before(o.since) {
		return // the sample started before the traffic showed more
	}
	role := func(leads bool) raft.Role {
		if leads {
			return raft.Leader
		}
		return raft.Follower
	}
	wasLeader, prevTerm, prevFollows := o.leader, o.term, o.follows
	rose := term > o.term
	if rose {
		o.term, o.follows = term, raft.None
		c.publishSampled(raft.Event{Kind: raft.EventTerm, Peer: id, Term: term, PrevTerm: prevTerm, Role: role(wasLeader)})
	}
	switch {
	case leader:
		o.leader, o.follows = true, raft.None
	case follows != raft.None:
		o.leader, o.follows = false, follows
	case !traffic:
		o.leader = false
	}
	switch {
	case o.leader != wasLeader || rose && o.leader:
		other := o.follows
		if o.leader {
			other = id
		}
		c.publishSampled(raft.Event{Kind: raft.EventRole, Peer: id, Term: o.term, Role: role(o.leader), Other: other})
	case !o.leader && o.follows != raft.None && o.follows != prevFollows:
		c.publishSampled(raft.Event{Kind: raft.EventRole, Peer: id, Term: o.term, Role: raft.Follower, Other: o.follows})
	}
}

// traffic reads a message event of a peer watched from outside: an AppendEntries sent
// in term T says its sender leads T; one answered in term T says the receiver follows
// the sender in T. It runs on the callers' goroutines, concurrently.
func (c *Cluster) traffic(e labrpc.Event) {
	if !strings.HasSuffix(e.Method, "AppendEntries") {
		return
	}
	switch e.Kind {
	case labrpc.EventSent:
		from, ok1 := e.From.(int)
		end, ok2 := e.End.(endName)
		if !ok1 || !ok2 || from < 0 || from >= len(c.obs) {
			return
		}
		if m := chaos.DescribeRequest(e.Method, e.Args); m != nil && m.Term > 0 {
			c.observe(from, end.Life, m.Term, true, raft.None, e.Time, true)
		}
	case labrpc.EventReplied:
		leader, ok1 := e.From.(int)
		follower, ok2 := e.To.(int)
		if !ok1 || !ok2 || follower < 0 || follower >= len(c.obs) || leader == follower {
			return
		}
		req := chaos.DescribeRequest(e.Method, e.Args)
		rep := chaos.DescribeReply(e.Method, e.Args, e.ReplyValue)
		if req != nil && rep != nil && req.Term > 0 && rep.Term == req.Term {
			c.observe(follower, -1, req.Term, false, leader, e.Time, true)
		}
	}
}

// sampled is a life of a peer as the cluster's Sampler asks it: each GetState is watched
// and, for a peer watched from outside, recorded. The Sampler calls only GetState.
type sampled struct {
	c        *Cluster
	id, life int
	p        course.Peer
}

func (s *sampled) GetState() (int, bool) {
	start := time.Now()
	var term int
	var leader bool
	s.c.call(s.id, "GetState", func() { term, leader = s.p.GetState() })
	if !s.c.mini {
		s.c.observe(s.id, s.life, term, leader, raft.None, start, false)
	}
	return term, leader
}

func (s *sampled) Start(cmd interface{}) (int, int, bool) { return s.p.Start(cmd) }
func (s *sampled) Snapshot(index int, snapshot []byte)    { s.p.Snapshot(index, snapshot) }
func (s *sampled) Kill()                                  { s.p.Kill() }

// stuck is the Sampler's report: a GetState that has not returned for a while is worth
// a note (a watchdog, if set, turns it into a verdict).
func (c *Cluster) stuck(s course.Sample) {
	if s.Stuck {
		c.bus.Publish(chaos.Event{Kind: chaos.EventNote, Peer: s.Peer,
			Text: fmt.Sprintf("peer %d: GetState has not returned for %v (a lock held for good?)", s.Peer, s.Took.Round(time.Millisecond))})
	}
}

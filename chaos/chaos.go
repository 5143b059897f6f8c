// Package chaos drives Raft clusters into trouble and watches what they do.
//
// This package holds the contracts the rest of the chaos tool is written against: the
// Cluster interface that every engine implements (live: raft.Raft peers over labrpc in
// real time; sim: raft.Node peers in virtual time), the Fault model, peer Selectors, and
// the ordered Event stream (a Bus) that checkers, the workload, traces and the UI consume.
//
// Subpackages: scenario (the language), check (the safety and liveness checkers), live
// and sim (the engines), runner (runs a scenario on an engine and reports).
package chaos

import (
	"context"
	"time"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// MaxPeers is the largest cluster the engines run and the views draw. (A scenario asks
// for at most scenario.MaxPeers, which the UI's layout sets.)
const MaxPeers = 64

// ClusterConfig describes a cluster to start.
type ClusterConfig struct {
	// Peers is the number of Raft peers.
	Peers int
	// Seed seeds every random choice the engine makes (peer seeds, the network). The sim
	// engine is fully determined by it; the live engine only partly (goroutines race).
	Seed int64
	// Raft is the template for every peer's raftpb.Config: timing, PreVote, CheckQuorum and
	// limits. ID, Peers, Seed and Observer are filled in per peer by the engine.
	Raft raftpb.Config
	// NewService makes the state machine for a peer's life; nil means a Digest that
	// snapshots every DefaultSnapshotEvery commands.
	NewService func(peer int) Service
	// Observers are attached to the cluster's bus before any peer boots, so they see
	// every event from the first (checkers and traces need the boot events).
	Observers []func(Event)
	// Sinks are attached like Observers (before them), each for the kinds of events it
	// names, so an engine can skip building events nobody wants (message events are
	// many, and most sinks ignore them).
	Sinks []Sink
}

// Sink is a bus sink that wants only some kinds of events (see Bus.Observe).
type Sink struct {
	Fn    func(Event)
	Kinds []EventKind // none: every kind
}

// Attach adds c's Sinks, then its Observers, to b. Engines call it before any peer boots.
func (c ClusterConfig) Attach(b *Bus) {
	for _, s := range c.Sinks {
		b.Observe(s.Fn, s.Kinds...)
	}
	for _, o := range c.Observers {
		b.Observe(o)
	}
}

// Service returns a new service for peer, as c.NewService says.
func (c ClusterConfig) Service(peer int) Service {
	if c.NewService != nil {
		return c.NewService(peer)
	}
	return NewDigest(DefaultSnapshotEvery)
}

// PeerState is whether a peer is running.
type PeerState uint8

// The peer states.
const (
	Up PeerState = iota
	Crashed
	Paused
)

func (s PeerState) String() string {
	switch s {
	case Up:
		return "up"
	case Crashed:
		return "crashed"
	case Paused:
		return "paused"
	}
	return "?"
}

// PeerStatus is one peer's state as the cluster sees it. For a crashed peer, Status is
// its state at the moment it crashed (Role Follower).
type PeerStatus struct {
	raftpb.Status
	State     PeerState
	ClockRate float64 // 1 unless skewed
	// Sampled says the peer is seen from outside (a course Raft the engine did not
	// build): its Role and Term are sampled with GetState (Role is only Leader or
	// Follower), Leader is the leader it last answered, and its log, CommitIndex and
	// LastApplied are what its service received (commit as seen through applies; the
	// terms of the entries are unknown, 0). VotedFor is unknown (None).
	Sampled bool
}

// ProposeResult says where a proposal went.
type ProposeResult struct {
	Peer  int  `json:"peer"` // the peer that accepted it, or raftpb.None
	Index int  `json:"index,omitempty"`
	Term  int  `json:"term,omitempty"`
	OK    bool `json:"ok,omitempty"`
}

// Cluster is a running cluster of Raft peers under a fault-injecting network. Engines
// implement it; scenarios, checkers, the workload and the UI use only it. Methods are
// safe for concurrent use unless a method says otherwise.
//
// Time: Now is the cluster's clock (real time for live, virtual time for sim), which
// stands still while the cluster is paused. Nothing happens in a sim cluster unless
// someone calls RunFor or RunUntil; a live cluster runs by itself, and for it RunFor
// and RunUntil only wait.
type Cluster interface {
	// Engine names the engine: "live" or "sim".
	Engine() string
	// Config returns the configuration the cluster was started with.
	Config() ClusterConfig
	// Now returns the time since the cluster started, not counting time paused.
	Now() time.Duration

	// Peers returns every peer's status, indexed by id.
	Peers() []PeerStatus
	// Network returns the current state of the network's links.
	Network() NetState
	// Stats returns network totals since start.
	Stats() NetStats

	// Do applies a fault. Peer ids in it must be valid; it returns an error, and changes
	// nothing, otherwise. Every applied fault is published as an EventFault.
	Do(f Fault) error

	// Propose hands cmd to the peer that currently believes it is the leader with the
	// highest term (if any is up) and returns what Start returned.
	Propose(cmd interface{}) ProposeResult
	// ProposeTo hands cmd to peer id.
	ProposeTo(id int, cmd interface{}) ProposeResult

	// Events returns the cluster's event bus: every raft, network and fault event is
	// published on it, and users may publish their own (steps, violations).
	Events() *Bus

	// RunFor lets the cluster run for d of its time (a sim cluster computes it as fast as
	// it can; a live cluster waits). It returns early with ctx's error if ctx ends, or
	// ErrStopped.
	RunFor(ctx context.Context, d time.Duration) error
	// RunUntil runs until cond returns true or d passes, and reports whether cond became
	// true. cond is evaluated by the calling goroutine after events happen (never from
	// inside an event sink), so it may call Peers.
	RunUntil(ctx context.Context, d time.Duration, cond func() bool) (bool, error)

	// Pause freezes the whole cluster: no ticks, no deliveries, nothing lost, and Now
	// stands still. Resume continues it.
	Pause()
	Resume()
	Paused() bool

	// Stop ends the cluster and every goroutine it started. It is idempotent. After Stop,
	// RunFor and RunUntil return ErrStopped.
	Stop()
}

// Reactor is a Cluster that can act at the moment after an event, as the scenario
// language's "on" steps need: a bus sink that sees an event calls React, and fn runs as
// soon as the step of the peer that published the event is over, before anything else
// happens in a sim cluster. fn runs outside the sink and outside the cluster's locks, so
// it may call the cluster (Peers, Do). Runs of fn are in the order React was called.
//
//   - sim: fn runs on the goroutine that is running the cluster (RunFor, RunUntil, Do,
//     Propose), right after the queue item (or the call) whose processing published
//     the event: after the peer saved, sent and applied what the event led to. The
//     same scenario and seed give the same moment, always.
//   - live: fn runs on a goroutine of the cluster's as soon as React is called; whatever
//     it does to the peer waits for the peer's lock, which the peer holds until it has
//     saved and sent what the event led to.
//
// After Stop, fn may not run.
type Reactor interface {
	React(fn func())
}

// NetStats are network totals. How bytes are counted is the engine's: live reports
// labrpc's gob sizes of requests and replies (as the course counts), sim estimates the
// size of requests from their content.
type NetStats struct {
	RPCs  int   `json:"rpcs"`  // requests sent
	Bytes int64 `json:"bytes"` // bytes sent
}

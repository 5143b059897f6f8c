// Package raft is a complete Raft (the extended Raft paper's Figure 2, with log compaction
// from section 7) in two layers.
//
// Node is the algorithm as a deterministic state machine in the manner of etcd-io/raft's
// RawNode. Its inputs are logical clock ticks (Tick), proposals (Propose), snapshot
// requests from the service (Snapshot), incoming RPC requests (RequestVote, AppendEntries,
// InstallSnapshot, each of which fills in a reply) and the outcome of RPCs it asked to
// send (StepReply, StepFailure). Its outputs are drained with Ready after each input: the
// state to persist, the RPCs to send and the entries or snapshot to apply, in that order of
// obligation. A Node has no goroutines, clocks, I/O or global randomness, so the same
// Config (including its Seed) and the same inputs always give the same outputs.
//
// Raft wraps a Node with a mutex, a ticker, an applier and labrpc calls, and exposes the
// MIT 6.824/6.5840 lab interface (Make, Start, GetState, Kill, Snapshot, ApplyMsg,
// Persister) unchanged, so course testers and services run against it. MakeWithConfig
// reaches the options (timing, PreVote, CheckQuorum, seed, an event observer) without
// changing Make.
//
// Both layers report what happens through an Observer (role and term changes, votes,
// appends and truncations, commits, applies, snapshots) and a Status snapshot that is
// cheap enough to poll many times a second.
//
// Debug logging is off by default; set MINIRAFT_DEBUG=1 (or a comma-separated list of
// topics such as "elect,log") to print one line per event with the peer, term and
// topic.
package raft

// Package raftpb holds the plain values Raft exchanges and reports: log entries, roles,
// the RPC arguments and replies, events, a peer's Status and its Config. It is named
// after etcd-io/raft's raftpb, which plays the same part (there is no protobuf here).
//
// It imports nothing of MiniRaft's, so packages that only read Raft's values (the run
// model, replay, reports, the UI) depend on it alone and not on the network or the
// engines. Package raft re-exports every name, so raft.Event and raftpb.Event are the
// same type. All its types are values, safe to copy; none holds a lock.
package raftpb

// Package raftapi is the course's raftapi (MIT 6.5840, from 2025 on): the interface a
// Raft peer offers its service and the tester, and the message it sends on its apply
// channel. Course code that imports 6.5840/raftapi is built against this package when
// MiniRaft runs it (see miniraft run --raft).
package raftapi

// Raft is what a Raft peer offers its service: the course's interface, unchanged.
type Raft interface {
	// Start proposes command: it returns the index the command will have if it is ever
	// committed, the current term, and whether this peer believes it is the leader.
	Start(command interface{}) (int, int, bool)

	// GetState returns the current term and whether this peer believes it is the leader.
	GetState() (int, bool)

	// Snapshot tells the peer the service has a snapshot of everything through index.
	Snapshot(index int, snapshot []byte)
	// PersistBytes returns the size of the peer's persisted Raft state in bytes.
	PersistBytes() int

	// Kill stops the peer.
	Kill()
}

// ApplyMsg is what a peer sends its service on the apply channel: a committed command
// (CommandValid) or a snapshot to install (SnapshotValid).
type ApplyMsg struct {
	CommandValid bool
	Command      interface{}
	CommandIndex int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

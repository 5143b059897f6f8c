package raft

import "sync"

// Persister holds a peer's durable state: the Raft state and the service's snapshot. It
// stands in for a disk: a peer that crashes and restarts is given (a copy of) the
// Persister it wrote to. Its zero value is ready to use, and it is safe for concurrent use.
type Persister struct {
	mu        sync.Mutex
	raftstate []byte
	snapshot  []byte
}

// MakePersister returns an empty Persister.
func MakePersister() *Persister {
	return &Persister{}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// Copy returns a new Persister holding the same state and snapshot.
func (ps *Persister) Copy() *Persister {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return &Persister{raftstate: ps.raftstate, snapshot: ps.snapshot}
}

// Save stores the Raft state and the snapshot together, atomically. It keeps copies, so
// the caller may reuse its buffers.
func (ps *Persister) Save(raftstate, snapshot []byte) {
	rs, sn := clone(raftstate), clone(snapshot)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.raftstate, ps.snapshot = rs, sn
}

// SaveStateAndSnapshot is the older name of Save.
func (ps *Persister) SaveStateAndSnapshot(raftstate, snapshot []byte) {
	ps.Save(raftstate, snapshot)
}

// SaveRaftState stores the Raft state and leaves the snapshot as it is.
func (ps *Persister) SaveRaftState(raftstate []byte) {
	rs := clone(raftstate)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.raftstate = rs
}

// saveOwned is SaveRaftState (or Save, when snapshot is non-nil) for buffers the caller
// promises never to modify again, so they need not be copied.
func (ps *Persister) saveOwned(raftstate, snapshot []byte) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.raftstate = raftstate
	if snapshot != nil {
		ps.snapshot = snapshot
	}
}

// ReadRaftState returns a copy of the stored Raft state.
func (ps *Persister) ReadRaftState() []byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return clone(ps.raftstate)
}

// ReadSnapshot returns a copy of the stored snapshot.
func (ps *Persister) ReadSnapshot() []byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return clone(ps.snapshot)
}

// RaftStateSize returns the size in bytes of the stored Raft state.
func (ps *Persister) RaftStateSize() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.raftstate)
}

// SnapshotSize returns the size in bytes of the stored snapshot.
func (ps *Persister) SnapshotSize() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.snapshot)
}
